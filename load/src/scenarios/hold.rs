//! hold: N idle authenticated sockets, spread over a few users and rooms, held open for
//! T seconds while they keep reading (so pings are answered). Reports how many were
//! still open at the end and what they cost the server in memory.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use clap::Args;
use futures_util::StreamExt;
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

use super::{Signal, seconds};
use crate::{
    Target,
    proc::{self, Memory, Meter, Usage},
    report,
    setup::{self, Api},
    socket::{self, Connections, Tally, Ws, close_reason},
};

#[derive(Debug, Args)]
pub struct Options {
    /// Sockets to open and hold.
    #[arg(long, default_value_t = 1000)]
    connections: usize,
    /// Seconds to hold them once all are open.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Sockets per user (registration is deliberately slow, so users are shared).
    #[arg(long, default_value_t = 100)]
    sockets_per_user: usize,
    /// Rooms the users are spread over.
    #[arg(long, default_value_t = 10)]
    rooms: usize,
}

#[derive(Serialize)]
struct Figures {
    scenario: &'static str,
    url: String,
    run: String,
    requested: usize,
    users: usize,
    rooms: usize,
    duration_s: f64,
    connections: Connections,
    held: u64,
    cpu: Usage,
    server_memory_before: Option<Memory>,
    server_memory_connected: Option<Memory>,
    server_memory_end: Option<Memory>,
    /// (RSS when connected − RSS before connecting) / sockets opened.
    server_kib_per_socket: Option<f64>,
    healthy: bool,
}

pub async fn run(target: &Target, o: Options) -> anyhow::Result<bool> {
    let duration = seconds(o.duration, "--duration")?;
    anyhow::ensure!(o.connections > 0, "--connections must be positive");
    let api = Api::new(&target.url, target.setup_concurrency)?;
    api.check().await?;
    let run = setup::run_id();
    let per_user = o.sockets_per_user.max(1);
    let users = o.connections.div_ceil(per_user);
    let room_count = o.rooms.clamp(1, users);
    let rooms = api
        .rooms(&run, room_count, users.div_ceil(room_count))
        .await?;

    let memory_before = proc::server_memory(target.server_pid);
    let tally = Arc::new(Tally::new());
    let stop = Signal::new();
    let gate = Arc::new(Semaphore::new(target.connect_batch.max(1)));
    let started = Instant::now();
    let mut sockets = Vec::with_capacity(o.connections);
    let members = rooms.iter().flat_map(|room| {
        room.members
            .iter()
            .map(|user| (api.socket_url(&room.name), user))
    });
    'open: for (url, user) in members {
        for _ in 0..per_user {
            if sockets.len() == o.connections {
                break 'open;
            }
            let (url, cookie) = (url.clone(), user.cookie.clone());
            let (gate, tally, stop) = (Arc::clone(&gate), Arc::clone(&tally), stop.clone());
            sockets.push(tokio::spawn(async move {
                match socket::open(&url, &cookie, &gate, &tally).await {
                    Some(ws) => hold(ws, &stop, &tally).await,
                    None => false,
                }
            }));
        }
    }
    let connect_seconds = tally.wait_settled(sockets.len() as u64, started).await;
    let memory_connected = proc::server_memory(target.server_pid);

    eprintln!(
        "holding {} sockets for {:.1} s…",
        sockets.len(),
        duration.as_secs_f64()
    );
    let meter = Meter::start(target.server_pid);
    tokio::time::sleep(duration).await;
    let cpu = meter.finish();
    let memory_end = proc::server_memory(target.server_pid);
    stop.fire();
    let mut held = 0;
    for socket in sockets {
        if let Ok(true) = socket.await {
            held += 1;
        }
    }
    let connections = tally.summary(connect_seconds);
    let server_kib_per_socket = match (memory_before, memory_connected) {
        (Some(before), Some(after)) if connections.opened > 0 => {
            let per =
                after.rss_kib.saturating_sub(before.rss_kib) as f64 / connections.opened as f64;
            Some((per * 100.0).round() / 100.0)
        }
        _ => None,
    };
    let figures = Figures {
        scenario: "hold",
        url: target.url.clone(),
        run,
        requested: o.connections,
        users,
        rooms: room_count,
        duration_s: o.duration,
        healthy: held == o.connections as u64,
        connections,
        held,
        cpu,
        server_memory_before: memory_before,
        server_memory_connected: memory_connected,
        server_memory_end: memory_end,
        server_kib_per_socket,
    };
    report::emit(&lines(&figures), &figures)?;
    Ok(figures.healthy)
}

/// Keeps one socket open and read until `stop`; says whether it lasted.
async fn hold(mut ws: Ws, stop: &Signal, tally: &Tally) -> bool {
    let stopped = stop.fired();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            biased;
            _ = &mut stopped => {
                let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
                return true;
            }
            frame = ws.next() => match frame {
                Some(Ok(Message::Close(_)) | Err(_)) | None => {
                    tally.dropped(close_reason(frame));
                    return false;
                }
                Some(Ok(_)) => {}
            },
        }
    }
}

fn lines(f: &Figures) -> Vec<String> {
    let mut lines = vec![format!(
        "hold {}: {} sockets over {} user(s) in {} room(s) for {} s",
        f.run, f.requested, f.users, f.rooms, f.duration_s
    )];
    lines.extend(f.connections.lines());
    lines.push(format!("held to the end: {} of {}", f.held, f.requested));
    if let Some(per) = f.server_kib_per_socket {
        lines.push(format!(
            "server memory per socket: {per:.1} KiB (RSS growth while connecting / sockets)"
        ));
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
