//! The one task per node that writes events. It takes whatever is waiting (up to a
//! batch), stores it in one transaction (group commit: one disk sync for many
//! writes), hands each committed event to the fan-out in commit order, then answers
//! the callers. An acknowledged message or change is always on disk, and sockets see
//! each room's events in commit order.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
};

use crate::{
    error::{AppError, AppResult},
    metrics,
    store::{
        Db, StoreResult,
        events::{self, Event, EventKind, Write, Written},
        messages::MessageRow,
    },
};

/// New messages, offered to whoever holds the other end (Web Push) without ever
/// waiting, and only while it says it wants them (`wanted`: nobody has subscribed, so
/// nothing is copied per message): when its bounded queue is full, the message is
/// dropped for it (counted).
#[derive(Clone)]
pub struct NewMessages {
    queue: mpsc::Sender<MessageRow>,
    wanted: Arc<AtomicBool>,
    /// Counts a message dropped for a full queue.
    dropped: fn(),
}

impl NewMessages {
    /// A queue of `capacity` messages, offered while `wanted` is set, and its other
    /// end, which asks again every `refresh` whether they are (see `Offered::next`).
    pub fn channel(
        name: &'static str,
        capacity: usize,
        wanted: Arc<AtomicBool>,
        refresh: std::time::Duration,
        dropped: fn(),
    ) -> (Self, Offered) {
        let (queue, incoming) = mpsc::channel(capacity);
        let offered = Offered {
            name,
            incoming,
            wanted: Arc::clone(&wanted),
            refresh: tokio::time::interval(refresh),
        };
        let messages = Self {
            queue,
            wanted,
            dropped,
        };
        (messages, offered)
    }

    fn offer(&self, message: &MessageRow) {
        if !self.wanted.load(Ordering::Relaxed) {
            return;
        }
        if self.queue.try_send(message.clone()).is_err() {
            (self.dropped)();
        }
    }
}

/// The other end of `NewMessages`.
pub struct Offered {
    /// Names the queue's depth in the metrics.
    name: &'static str,
    incoming: mpsc::Receiver<MessageRow>,
    wanted: Arc<AtomicBool>,
    refresh: tokio::time::Interval,
}

impl Offered {
    /// The next message offered; `None` once the writer has stopped. Meanwhile, every
    /// `refresh`, `still_wanted` says again whether messages are wanted (what changed
    /// through other nodes; `None`: it could not tell, so nothing changes).
    pub async fn next<F, Fut>(&mut self, still_wanted: F) -> Option<MessageRow>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Option<bool>>,
    {
        loop {
            tokio::select! {
                message = self.incoming.recv() => {
                    metrics::record_queue(self.name, self.incoming.len());
                    return message;
                }
                _ = self.refresh.tick() => {
                    if let Some(wanted) = still_wanted().await {
                        self.wanted.store(wanted, Ordering::Relaxed);
                    }
                }
            }
        }
    }
}

const MAX_BATCH: usize = 256;
/// Writes waiting for the writer; a caller waits while it is full.
const QUEUE: usize = 4096;

struct Job {
    write: Write,
    done: oneshot::Sender<StoreResult<Written>>,
}

/// A handle for submitting writes to the writer task.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer; each committed event goes to `committed` (the live
    /// fan-out), in commit order. It stops once every `Writer` handle is dropped and
    /// the writes already submitted are stored: await the handle to know they are.
    ///
    /// Each new message is also offered to each of `after` (Web Push, bots'
    /// webhooks), which never waits.
    pub fn start(
        db: Db,
        committed: mpsc::Sender<Event>,
        after: Vec<NewMessages>,
    ) -> (Self, JoinHandle<()>) {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let task = tokio::spawn(run(db, committed, after, queue));
        (Self { jobs }, task)
    }

    /// A handle that does not keep the writer running: for a task that writes now
    /// and then (a bot's reply) but must not hold up shutdown.
    pub fn downgrade(&self) -> WeakWriter {
        WeakWriter(self.jobs.downgrade())
    }

    /// Writes submitted and not yet taken by the writer.
    pub fn queued(&self) -> usize {
        self.jobs.max_capacity() - self.jobs.capacity()
    }

    /// Queues one write (waiting only while the queue is full). Writes are stored in
    /// the order they are queued; `Pending::outcome` says how it went.
    pub async fn submit(&self, write: Write) -> AppResult<Pending> {
        let (done, written) = oneshot::channel();
        self.jobs
            .send(Job { write, done })
            .await
            .map_err(|_| AppError::ShuttingDown)?;
        Ok(Pending(written))
    }
}

/// A `Writer` that may be gone (see `Writer::downgrade`).
#[derive(Clone)]
pub struct WeakWriter(mpsc::WeakSender<Job>);

impl WeakWriter {
    /// The writer, unless it is stopping.
    pub fn upgrade(&self) -> Option<Writer> {
        self.0.upgrade().map(|jobs| Writer { jobs })
    }
}

/// A queued write, not yet known to be stored.
pub struct Pending(oneshot::Receiver<StoreResult<Written>>);

impl Pending {
    /// Resolves once the write is committed (and its event handed to the fan-out).
    pub async fn outcome(self) -> AppResult<Written> {
        let written = self.0.await.map_err(|_| AppError::ShuttingDown)?;
        Ok(written?)
    }
}

async fn run(
    db: Db,
    committed: mpsc::Sender<Event>,
    after: Vec<NewMessages>,
    mut queue: mpsc::Receiver<Job>,
) {
    let outlets = Outlets { committed, after };
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let writes: Vec<Write> = batch.iter().map(|job| job.write.clone()).collect();
        match events::commit(&db, &writes).await {
            Ok(outcomes) => {
                for (job, outcome) in batch.drain(..).zip(outcomes) {
                    finish(&outlets, job, Ok(outcome)).await;
                }
            }
            // One bad write must not fail the others: store the rest one by one.
            Err(err) if batch.len() > 1 => {
                tracing::warn!(%err, size = batch.len(), "batch commit failed; retrying singly");
                for job in batch.drain(..) {
                    let outcome = events::commit(&db, std::slice::from_ref(&job.write))
                        .await
                        .map(|mut v| v.remove(0));
                    finish(&outlets, job, outcome).await;
                }
            }
            Err(err) => {
                if let Some(job) = batch.pop() {
                    finish(&outlets, job, Err(err)).await;
                }
            }
        }
    }
}

/// Where committed writes go: every event to the fan-out, new messages to Web Push.
struct Outlets {
    committed: mpsc::Sender<Event>,
    after: Vec<NewMessages>,
}

async fn finish(outlets: &Outlets, job: Job, outcome: StoreResult<Written>) {
    if let Some(event) = outcome.as_ref().ok().and_then(Written::event) {
        metrics::record_stored(1);
        if let EventKind::Message(message) = &event.kind {
            for after in &outlets.after {
                after.offer(message);
            }
        }
        // Waits while the fan-out is behind; fails only once it has stopped.
        let _ = outlets.committed.send(event).await;
    }
    // The caller may have gone; the write is stored and published regardless.
    let _ = job.done.send(outcome);
}
