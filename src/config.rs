//! Hearth's settings: every flag is also an environment variable.

use std::{
    net::{IpAddr, SocketAddr},
    path::{Path, PathBuf},
};

use clap::{Parser, Subcommand};

use anyhow::Context;

use crate::{
    files::{Backend, FilesConfig},
    store::Db,
};

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

    /// A reverse proxy whose `X-Forwarded-For` names the real client (repeat the flag,
    /// or separate addresses with commas). Requests from anyone else are counted by
    /// their own address, whatever they claim.
    #[arg(
        long = "trusted-proxy",
        env = "HEARTH_TRUSTED_PROXY",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<IpAddr>,

    /// Login attempts, and separately registrations, one client (IP address; IPv6 by
    /// /64) may make per `--auth-window-secs`, on each node.
    #[arg(long, env = "HEARTH_AUTH_ATTEMPTS", default_value_t = 10)]
    pub auth_attempts: u32,

    /// The window for `--auth-attempts`, in seconds.
    #[arg(long, env = "HEARTH_AUTH_WINDOW_SECS", default_value_t = 180)]
    pub auth_window_secs: u64,

    /// Rooms one user may create per hour.
    #[arg(long, env = "HEARTH_ROOMS_PER_HOUR", default_value_t = 10)]
    pub rooms_per_hour: u32,

    /// WebSockets one user may have open on each node.
    #[arg(long, env = "HEARTH_SOCKETS_PER_USER", default_value_t = 20)]
    pub sockets_per_user: usize,

    /// Connections (HTTP and WebSocket) this node holds open at once; more are answered
    /// 503 and closed. Unset: the open-file limit less 256 kept for the database and logs.
    #[arg(long, env = "HEARTH_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,

    /// Seconds a client has to send a whole request head (its line and headers), from
    /// its first byte; a new connection must start one within this time too.
    #[arg(long, env = "HEARTH_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// Seconds an idle keep-alive connection stays open between requests.
    #[arg(long, env = "HEARTH_KEEP_ALIVE_SECS", default_value_t = 20)]
    pub keep_alive_secs: u64,

    /// A separate address for `/metrics` and a detailed `/healthz` (for example
    /// `127.0.0.1:9100`). When set, the public port does not serve `/metrics`; when
    /// unset, it does, but only to loopback clients that no proxy forwarded.
    #[arg(long, env = "HEARTH_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// The directory files are kept in, unless `--s3-url` is set. Unset: `hearth-files`
    /// beside a SQLite database (`./hearth-files` for the default `hearth.db`), or in
    /// the working directory for PostgreSQL.
    #[arg(long, env = "HEARTH_FILES_DIR")]
    pub files_dir: Option<PathBuf>,

    /// An S3-compatible store's endpoint (`https://s3.eu-west-1.amazonaws.com`,
    /// `http://127.0.0.1:9000`, …) to keep files in, as several nodes must. Needs
    /// `--s3-bucket`; credentials and region come from the environment
    /// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`).
    #[arg(long, env = "HEARTH_S3_URL", requires = "s3_bucket")]
    pub s3_url: Option<String>,

    /// The bucket files go in, with `--s3-url`.
    #[arg(long, env = "HEARTH_S3_BUCKET")]
    pub s3_bucket: Option<String>,

    /// The largest file one may upload, in bytes (25 MiB by default).
    #[arg(long, env = "HEARTH_MAX_UPLOAD_BYTES", default_value_t = 25 * 1024 * 1024)]
    pub max_upload_bytes: u64,

    /// Files (and avatars) each user may upload per minute.
    #[arg(long, env = "HEARTH_UPLOADS_PER_MINUTE", default_value_t = 20)]
    pub uploads_per_minute: u32,

    /// Who push services may contact about this server's pushes (the VAPID subject): a
    /// `mailto:` or `https:` address of the operator.
    #[arg(
        long,
        env = "HEARTH_PUSH_CONTACT",
        default_value = "mailto:admin@localhost"
    )]
    pub push_contact: String,

    /// For tests only: accept push endpoints at `http://127.0.0.1` (a test's own push
    /// receiver) as well as `https:` ones.
    #[arg(long, env = "HEARTH_PUSH_ALLOW_LOOPBACK_HTTP", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub push_allow_loopback_http: bool,

    /// The address people reach Hearth at (`https://chat.example.org`), for the links
    /// the command line prints. Pages use the address they were asked at.
    #[arg(long, env = "HEARTH_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Something to do instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// `hearth <command>`: operations, with the same flags and environment as serving.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Copy the live database and its files directory into DIR (new or empty) while
    /// Hearth keeps serving: a consistent SQLite snapshot (`VACUUM INTO`), and every
    /// stored file. Restore: stop Hearth, copy `hearth.db` and `hearth-files` back
    /// (or point `--database-url` and `--files-dir` at them), start it. For PostgreSQL,
    /// use pg_dump; for files in S3, the store's own tools.
    Backup {
        /// Where the copy goes.
        dir: PathBuf,
    },
    /// Administer accounts.
    Admin {
        #[command(subcommand)]
        action: AdminCommand,
    },
}

