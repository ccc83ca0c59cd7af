//! Changing messages over JSON: edit, delete, earlier versions, reactions.

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};

use super::{ApiResult, strict};
use crate::{
    AppState,
    auth::CurrentUser,
    messages,
    render::{
        json::{MessageOut, ReactionOut, reactions},
        rfc3339,
    },
};

#[derive(Debug, Object)]
pub struct EditIn {
    /// The new text: 1–4000 characters after trimming.
    #[oai(deserialize_with = "strict::text")]
    pub text: String,
}

/// An earlier version of an edited message.
#[derive(Debug, Object)]
#[oai(rename = "EarlierVersion")]
pub struct EditOut {
    pub text: String,
    /// When this version was replaced by the next (RFC 3339, UTC).
    pub edited_at: String,
}

#[derive(ApiResponse)]
pub enum Deleted {
    /// Deleted: it stays in the history as a tombstone, with no text.
    #[oai(status = 204)]
    NoContent,
}

pub struct MessagesApi;

#[OpenApi]
impl MessagesApi {
    /// Edit your own message. Its earlier text is kept (`/messages/{id}/edits`).
    #[oai(path = "/messages/:id", method = "patch")]
    async fn edit(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        id: Path<i64>,
        body: Json<EditIn>,
    ) -> ApiResult<Json<MessageOut>> {
        let message = messages::edit(state.outbox(), &user, id.0, &body.text).await?;
        Ok(Json((&message).into()))
    }

    /// Delete your own message.
    #[oai(path = "/messages/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        id: Path<i64>,
    ) -> ApiResult<Deleted> {
        messages::delete(state.outbox(), &user, id.0).await?;
        Ok(Deleted::NoContent)
    }

    /// Every earlier version of a message, oldest first.
    #[oai(path = "/messages/:id/edits", method = "get")]
    async fn edits(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        id: Path<i64>,
    ) -> ApiResult<Json<Vec<EditOut>>> {
        let edits = messages::edits(&state.db, &user, id.0).await?;
        Ok(Json(
            edits
                .into_iter()
                .map(|e| EditOut {
                    text: e.text,
                    edited_at: rfc3339(e.edited_at),
                })
                .collect(),
        ))
    }

    /// React with one emoji (percent-encoded in the path). Reacting twice is the same
    /// as once. Answers the message's reactions.
    #[oai(path = "/messages/:id/reactions/:emoji", method = "put")]
    async fn react(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        id: Path<i64>,
        emoji: Path<String>,
    ) -> ApiResult<Json<Vec<ReactionOut>>> {
        let message = messages::react(state.outbox(), &user, id.0, &emoji, true).await?;
        Ok(Json(reactions(&message.reactions.0)))
    }

    /// Take your reaction back. Answers the message's reactions.
    #[oai(path = "/messages/:id/reactions/:emoji", method = "delete")]
    async fn unreact(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        id: Path<i64>,
        emoji: Path<String>,
    ) -> ApiResult<Json<Vec<ReactionOut>>> {
        let message = messages::react(state.outbox(), &user, id.0, &emoji, false).await?;
        Ok(Json(reactions(&message.reactions.0)))
    }
}
