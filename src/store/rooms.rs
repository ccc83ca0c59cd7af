//! Rooms, direct rooms, and who belongs to them (with each member's read marker and
//! notification level).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use super::{
    Db, StoreError, StoreResult,
    events::{LOCK_ROOM, Written},
    now_ms, on_pool, on_writer, unique_is_duplicate,
};

/// The columns of a `RoomRow`, from `rooms r`.
macro_rules! room_columns {
    () => {
        "r.id, r.name, r.kind, r.created_at, r.last_seq, r.member_count"
    };
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoomRow {
    pub id: i64,
    pub name: String,
    /// `room` or `direct`.
    pub kind: String,
    pub created_at: i64,
    /// The newest event's seq when this row was read.
    pub last_seq: i64,
    pub member_count: i64,
}

/// Unread counts stop here: a badge says "99+", and counting costs the same however
/// much history a room has.
pub const UNREAD_CAP: i64 = 100;

/// A room as a list shows it, with, for the asking user, what is unread.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoomSummary {
    pub id: i64,
    pub name: String,
    /// The name as rooms are found by it (case folded).
    pub name_key: String,
    pub kind: String,
    pub created_at: i64,
    pub last_seq: i64,
    pub members: i64,
    /// Messages from others after the read marker, up to `UNREAD_CAP`.
    pub unread: i64,
    /// Messages after the read marker that mention the asking user.
    pub mentioned: i64,
    /// The newest message id the asking user has read (0 for rooms they are not in).
    pub last_read_id: i64,
    /// `all`, `mentions` or `none`: the member's level (None: the room's default).
    pub notify: Option<String>,
}

/// Creates a room with `creator` as its first member, in one transaction.
pub async fn insert_with_creator(
    db: &Db,
    name: &str,
    key: &str,
    creator: i64,
) -> StoreResult<RoomRow> {
    let now = now_ms();
    let room = on_writer!(db, |pool| {
        let mut tx = pool.begin().await?;
        let room: RoomRow = sqlx::query_as(concat!(
            "INSERT INTO rooms (name, name_key, created_by, created_at, member_count)
             VALUES ($1, $2, $3, $4, 1) RETURNING ",
            "id, name, kind, created_at, last_seq, member_count"
        ))
        .bind(name)
        .bind(key)
        .bind(creator)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(unique_is_duplicate)?;
        sqlx::query("INSERT INTO memberships (room_id, user_id, joined_at) VALUES ($1, $2, $3)")
            .bind(room.id)
            .bind(creator)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok::<RoomRow, StoreError>(room)
    })?;
    // Its one member is the only person whose sidebar shows it.
    sidebar_changed_for(db, creator);
    Ok(room)
}

/// The direct room of exactly these people (`members`, ids ascending), made if there
/// is none; whoever of them had left is a member again. Race-free: the set's key is
/// unique, so two callers at once get the same room. Says whether it was new. (The
/// room's name is unique too, and derived from the same set: `ON CONFLICT` names no
/// arbiter, since PostgreSQL may meet a concurrent insert in either index first, and
/// would raise the name's violation instead of doing nothing.)
pub async fn direct_room(
    db: &Db,
    name: &str,
    key: &str,
    members: &[i64],
    creator: i64,
) -> StoreResult<(RoomRow, bool)> {
    let direct_key = members
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let now = now_ms();
    let found = on_writer!(db, |pool| {
        let mut tx = pool.begin().await?;
        let made: Option<RoomRow> = sqlx::query_as(concat!(
            "INSERT INTO rooms (name, name_key, kind, direct_key, created_by, created_at)
             VALUES ($1, $2, 'direct', $3, $4, $5)
             ON CONFLICT DO NOTHING RETURNING ",
            "id, name, kind, created_at, last_seq, member_count"
        ))
        .bind(name)
        .bind(key)
        .bind(&direct_key)
        .bind(creator)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let new = made.is_some();
        let room: RoomRow = match made {
            Some(room) => room,
            None => {
                sqlx::query_as(concat!(
                    "SELECT ",
                    room_columns!(),
                    " FROM rooms r WHERE r.direct_key = $1"
                ))
                .bind(&direct_key)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        let mut added = 0_i64;
        for member in members {
            added += sqlx::query(
                "INSERT INTO memberships (room_id, user_id, joined_at) VALUES ($1, $2, $3)
                 ON CONFLICT (room_id, user_id) DO NOTHING",
            )
            .bind(room.id)
            .bind(member)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected() as i64;
        }
        let room = if added > 0 {
            sqlx::query_as(concat!(
                "UPDATE rooms SET member_count = member_count + $2 WHERE id = $1 RETURNING ",
                "id, name, kind, created_at, last_seq, member_count"
            ))
            .bind(room.id)
            .bind(added)
            .fetch_one(&mut *tx)
            .await?
        } else {
            room
        };
        tx.commit().await?;
        Ok::<_, StoreError>((room, new, added > 0))
    })?;
    let (room, new, joined) = found;
    // Only its members' sidebars show it, and only someone joining changed them.
    if joined {
        for &member in members {
            sidebar_changed_for(db, member);
        }
    }
    Ok((room, new))
}

pub async fn find_by_key(db: &Db, key: &str) -> StoreResult<Option<RoomRow>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(concat!(
        "SELECT ",
        room_columns!(),
        " FROM rooms r WHERE r.name_key = $1"
    ))
    .bind(key)
    .fetch_optional(pool)
    .await)?)
}

