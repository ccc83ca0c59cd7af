//! fanout: R rooms × N subscribers × S senders, each sender at M messages a second for
//! T seconds. Every subscriber checks every message of its room: latency from the
//! moment it was due to be sent, loss, duplicates and reordering.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use clap::Args;
use serde::Serialize;
use tokio::sync::{Semaphore, mpsc};

use super::{
    Signal,
    marker::{Tracker, nanos_since_epoch},
    seconds,
    sender::{self, Plan, Sent, Shared},
    subscriber::{Live, subscribe},
};
use crate::{
    Target,
    proc::{self, Memory, Meter, Usage},
    report::{self, Latency},
    setup::{self, Api},
    socket::{self, Connections, Tally},
};

#[derive(Debug, Args)]
pub struct Options {
    /// Rooms.
    #[arg(long, default_value_t = 1)]
    rooms: usize,
    /// Subscribing sockets per room (they only read).
    #[arg(long, default_value_t = 100)]
    subscribers: usize,
    /// Sending sockets per room, each its own user.
    #[arg(long, default_value_t = 1)]
    senders: usize,
    /// Messages a second per sender.
    #[arg(long, default_value_t = 10.0)]
    rate: f64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// At most this many seconds, after sending stops, for the last deliveries.
    #[arg(long, default_value_t = 5.0)]
    drain: f64,
    /// Subscribing sockets per user (1: every subscriber is a separate user).
    #[arg(long, default_value_t = 1)]
    sockets_per_user: usize,
    /// Length of each message's text, in bytes.
    #[arg(long, default_value_t = 100)]
    text_len: usize,
    /// Members per room who have no socket open and are subscribed to Web Push at a
    /// slow push service this tool runs (the server must accept loopback endpoints:
    /// `HEARTH_PUSH_ALLOW_LOOPBACK_HTTP=true`). Each message is then owed a push to
    /// every one of them.
    #[arg(long, default_value_t = 0)]
    push_members: usize,
    /// How long the push service takes to answer each push, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    push_delay_ms: u64,
    /// Another node of the same Hearth (same database and Redis) for the senders'
    /// sockets: subscribers stay on `--url`, so every delivery crosses between nodes.
    #[arg(long)]
    send_url: Option<String>,
    /// That node's process id, for its CPU.
    #[arg(long)]
    send_server_pid: Option<u32>,
    /// Logins a second during the run (`POST /api/v1/session`, one argon2id
    /// verification each), all as one user of this run's own, sent on a fixed schedule
    /// whether or not the last has been answered: issue 15's "logins during fan-out".
    #[arg(long, default_value_t = 0.0)]
    logins_per_second: f64,
    /// Seconds into sending before the first login; they go on until sending ends.
    #[arg(long, default_value_t = 4.0)]
    logins_after: f64,
}

/// The logins sent during a run, with `--logins-per-second`.
#[derive(Serialize)]
struct Logins {
    per_second: f64,
    sent: u64,
    /// Answered 200.
    ok: u64,
    latency: Latency,
}

#[derive(Serialize)]
struct Figures {
    scenario: &'static str,
    url: String,
    run: String,
    rooms: usize,
    subscribers_per_room: usize,
    senders_per_room: usize,
    rate_per_sender: f64,
    duration_s: f64,
    connections: Connections,
    planned: u64,
    sent: u64,
    acked: u64,
    send_errors: u64,
    expected: u64,
    received: u64,
    lost: u64,
    duplicates: u64,
    reordered: u64,
    deliveries_per_second: f64,
    /// Members per room subscribed to Web Push with no socket open.
    push_members: usize,
    /// Pushes the slow push service had taken when the run ended.
    pushes_received: u64,
    latency: Latency,
    ack_latency: Latency,
    cpu: Usage,
    /// With `--send-url`: where the senders were, and that node's CPU.
    #[serde(skip_serializing_if = "Option::is_none")]
    send_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    send_server_cpu_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logins: Option<Logins>,
    server_memory_before: Option<Memory>,
    server_memory_connected: Option<Memory>,
    server_memory_end: Option<Memory>,
    healthy: bool,
}

