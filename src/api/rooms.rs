//! Rooms and messages over JSON.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Enum, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::ApiResult;
use crate::{
    AppState,
    auth::CurrentUser,
    messages::{self, HistoryQuery},
    rooms,
    store::{
        messages::{MessageRow, Stored},
        rooms::{RoomSummary, Scope},
    },
    web::views::rfc3339,
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
    pub name: String,
}

#[derive(Debug, Object)]
pub struct MessageOut {
    /// Ids only increase, in the order messages were stored.
    pub id: i64,
    /// 1, 2, 3… within the room, in the order messages were stored.
    pub seq: i64,
    pub room: String,
    pub sender: String,
    pub text: String,
    /// RFC 3339, UTC.
    pub sent_at: String,
    /// The sender's own id for the message, when it gave one.
    #[oai(skip_serializing_if_is_none)]
    pub client_id: Option<String>,
}

impl From<MessageRow> for MessageOut {
    fn from(m: MessageRow) -> Self {
        Self {
            id: m.id,
            seq: m.seq,
            room: m.room,
            sender: m.sender,
            text: m.text,
            sent_at: rfc3339(m.sent_at),
            client_id: m.client_id,
        }
    }
}

#[derive(Debug, Object)]
pub struct NewMessageIn {
    /// 1–4000 characters after trimming.
    pub text: String,
    /// Optional, at most 64 characters. Retrying with the same id within ten minutes
    /// returns the original message instead of storing it twice.
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

    /// Create a room. You become its first member.
    #[oai(path = "/rooms", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        body: Json<NewRoom>,
    ) -> ApiResult<RoomCreated> {
        let room = rooms::create(&state.db, &state.hub, &user, &body.name).await?;
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
        let room = rooms::join(&state.db, &state.hub, &user, &name).await?;
        let members = rooms::member_count(&state.db, &room).await?;
        Ok(RoomCreated::Created(Json(RoomOut {
            name: room.name,
            members,
            created_at: rfc3339(room.created_at),
        })))
    }

    /// A page of a room's messages, oldest first: the newest `limit` (default 50, at most
    /// 200) before `before`, or the oldest after `after`.
    #[oai(path = "/rooms/:name/messages", method = "get")]
    async fn history(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        name: Path<String>,
        before: Query<Option<i64>>,
        after: Query<Option<i64>>,
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<Vec<MessageOut>>> {
        let room = rooms::open_as_member(&state.db, &user, &name).await?;
        let query = HistoryQuery {
            after: after.0,
            before: before.0,
            limit: limit.0,
        };
        let page = messages::history(&state.db, &room, query).await?;
        Ok(Json(page.into_iter().map(MessageOut::from).collect()))
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
            &state.writer,
            &state.limiter,
            &room,
            &user,
            &body.text,
            body.client_id.as_deref(),
        )
        .await?;
        Ok(match stored {
            Stored::New(row) => MessagePosted::Created(Json(row.into())),
            Stored::Duplicate(row) => MessagePosted::Retried(Json(row.into())),
        })
    }
}