/// The room whose key is `key`, and whether `user_id` is a member of it: one round
/// trip for what every room route checks first.
pub async fn find_for_member(
    db: &Db,
    key: &str,
    user_id: i64,
) -> StoreResult<Option<(RoomRow, bool)>> {
    #[derive(sqlx::FromRow)]
    struct Found {
        #[sqlx(flatten)]
        room: RoomRow,
        member: bool,
    }
    let found: Option<Found> = on_pool!(db, |pool| {
        sqlx::query_as(concat!(
        "SELECT ",
        room_columns!(),
        ", EXISTS (SELECT 1 FROM memberships mb WHERE mb.room_id = r.id AND mb.user_id = $2) AS member
         FROM rooms r WHERE r.name_key = $1"
    ))
    .bind(key)
    .bind(user_id)
    .fetch_optional(pool)
    .await
    })?;
    Ok(found.map(|f| (f.room, f.member)))
}

/// A room as a message is sent to it: which one, and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub id: i64,
    pub name: String,
}

/// What `target_for_member` found, and where.
#[derive(Debug)]
pub struct TargetFound {
    /// The room and whether the user is a member of it; `None`: there is no such room.
    pub room: Option<(Target, bool)>,
    /// On SQLite, whether the answer came from memory (`Members`); `None` on
    /// PostgreSQL, which keeps nothing.
    pub from_memory: Option<bool>,
}

/// The room keyed `key` as `user_id` would post to it, and whether they are a member.
/// Posting asks this for every message, so on SQLite the answer for a member is kept in
/// memory (`Members`) and a post reaches the writer without a trip to the database's
/// threads. PostgreSQL may have other nodes changing who is where, so it is always
/// asked.
pub async fn target_for_member(db: &Db, key: &str, user_id: i64) -> StoreResult<TargetFound> {
    let read =
        |found: Option<(RoomRow, bool)>| found.map(|(row, member)| (Target::from(row), member));
    let Db::Sqlite(sqlite) = db else {
        return Ok(TargetFound {
            room: read(find_for_member(db, key, user_id).await?),
            from_memory: None,
        });
    };
    let members = &sqlite.members;
    if let Some(target) = members.get(user_id, key) {
        return Ok(TargetFound {
            room: Some((target, true)),
            from_memory: Some(true),
        });
    }
    let generation = members.generation();
    let room = read(find_for_member(db, key, user_id).await?);
    if let Some((target, true)) = &room {
        members.keep(generation, user_id, key, target.clone());
    }
    Ok(TargetFound {
        room,
        from_memory: Some(false),
    })
}

impl From<RoomRow> for Target {
    fn from(row: RoomRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
        }
    }
}

/// The rooms people were last found members of, by (user, room key): only members
/// are kept. Adding a member needs nothing here (they are read on their first post);
/// everything that ends a membership or changes a room's key calls `forget_members`
/// once it has committed, which empties it. A read that began before such a change
/// may finish after it: `keep` then refuses its answer (the generation moved on), so
/// nothing forgotten comes back.
#[derive(Debug, Default)]
pub struct Members(Mutex<Kept>);

