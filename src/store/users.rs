//! Users.

use super::{Db, StoreResult, on_pool, on_writer, unique_is_duplicate};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub avatar: Option<String>,
    pub role: String,
    pub deactivated: bool,
}

/// The columns of a `UserRow`.
macro_rules! user_columns {
    () => {
        "id, username, password_hash, avatar, role, (deactivated_at IS NOT NULL) AS deactivated"
    };
}

/// Inserts a user, an admin if they are the first; `StoreError::Duplicate` if the name
/// is taken in any case. Returns their id and role.
pub async fn insert(
    db: &Db,
    username: &str,
    key: &str,
    password_hash: &str,
) -> StoreResult<(i64, String)> {
    let row = on_writer!(db, |pool| sqlx::query_as(
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

/// A user's role, if they exist and can act (neither deactivated nor deleted).
pub async fn active_role(db: &Db, user_id: i64) -> StoreResult<Option<String>> {
    Ok(on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT role FROM users WHERE id = $1 AND deactivated_at IS NULL AND deleted_at IS NULL"
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await)?)
}

pub async fn set_role(db: &Db, id: i64, role: &str) -> StoreResult<()> {
    on_writer!(db, |pool| sqlx::query(
        "UPDATE users SET role = $2 WHERE id = $1"
    )
    .bind(id)
    .bind(role)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

pub async fn find_by_key(db: &Db, key: &str) -> StoreResult<Option<UserRow>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE username_key = $1"
    ))
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
    on_writer!(db, |pool| sqlx::query(
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
            AND deleted_at IS NULL
          ORDER BY username_key LIMIT $2"
    )
    .bind(crate::domain::fold_case(&pattern))
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}

pub async fn find_by_id(db: &Db, id: i64) -> StoreResult<Option<UserRow>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE id = $1 AND deleted_at IS NULL"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await)?)
}

pub async fn set_password(db: &Db, id: i64, password_hash: &str) -> StoreResult<()> {
    on_writer!(db, |pool| sqlx::query(
        "UPDATE users SET password_hash = $2 WHERE id = $1"
    )
    .bind(id)
    .bind(password_hash)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// Deactivates (`active` false) or reactivates an account.
pub async fn set_active(db: &Db, id: i64, active: bool) -> StoreResult<()> {
    on_writer!(db, |pool| sqlx::query(
        "UPDATE users SET deactivated_at = CASE WHEN $2 THEN NULL ELSE $3 END WHERE id = $1"
    )
    .bind(id)
    .bind(active)
    .bind(super::now_ms())
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// How many admins can still log in.
pub async fn active_admins(db: &Db) -> StoreResult<i64> {
    Ok(on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM users
          WHERE role = 'admin' AND deactivated_at IS NULL AND deleted_at IS NULL"
    )
    .fetch_one(pool)
    .await)?)
}

/// An account, as the admin page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub username: String,
    pub role: String,
    pub deactivated: bool,
    pub created_at: i64,
}

/// Every account that was not deleted, by name.
pub async fn accounts(db: &Db) -> StoreResult<Vec<AccountRow>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(
        "SELECT username, role, (deactivated_at IS NOT NULL) AS deactivated, created_at
           FROM users WHERE deleted_at IS NULL ORDER BY username_key"
    )
    .fetch_all(pool)
    .await)?)
}

use crate::domain::DELETED_NAME;

/// Deletes an account, in one transaction. The row stays, so its messages keep their
/// sender, but it is renamed `DELETED_NAME` and its name is free again (its key can
/// match no username: `#` is in none); its password, picture, push
/// subscriptions, memberships and bot token go. Its sessions are the caller's to end
/// first (`SessionStore::end`, which forgets them in memory too).
pub async fn delete(db: &Db, id: i64) -> StoreResult<()> {
    let now = super::now_ms();
    on_writer!(db, |pool| {
        let mut tx = pool.begin().await?;
        let username: String = sqlx::query_scalar("SELECT username FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE users SET username = $2, username_key = '#deleted-' || CAST(id AS TEXT),
                    password_hash = '!', avatar = NULL, deleted_at = $3, deactivated_at = $3
              WHERE id = $1",
        )
        .bind(id)
        .bind(DELETED_NAME)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Direct rooms are named by their people: with this name free again, a direct
        // room with whoever takes it next must be able to take the room's name. Every
        // direct room with them in its set (whether they had left it or not) is
        // renamed with them marked deleted, and stays open to the others.
        let direct: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, name FROM rooms
              WHERE kind = 'direct'
                AND ',' || direct_key || ',' LIKE '%,' || CAST($1 AS TEXT) || ',%'",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        for (room_id, name) in direct {
            let Some(renamed) = crate::domain::direct_name_without(&name, &username, id) else {
                continue;
            };
            sqlx::query("UPDATE rooms SET name = $2, name_key = $3 WHERE id = $1")
                .bind(room_id)
                .bind(&renamed)
                .bind(crate::domain::fold_case(&renamed))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "UPDATE rooms SET member_count = member_count - 1
              WHERE id IN (SELECT room_id FROM memberships WHERE user_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        for statement in [
            "DELETE FROM memberships WHERE user_id = $1",
            "DELETE FROM push_subscriptions WHERE user_id = $1",
            "DELETE FROM password_resets WHERE user_id = $1",
            "UPDATE bots SET token_id = NULL, token_hash = NULL, webhook_url = NULL,
                    webhook_secret = NULL WHERE user_id = $1",
        ] {
            sqlx::query(statement).bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<(), super::StoreError>(())
    })?;
    super::rooms::forget_members(db);
    Ok(())
}