/// `hearth admin <action>`.
#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Make USER an admin (they may delete any message).
    Promote {
        /// The username (any case).
        username: String,
    },
    /// Make USER a member again.
    Demote {
        /// The username (any case).
        username: String,
    },
    /// Who may register: `open` (anyone; a fresh install's default), `invite` (only
    /// through an invitation link an admin made) or `closed` (nobody).
    Registration {
        /// open, invite or closed.
        mode: String,
    },
    /// Print a one-time link, valid 24 hours, with which USER sets a new password
    /// (every session of theirs then ends). Give it to them privately.
    ResetLink {
        /// The username (any case).
        username: String,
    },
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
            trusted_proxies: Vec::new(),
            // Tests register, log in and create rooms from one address all day long: a
            // test of a limit sets it tight itself.
            auth_attempts: 100_000,
            auth_window_secs: 180,
            rooms_per_hour: 100_000,
            sockets_per_user: 1_000,
            max_connections: Some(10_000),
            header_timeout_secs: 10,
            keep_alive_secs: 20,
            metrics_addr: None,
            // Beside the test's SQLite file, in the test's own directory, so tests never
            // share files and leave none behind. The test harness picks one otherwise.
            files_dir: None,
            s3_url: None,
            s3_bucket: None,
            max_upload_bytes: 25 * 1024 * 1024,
            uploads_per_minute: 1_000,
            push_contact: "mailto:tests@hearth.invalid".into(),
            push_allow_loopback_http: true,
            public_url: None,
            command: None,
        }
    }

    /// Opens (and migrates) the database: for the server, and for `hearth backup` and
    /// `hearth admin`.
    pub async fn open_database(&self) -> anyhow::Result<Db> {
        Db::connect(&self.database_url)
            .await
            .with_context(|| format!("opening the database at {}", self.database_url))
    }

    /// Where and how files are kept.
    pub fn files(&self) -> FilesConfig {
        let backend = match (&self.s3_url, &self.s3_bucket) {
            (Some(url), Some(bucket)) => Backend::S3 {
                url: url.clone(),
                bucket: bucket.clone(),
            },
            _ => Backend::Directory(self.files_dir.clone().unwrap_or_else(|| {
                let beside = self
                    .database_url
                    .strip_prefix("sqlite:")
                    .map(|path| path.trim_start_matches("//"))
                    .map(|path| path.split('?').next().unwrap_or(path))
                    .and_then(|path| Path::new(path).parent().map(Path::to_path_buf));
                beside.unwrap_or_default().join("hearth-files")
            })),
        };
        FilesConfig {
            backend,
            max_bytes: self.max_upload_bytes,
            uploads_per_minute: self.uploads_per_minute,
        }
    }
}