#[derive(Debug, Default)]
struct Kept {
    generation: u64,
    /// By user, then by room key (so a lookup borrows the key it is given).
    rooms: HashMap<i64, HashMap<String, Target>>,
    /// (user, room) pairs in `rooms`.
    pairs: usize,
}

/// At most this many (user, room) pairs are kept; past it the cache starts again
/// empty (a post then reads its room once more), so memory stays bounded.
const MAX_KEPT_MEMBERS: usize = 100_000;

impl Members {
    fn get(&self, user_id: i64, key: &str) -> Option<Target> {
        self.lock().rooms.get(&user_id)?.get(key).cloned()
    }

    fn generation(&self) -> u64 {
        self.lock().generation
    }

    fn keep(&self, generation: u64, user_id: i64, key: &str, target: Target) {
        let mut kept = self.lock();
        if kept.generation != generation {
            return;
        }
        if kept.pairs >= MAX_KEPT_MEMBERS {
            kept.rooms.clear();
            kept.pairs = 0;
        }
        let new = kept
            .rooms
            .entry(user_id)
            .or_default()
            .insert(key.to_owned(), target)
            .is_none();
        kept.pairs += usize::from(new);
    }

    fn forget_all(&self) {
        let mut kept = self.lock();
        kept.generation += 1;
        kept.rooms.clear();
        kept.pairs = 0;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Forgets every kept membership (see `Members`): called after a commit that ended
/// one or changed a room's key. Such a commit changes sidebars too, so they are
/// forgotten with them.
pub(super) fn forget_members(db: &Db) {
    if let Db::Sqlite(sqlite) = db {
        sqlite.members.forget_all();
        sqlite.sidebars.changed_for_all();
    }
}

pub async fn is_member(db: &Db, room_id: i64, user_id: i64) -> StoreResult<bool> {
    let found: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT last_read_id FROM memberships WHERE room_id = $1 AND user_id = $2"
    )
    .bind(room_id)
    .bind(user_id)
    .fetch_optional(pool)
    .await)?;
    Ok(found.is_some())
}

