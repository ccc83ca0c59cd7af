//! The login throttle per username. Every attempt is counted *before* its password is
//! checked, in one locked step with the count (so a hundred parallel guesses cannot all
//! see "nine so far"), and only a correct password takes its own attempt back off the
//! count: it never wipes out anyone else's failures.
//!
//! After ten attempts for one username within fifteen minutes, that username is locked
//! to every client that has failed on it in those fifteen minutes. A client (address)
//! with no failure of its own may still try, so an attacker cannot lock the owner out
//! by failing on purpose (OWASP: lockouts must not become a denial of service); each
//! such client gets one wrong guess before it is locked too. Attempts live in the
//! database, so every node counts the same ones.

use std::time::Duration;

use crate::{
    error::{AppError, AppResult},
    peer::ClientAddr,
    store::{self, Db, logins::AttemptCounts, now_ms},
};

pub const MAX_FAILURES: i64 = 10;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
const WINDOW_MS: i64 = WINDOW.as_millis() as i64;

/// An attempt that was counted and may go ahead to the password check.
#[must_use = "a successful attempt must be taken back with `succeeded`"]
pub struct Attempt {
    id: i64,
}

/// Whether a client may try a username, given the window's attempts before this one.
fn may_try(counts: &AttemptCounts) -> bool {
    counts.for_user < MAX_FAILURES || counts.from_client == 0
}

/// Counts an attempt on `key` from `client`, or refuses it (429) with how long the
/// oldest counted attempt still has to age.
pub async fn begin(db: &Db, key: &str, client: &ClientAddr) -> AppResult<Attempt> {
    let now = now_ms();
    let client = client.to_string();
    let (counts, id) =
        store::logins::attempt(db, key, &client, now, now - WINDOW_MS, may_try).await?;
    match id {
        Some(id) => Ok(Attempt { id }),
        None => {
            let frees_at = counts.oldest_for_user.unwrap_or(now) + WINDOW_MS;
            let retry_after_secs = ((frees_at - now).max(0) as u64).div_ceil(1000).max(1);
            Err(AppError::TooManyRequests { retry_after_secs })
        }
    }
}

/// The password was right: this attempt stops counting (and only this one).
pub async fn succeeded(db: &Db, attempt: Attempt) -> AppResult<()> {
    Ok(store::logins::forget(db, attempt.id).await?)
}

/// Drops attempts too old to count.
pub async fn sweep(db: &Db) -> AppResult<()> {
    Ok(store::logins::delete_before(db, now_ms() - WINDOW_MS).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(for_user: i64, from_client: i64) -> AttemptCounts {
        AttemptCounts {
            for_user,
            oldest_for_user: Some(0),
            from_client,
        }
    }

    #[test]
    fn ten_attempts_lock_the_username_to_clients_that_failed() {
        assert!(may_try(&counts(9, 9)));
        assert!(!may_try(&counts(10, 10)));
        assert!(!may_try(&counts(10, 1)));
    }

    #[test]
    fn a_client_without_failures_may_still_try_a_locked_username() {
        assert!(may_try(&counts(10, 0)));
        assert!(may_try(&counts(500, 0)));
    }
}
