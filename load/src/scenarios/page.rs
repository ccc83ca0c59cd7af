//! page: `GET /rooms/{name}`, the HTML room page, logged in, in a room seeded with
//! (by default) 50 messages: the page a browser loads when someone opens a room. With
//! `--ceiling-url`, the same load on `page-ceiling` (the same template rendered from
//! memory) follows, and the ratio of the two is printed.

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
    /// A `page-ceiling` server (the same template rendered from memory): loaded the
    /// same way right after, so the ratio of the two is measured in one run.
    #[arg(long)]
    ceiling_url: Option<String>,
    /// Which page to load: the room's page, the `/rooms` list, or the first page of
    /// search results for a word every seeded message contains.
    #[arg(long, value_enum, default_value_t = Page::Room)]
    page: Page,
    /// Load the pages as `seed`'s viewer (a member of many busy rooms, everything
    /// unread), in the first of its rooms, instead of seeding a room of new users.
    #[arg(long)]
    seeded_viewer: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
enum Page {
    Room,
    Rooms,
    Search,
}

impl Page {
    fn path(self, room: &str) -> String {
        match self {
            Page::Room => format!("/rooms/{room}"),
            Page::Rooms => "/rooms".to_owned(),
            Page::Search => "/search?q=scenario".to_owned(),
        }
    }
}

#[derive(Serialize)]
struct Figures {
    scenario: &'static str,
    url: String,
    run: String,
    page: Page,
    users: usize,
    messages: usize,
    duration_s: f64,
    #[serde(flatten)]
    outcome: Outcome,
    cpu: Usage,
    server_memory_before: Option<Memory>,
    server_memory_end: Option<Memory>,
    /// The bare render of the same page, when `--ceiling-url` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    ceiling: Option<Outcome>,
    /// Hearth's requests per second over the ceiling's.
    #[serde(skip_serializing_if = "Option::is_none")]
    ratio_to_ceiling: Option<f64>,
    healthy: bool,
}

pub async fn run(target: &Target, o: Options) -> anyhow::Result<bool> {
    let duration = seconds(o.duration, "--duration")?;
    let concurrency = o.concurrency.max(1);
    let users = o.users.unwrap_or(concurrency).max(1);
    let api = Api::new(&target.url, target.setup_concurrency)?;
    api.check().await?;
    let run = setup::run_id();
    let room = if o.seeded_viewer {
        viewer_room(&api, &target.url).await?
    } else {
        let room = api.rooms(&run, 1, users).await?.remove(0);
        eprintln!("setup: seeding {} messages…", o.messages);
        for n in 0..o.messages {
            let author = &room.members[n % room.members.len()];
            let text =
                format!("Seed message {n} of the page scenario, about as long as a chat line.");
            api.post_message(author, &room.name, &text).await?;
        }
        room
    };

    let memory_before = proc::server_memory(target.server_pid);
    let path = o.page.path(&room.name);
    let url = api.url(&path);
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
    let ceiling = match &o.ceiling_url {
        Some(base) => {
            let url = format!("{}/rooms/ceiling", base.trim_end_matches('/'));
            let client = reqwest::Client::new();
            eprintln!("loading the ceiling ({url}) the same way…");
            Some(
                http::drive(concurrency, duration, StatusCode::OK, move |_, _| {
                    http::exchange(client.get(&url))
                })
                .await,
            )
        }
        None => None,
    };
    let ratio_to_ceiling = ceiling
        .as_ref()
        .filter(|c| c.requests_per_second > 0.0)
        .map(|c| outcome.requests_per_second / c.requests_per_second);
    let figures = Figures {
        scenario: "page",
        url: target.url.clone(),
        run,
        page: o.page,
        users,
        messages: o.messages,
        duration_s: o.duration,
        healthy: outcome.failed == 0 && outcome.ok > 0,
        outcome,
        cpu,
        server_memory_before: memory_before,
        server_memory_end: proc::server_memory(target.server_pid),
        ceiling,
        ratio_to_ceiling,
    };
    let mut lines = vec![format!(
        "page {}: GET {} as {} user(s)",
        figures.run,
        api.url(&path),
        users
    )];
    lines.extend(figures.outcome.lines("pages"));
    let memory = [
        ("before", figures.server_memory_before),
        ("end", figures.server_memory_end),
    ];
    lines.extend(proc::describe(&figures.cpu, &memory));
    if let (Some(ceiling), Some(ratio)) = (&figures.ceiling, figures.ratio_to_ceiling) {
        lines.extend(ceiling.lines("ceiling pages (the same template from memory)"));
        lines.push(format!("ratio to the ceiling: {ratio:.3}×"));
    }
    lines.push(format!("healthy: {}", figures.healthy));
    report::emit(&lines, &figures)?;
    Ok(figures.healthy)
}

/// The seeded viewer, in the first room of its sidebar.
async fn viewer_room(api: &Api, url: &str) -> anyhow::Result<setup::Room> {
    let cookie = super::search::viewer_cookie(api.http(), url).await?;
    let rooms: Vec<serde_json::Value> = api
        .http()
        .get(format!("{url}/api/v1/rooms?scope=joined"))
        .header(header::COOKIE, &cookie)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let name = rooms
        .first()
        .and_then(|r| r["name"].as_str())
        .ok_or_else(|| anyhow::anyhow!("the seeded viewer is in no room"))?;
    Ok(setup::Room {
        name: name.to_owned(),
        members: vec![setup::User {
            name: super::seed::VIEWER.to_owned(),
            cookie,
        }],
    })
}
