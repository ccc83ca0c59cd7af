//! A fan-out subscriber: one socket that only reads, checking every message of its
//! room against what the senders sent.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use super::{
    marker::{Frame, Seen, Tracker, nanos_since_epoch, parse},
    sender::Shared,
};
use crate::{
    report::{Samples, SharedHistogram},
    socket::{Ws, close_reason},
};

/// Counted by every subscriber as deliveries arrive, so the drain can end early.
#[derive(Default)]
pub struct Live {
    pub received: AtomicU64,
    /// When the latest delivery arrived (nanoseconds since the run's epoch).
    pub last_ns: AtomicU64,
}

/// Reads every frame of one subscriber's socket until `stop`.
pub async fn subscribe(
    mut ws: Ws,
    mut tracker: Tracker,
    shared: &Shared,
    latencies: &SharedHistogram,
    live: &Live,
) -> Tracker {
    let mut samples = Samples::new(latencies);
    let stop = shared.stop.fired();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            biased;
            _ = &mut stop => {
                let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
                break;
            }
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    let now = nanos_since_epoch(Instant::now());
                    if let Frame::Ours(m) = parse(text.as_str(), &shared.run)
                        && tracker.observe(&m) == Seen::New
                    {
                        samples.record(m.sent_ns, now);
                        live.received.fetch_add(1, Ordering::Relaxed);
                        live.last_ns.fetch_max(now, Ordering::Relaxed);
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => {
                    shared.tally.dropped(close_reason(frame));
                    break;
                }
                Some(Ok(_)) => {}
            },
        }
    }
    samples.flush();
    tracker
}
