//! Rooms and messages over JSON.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Enum, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::{ApiResult, strict};
use crate::{
    AppState,
    auth::CurrentUser,
    messages::{self, HistoryQuery},
    render::{
        json::{EventOut, MessageOut},
        rfc3339,
    },
    rooms,
    store::{
        messages::Stored,
        rooms::{RoomSummary, Scope},
    },
};

#[derive(Debug, Object)]
pub struct RoomOut {
    pub name: String,
    /// How many members the room has.
    pub members: i64,
    /// RFC 3339, UTC.
    pub created_at: String,
}

impl From<RoomSummary> for RoomOut {
    fn from(r: RoomSummary) -> Self {
        Self {
            name: r.name,
            members: r.members,
            created_at: rfc3339(r.created_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct NewRoom {
    /// 1–64 letters, digits, spaces, `_`, `.` or `-`; unique ignoring case.
    #[oai(deserialize_with = "strict::name")]
    pub name: String,
}

#[derive(Debug, Object)]
pub struct NewMessageIn {
    /// 1–4000 characters after trimming.
    #[oai(deserialize_with = "strict::text")]
    pub text: String,
    /// Optional, at most 64 characters. Retrying with the same id within ten minutes
    /// returns the original message instead of storing it twice.
    #[oai(deserialize_with = "strict::client_id")]
    pub client_id: Option<String>,
}

#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename_all = "lowercase")]
pub enum ScopeParam {
    Joined,
    Available,
    All,
}

#[derive(ApiResponse)]
pub enum RoomCreated {
    #[oai(status = 201)]
    Created(Json<RoomOut>),
}

#[derive(ApiResponse)]
pub enum MessagePosted {
    /// Stored, and delivered to every socket open on the room.
    #[oai(status = 201)]
    Created(Json<MessageOut>),
    /// A retry of a `client_id` already stored: the original message.
    #[oai(status = 200)]
    Retried(Json<MessageOut>),
}

pub struct RoomsApi;

#[OpenApi]
impl RoomsApi {
    /// List rooms: those you belong to (`joined`, the default), those you could join
    /// (`available`), or `all`.
    #[oai(path = "/rooms", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        scope: Query<Option<ScopeParam>>,
    ) -> ApiResult<Json<Vec<RoomOut>>> {
        let scope = match scope.0.unwrap_or(ScopeParam::Joined) {
            ScopeParam::Joined => Scope::Joined,
            ScopeParam::Available => Scope::Available,
            ScopeParam::All => Scope::All,
        };
        let rooms = rooms::list(&state.db, &user, scope).await?;
        Ok(Json(rooms.into_iter().map(RoomOut::from).collect()))
    }

    /// Create a room. You become its first member. Each user may create ten rooms an
    /// hour (429 with `Retry-After` after that).
    #[oai(path = "/rooms", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        body: Json<NewRoom>,
    ) -> ApiResult<RoomCreated> {
        let room =
            rooms::create(&state.db, &*state.hub, &state.room_limit, &user, &body.name).await?;
        Ok(RoomCreated::Created(Json(RoomOut {
            name: room.name,
            members: 1,
            created_at: rfc3339(room.created_at),
        })))
    }

    /// Join a room.
    #[oai(path = "/rooms/:name/members", method = "post")]
    async fn join(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        name: Path<String>,
    ) -> ApiResult<RoomCreated> {
        let room = rooms::join(&state.db, &*state.hub, &user, &name).await?;
        let members = rooms::member_count(&state.db, &room).await?;
        Ok(RoomCreated::Created(Json(RoomOut {
            name: room.name,
            members,
            created_at: rfc3339(room.created_at),
        })))
    }

    /// A page of a room's messages, oldest first: the newest `limit` (default 50, at most
    /// 200) before `before`, the oldest after `after`, or those `around` a message (it,
    /// half the page before it and the rest after; 404 if the room has no such message).
    #[oai(path = "/rooms/:name/messages", method = "get")]
    async fn history(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        name: Path<String>,
        before: Query<Option<i64>>,
        after: Query<Option<i64>>,
        around: Query<Option<i64>>,
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<Vec<MessageOut>>> {
        let room = rooms::open_as_member(&state.db, &user, &name).await?;
        let query = HistoryQuery {
            after: after.0,
            before: before.0,
            around: around.0,
            limit: limit.0,
        };
        let page = messages::history(&state.db, &room, query).await?;
        Ok(Json(page.iter().map(MessageOut::from).collect()))
    }

    /// The room's events after `after_seq` (default 0), oldest first: each message
    /// created, edited or deleted and each change of reactions, at most `limit`
    /// (default 100, at most 500). A client that was away replays these to catch up;
    /// a gap in their `seq` means it missed some.
    #[oai(path = "/rooms/:name/events", method = "get")]
    async fn events(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        name: Path<String>,
        after_seq: Query<Option<i64>>,
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<Vec<EventOut>>> {
        let room = rooms::open_as_member(&state.db, &user, &name).await?;
        let events =
            messages::events_after(&state.db, &room, after_seq.0.unwrap_or(0), limit.0).await?;
        Ok(Json(events.iter().map(EventOut::from).collect()))
    }

    /// Post a message. It is stored, then delivered to every socket open on the room.
    #[oai(path = "/rooms/:name/messages", method = "post")]
    async fn post(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        name: Path<String>,
        body: Json<NewMessageIn>,
    ) -> ApiResult<MessagePosted> {
        let room = rooms::open_as_member(&state.db, &user, &name).await?;
        let stored = messages::send(
            state.outbox(),
            &room,
            &user,
            &body.text,
            body.client_id.as_deref(),
        )
        .await?;
        Ok(match stored {
            Stored::New(row) => MessagePosted::Created(Json((&row).into())),
            Stored::Duplicate(row) => MessagePosted::Retried(Json((&row).into())),
        })
    }
}