pub async fn run(target: &Target, o: Options) -> anyhow::Result<bool> {
    let duration = seconds(o.duration, "--duration")?;
    let drain = seconds(o.drain, "--drain")?;
    anyhow::ensure!(o.rate > 0.0, "--rate must be positive");
    anyhow::ensure!(
        o.rooms > 0 && o.subscribers > 0,
        "--rooms and --subscribers must be positive"
    );
    let api = Api::new(&target.url, target.setup_concurrency)?;
    api.check().await?;
    let run = setup::run_id();
    let memory_before = proc::server_memory(target.server_pid);

    let per_user = o.sockets_per_user.max(1);
    let subscriber_users = o.subscribers.div_ceil(per_user);
    let rooms = api
        .rooms(&run, o.rooms, subscriber_users + o.senders)
        .await?;

    let sink = if o.push_members > 0 {
        Some(offline_members(&api, &run, &rooms, o.push_members, o.push_delay_ms).await?)
    } else {
        None
    };

    let count = (o.rate * duration.as_secs_f64()).round() as u64;
    let period = Duration::from_secs_f64(1.0 / o.rate);
    let total_senders = (o.rooms * o.senders).max(1);
    let shared = Arc::new(Shared {
        run: run.as_str().into(),
        go: Signal::new(),
        stop: Signal::new(),
        acks: Default::default(),
        acked: AtomicU64::new(0),
        tally: Tally::new(),
    });
    let latencies = Arc::new(report::SharedHistogram::default());
    let live = Arc::new(Live::default());
    let connected: Arc<Vec<AtomicU64>> =
        Arc::new((0..o.rooms).map(|_| AtomicU64::new(0)).collect());
    let gate = Arc::new(Semaphore::new(target.connect_batch.max(1)));

    let (done, mut sending) = mpsc::unbounded_channel();
    let started = Instant::now();
    let mut subscribers = Vec::new();
    let mut senders = Vec::new();
    for (r, room) in rooms.iter().enumerate() {
        let url = api.socket_url(&room.name);
        let send_to = match &o.send_url {
            Some(base) => setup::socket_url(base, &room.name),
            None => url.clone(),
        };
        let first_sender = r * o.senders;
        for s in 0..o.subscribers {
            let cookie = room.members[s / per_user].cookie.clone();
            let (url, gate, shared) = (url.clone(), Arc::clone(&gate), Arc::clone(&shared));
            let (latencies, live, connected) = (
                Arc::clone(&latencies),
                Arc::clone(&live),
                Arc::clone(&connected),
            );
            subscribers.push(tokio::spawn(async move {
                let ws = socket::open(&url, &cookie, &gate, &shared.tally).await?;
                connected[r].fetch_add(1, Ordering::Relaxed);
                let tracker = Tracker::new(first_sender, o.senders);
                Some(subscribe(ws, tracker, &shared, &latencies, &live).await)
            }));
        }
        for s in 0..o.senders {
            let index = first_sender + s;
            let cookie = room.members[subscriber_users + s].cookie.clone();
            let plan = Plan {
                room: r,
                index,
                count,
                period,
                offset: period.mul_f64(index as f64 / total_senders as f64),
                text_len: o.text_len,
            };
            let (url, gate, shared) = (send_to.clone(), Arc::clone(&gate), Arc::clone(&shared));
            let done = done.clone();
            senders.push(tokio::spawn(async move {
                let Some(ws) = socket::open(&url, &cookie, &gate, &shared.tally).await else {
                    let _ = done.send((r, 0));
                    return Sent::default();
                };
                sender::run(ws, plan, shared, done).await
            }));
        }
    }
    let login_user = if o.logins_per_second > 0.0 {
        Some(api.register_users(&run, 2_000_000, 1).await?.remove(0))
    } else {
        None
    };
    let total = (subscribers.len() + senders.len()) as u64;
    let connect_seconds = shared.tally.wait_settled(total, started).await;
    let memory_connected = proc::server_memory(target.server_pid);

    eprintln!(
        "sending: {count} messages from each of {total_senders} sender(s) over {:.1} s…",
        duration.as_secs_f64()
    );
    let meter = Meter::start(target.server_pid);
    let send_meter = o.send_server_pid.map(|pid| Meter::start(Some(pid)));
    let go_ns = nanos_since_epoch(Instant::now());
    shared.go.fire();
    drop(done);
    let logins = login_user.map(|user| {
        let after = Duration::from_secs_f64(o.logins_after.max(0.0));
        let window = duration.saturating_sub(after);
        tokio::spawn(log_in_repeatedly(
            api.clone(),
            user.name,
            o.logins_per_second,
            after,
            window,
        ))
    });
    let mut sent_per_room = vec![0u64; o.rooms];
    while let Some((room, sent)) = sending.recv().await {
        sent_per_room[room] += sent;
    }
    let sent_total: u64 = sent_per_room.iter().sum();
    let expected: u64 = sent_per_room
        .iter()
        .zip(connected.iter())
        .map(|(sent, subs)| sent * subs.load(Ordering::Relaxed))
        .sum();
    let deadline = Instant::now() + drain;
    let pending = || {
        live.received.load(Ordering::Relaxed) < expected
            || shared.acked.load(Ordering::Relaxed) < sent_total
    };
    while pending() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let cpu = meter.finish();
    let send_server_cpu_percent = send_meter.and_then(|m| m.finish().server_cpu_percent);
    shared.stop.fire();
    let logins = match logins {
        Some(task) => Some(task.await?),
        None => None,
    };

    let mut trackers = Tracker::default();
    for subscriber in subscribers {
        if let Ok(Some(t)) = subscriber.await {
            trackers.unique += t.unique;
            trackers.duplicates += t.duplicates;
            trackers.reordered += t.reordered;
        }
    }
    let mut totals = Sent::default();
    for sender in senders {
        if let Ok(s) = sender.await {
            totals.sent += s.sent;
            totals.acked += s.acked;
            totals.errors += s.errors;
        }
    }
    let memory_end = proc::server_memory(target.server_pid);
    let connections = shared.tally.summary(connect_seconds);
    let last_ns = live.last_ns.load(Ordering::Relaxed).max(go_ns + 1);
    let delivering = (last_ns - go_ns) as f64 / 1e9;
    let lost = expected.saturating_sub(trackers.unique);
    let figures = Figures {
        scenario: "fanout",
        url: target.url.clone(),
        run,
        rooms: o.rooms,
        subscribers_per_room: o.subscribers,
        senders_per_room: o.senders,
        rate_per_sender: o.rate,
        duration_s: o.duration,
        push_members: o.push_members,
        pushes_received: sink.as_ref().map_or(0, |s| s.received()),
        planned: count * (o.rooms * o.senders) as u64,
        sent: totals.sent,
        acked: totals.acked,
        send_errors: totals.errors,
        expected,
        received: trackers.unique,
        lost,
        duplicates: trackers.duplicates,
        reordered: trackers.reordered,
        deliveries_per_second: report::per_second(trackers.unique, delivering),
        latency: latencies.summary(),
        ack_latency: shared.acks.summary(),
        healthy: connections.failed == 0
            && logins.as_ref().is_none_or(|l| l.ok == l.sent)
            && connections.dropped == 0
            && lost == 0
            && trackers.duplicates == 0
            && trackers.reordered == 0
            && totals.errors == 0,
        connections,
        cpu,
        send_url: o.send_url.clone(),
        send_server_cpu_percent,
        logins,
        server_memory_before: memory_before,
        server_memory_connected: memory_connected,
        server_memory_end: memory_end,
    };
    report::emit(&lines(&figures), &figures)?;
    Ok(figures.healthy)
}