/// Adds a member; `StoreError::Duplicate` if they already are one.
pub async fn add_member(db: &Db, room_id: i64, user_id: i64) -> StoreResult<()> {
    on_writer!(db, |pool| {
        let mut tx = pool.begin().await?;
        // The room first, then its memberships: the message writer's order (`LOCK_ROOM`).
        sqlx::query("UPDATE rooms SET member_count = member_count + 1 WHERE id = $1")
            .bind(room_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO memberships (room_id, user_id, joined_at) VALUES ($1, $2, $3)")
            .bind(room_id)
            .bind(user_id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await
            .map_err(unique_is_duplicate)?;
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })?;
    sidebars_changed(db);
    Ok(())
}

/// Takes a member out; says whether they were one.
pub async fn remove_member(db: &Db, room_id: i64, user_id: i64) -> StoreResult<bool> {
    let gone = on_writer!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(LOCK_ROOM)
            .bind(room_id)
            .execute(&mut *tx)
            .await?;
        let gone = sqlx::query("DELETE FROM memberships WHERE room_id = $1 AND user_id = $2")
            .bind(room_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone > 0 {
            sqlx::query("UPDATE rooms SET member_count = member_count - 1 WHERE id = $1")
                .bind(room_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok::<bool, StoreError>(gone > 0)
    })?;
    forget_members(db);
    Ok(gone)
}

/// Renames a room; `StoreError::Duplicate` if the name is taken in any case.
pub async fn rename(db: &Db, room_id: i64, name: &str, key: &str) -> StoreResult<()> {
    on_writer!(db, |pool| sqlx::query(
        "UPDATE rooms SET name = $2, name_key = $3 WHERE id = $1"
    )
    .bind(room_id)
    .bind(name)
    .bind(key)
    .execute(pool)
    .await
    .map(drop))
    .map_err(unique_is_duplicate)?;
    forget_members(db);
    Ok(())
}

/// Deletes a room, in one transaction: its members go, and its name (its key can
/// match no room name: `#` is in none); its history stays. Returns who were members.
pub async fn delete(db: &Db, room_id: i64) -> StoreResult<Vec<i64>> {
    let members = on_writer!(db, |pool| {
        let mut tx = pool.begin().await?;
        // The room first, then its memberships: the message writer's order (`LOCK_ROOM`).
        sqlx::query(
            "UPDATE rooms SET deleted_at = $2, member_count = 0,
                    name_key = '#deleted-' || CAST(id AS TEXT)
              WHERE id = $1",
        )
        .bind(room_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let members: Vec<i64> =
            sqlx::query_scalar("DELETE FROM memberships WHERE room_id = $1 RETURNING user_id")
                .bind(room_id)
                .fetch_all(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok::<Vec<i64>, StoreError>(members)
    })?;
    forget_members(db);
    Ok(members)
}

/// Sets a member's notification level (`None`: the room's default).
pub async fn set_notify(
    db: &Db,
    room_id: i64,
    user_id: i64,
    notify: Option<&str>,
) -> StoreResult<bool> {
    let changed = on_writer!(db, |pool| sqlx::query(
        "UPDATE memberships SET notify = $3 WHERE room_id = $1 AND user_id = $2"
    )
    .bind(room_id)
    .bind(user_id)
    .bind(notify)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    sidebar_changed_for(db, user_id);
    Ok(changed > 0)
}

/// A member of a room, as lists of members show them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    pub id: i64,
    pub username: String,
    pub deactivated: bool,
}

/// A room's members, by name: for autocomplete, and whom a rename concerns.
pub async fn members(db: &Db, room_id: i64) -> StoreResult<Vec<Member>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(
        "SELECT u.id, u.username, (u.deactivated_at IS NOT NULL) AS deactivated
           FROM memberships mb JOIN users u ON u.id = mb.user_id
          WHERE mb.room_id = $1 ORDER BY u.username_key"
    )
    .bind(room_id)
    .fetch_all(pool)
    .await)?)
}

/// Which rooms a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Rooms (and direct rooms) the user belongs to, with what is unread.
    Joined,
    /// Group rooms the user could join.
    Available,
    /// Every group room.
    All,
}

/// Rooms in `scope` for `user_id`, by name. Unread counts are only for joined rooms,
/// and stop at `UNREAD_CAP`. Each is the difference of two counters (the room's
/// messages, and the member's place in them when they last read), so it reads no
/// messages however many are unread. The user's own messages never count: writing
/// moves the writer's marker past them.
pub async fn list(db: &Db, user_id: i64, scope: Scope) -> StoreResult<Vec<RoomSummary>> {
    // `100` is `UNREAD_CAP`.
    const JOINED: &str = "SELECT r.id, r.name, r.name_key, r.kind, r.created_at, r.last_seq, r.member_count AS members,
            CASE WHEN r.message_count - mb.read_ord > 100 THEN 100
                 ELSE r.message_count - mb.read_ord END AS unread,
            (SELECT COUNT(*) FROM mentions x
              WHERE x.room_id = r.id AND x.user_id = $1 AND x.message_id > mb.last_read_id) AS mentioned,
            mb.last_read_id,
            mb.notify
         FROM rooms r JOIN memberships mb ON mb.room_id = r.id AND mb.user_id = $1
         ORDER BY r.name_key";
    const AVAILABLE: &str =
        "SELECT r.id, r.name, r.name_key, r.kind, r.created_at, r.last_seq, r.member_count AS members,
            CAST(0 AS BIGINT) AS unread, CAST(0 AS BIGINT) AS mentioned,
            CAST(0 AS BIGINT) AS last_read_id, CAST(NULL AS TEXT) AS notify
         FROM rooms r
         WHERE r.kind = 'room' AND r.deleted_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM memberships mb WHERE mb.room_id = r.id AND mb.user_id = $1)
         ORDER BY r.name_key";
    const ALL: &str =
        "SELECT r.id, r.name, r.name_key, r.kind, r.created_at, r.last_seq, r.member_count AS members,
            CAST(0 AS BIGINT) AS unread, CAST(0 AS BIGINT) AS mentioned,
            CAST(0 AS BIGINT) AS last_read_id, CAST(NULL AS TEXT) AS notify
         FROM rooms r WHERE r.kind = 'room' AND r.deleted_at IS NULL AND $1 = $1
         ORDER BY r.name_key";
    let sql = match scope {
        Scope::Joined => JOINED,
        Scope::Available => AVAILABLE,
        Scope::All => ALL,
    };
    Ok(on_pool!(db, |pool| sqlx::query_as(sql)
        .bind(user_id)
        .fetch_all(pool)
        .await)?)
}

