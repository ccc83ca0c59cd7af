//! Users.

use super::{Db, StoreResult, on_pool, unique_is_duplicate};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub avatar: Option<String>,
    pub role: String,
}

/// Inserts a user, an admin if they are the first; `StoreError::Duplicate` if the name
/// is taken in any case. Returns their id and role.
pub async fn insert(
    db: &Db,
    username: &str,
    key: &str,
    password_hash: &str,
) -> StoreResult<(i64, String)> {
    let row = on_pool!(db, |pool| sqlx::query_as(
        "INSERT INTO users (username, username_key, password_hash, created_at, role)
         VALUES ($1, $2, $3, $4,
                 CASE WHEN EXISTS (SELECT 1 FROM users) THEN 'member' ELSE 'admin' END)
         RETURNING id, role"
    )
    .bind(username)
    .bind(key)
    .bind(password_hash)
    .bind(super::now_ms())
    .fetch_one(pool)
    .await)
    .map_err(unique_is_duplicate)?;
    Ok(row)
}

/// A user's role (`admin`, `member`, `bot`), if they exist.
pub async fn role(db: &Db, user_id: i64) -> StoreResult<Option<String>> {
    Ok(on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT role FROM users WHERE id = $1"
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await)?)
}

/// Sets the role of the user whose name folds to `key`; whether there is one.
pub async fn set_role(db: &Db, key: &str, role: &str) -> StoreResult<bool> {
    let changed = on_pool!(db, |pool| sqlx::query(
        "UPDATE users SET role = $2 WHERE username_key = $1"
    )
    .bind(key)
    .bind(role)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(changed > 0)
}

pub async fn find_by_key(db: &Db, key: &str) -> StoreResult<Option<UserRow>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(
        "SELECT id, username, password_hash, avatar, role FROM users WHERE username_key = $1"
    )
    .bind(key)
    .fetch_optional(pool)
    .await)?)
}

/// Whether others see "… is typing" when this person types.
pub async fn shares_typing(db: &Db, user_id: i64) -> StoreResult<bool> {
    let shares: Option<bool> = on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT shares_typing FROM users WHERE id = $1"
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await)?;
    Ok(shares.unwrap_or(false))
}

pub async fn set_shares_typing(db: &Db, user_id: i64, shares: bool) -> StoreResult<()> {
    on_pool!(db, |pool| sqlx::query(
        "UPDATE users SET shares_typing = $2 WHERE id = $1"
    )
    .bind(user_id)
    .bind(shares)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Usernames starting with `prefix` (ignoring case), for picking people: at most
/// `limit`, by name.
pub async fn named_like(db: &Db, prefix: &str, limit: i64) -> StoreResult<Vec<String>> {
    let mut pattern: String = prefix
        .chars()
        .flat_map(|c| match c {
            '\\' | '%' | '_' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    pattern.push('%');
    Ok(on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT username FROM users WHERE username_key LIKE $1 ESCAPE '\\'
          ORDER BY username_key LIMIT $2"
    )
    .bind(crate::domain::fold_case(&pattern))
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}