/// Logs `name` in `per_second` times a second for `window`, starting `after` from now,
/// each login sent on schedule in a task of its own; waits for every answer.
async fn log_in_repeatedly(
    api: Api,
    name: String,
    per_second: f64,
    after: Duration,
    window: Duration,
) -> Logins {
    tokio::time::sleep(after).await;
    let url = api.url("/api/v1/session");
    let body = serde_json::json!({ "username": name, "password": setup::PASSWORD });
    let count = (per_second * window.as_secs_f64()).round() as u64;
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / per_second));
    let latencies = Arc::new(report::SharedHistogram::default());
    let mut logins = Vec::new();
    for _ in 0..count {
        ticks.tick().await;
        let request = api.http().post(&url).json(&body);
        let latencies = Arc::clone(&latencies);
        logins.push(tokio::spawn(async move {
            let started = Instant::now();
            let ok = request
                .send()
                .await
                .is_ok_and(|r| r.status() == reqwest::StatusCode::OK);
            let micros = started.elapsed().as_micros().min(u32::MAX as u128) as u32;
            latencies.record_all(&[micros]);
            ok
        }));
    }
    let mut ok = 0;
    for login in logins {
        ok += u64::from(login.await.unwrap_or(false));
    }
    Logins {
        per_second,
        sent: count,
        ok,
        latency: latencies.summary(),
    }
}

