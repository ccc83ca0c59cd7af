//! A fan-out sender: one socket that sends marked messages at a fixed rate, and reads
//! its own echoes back (the server's acknowledgement: stored, then delivered).

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use tokio::{
    sync::mpsc,
    time::{MissedTickBehavior, interval_at},
};
use tokio_tungstenite::tungstenite::Message;

use super::{
    Signal,
    marker::{Frame, encode, nanos_since_epoch, parse},
};
use crate::{
    report::{Samples, SharedHistogram},
    socket::{Tally, Ws, close_reason},
};

/// What one sender does.
#[derive(Debug, Clone)]
pub struct Plan {
    pub room: usize,
    /// Its number in the whole run; a room's senders are numbered consecutively.
    pub index: usize,
    pub count: u64,
    pub period: Duration,
    /// Senders start spread over one period, so they do not all tick at once.
    pub offset: Duration,
    pub text_len: usize,
}

/// What one sender did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Sent {
    pub sent: u64,
    /// Own messages echoed back.
    pub acked: u64,
    /// `{"type":"error"}` frames: refusals, such as the rate limit.
    pub errors: u64,
}

/// Everything a sender shares with the rest of the run.
pub struct Shared {
    pub run: Arc<str>,
    pub go: Signal,
    pub stop: Signal,
    pub acks: SharedHistogram,
    /// Echoes so far, of every sender: the drain waits for these too.
    pub acked: AtomicU64,
    pub tally: Tally,
}

/// Where a sender says how many messages it sent to which room, once it is done.
pub type Done = mpsc::UnboundedSender<(usize, u64)>;

/// Waits for `go`, sends `plan.count` messages (reporting the count on `done`), then
/// reads echoes until `stop`.
///
/// Each message carries the time it was *due*, not when it went out: if the tool or
/// the connection falls behind, the catch-up burst shows as latency instead of being
/// hidden (no coordinated omission).
pub async fn run(ws: Ws, plan: Plan, shared: Arc<Shared>, done: Done) -> Sent {
    let (mut sink, mut stream) = ws.split();
    let reader_shared = Arc::clone(&shared);
    let index = plan.index;
    let reader = tokio::spawn(async move {
        let shared = reader_shared;
        let mut samples = Samples::new(&shared.acks);
        let (mut acked, mut errors) = (0, 0);
        let stop = shared.stop.fired();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                biased;
                _ = &mut stop => break,
                frame = stream.next() => match frame {
                    Some(Ok(Message::Text(text))) => {
                        let now = nanos_since_epoch(Instant::now());
                        match parse(text.as_str(), &shared.run) {
                            Frame::Ours(m) if m.sender == index => {
                                acked += 1;
                                samples.record(m.sent_ns, now);
                                shared.acked.fetch_add(1, Ordering::Relaxed);
                            }
                            Frame::Error => errors += 1,
                            _ => {}
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
        (acked, errors, stream)
    });

    shared.go.fired().await;
    let start = tokio::time::Instant::now() + plan.offset;
    let mut ticks = interval_at(start, plan.period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut sent = 0;
    for seq in 0..plan.count {
        let due = ticks.tick().await.into_std();
        let text = encode(&shared.run, index, seq, due, plan.text_len);
        // The text is ASCII with no quotes or backslashes: no escaping needed.
        let frame = format!(
            r#"{{"text":"{text}","client_id":"{}-{index}-{seq}"}}"#,
            shared.run
        );
        if sink.send(Message::text(frame)).await.is_err() {
            break;
        }
        sent += 1;
    }
    let _ = done.send((plan.room, sent));
    drop(done);

    shared.stop.fired().await;
    let (acked, errors) = match reader.await {
        Ok((acked, errors, stream)) => {
            if let Ok(mut ws) = sink.reunite(stream) {
                let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
            }
            (acked, errors)
        }
        Err(_) => (0, 0),
    };
    Sent {
        sent,
        acked,
        errors,
    }
}
