//! Rooms: creating, joining, leaving, listing, direct rooms, notification levels, and
//! the membership rule (only members read or post; an unknown room is a 404 whoever
//! asks). What a person's other open pages must hear about (a room joined, read or
//! left, a level changed) goes out through [`RoomNews`], which the live hub
//! implements: this module does not know who listens.

use std::sync::Arc;

use crate::{
    auth::{self, Admin, CurrentUser},
    domain::{DirectPeople, Notify, RoomName, Username, direct_name, fold_case, is_direct_name},
    error::{AppError, AppResult, Code},
    limit::KeyedLimit,
    metrics,
    store::{
        self, Db, StoreError,
        rooms::{RoomRow, RoomSummary, Scope},
    },
};

pub use store::rooms::Target;

/// What a person's open pages, on every node, hear about their rooms.
pub trait RoomNews {
    /// They joined (or created, or were brought into) a room: their pages list it and
    /// start counting its unread.
    fn joined(&self, user_id: i64, room: &Room);
    /// They read a room up to its newest message: their other pages clear its badge.
    fn read(&self, user_id: i64, room_id: i64);
    /// They left a room: it leaves their pages, and their sockets on it close.
    fn left(&self, user_id: i64, room_id: i64);
    /// They changed how a room notifies them: their pages count it that way.
    fn notify_changed(&self, user_id: i64, room_id: i64, notify: Notify);
    /// A room of theirs was renamed (by an admin): their pages show the new name.
    fn renamed(&self, user_id: i64, room: &Room);
}

/// A room, as found by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    pub id: i64,
    pub name: String,
    /// A direct room (a fixed set of people, named `@…`) rather than a group room.
    pub direct: bool,
    pub created_at: i64,
    /// The newest event's seq when the room was looked up: where a socket that
    /// subscribes now starts listening (see `Hub::subscribe`).
    pub last_seq: i64,
    pub member_count: i64,
}

impl From<RoomRow> for Room {
    fn from(row: RoomRow) -> Self {
        Self {
            id: row.id,
            direct: row.kind == "direct",
            name: row.name,
            created_at: row.created_at,
            last_seq: row.last_seq,
            member_count: row.member_count,
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
            news.joined(user.id, &room);
            Ok(room)
        }
        Err(StoreError::Duplicate) => Err(AppError::Conflict(Code::RoomExists)),
        Err(err) => Err(err.into()),
    }
}

/// The direct room of `user` and the people named `others` (1 to 7, each once, not
/// `user`): the existing one, or a new one (`true`). Two calls at once for the same
/// people get the same room. Everyone in it hears of it on their open pages. A new
/// one counts against `user`'s room-creation limit (429); opening one again does not.
pub async fn direct(
    db: &Db,
    news: &impl RoomNews,
    limit: &CreationLimit,
    user: &CurrentUser,
    others: &[String],
) -> AppResult<(Room, bool)> {
    let others = DirectPeople::parse(&user.username, others)?;
    let mut people = vec![(user.id, user.username.clone())];
    for name in others.names() {
        let key = Username::existing(name)
            .map_err(|_| AppError::NotFound(Code::NoSuchUser))?
            .key();
        let found = store::users::find_by_key(db, &key)
            .await?
            .ok_or(AppError::NotFound(Code::NoSuchUser))?;
        people.push((found.id, found.username));
    }
    let name = direct_name(people.iter().map(|(_, n)| n.as_str()));
    let mut ids: Vec<i64> = people.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    let key = fold_case(&name);
    if store::rooms::find_by_key(db, &key).await?.is_none() {
        limit.check(user.id)?;
    }
    let (row, new) = store::rooms::direct_room(db, &name, &key, &ids, user.id).await?;
    let room = Room::from(row);
    for id in &ids {
        news.joined(*id, &room);
    }
    Ok((room, new))
}

const MISSING: AppError = AppError::NotFound(Code::NoSuchRoom);