/// `user_id`'s joined rooms, as `list` reads them, and whether they came from memory.
#[derive(Debug)]
pub struct Joined {
    pub rooms: Arc<[RoomSummary]>,
    /// On SQLite, whether the list was kept in memory (`sidebars`); `None` on
    /// PostgreSQL, which keeps nothing.
    pub from_memory: Option<bool>,
}

/// `list(db, user_id, Scope::Joined)`: every logged-in page's sidebar. On SQLite the
/// list is kept in memory until something in it changes (`sidebars::Sidebars`).
pub async fn joined(db: &Db, user_id: i64) -> StoreResult<Joined> {
    let Db::Sqlite(sqlite) = db else {
        return Ok(Joined {
            rooms: list(db, user_id, Scope::Joined).await?.into(),
            from_memory: None,
        });
    };
    if let Some(rooms) = sqlite.sidebars.get(user_id) {
        return Ok(Joined {
            rooms,
            from_memory: Some(true),
        });
    }
    let stamp = sqlite.sidebars.stamp();
    let rooms: Arc<[RoomSummary]> = list(db, user_id, Scope::Joined).await?.into();
    sqlite.sidebars.keep(user_id, stamp, &rooms);
    Ok(Joined {
        rooms,
        from_memory: Some(false),
    })
}

/// After a commit that may change anyone's joined rooms as `joined` lists them
/// without ending a membership: someone added to a room (its member count shows in
/// every member's sidebar). (A commit that ends one, or renames a room, calls
/// `forget_members`, which forgets the sidebars too.)
fn sidebars_changed(db: &Db) {
    if let Db::Sqlite(sqlite) = db {
        sqlite.sidebars.changed_for_all();
    }
}

/// After a commit that changed `user_id`'s joined rooms as `joined` lists them, and
/// no one else's: their read marker, how a room notifies them, or a room only they
/// (and others told the same way) are in.
fn sidebar_changed_for(db: &Db, user_id: i64) {
    if let Db::Sqlite(sqlite) = db {
        sqlite.sidebars.changed_for(user_id);
    }
}

/// After a batch of events was committed: each moved its room's seq. (After one that
/// failed, which may have committed all the same, every list is forgotten.)
pub(super) fn events_committed(db: &Db, outcome: &StoreResult<Vec<Written>>) {
    let Db::Sqlite(sqlite) = db else { return };
    match outcome {
        Ok(written) => sqlite
            .sidebars
            .advanced(written.iter().filter_map(Written::committed)),
        Err(_) => sqlite.sidebars.changed_for_all(),
    }
}

/// Moves a member's read marker forward (never back, and never past the room's
/// newest message) to the newest message up to `message_id`, with its place in the
/// room's count. Says whether it moved.
pub async fn mark_read(db: &Db, room_id: i64, user_id: i64, message_id: i64) -> StoreResult<bool> {
    // One row by the `(room_id, id)` index, newest first. (`MAX(id), MAX(ord)` would
    // read every message up to the marker: two aggregates defeat the index's shortcut.)
    let moved = on_writer!(db, |pool| sqlx::query(
        "WITH newest AS (
            SELECT id, ord FROM messages WHERE room_id = $1 AND id <= $3
             ORDER BY id DESC LIMIT 1)
         UPDATE memberships SET last_read_id = newest.id, read_ord = newest.ord
           FROM newest
          WHERE memberships.room_id = $1 AND memberships.user_id = $2
            AND memberships.last_read_id < newest.id"
    )
    .bind(room_id)
    .bind(user_id)
    .bind(message_id)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    if moved > 0 {
        sidebar_changed_for(db, user_id);
    }
    Ok(moved > 0)
}
