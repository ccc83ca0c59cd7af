//! Login throttling: after ten failed logins for one username within fifteen minutes,
//! further attempts are refused until the oldest failure ages out. Failures live in the
//! database, so every node of a cluster counts the same ones.

use crate::{
    error::{AppError, AppResult},
    store::{self, Db, now_ms},
};

const MAX_FAILURES: i64 = 10;
const WINDOW_MS: i64 = 15 * 60 * 1000;

pub async fn check(db: &Db, key: &str) -> AppResult<()> {
    let now = now_ms();
    let (failures, oldest) = store::users::recent_failures(db, key, now - WINDOW_MS).await?;
    if failures >= MAX_FAILURES {
        let frees_at = oldest.unwrap_or(now) + WINDOW_MS;
        let retry_after_secs = ((frees_at - now).max(0) as u64).div_ceil(1000).max(1);
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    Ok(())
}

pub async fn record_failure(db: &Db, key: &str) -> AppResult<()> {
    Ok(store::users::record_failure(db, key, now_ms()).await?)
}

pub async fn forgive(db: &Db, key: &str) -> AppResult<()> {
    Ok(store::users::clear_failures(db, key, now_ms() - WINDOW_MS).await?)
}
