//! The scenarios, one module each, and what they share: signals every task watches
//! (go, stop), and a closed-loop HTTP driver for `post` and `page`. `seed` writes a
//! database directly; every other scenario talks to a running server.

pub mod accounts;
pub mod fanout;
pub mod hold;
mod http;
mod marker;
pub mod page;
pub mod post;
pub mod search;
pub mod seed;
mod sender;
mod subscriber;
pub mod upload;

use tokio::sync::watch;

/// A one-way signal to every task of a run (start sending, stop): `fire()` once,
/// `fired().await` anywhere.
#[derive(Clone)]
pub struct Signal(watch::Sender<bool>);

impl Signal {
    pub fn new() -> Self {
        Self(watch::channel(false).0)
    }

    pub fn fire(&self) {
        self.0.send_replace(true);
    }

    /// Completes once `fire()` has been called (at once if it already was).
    pub async fn fired(&self) {
        let mut rx = self.0.subscribe();
        let _ = rx.wait_for(|stopped| *stopped).await;
    }
}

/// Seconds from the command line, checked.
pub fn seconds(value: f64, what: &str) -> anyhow::Result<std::time::Duration> {
    std::time::Duration::try_from_secs_f64(value)
        .map_err(|_| anyhow::anyhow!("{what} must be a non-negative number of seconds"))
}
