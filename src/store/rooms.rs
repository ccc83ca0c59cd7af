//! Rooms and who belongs to them.

use super::{Db, StoreResult, now_ms, on_pool, unique_is_duplicate};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoomRow {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    /// The newest message's seq when this row was read.
    pub last_seq: i64,
}

/// A room as a list shows it, with its member count and, for the asking user, unread count.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoomSummary {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_seq: i64,
    pub members: i64,
    pub unread: i64,
    /// The newest message id the asking user has read (0 for rooms they are not in).
    pub last_read_id: i64,
}

/// Creates a room with `creator` as its first member, in one transaction.
pub async fn insert_with_creator(
    db: &Db,
    name: &str,
    key: &str,
    creator: i64,
) -> StoreResult<RoomRow> {
    let now = now_ms();
    on_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        let room: RoomRow = sqlx::query_as(
            "INSERT INTO rooms (name, name_key, created_by, created_at) VALUES ($1, $2, $3, $4)
             RETURNING id, name, created_at, last_seq",
        )
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
        Ok(room)
    })
}

pub async fn find_by_key(db: &Db, key: &str) -> StoreResult<Option<RoomRow>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(
        "SELECT id, name, created_at, last_seq FROM rooms WHERE name_key = $1"
    )
    .bind(key)
    .fetch_optional(pool)
    .await)?)
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
    on_pool!(db, |pool| sqlx::query(
        "INSERT INTO memberships (room_id, user_id, joined_at) VALUES ($1, $2, $3)"
    )
    .bind(room_id)
    .bind(user_id)
    .bind(now_ms())
    .execute(pool)
    .await
    .map(|_| ()))
    .map_err(unique_is_duplicate)?;
    Ok(())
}

pub async fn member_count(db: &Db, room_id: i64) -> StoreResult<i64> {
    Ok(on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships WHERE room_id = $1"
    )
    .bind(room_id)
    .fetch_one(pool)
    .await)?)
}

/// Which rooms a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Rooms the user belongs to, with their unread counts.
    Joined,
    /// Rooms the user could join.
    Available,
    All,
}

/// Rooms in `scope` for `user_id`, by name. Unread counts are only for joined rooms
/// and never count the user's own messages.
pub async fn list(db: &Db, user_id: i64, scope: Scope) -> StoreResult<Vec<RoomSummary>> {
    const JOINED: &str = "SELECT r.id, r.name, r.created_at, r.last_seq,
            (SELECT COUNT(*) FROM memberships c WHERE c.room_id = r.id) AS members,
            (SELECT COUNT(*) FROM messages m
              WHERE m.room_id = r.id AND m.id > mb.last_read_id AND m.sender_id <> $1) AS unread,
            mb.last_read_id
         FROM rooms r JOIN memberships mb ON mb.room_id = r.id AND mb.user_id = $1
         ORDER BY r.name_key";
    const AVAILABLE: &str = "SELECT r.id, r.name, r.created_at, r.last_seq,
            (SELECT COUNT(*) FROM memberships c WHERE c.room_id = r.id) AS members,
            CAST(0 AS BIGINT) AS unread, CAST(0 AS BIGINT) AS last_read_id
         FROM rooms r
         WHERE NOT EXISTS (SELECT 1 FROM memberships mb WHERE mb.room_id = r.id AND mb.user_id = $1)
         ORDER BY r.name_key";
    const ALL: &str = "SELECT r.id, r.name, r.created_at, r.last_seq,
            (SELECT COUNT(*) FROM memberships c WHERE c.room_id = r.id) AS members,
            CAST(0 AS BIGINT) AS unread, CAST(0 AS BIGINT) AS last_read_id
         FROM rooms r WHERE $1 = $1
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

/// Moves a member's read marker forward (never back, and never past the room's
/// newest message). Says whether it moved.
pub async fn mark_read(db: &Db, room_id: i64, user_id: i64, message_id: i64) -> StoreResult<bool> {
    let moved = on_pool!(db, |pool| sqlx::query(
        "UPDATE memberships
            SET last_read_id = (SELECT COALESCE(MAX(id), 0) FROM messages
                                 WHERE room_id = $1 AND id <= $3)
          WHERE room_id = $1 AND user_id = $2 AND last_read_id < $3
            AND last_read_id < (SELECT COALESCE(MAX(id), 0) FROM messages
                                 WHERE room_id = $1 AND id <= $3)"
    )
    .bind(room_id)
    .bind(user_id)
    .bind(message_id)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(moved > 0)
}
