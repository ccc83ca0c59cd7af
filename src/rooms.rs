//! Rooms: creating, joining, listing, and the membership rule (only members read or
//! post; an unknown room is a 404 whoever asks). What a person's other open pages must
//! hear about (a room joined, a room read) goes out through [`RoomNews`], which the
//! live hub implements: this module does not know who listens.

use crate::{
    auth::CurrentUser,
    domain::RoomName,
    error::{AppError, AppResult, Code},
    limit::KeyedLimit,
    store::{
        self, Db, StoreError,
        rooms::{RoomRow, RoomSummary, Scope},
    },
};

/// What a person's open pages, on every node, hear about their rooms.
pub trait RoomNews {
    /// They joined (or created) a room: their pages start counting its unread.
    fn joined(&self, user_id: i64, room_id: i64, last_seq: i64);
    /// They read a room up to its newest message: their other pages clear its badge.
    fn read(&self, user_id: i64, room_id: i64);
}

/// A room, as found by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    /// The newest event's seq when the room was looked up: where a socket that
    /// subscribes now starts listening (see `Hub::subscribe`).
    pub last_seq: i64,
}

impl From<RoomRow> for Room {
    fn from(row: RoomRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            created_at: row.created_at,
            last_seq: row.last_seq,
        }
    }
}

/// How many rooms each user may create (`--rooms-per-hour`), per node.
pub type CreationLimit = KeyedLimit<i64>;

/// Creates a room named `name` with `user` as its first member, if `user` has not
/// created too many lately (429).
pub async fn create(
    db: &Db,
    news: &impl RoomNews,
    limit: &CreationLimit,
    user: &CurrentUser,
    name: &str,
) -> AppResult<Room> {
    let name = RoomName::parse(name)?;
    limit.check(user.id)?;
    match store::rooms::insert_with_creator(db, name.as_str(), &name.key(), user.id).await {
        Ok(row) => {
            let room = Room::from(row);
            news.joined(user.id, room.id, room.last_seq);
            Ok(room)
        }
        Err(StoreError::Duplicate) => Err(AppError::Conflict(Code::RoomExists)),
        Err(err) => Err(err.into()),
    }
}

/// The room called `name` (in any case), or 404.
pub async fn find(db: &Db, name: &str) -> AppResult<Room> {
    const MISSING: AppError = AppError::NotFound(Code::NoSuchRoom);
    let name = RoomName::parse(name).map_err(|_| MISSING)?;
    let row = store::rooms::find_by_key(db, &name.key()).await?;
    row.map(Room::from).ok_or(MISSING)
}

/// The room called `name`, if `user` may read and post in it: 404 or 403 otherwise.
pub async fn open_as_member(db: &Db, user: &CurrentUser, name: &str) -> AppResult<Room> {
    let room = find(db, name).await?;
    if !store::rooms::is_member(db, room.id, user.id).await? {
        return Err(AppError::Forbidden(Code::NotAMember));
    }
    Ok(room)
}

/// Makes `user` a member of the room called `name`; their open pages start counting
/// its unread messages.
pub async fn join(
    db: &Db,
    news: &impl RoomNews,
    user: &CurrentUser,
    name: &str,
) -> AppResult<Room> {
    let room = find(db, name).await?;
    match store::rooms::add_member(db, room.id, user.id).await {
        Ok(()) => {
            news.joined(user.id, room.id, room.last_seq);
            Ok(room)
        }
        Err(StoreError::Duplicate) => Err(AppError::Conflict(Code::AlreadyMember)),
        Err(err) => Err(err.into()),
    }
}

pub async fn list(db: &Db, user: &CurrentUser, scope: Scope) -> AppResult<Vec<RoomSummary>> {
    Ok(store::rooms::list(db, user.id, scope).await?)
}

pub async fn member_count(db: &Db, room: &Room) -> AppResult<i64> {
    Ok(store::rooms::member_count(db, room.id).await?)
}

/// Records that `user_id` has seen everything in `room` up to `message_id` (the newest
/// message their page shows when they reach its bottom); their other pages, on every
/// node, clear the room's badge.
pub async fn mark_read(
    db: &Db,
    news: &impl RoomNews,
    user_id: i64,
    room: &Room,
    message_id: i64,
) -> AppResult<()> {
    if store::rooms::mark_read(db, room.id, user_id, message_id).await? {
        news.read(user_id, room.id);
    }
    Ok(())
}
