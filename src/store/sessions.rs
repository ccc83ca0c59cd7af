//! Server-side sessions: an opaque id (the cookie) mapped to a small JSON document.

use super::{Db, StoreResult, on_pool};

/// The session's JSON, if it exists and has not expired.
pub async fn load(db: &Db, id: &str, now_ms: i64) -> StoreResult<Option<(String, i64)>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(
        "SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2"
    )
    .bind(id)
    .bind(now_ms)
    .fetch_optional(pool)
    .await)?)
}

/// Saves a session; `login` names the login it belongs to, once logged in.
pub async fn save(
    db: &Db,
    id: &str,
    data: &str,
    login: Option<&str>,
    expires_at_ms: i64,
) -> StoreResult<()> {
    on_pool!(db, |pool| sqlx::query(
        "INSERT INTO sessions (id, data, login, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE
         SET data = excluded.data, login = excluded.login, expires_at = excluded.expires_at"
    )
    .bind(id)
    .bind(data)
    .bind(login)
    .bind(expires_at_ms)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Whether `login` still has a session that has not expired.
pub async fn login_exists(db: &Db, login: &str, now_ms: i64) -> StoreResult<bool> {
    let found: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT CAST(1 AS BIGINT) FROM sessions WHERE login = $1 AND expires_at > $2 LIMIT 1"
    )
    .bind(login)
    .bind(now_ms)
    .fetch_optional(pool)
    .await)?;
    Ok(found.is_some())
}

pub async fn delete(db: &Db, id: &str) -> StoreResult<()> {
    on_pool!(db, |pool| sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

pub async fn delete_expired(db: &Db, now_ms: i64) -> StoreResult<u64> {
    let done = on_pool!(db, |pool| sqlx::query(
        "DELETE FROM sessions WHERE expires_at <= $1"
    )
    .bind(now_ms)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done)
}
