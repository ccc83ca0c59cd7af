//! login and join: the two account operations the growth table measures besides pages,
//! posts and search, each driven by C workers in a closed loop.
//!
//! - `login`: `POST /api/v1/session`, each worker as its own user. A login is one
//!   argon2id verification, so this measures the hashing cores more than the database.
//! - `join`: `POST /api/v1/rooms/{name}/members` and then `DELETE …/members/me`, each
//!   worker as its own fresh user, going round the rooms. One pair is one operation.
//!
//! With `--seeded`, both run against what `seed` made: logins as its users, joins into
//! its rooms (whose history is the database's); otherwise they set up their own.

use clap::Args;
use reqwest::{StatusCode, header};
use serde::Serialize;
use serde_json::json;

use super::{
    http::{self, Outcome},
    seconds,
    seed::SEED_PASSWORD,
};
use crate::{
    Target,
    proc::{self, Usage},
    report,
    setup::{self, Api, PASSWORD},
};

#[derive(Debug, Args)]
pub struct Options {
    /// Workers, each with one request in flight, each as its own user.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds of the operation.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Rooms a `join` run goes round (`seed room 0…` with `--seeded`).
    #[arg(long, default_value_t = 50)]
    rooms: usize,
    /// Use the users (`login`) or rooms (`join`) that `seed` made.
    #[arg(long)]
    seeded: bool,
}

#[derive(Serialize)]
struct Figures {
    scenario: &'static str,
    url: String,
    run: String,
    seeded: bool,
    duration_s: f64,
    #[serde(flatten)]
    outcome: Outcome,
    cpu: Usage,
    healthy: bool,
}

pub async fn login(target: &Target, o: Options) -> anyhow::Result<bool> {
    let (duration, concurrency, api, run) = prepare(target, &o).await?;
    let (names, password) = if o.seeded {
        let names: Vec<String> = (1..=concurrency)
            .map(|n| format!("seed_user_{n}"))
            .collect();
        (names, SEED_PASSWORD)
    } else {
        eprintln!("setup: registering {concurrency} users…");
        let users = api.register_users(&run, 0, concurrency).await?;
        (users.into_iter().map(|u| u.name).collect(), PASSWORD)
    };
    let url = api.url("/api/v1/session");
    let client = api.http().clone();
    eprintln!(
        "logging in with {concurrency} workers for {:.1} s…",
        o.duration
    );
    let meter = proc::Meter::start(target.server_pid);
    let outcome = http::drive(concurrency, duration, StatusCode::OK, move |worker, _| {
        let body = json!({ "username": names[worker % names.len()], "password": password });
        http::exchange(client.post(&url).json(&body))
    })
    .await;
    report_run("login", target, run, &o, outcome, meter.finish(), "logins")
}

pub async fn join(target: &Target, o: Options) -> anyhow::Result<bool> {
    let (duration, concurrency, api, run) = prepare(target, &o).await?;
    eprintln!("setup: registering {concurrency} users…");
    let users = api.register_users(&run, 0, concurrency).await?;
    let rooms: Vec<String> = if o.seeded {
        (0..o.rooms).map(|n| format!("seed room {n}")).collect()
    } else {
        let names: Vec<String> = (0..o.rooms).map(|n| format!("load_{run}_j{n}")).collect();
        for name in &names {
            api.create_room(&users[0], name).await?;
        }
        names
    };
    let rooms: Vec<String> = rooms
        .iter()
        .map(|room| hearth::render::encode_segment(room))
        .collect();
    let (client, base) = (api.http().clone(), target.url.clone());
    eprintln!(
        "joining and leaving {} rooms with {concurrency} workers for {:.1} s…",
        rooms.len(),
        o.duration
    );
    let meter = proc::Meter::start(target.server_pid);
    let outcome = http::drive(
        concurrency,
        duration,
        StatusCode::CREATED,
        move |worker, n| {
            let cookie = users[worker].cookie.clone();
            // Each worker starts at its own room, so joins spread over the rooms.
            let room = &rooms[(worker + n as usize) % rooms.len()];
            let members = format!("{base}/api/v1/rooms/{room}/members");
            let client = client.clone();
            async move {
                let joined = client
                    .post(&members)
                    .header(header::COOKIE, &cookie)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = joined.status();
                if status != StatusCode::CREATED {
                    return Ok((status, 0));
                }
                let left = http::exchange(
                    client
                        .delete(format!("{members}/me"))
                        .header(header::COOKIE, &cookie),
                )
                .await?;
                match left.0 {
                    StatusCode::NO_CONTENT => Ok((status, left.1)),
                    other => Err(format!("leaving: HTTP {other}")),
                }
            }
        },
    )
    .await;
    report_run(
        "join",
        target,
        run,
        &o,
        outcome,
        meter.finish(),
        "joins (each with a leave)",
    )
}

/// What both scenarios start with: the checked options, a client, a run id.
async fn prepare(
    target: &Target,
    o: &Options,
) -> anyhow::Result<(std::time::Duration, usize, Api, String)> {
    let duration = seconds(o.duration, "--duration")?;
    let api = Api::new(&target.url, target.setup_concurrency)?;
    api.check().await?;
    Ok((duration, o.concurrency.max(1), api, setup::run_id()))
}

fn report_run(
    scenario: &'static str,
    target: &Target,
    run: String,
    o: &Options,
    outcome: Outcome,
    cpu: Usage,
    what: &str,
) -> anyhow::Result<bool> {
    let figures = Figures {
        scenario,
        url: target.url.clone(),
        run,
        seeded: o.seeded,
        duration_s: o.duration,
        healthy: outcome.failed == 0 && outcome.ok > 0,
        outcome,
        cpu,
    };
    let mut lines = vec![format!("{scenario} {}", figures.run)];
    lines.extend(figures.outcome.lines(what));
    lines.extend(proc::describe(&figures.cpu, &[]));
    lines.push(format!("healthy: {}", figures.healthy));
    report::emit(&lines, &figures)?;
    Ok(figures.healthy)
}
