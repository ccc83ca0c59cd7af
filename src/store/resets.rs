//! One-time password reset links an admin made. Only each token's digest is kept.

use super::{Db, StoreError, StoreResult, now_ms, on_pool, on_writer};

pub async fn insert(db: &Db, token_hash: &str, user_id: i64, expires_at: i64) -> StoreResult<()> {
    on_writer!(db, |pool| sqlx::query(
        "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4)"
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now_ms())
    .bind(expires_at)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// A reset link as found: whose, until when, and whether it was used.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResetRow {
    pub user_id: i64,
    pub username: String,
    pub expires_at: i64,
    pub used: bool,
}

pub async fn find(db: &Db, token_hash: &str) -> StoreResult<Option<ResetRow>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(
        "SELECT p.user_id, u.username, p.expires_at, (p.used_at IS NOT NULL) AS used
           FROM password_resets p JOIN users u ON u.id = p.user_id
          WHERE p.token_hash = $1 AND u.deleted_at IS NULL"
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await)?)
}

/// Uses the link, if it is unused and unexpired, to set its owner's password, in one
/// transaction. Returns the owner's id, or None when the link could not be used.
pub async fn use_link(db: &Db, token_hash: &str, password_hash: &str) -> StoreResult<Option<i64>> {
    let now = now_ms();
    on_writer!(db, |pool| {
        let mut tx = pool.begin().await?;
        let user_id: Option<i64> = sqlx::query_scalar(
            "UPDATE password_resets SET used_at = $2
              WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
              RETURNING user_id",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(user_id) = user_id {
            sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
                .bind(user_id)
                .bind(password_hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok::<Option<i64>, StoreError>(user_id)
    })
}