/// The key a room is found by, from its name as asked for (in any case): a group
/// room's, or a direct room's (`@…`). A name no room can have is 404.
fn key_of(name: &str) -> AppResult<String> {
    if is_direct_name(name) {
        Ok(fold_case(name.trim()))
    } else {
        Ok(RoomName::parse(name).map_err(|_| MISSING)?.key())
    }
}

/// The room called `name`, or 404.
pub async fn find(db: &Db, name: &str) -> AppResult<Room> {
    let row = store::rooms::find_by_key(db, &key_of(name)?).await?;
    row.map(Room::from).ok_or(MISSING)
}

/// The room called `name` among `mine` (the rooms `user` is in, as `list` gave them):
/// a member's room page needs no other query to find it. `None` when it is not one
/// of them (ask `open_as_member` why).
pub fn find_among(mine: &[RoomSummary], name: &str) -> Option<Room> {
    let key = key_of(name).ok()?;
    mine.iter().find(|r| r.name_key == key).map(|r| Room {
        id: r.id,
        name: r.name.clone(),
        direct: r.kind == "direct",
        created_at: r.created_at,
        last_seq: r.last_seq,
        member_count: r.members,
    })
}

/// The room called `name`, if `user` may read and post in it: 404 or 403 otherwise.
pub async fn open_as_member(db: &Db, user: &CurrentUser, name: &str) -> AppResult<Room> {
    let found = store::rooms::find_for_member(db, &key_of(name)?, user.id).await?;
    member_of(found).map(Room::from)
}

/// The membership rule: a room that does not exist is 404 whoever asks, and one that
/// does is 403 to anyone not in it.
fn member_of<T>(found: Option<(T, bool)>) -> AppResult<T> {
    match found {
        Some((room, true)) => Ok(room),
        Some((_, false)) => Err(AppError::Forbidden(Code::NotAMember)),
        None => Err(MISSING),
    }
}

/// Where `user` may post, in the room called `name`: 404 or 403 as `open_as_member`.
/// Asked once per message, so it reads only what a message needs, and that from
/// memory when it can (`store::rooms::target_for_member`).
pub async fn open_to_post(db: &Db, user: &CurrentUser, name: &str) -> AppResult<Target> {
    let found = store::rooms::target_for_member(db, &key_of(name)?, user.id).await?;
    if let Some(hit) = found.from_memory {
        metrics::record_cache("members", hit);
    }
    member_of(found.room)
}

impl From<Room> for Target {
    fn from(room: Room) -> Self {
        Self {
            id: room.id,
            name: room.name,
        }
    }
}

/// Makes `user` a member of the group room called `name`; their open pages start
/// counting its unread messages. A direct room is joined by being in its set (403).
pub async fn join(
    db: &Db,
    news: &impl RoomNews,
    user: &CurrentUser,
    name: &str,
) -> AppResult<Room> {
    let room = find(db, name).await?;
    if room.direct {
        return Err(AppError::Forbidden(Code::DirectRoom));
    }
    match store::rooms::add_member(db, room.id, user.id).await {
        Ok(()) => {
            let room = Room {
                member_count: room.member_count + 1,
                ..room
            };
            news.joined(user.id, &room);
            Ok(room)
        }
        Err(StoreError::Duplicate) => Err(AppError::Conflict(Code::AlreadyMember)),
        Err(err) => Err(err.into()),
    }
}

/// Takes `user` out of the room called `name` (a direct room too: the others keep
/// it). Its history and new messages are theirs no more, and their sockets on it
/// close.
pub async fn leave(
    db: &Db,
    news: &impl RoomNews,
    user: &CurrentUser,
    name: &str,
) -> AppResult<Room> {
    let room = open_as_member(db, user, name).await?;
    if store::rooms::remove_member(db, room.id, user.id).await? {
        news.left(user.id, room.id);
    }
    Ok(room)
}

