//! Login attempts per username, counted the same on every node.

use super::{Db, StoreResult, on_writer};

/// What the window holds for one username, before the attempt being decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct AttemptCounts {
    /// Attempts for the username, from anyone, not yet known to have succeeded.
    pub for_user: i64,
    pub oldest_for_user: Option<i64>,
    /// Those of them from the client now asking.
    pub from_client: i64,
}

/// Under the username's lock: counts `key`'s attempts since `since_ms`, asks `admit`
/// whether this one may go ahead and, if it may, records it. Returns the counts, and
/// the new attempt's id when it was admitted. Counting and recording in one locked
/// step is what stops parallel guesses from all seeing the same count.
pub async fn attempt(
    db: &Db,
    key: &str,
    client: &str,
    now_ms: i64,
    since_ms: i64,
    admit: impl FnOnce(&AttemptCounts) -> bool,
) -> StoreResult<(AttemptCounts, Option<i64>)> {
    const LOCK: &str = "INSERT INTO login_throttles (username_key, touched_at) VALUES ($1, $2)
         ON CONFLICT (username_key) DO UPDATE SET touched_at = excluded.touched_at";
    const COUNT: &str = "SELECT COUNT(*) AS for_user, MIN(attempted_at) AS oldest_for_user,
                COALESCE(SUM(CASE WHEN client = $2 THEN 1 ELSE 0 END), 0) AS from_client
         FROM login_attempts WHERE username_key = $1 AND attempted_at >= $3";
    const RECORD: &str = "INSERT INTO login_attempts (username_key, client, attempted_at)
         VALUES ($1, $2, $3) RETURNING id";
    Ok(on_writer!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(LOCK)
            .bind(key)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        let counts: AttemptCounts = sqlx::query_as(COUNT)
            .bind(key)
            .bind(client)
            .bind(since_ms)
            .fetch_one(&mut *tx)
            .await?;
        let id = if admit(&counts) {
            let id: i64 = sqlx::query_scalar(RECORD)
                .bind(key)
                .bind(client)
                .bind(now_ms)
                .fetch_one(&mut *tx)
                .await?;
            Some(id)
        } else {
            None
        };
        tx.commit().await?;
        Ok::<_, sqlx::Error>((counts, id))
    })?)
}

/// The attempt `id` succeeded: it no longer counts against anyone.
pub async fn forget(db: &Db, id: i64) -> StoreResult<()> {
    on_writer!(db, |pool| sqlx::query(
        "DELETE FROM login_attempts WHERE id = $1"
    )
    .bind(id)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Drops attempts and locks older than `before_ms`, which no longer count.
pub async fn delete_before(db: &Db, before_ms: i64) -> StoreResult<()> {
    on_writer!(db, |pool| {
        sqlx::query("DELETE FROM login_attempts WHERE attempted_at < $1")
            .bind(before_ms)
            .execute(pool)
            .await?;
        sqlx::query("DELETE FROM login_throttles WHERE touched_at < $1")
            .bind(before_ms)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(())
}
