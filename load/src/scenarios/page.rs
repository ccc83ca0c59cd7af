//! page: `GET /rooms/{name}`, the HTML room page, logged in, in a room seeded with
//! (by default) 50 messages: the page a browser loads when someone opens a room.

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
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Seconds of loading pages.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Logged-in users the workers load the page as (default: one per worker).
    #[arg(long)]
    users: Option<usize>,
    /// Messages in the room before the run (the page shows the newest 50).
    #[arg(long, default_value_t = 50)]
    messages: usize,
}

#[derive(Serialize)]
struct Figures {
    scenario: &'static str,
    url: String,
    run: String,
    users: usize,
    messages: usize,
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
    eprintln!("setup: seeding {} messages…", o.messages);
    for n in 0..o.messages {
        let author = &room.members[n % room.members.len()];
        let text = format!("Seed message {n} of the page scenario, about as long as a chat line.");
        api.post_message(author, &room.name, &text).await?;
    }

    let memory_before = proc::server_memory(target.server_pid);
    let url = api.url(&format!("/rooms/{}", room.name));
    let client = api.http().clone();
    let members = room.members;
    eprintln!(
        "loading the room page with {concurrency} workers for {:.1} s…",
        duration.as_secs_f64()
    );
    let meter = Meter::start(target.server_pid);
    let outcome = http::drive(concurrency, duration, StatusCode::OK, move |worker, _| {
        let user = &members[worker % members.len()];
        let request = client.get(&url).header(header::COOKIE, &user.cookie);
        http::exchange(request)
    })
    .await;
    let cpu = meter.finish();
    let figures = Figures {
        scenario: "page",
        url: target.url.clone(),
        run,
        users,
        messages: o.messages,
        duration_s: o.duration,
        healthy: outcome.failed == 0 && outcome.ok > 0,
        outcome,
        cpu,
        server_memory_before: memory_before,
        server_memory_end: proc::server_memory(target.server_pid),
    };
    let mut lines = vec![format!(
        "page {}: GET {} as {} user(s)",
        figures.run,
        api.url(&format!("/rooms/{}", room.name)),
        users
    )];
    lines.extend(figures.outcome.lines("pages"));
    let memory = [
        ("before", figures.server_memory_before),
        ("end", figures.server_memory_end),
    ];
    lines.extend(proc::describe(&figures.cpu, &memory));
    lines.push(format!("healthy: {}", figures.healthy));
    report::emit(&lines, &figures)?;
    Ok(figures.healthy)
}
