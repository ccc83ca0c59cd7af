//! Settings every node must agree on, kept in the database.

use super::{Db, StoreResult, on_pool, on_writer};

/// A setting's value, if it was ever set.
pub async fn get(db: &Db, key: &str) -> StoreResult<Option<String>> {
    Ok(on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT value FROM settings WHERE key = $1"
    )
    .bind(key)
    .fetch_optional(pool)
    .await)?)
}

pub async fn set(db: &Db, key: &str, value: &str) -> StoreResult<()> {
    on_writer!(db, |pool| sqlx::query(
        "INSERT INTO settings (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )
    .bind(key)
    .bind(value)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}