/// `per_room` more members in each room, level `all`, no socket, subscribed to Web Push
/// at a push service that answers after `delay_ms`.
async fn offline_members(
    api: &Api,
    run: &str,
    rooms: &[setup::Room],
    per_room: usize,
    delay_ms: u64,
) -> anyhow::Result<crate::push_sink::Sink> {
    let sink = crate::push_sink::start(Duration::from_millis(delay_ms)).await?;
    eprintln!(
        "setup: {per_room} offline members per room, subscribed to a push service that takes {delay_ms} ms…"
    );
    let first = 1_000_000;
    let users = api
        .register_users(run, first, per_room * rooms.len())
        .await?;
    for (room, members) in rooms.iter().zip(users.chunks(per_room)) {
        for user in members {
            api.join_room(user, &room.name).await?;
            api.set_notify(user, &room.name, "all").await?;
            let endpoint = format!("http://{}/push/{}", sink.addr, user.name);
            api.subscribe_push(user, &endpoint).await?;
        }
    }
    Ok(sink)
}

fn lines(f: &Figures) -> Vec<String> {
    let mut lines = vec![format!(
        "fanout {}: {} room(s) × {} subscribers × {} sender(s) at {} msg/s for {} s",
        f.run, f.rooms, f.subscribers_per_room, f.senders_per_room, f.rate_per_sender, f.duration_s
    )];
    if let Some(send_url) = &f.send_url {
        let cpu = f
            .send_server_cpu_percent
            .map_or("?".to_owned(), |c| format!("{c:.0}%"));
        lines.push(format!(
            "senders on {send_url} (CPU {cpu}), subscribers on {}",
            f.url
        ));
    }
    lines.extend(f.connections.lines());
    if f.push_members > 0 {
        lines.push(format!(
            "web push: {} offline subscribed members per room; the slow push service took {} pushes",
            f.push_members, f.pushes_received
        ));
    }
    lines.push(format!(
        "messages: {} planned, {} sent, {} acknowledged (echoed), {} refused with error frames",
        f.planned, f.sent, f.acked, f.send_errors
    ));
    lines.push(format!(
        "deliveries: {} expected, {} received, {} lost, {} duplicates, {} reordered; {:.0} deliveries/s",
        f.expected, f.received, f.lost, f.duplicates, f.reordered, f.deliveries_per_second
    ));
    lines.push(f.latency.line("end-to-end latency"));
    lines.push(f.ack_latency.line("sender ack latency (own echo)"));
    if let Some(logins) = &f.logins {
        lines.push(format!(
            "logins: {} sent at {}/s, {} answered 200",
            logins.sent, logins.per_second, logins.ok
        ));
        lines.push(logins.latency.line("login latency"));
    }
    if f.send_errors > 0 {
        lines.push("hint: error frames usually mean the rate limit: start the server with HEARTH_MESSAGE_RATE and HEARTH_MESSAGE_BURST raised".into());
    }
    let memory = [
        ("before", f.server_memory_before),
        ("connected", f.server_memory_connected),
        ("end", f.server_memory_end),
    ];
    lines.extend(proc::describe(&f.cpu, &memory));
    lines.push(format!("healthy: {}", f.healthy));
    lines
}
