//! `hearth-load`: drives a running Hearth server the way its users would, and measures
//! what they would feel. It registers its own users (named `load_<runid>_<n>`, so runs
//! never collide), creates and joins rooms over the JSON API, opens authenticated JSON
//! WebSockets in bounded parallel batches, and runs one scenario:
//!
//! - `fanout`: rooms of subscribers, with senders at a fixed rate; end-to-end latency,
//!   loss, duplicates and reordering of every delivery;
//! - `hold`: many idle sockets, held open, and what they cost the server;
//! - `post`: HTTP message posts per second;
//! - `page`: the logged-in room page (50 messages) per second;
//! - `seed`: a database filled with users, rooms and messages in two languages,
//!   written directly (no server), for measuring how cost grows with history;
//! - `search`: search latency per term, as the seeded viewer.
//!
//! It prints human lines, then one JSON line starting with `{"scenario":`. A fanout or
//! hold run that lost anything, or an HTTP run with failures, exits with status 1.

mod proc;
mod push_sink;
mod report;
mod scenarios;
mod setup;
mod socket;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "hearth-load", version, about = "Load generator for Hearth")]
struct Cli {
    #[command(flatten)]
    target: Target,
    #[command(subcommand)]
    scenario: Scenario,
}

/// Where the server is and how hard to push while setting up.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// The server's base URL (plain HTTP).
    #[arg(
        long,
        env = "HEARTH_LOAD_URL",
        default_value = "http://127.0.0.1:8000",
        global = true
    )]
    pub url: String,

    /// The server's process id: report its RSS, high-water mark and CPU from /proc.
    #[arg(long, env = "HEARTH_LOAD_SERVER_PID", global = true)]
    pub server_pid: Option<u32>,

    /// WebSocket handshakes in flight at once.
    #[arg(
        long,
        env = "HEARTH_LOAD_CONNECT_BATCH",
        default_value_t = 200,
        global = true
    )]
    pub connect_batch: usize,

    /// Registrations, joins and seeding requests in flight at once.
    #[arg(
        long,
        env = "HEARTH_LOAD_SETUP_CONCURRENCY",
        default_value_t = 16,
        global = true
    )]
    pub setup_concurrency: usize,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// R rooms × N subscribers × S senders, each sender at a fixed rate for T seconds.
    Fanout(scenarios::fanout::Options),
    /// N idle authenticated sockets held for T seconds.
    Hold(scenarios::hold::Options),
    /// HTTP `POST /api/v1/rooms/{name}/messages` throughput and latency.
    Post(scenarios::post::Options),
    /// `GET /rooms/{name}` (the HTML room page, logged in, 50 messages) throughput.
    Page(scenarios::page::Options),
    /// Fill a database (no server running on it) with users, rooms and messages.
    Seed(scenarios::seed::Options),
    /// Search latency per term, as the viewer `seed` made.
    Search(scenarios::search::Options),
    /// `POST /api/v1/session` throughput and latency (argon2 verifications).
    Login(scenarios::accounts::Options),
    /// Joining a room and leaving it again: throughput and latency of the pair.
    Join(scenarios::accounts::Options),
    /// One big file up and down, with the server's memory watched throughout.
    Upload(scenarios::upload::Options),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match proc::raise_fd_limit() {
        Ok(limit) => eprintln!("file descriptors: {limit}"),
        Err(err) => eprintln!("warning: could not raise the file-descriptor limit: {err}"),
    }
    let outcome = match cli.scenario {
        Scenario::Fanout(o) => scenarios::fanout::run(&cli.target, o).await,
        Scenario::Hold(o) => scenarios::hold::run(&cli.target, o).await,
        Scenario::Post(o) => scenarios::post::run(&cli.target, o).await,
        Scenario::Page(o) => scenarios::page::run(&cli.target, o).await,
        Scenario::Seed(o) => scenarios::seed::run(o).await,
        Scenario::Search(o) => scenarios::search::run(&cli.target, o).await,
        Scenario::Login(o) => scenarios::accounts::login(&cli.target, o).await,
        Scenario::Join(o) => scenarios::accounts::join(&cli.target, o).await,
        Scenario::Upload(o) => scenarios::upload::run(&cli.target, o).await,
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            eprintln!("hearth-load: {err:#}");
            ExitCode::from(2)
        }
    }
}
