//! post: HTTP `POST /api/v1/rooms/{name}/messages` as fast as C workers can, each
//! posting as one of several users so the per-user rate limit is shared out. Every
//! success is a message stored (committed) by the server.

use clap::Args;
use reqwest::{StatusCode, header};
use serde::Serialize;

use super::{
    http::{self, Outcome},
    seconds,
};
use crate::{
    Target,
    proc::{self, Memory, Meter, Usage},
    report,
    setup::{self, Api},
};

#[derive(Debug, Args)]
pub struct Options {
    /// Workers, each with one request in flight.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds of posting.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Users the workers post as (default: one per worker).
    #[arg(long)]
    users: Option<usize>,
    /// Length of each message's text, in bytes.
    #[arg(long, default_value_t = 100)]
    text_len: usize,
}

#[derive(Serialize)]
struct Figures {
    scenario: &'static str,
    url: String,
    run: String,
    users: usize,
    duration_s: f64,
    #[serde(flatten)]
    outcome: Outcome,
    cpu: Usage,
    server_memory_before: Option<Memory>,
    server_memory_end: Option<Memory>,
    healthy: bool,
}

pub async fn run(target: &Target, o: Options) -> anyhow::Result<bool> {
    let duration = seconds(o.duration, "--duration")?;
    let concurrency = o.concurrency.max(1);
    let users = o.users.unwrap_or(concurrency).max(1);
    let api = Api::new(&target.url, target.setup_concurrency)?;
    api.check().await?;
    let run = setup::run_id();
    let room = api.rooms(&run, 1, users).await?.remove(0);

    let memory_before = proc::server_memory(target.server_pid);
    let url = api.url(&format!("/api/v1/rooms/{}/messages", room.name));
    let padding = "x".repeat(o.text_len.saturating_sub(32));
    let client = api.http().clone();
    let (members, tag) = (room.members, run.clone());
    eprintln!(
        "posting with {concurrency} workers as {users} user(s) for {:.1} s…",
        duration.as_secs_f64()
    );
    let meter = Meter::start(target.server_pid);
    let outcome = http::drive(
        concurrency,
        duration,
        StatusCode::CREATED,
        move |worker, n| {
            let user = &members[worker % members.len()];
            let body = format!(r#"{{"text":"post {tag} {worker} {n} {padding}"}}"#);
            let request = client
                .post(&url)
                .header(header::COOKIE, &user.cookie)
                .header(header::CONTENT_TYPE, "application/json")
                .body(body);
            http::exchange(request)
        },
    )
    .await;
    let cpu = meter.finish();
    let figures = Figures {
        scenario: "post",
        url: target.url.clone(),
        run,
        users,
        duration_s: o.duration,
        healthy: outcome.failed == 0 && outcome.ok > 0,
        outcome,
        cpu,
        server_memory_before: memory_before,
        server_memory_end: proc::server_memory(target.server_pid),
    };
    let mut lines = vec![format!(
        "post {}: {} users in room {}",
        figures.run, users, room.name
    )];
    lines.extend(figures.outcome.lines("posts"));
    let memory = [
        ("before", figures.server_memory_before),
        ("end", figures.server_memory_end),
    ];
    lines.extend(proc::describe(&figures.cpu, &memory));
    lines.push(format!("healthy: {}", figures.healthy));
    report::emit(&lines, &figures)?;
    Ok(figures.healthy)
}
