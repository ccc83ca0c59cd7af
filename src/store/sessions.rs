//! Server-side sessions: an opaque id (the cookie) mapped to a small JSON document.

use super::{Db, StoreResult, on_pool, on_writer};

/// The session's JSON, when it expires and when it was last used.
pub async fn load(db: &Db, id: &str, now_ms: i64) -> StoreResult<Option<(String, i64, i64)>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(
        "SELECT data, expires_at, COALESCE(last_seen_at, 0) FROM sessions
          WHERE id = $1 AND expires_at > $2 AND ended_at IS NULL"
    )
    .bind(id)
    .bind(now_ms)
    .fetch_optional(pool)
    .await)?)
}

/// What a session says about itself, beside its JSON.
#[derive(Debug, Clone, Copy, Default)]
pub struct Owner<'a> {
    /// The login it belongs to, once logged in.
    pub login: Option<&'a str>,
    pub user_id: Option<i64>,
    pub user_agent: Option<&'a str>,
}

/// Saves a session, as used now; unless it has ended (a tombstone stands for it): a
/// request that changes a session while it is being ended cannot bring it back. Says
/// whether it was written.
pub async fn save(
    db: &Db,
    id: &str,
    data: &str,
    owner: Owner<'_>,
    expires_at_ms: i64,
) -> StoreResult<bool> {
    let now = super::now_ms();
    let written = on_writer!(db, |pool| sqlx::query(
        "INSERT INTO sessions (id, data, login, user_id, user_agent, expires_at, created_at,
                               last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
         ON CONFLICT (id) DO UPDATE
         SET data = excluded.data, login = excluded.login, user_id = excluded.user_id,
             user_agent = excluded.user_agent, expires_at = excluded.expires_at,
             last_seen_at = excluded.last_seen_at
         WHERE sessions.ended_at IS NULL"
    )
    .bind(id)
    .bind(data)
    .bind(owner.login)
    .bind(owner.user_id)
    .bind(owner.user_agent)
    .bind(expires_at_ms)
    .bind(now)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(written > 0)
}

/// Notes that a session was used at `now_ms`.
pub async fn touch(db: &Db, id: &str, now_ms: i64) -> StoreResult<()> {
    on_writer!(db, |pool| sqlx::query(
        "UPDATE sessions SET last_seen_at = $2 WHERE id = $1"
    )
    .bind(id)
    .bind(now_ms)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// One of a person's sessions, as their account page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub login: String,
    pub user_agent: Option<String>,
    pub created_at: Option<i64>,
    pub last_seen_at: Option<i64>,
}

/// A person's sessions that have not expired, the most recently used first.
pub async fn of_user(db: &Db, user_id: i64, now_ms: i64) -> StoreResult<Vec<SessionRow>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(
        "SELECT login, user_agent, created_at, last_seen_at FROM sessions
          WHERE user_id = $1 AND expires_at > $2 AND login IS NOT NULL AND ended_at IS NULL
          ORDER BY last_seen_at DESC, created_at DESC"
    )
    .bind(user_id)
    .bind(now_ms)
    .fetch_all(pool)
    .await)?)
}

/// Ends a person's sessions: one login's (`only`), or all but one (`except`), or all.
/// Returns the (stored id, login) of each ended.
pub async fn end_of_user(
    db: &Db,
    user_id: i64,
    only: Option<&str>,
    except: Option<&str>,
) -> StoreResult<Vec<(String, String)>> {
    Ok(on_writer!(db, |pool| sqlx::query_as(
        "UPDATE sessions SET ended_at = $4, data = '{}'
          WHERE user_id = $1 AND login IS NOT NULL AND ended_at IS NULL
            AND ($2 IS NULL OR login = $2) AND ($3 IS NULL OR login <> $3)
          RETURNING id, login"
    )
    .bind(user_id)
    .bind(only)
    .bind(except)
    .bind(super::now_ms())
    .fetch_all(pool)
    .await)?)
}

/// Whether `login` still has a session that has not expired.
pub async fn login_exists(db: &Db, login: &str, now_ms: i64) -> StoreResult<bool> {
    let found: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT CAST(1 AS BIGINT) FROM sessions
          WHERE login = $1 AND expires_at > $2 AND ended_at IS NULL LIMIT 1"
    )
    .bind(login)
    .bind(now_ms)
    .fetch_optional(pool)
    .await)?;
    Ok(found.is_some())
}

/// Ends one session (a logout).
pub async fn end(db: &Db, id: &str) -> StoreResult<()> {
    on_writer!(db, |pool| sqlx::query(
        "UPDATE sessions SET ended_at = $2, data = '{}' WHERE id = $1 AND ended_at IS NULL"
    )
    .bind(id)
    .bind(super::now_ms())
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// How long an ended session's tombstone is kept.
const TOMBSTONE_MS: i64 = 24 * 60 * 60 * 1000;

/// Deletes expired sessions, and tombstones older than a day.
pub async fn delete_expired(db: &Db, now_ms: i64) -> StoreResult<u64> {
    let done = on_writer!(db, |pool| sqlx::query(
        "DELETE FROM sessions WHERE expires_at <= $1 OR ended_at <= $2"
    )
    .bind(now_ms)
    .bind(now_ms - TOMBSTONE_MS)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done)
}
