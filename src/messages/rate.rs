//! Per-user send rate: a token bucket (by default 20 a second, bursts of 50), so one
//! flooding user cannot slow a room for everyone else.

use std::{collections::HashMap, sync::Mutex, time::Instant};

use crate::error::{AppError, AppResult};

pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<i64, Bucket>>,
}

struct Bucket {
    tokens: f64,
    refilled: Instant,
}

impl RateLimiter {
    pub fn new(per_second: f64, burst: f64) -> Self {
        Self {
            per_second: per_second.max(0.001),
            burst: burst.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token from `user_id`'s bucket, or says how long until one is free.
    pub fn check(&self, user_id: i64) -> AppResult<()> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 100_000 {
            // Forget users whose buckets are full again, so the map cannot grow forever.
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.refilled).as_secs_f64() * rate < burst
            });
        }
        let bucket = buckets.entry(user_id).or_insert(Bucket {
            tokens: self.burst,
            refilled: now,
        });
        let earned = now.duration_since(bucket.refilled).as_secs_f64() * self.per_second;
        bucket.tokens = (bucket.tokens + earned).min(self.burst);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.per_second;
            Err(AppError::TooManyRequests {
                retry_after_secs: wait.ceil().max(1.0) as u64,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused() {
        let limiter = RateLimiter::new(1.0, 5.0);
        for _ in 0..5 {
            limiter.check(1).unwrap();
        }
        assert!(matches!(
            limiter.check(1),
            Err(AppError::TooManyRequests { .. })
        ));
    }

    #[test]
    fn one_users_flood_does_not_limit_another() {
        let limiter = RateLimiter::new(1.0, 2.0);
        limiter.check(1).unwrap();
        limiter.check(1).unwrap();
        assert!(limiter.check(1).is_err());
        assert!(limiter.check(2).is_ok());
    }
}
