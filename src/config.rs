//! Hearth's settings: every flag is also an environment variable.

use std::net::SocketAddr;

use clap::Parser;

#[derive(Debug, Clone, Parser)]
#[command(name = "hearth", version, about = "A self-hosted group chat")]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "HEARTH_ADDR", default_value = "127.0.0.1:8000")]
    pub addr: SocketAddr,

    /// `sqlite:<file>` (created if missing) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:hearth.db")]
    pub database_url: String,

    /// Mark the session cookie Secure (set this when serving over HTTPS).
    #[arg(long, env = "HEARTH_SECURE_COOKIES", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub secure_cookies: bool,

    /// `redis://…`: publish to and receive from other nodes through Redis. Without it,
    /// messages reach only this node's sockets (one node).
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// Messages each user may send per second, sustained.
    #[arg(long, env = "HEARTH_MESSAGE_RATE", default_value_t = 20.0)]
    pub message_rate: f64,

    /// Messages each user may send in a burst above the sustained rate.
    #[arg(long, env = "HEARTH_MESSAGE_BURST", default_value_t = 50.0)]
    pub message_burst: f64,

    /// How often (seconds) each open socket checks that its session still exists, so
    /// an expired or deleted session's sockets close even if no logout reached them.
    #[arg(long, env = "HEARTH_SESSION_RECHECK_SECS", default_value_t = 60)]
    pub session_recheck_secs: u64,
}

impl Config {
    /// The settings a test wants: an address and a database, defaults for the rest.
    pub fn for_tests(database_url: impl Into<String>) -> Self {
        Self {
            addr: "127.0.0.1:0".parse().expect("a valid address"),
            database_url: database_url.into(),
            secure_cookies: false,
            redis_url: None,
            message_rate: 20.0,
            message_burst: 50.0,
            session_recheck_secs: 60,
        }
    }
}
