//! People over JSON: the messages that mention you. (Direct rooms and notification
//! levels are rooms: see `rooms`.)

use poem::web::Data;
use poem_openapi::{OpenApi, param::Query, payload::Json};

use super::ApiResult;
use crate::{AppState, auth::CurrentUser, people, render::json::MessageOut};

pub struct PeopleApi;

#[OpenApi]
impl PeopleApi {
    /// Messages that mention you (`@yourname`), from the rooms you are in now, newest
    /// first: at most `limit` (default 50, at most 200), with ids below `before_id`
    /// (pass the last one's id for the next page).
    #[oai(path = "/mentions", method = "get")]
    async fn mentions(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        before_id: Query<Option<i64>>,
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<Vec<MessageOut>>> {
        let found = people::mentions_of(&state.db, &user, before_id.0, limit.0).await?;
        Ok(Json(found.iter().map(MessageOut::from).collect()))
    }
}
