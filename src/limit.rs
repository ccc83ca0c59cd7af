//! In-memory, per-key rate limits (governor's GCRA): logins and registrations per
//! client address, rooms created per user. Each node counts for itself; the
//! per-username login throttle, which must hold across nodes, lives in the database
//! (`auth::throttle`).

use std::{
    hash::Hash,
    num::NonZeroU32,
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

use crate::error::{AppError, AppResult};

/// How many checks pass between sweeps of keys whose allowance is full again.
const SWEEP_EVERY: u32 = 1024;

/// At most `count` events per `window` for each key: a burst of `count`, then one more
/// every `window / count`.
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    clock: DefaultClock,
    checks: AtomicU32,
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    pub fn new(count: u32, window: Duration) -> Self {
        let count = NonZeroU32::new(count).unwrap_or(NonZeroU32::MIN);
        let every = (window / count.get()).max(Duration::from_nanos(1));
        let quota = Quota::with_period(every)
            .unwrap_or_else(|| Quota::per_second(count))
            .allow_burst(count);
        Self {
            limiter: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
            checks: AtomicU32::new(0),
        }
    }

    /// Counts one event for `key`, or refuses it (429) saying when one will be allowed.
    pub fn check(&self, key: K) -> AppResult<()> {
        // Forget keys that are back to a full allowance, so the map stays bounded by
        // the keys active within one window.
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            AppError::TooManyRequests {
                retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_with_a_wait() {
        let limit = KeyedLimit::new(3, Duration::from_secs(180));
        for _ in 0..3 {
            limit.check("a").unwrap();
        }
        match limit.check("a") {
            Err(AppError::TooManyRequests { retry_after_secs }) => {
                assert!((1..=60).contains(&retry_after_secs), "{retry_after_secs}")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(
            limit.check("b").is_ok(),
            "another key has its own allowance"
        );
    }
}
