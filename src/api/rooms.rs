//! Rooms and messages over JSON.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Enum, Object, OpenApi, Union,
    param::{Path, Query},
    payload::Json,
};

use super::{ApiResult, strict};
use crate::{
    AppState,
    auth::{Admin, CurrentUser},
    domain::{Notify, direct_people},
    messages::{self, HistoryQuery},
    render::{
        json::{EventOut, MessageOut},
        rfc3339,
    },
    rooms::{self, Room},
    store::{
        messages::Stored,
        rooms::{RoomSummary, Scope},
    },
};

/// A room, told apart by `kind`: a group room (`room`) or a direct room (`direct`).
#[derive(Debug, Union)]
#[oai(discriminator_name = "kind", one_of)]
pub enum RoomOut {
    #[oai(mapping = "room")]
    Room(GroupRoomOut),
    #[oai(mapping = "direct")]
    Direct(DirectRoomOut),
}

/// A group room: anyone may join it.
#[derive(Debug, Object)]
#[oai(rename = "Room")]
pub struct GroupRoomOut {
    pub name: String,
    /// How many members the room has.
    pub members: i64,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// A direct room: a fixed set of people. Its `name` starts with `@` (which no group
/// room's may contain); URL-encode it in paths.
#[derive(Debug, Object)]
#[oai(rename = "DirectRoom")]
pub struct DirectRoomOut {
    pub name: String,
    /// Its people's usernames.
    pub members: Vec<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
}

impl RoomOut {
    fn new(name: String, direct: bool, members: i64, created_at: i64) -> Self {
        let created_at = rfc3339(created_at);
        if direct {
            RoomOut::Direct(DirectRoomOut {
                members: direct_people(&name),
                name,
                created_at,
            })
        } else {
            RoomOut::Room(GroupRoomOut {
                name,
                members,
                created_at,
            })
        }
    }
}

impl From<RoomSummary> for RoomOut {
    fn from(r: RoomSummary) -> Self {
        let direct = r.kind == "direct";
        RoomOut::new(r.name, direct, r.members, r.created_at)
    }
}

impl From<Room> for RoomOut {
    fn from(r: Room) -> Self {
        RoomOut::new(r.name, r.direct, r.member_count, r.created_at)
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
    /// Optional, at most 64 characters. Retrying with the same id within a day
    /// returns the original message instead of storing it twice.
    #[oai(deserialize_with = "strict::client_id")]
    pub client_id: Option<String>,
}

#[derive(Debug, Object)]
pub struct NewDirect {
    /// The other people's usernames: 1 to 7, each once, not yourself.
    #[oai(deserialize_with = "strict::users")]
    pub users: Vec<String>,
}

/// How a room notifies you.
#[derive(Debug, Object)]
pub struct MembershipIn {
    /// `all` (every message counts as unread: the default in direct rooms), `mentions`
    /// (only messages that mention you: the default in group rooms) or `none`.
    #[oai(deserialize_with = "strict::notify")]
    pub notify: String,
}

#[derive(Debug, Object)]
pub struct MembershipOut {
    pub room: String,
    /// The level now in force: `all`, `mentions` or `none`.
    pub notify: String,
}

#[derive(ApiResponse)]
pub enum DirectOpened {
    /// A new direct room.
    #[oai(status = 201)]
    Created(Json<RoomOut>),
    /// The direct room of exactly these people, which already existed.
    #[oai(status = 200)]
    Existing(Json<RoomOut>),
}

#[derive(ApiResponse)]
pub enum LeftRoom {
    /// You are no longer a member: the room's history and new messages are refused
    /// (403), and your sockets on it close with 1008.
    #[oai(status = 204)]
    Left,
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

#[derive(ApiResponse)]
pub enum RoomGone {
    #[oai(status = 204)]
    NoContent,
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
        Ok(Json(rooms.iter().cloned().map(RoomOut::from).collect()))
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
        Ok(RoomCreated::Created(Json(room.into())))
    }

    /// Rename a group room (admins only: 403 `not_an_admin`; 403 `direct_room` for a
    /// direct room; 409 `room_exists`). Its members' pages and sockets hear the new
    /// name.
    #[oai(path = "/rooms/:name", method = "patch")]
    async fn rename(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        name: Path<String>,
        body: Json<NewRoom>,
    ) -> ApiResult<Json<RoomOut>> {
        let admin = Admin::check(&state.db, &user).await?;
        let room = state.rename_room(&admin, &name, &body.name).await?;
        Ok(Json(room.into()))
    }

    /// Delete a group room (admins only). Every member leaves it: their sockets on it
    /// close (1008) and it leaves their pages. Its name is free again.
    #[oai(path = "/rooms/:name", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        name: Path<String>,
    ) -> ApiResult<RoomGone> {
        let admin = Admin::check(&state.db, &user).await?;
        rooms::delete(&state.db, &*state.hub, &admin, &name).await?;
        Ok(RoomGone::NoContent)
    }

    /// Take someone out of a group room (admins only; 404 `no_such_user`, 403
    /// `not_a_member`), as if they had left it.
    #[oai(path = "/rooms/:name/members/:username", method = "delete")]
    async fn remove_member(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        name: Path<String>,
        username: Path<String>,
    ) -> ApiResult<RoomGone> {
        let admin = Admin::check(&state.db, &user).await?;
        rooms::remove_member(&state.db, &*state.hub, &admin, &name, &username).await?;
        Ok(RoomGone::NoContent)
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
        Ok(RoomCreated::Created(Json(room.into())))
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
        let room = rooms::open_to_post(&state.db, &user, &name).await?;
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

    /// Open a direct room with 1 to 7 other people (you are added): 201 with a new
    /// one, or 200 with the one that already has exactly these people. 404 for an
    /// unknown user; 422 for yourself alone, a name given twice, or more than 7.
    #[oai(path = "/direct", method = "post")]
    async fn direct(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        body: Json<NewDirect>,
    ) -> ApiResult<DirectOpened> {
        let (room, new) = rooms::direct(
            &state.db,
            &*state.hub,
            &state.room_limit,
            &user,
            &body.users,
        )
        .await?;
        Ok(if new {
            DirectOpened::Created(Json(room.into()))
        } else {
            DirectOpened::Existing(Json(room.into()))
        })
    }

    /// Set how a room notifies you: its unread count counts `all` messages, only
    /// `mentions` of you, or `none`.
    #[oai(path = "/rooms/:name/membership", method = "put")]
    async fn membership(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        name: Path<String>,
        body: Json<MembershipIn>,
    ) -> ApiResult<Json<MembershipOut>> {
        let notify = Notify::parse(&body.notify)?;
        let now = rooms::set_notify(&state.db, &*state.hub, &user, &name, Some(notify)).await?;
        Ok(Json(MembershipOut {
            room: name.0,
            notify: now.as_str().to_owned(),
        }))
    }

    /// Leave a room (a direct room too: the others keep it).
    #[oai(path = "/rooms/:name/members/me", method = "delete")]
    async fn leave(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        name: Path<String>,
    ) -> ApiResult<LeftRoom> {
        rooms::leave(&state.db, &*state.hub, &user, &name).await?;
        Ok(LeftRoom::Left)
    }
}
