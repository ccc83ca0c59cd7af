//! Opening authenticated JSON WebSockets a bounded number at a time, and keeping count
//! of what happened to them: opened, failed (and why), and dropped by the server
//! before the run ended (and with which close code).

use std::{
    collections::BTreeMap,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use serde::Serialize;
use tokio::{
    net::TcpStream,
    sync::{Semaphore, watch},
};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async_with_config,
    tungstenite::{Error, client::IntoClientRequest, http::HeaderValue, protocol::WebSocketConfig},
};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long one handshake may take before it counts as failed.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// Small buffers: chat frames are small, and the tool may hold tens of thousands of
/// sockets (tungstenite's default read buffer alone is 128 KiB each).
fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
}

/// What happened to a run's sockets.
pub struct Tally {
    opened: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    reasons: Mutex<BTreeMap<String, u64>>,
    /// Handshakes finished, either way.
    settled: watch::Sender<u64>,
}

/// The connection figures of a report.
#[derive(Debug, Clone, Serialize)]
pub struct Connections {
    pub opened: u64,
    pub failed: u64,
    /// Opened, then closed by the server or the network before the run ended.
    pub dropped: u64,
    pub connect_seconds: f64,
    /// Why sockets failed or dropped, most common first.
    pub reasons: Vec<(String, u64)>,
}

impl Tally {
    pub fn new() -> Self {
        Self {
            opened: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            reasons: Mutex::new(BTreeMap::new()),
            settled: watch::channel(0).0,
        }
    }

    fn note(&self, reason: String) {
        let mut reasons = self.reasons.lock().unwrap_or_else(|p| p.into_inner());
        *reasons.entry(reason).or_default() += 1;
    }

    fn settle(&self) {
        self.settled.send_modify(|n| *n += 1);
    }

    /// A socket that had been open ended early, for `reason` (a close code, an error).
    pub fn dropped(&self, reason: String) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
        self.note(format!("dropped: {reason}"));
    }

    /// Waits until `total` handshakes have succeeded or failed, printing progress.
    pub async fn wait_settled(&self, total: u64, started: Instant) -> f64 {
        let mut rx = self.settled.subscribe();
        loop {
            let wait = rx.wait_for(|n| *n >= total);
            if tokio::time::timeout(Duration::from_secs(2), wait)
                .await
                .is_ok()
            {
                break;
            }
            eprintln!(
                "connecting: {} open, {} failed of {total} ({:.0} s)",
                self.opened.load(Ordering::Relaxed),
                self.failed.load(Ordering::Relaxed),
                started.elapsed().as_secs_f64()
            );
        }
        started.elapsed().as_secs_f64()
    }

    pub fn summary(&self, connect_seconds: f64) -> Connections {
        let reasons = self.reasons.lock().unwrap_or_else(|p| p.into_inner());
        let mut reasons: Vec<(String, u64)> =
            reasons.iter().map(|(r, n)| (r.clone(), *n)).collect();
        reasons.sort_by_key(|r| std::cmp::Reverse(r.1));
        Connections {
            opened: self.opened.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            connect_seconds: (connect_seconds * 100.0).round() / 100.0,
            reasons,
        }
    }
}

impl Connections {
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "connections: {} opened, {} failed, {} dropped early (opened in {:.2} s)",
            self.opened, self.failed, self.dropped, self.connect_seconds
        )];
        for (reason, n) in self.reasons.iter().take(5) {
            lines.push(format!("  {n} × {reason}"));
        }
        lines
    }
}

/// Opens one authenticated socket once `gate` lets it, and counts the outcome.
pub async fn open(url: &str, cookie: &str, gate: &Semaphore, tally: &Tally) -> Option<Ws> {
    let outcome = {
        let _permit = gate.acquire().await.ok()?;
        tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(url, cookie)).await
    };
    let result = match outcome {
        Ok(Ok(ws)) => {
            tally.opened.fetch_add(1, Ordering::Relaxed);
            Some(ws)
        }
        Ok(Err(reason)) => {
            tally.failed.fetch_add(1, Ordering::Relaxed);
            tally.note(format!("failed: {reason}"));
            None
        }
        Err(_) => {
            tally.failed.fetch_add(1, Ordering::Relaxed);
            tally.note("failed: handshake timed out".into());
            None
        }
    };
    tally.settle();
    result
}

async fn handshake(url: &str, cookie: &str) -> Result<Ws, String> {
    let mut request = url.into_client_request().map_err(|e| e.to_string())?;
    let cookie = HeaderValue::from_str(cookie).map_err(|e| e.to_string())?;
    request.headers_mut().insert("cookie", cookie);
    match connect_async_with_config(request, Some(config()), true).await {
        Ok((ws, _)) => Ok(ws),
        Err(Error::Http(response)) => Err(format!("refused with HTTP {}", response.status())),
        Err(Error::Io(err)) => Err(format!("{:?}: {err}", err.kind())),
        Err(err) => Err(err.to_string()),
    }
}

/// Describes how a socket ended: a close frame's code and reason, or an error.
pub fn close_reason(
    message: Option<Result<tokio_tungstenite::tungstenite::Message, Error>>,
) -> String {
    use tokio_tungstenite::tungstenite::Message;
    match message {
        Some(Ok(Message::Close(Some(frame)))) => {
            format!("closed {} {}", u16::from(frame.code), frame.reason)
        }
        Some(Ok(Message::Close(None))) => "closed without a code".into(),
        Some(Err(err)) => format!("error: {err}"),
        None => "connection ended".into(),
        Some(Ok(_)) => "unexpected frame".into(),
    }
}