/// Sets how the room called `name` notifies `user` (`None`: the room's default, which
/// is all messages in a direct room and mentions in a group room). Returns the level
/// now in force.
pub async fn set_notify(
    db: &Db,
    news: &impl RoomNews,
    user: &CurrentUser,
    name: &str,
    notify: Option<Notify>,
) -> AppResult<Notify> {
    let room = open_as_member(db, user, name).await?;
    store::rooms::set_notify(db, room.id, user.id, notify.map(Notify::as_str)).await?;
    let now = notify.unwrap_or(Notify::default_for(room.direct));
    news.notify_changed(user.id, room.id, now);
    Ok(now)
}

/// The group room called `name`, for an admin to change: 404 for no such room, 403
/// `direct_room` for a direct one (only its people have any say in it).
async fn as_admin(db: &Db, name: &str) -> AppResult<Room> {
    let room = find(db, name).await?;
    if room.direct {
        return Err(AppError::Forbidden(Code::DirectRoom));
    }
    Ok(room)
}

/// Renames a group room (admins only; 409 `room_exists` if the name is taken). Its
/// members' pages, on every node, show the new name.
pub async fn rename(
    db: &Db,
    news: &impl RoomNews,
    _: &Admin,
    name: &str,
    new_name: &str,
) -> AppResult<Room> {
    let mut room = as_admin(db, name).await?;
    let new_name = RoomName::parse(new_name)?;
    match store::rooms::rename(db, room.id, new_name.as_str(), &new_name.key()).await {
        Ok(()) => {}
        Err(StoreError::Duplicate) => return Err(AppError::Conflict(Code::RoomExists)),
        Err(err) => return Err(err.into()),
    }
    room.name = new_name.as_str().to_owned();
    for member in store::rooms::members(db, room.id).await? {
        news.renamed(member.id, &room);
    }
    Ok(room)
}

/// Deletes a group room (admins only): every member leaves it, on every page and
/// socket; its name is free again.
pub async fn delete(db: &Db, news: &impl RoomNews, _: &Admin, name: &str) -> AppResult<Room> {
    let room = as_admin(db, name).await?;
    for member in store::rooms::delete(db, room.id).await? {
        news.left(member, room.id);
    }
    Ok(room)
}

/// Takes `username` out of a group room (admins only; 404 `no_such_user`, 403
/// `not_a_member` if they are not in it): as if they had left, on every node.
pub async fn remove_member(
    db: &Db,
    news: &impl RoomNews,
    _: &Admin,
    name: &str,
    username: &str,
) -> AppResult<Room> {
    let room = as_admin(db, name).await?;
    let member = auth::find_account(db, username).await?;
    if !store::rooms::remove_member(db, room.id, member.id).await? {
        return Err(AppError::Forbidden(Code::NotAMember));
    }
    news.left(member.id, room.id);
    Ok(room)
}

/// The rooms in `scope` for `user`. Their own (every page's sidebar) come from memory
/// when nothing in them changed since they were last read (`store::rooms::joined`).
pub async fn list(db: &Db, user: &CurrentUser, scope: Scope) -> AppResult<Arc<[RoomSummary]>> {
    if scope != Scope::Joined {
        return Ok(store::rooms::list(db, user.id, scope).await?.into());
    }
    let joined = store::rooms::joined(db, user.id).await?;
    if let Some(hit) = joined.from_memory {
        metrics::record_cache("sidebars", hit);
    }
    Ok(joined.rooms)
}

/// Records that `user_id` has seen everything in `room` up to `message_id` (the newest
/// message their page shows when they reach its bottom); their other pages, on every
/// node, clear the room's badge. Says whether the marker moved.
pub async fn mark_read(
    db: &Db,
    news: &impl RoomNews,
    user_id: i64,
    room: &Room,
    message_id: i64,
) -> AppResult<bool> {
    let moved = store::rooms::mark_read(db, room.id, user_id, message_id).await?;
    if moved {
        news.read(user_id, room.id);
    }
    Ok(moved)
}
