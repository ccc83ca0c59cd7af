//! Users.

use super::{Db, StoreResult, on_pool, unique_is_duplicate};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
}

/// Inserts a user; `StoreError::Duplicate` if the name is taken in any case.
pub async fn insert(db: &Db, username: &str, key: &str, password_hash: &str) -> StoreResult<i64> {
    let id = on_pool!(db, |pool| sqlx::query_scalar(
        "INSERT INTO users (username, username_key, password_hash, created_at)
         VALUES ($1, $2, $3, $4) RETURNING id"
    )
    .bind(username)
    .bind(key)
    .bind(password_hash)
    .bind(super::now_ms())
    .fetch_one(pool)
    .await)
    .map_err(unique_is_duplicate)?;
    Ok(id)
}

pub async fn find_by_key(db: &Db, key: &str) -> StoreResult<Option<UserRow>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(
        "SELECT id, username, password_hash FROM users WHERE username_key = $1"
    )
    .bind(key)
    .fetch_optional(pool)
    .await)?)
}
