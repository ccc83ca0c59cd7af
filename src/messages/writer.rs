//! The one task per node that writes messages. It takes whatever is waiting (up to a
//! batch), stores it in one transaction (group commit: one disk sync for many
//! messages), hands each new message to the fan-out in commit order, then acknowledges
//! the senders. An acknowledged message is always on disk, and sockets see each
//! room's messages in commit order.

use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
};

use crate::{
    error::{AppError, AppResult},
    live::{Fanout, Inbound},
    metrics,
    store::{
        Db, StoreResult,
        messages::{self, NewMessage, Stored},
    },
};

const MAX_BATCH: usize = 256;
const QUEUE: usize = 4096;

struct Job {
    message: NewMessage,
    done: oneshot::Sender<StoreResult<Stored>>,
}

/// A handle for submitting messages to the writer task.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer. It stops once every `Writer` handle is dropped and the
    /// messages already submitted are stored: await the handle to know they are.
    pub fn start(db: Db, fanout: Fanout) -> (Self, JoinHandle<()>) {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let task = tokio::spawn(run(db, fanout, queue));
        (Self { jobs }, task)
    }

    /// Queues one message for storing (waiting only while the queue is full). Messages
    /// are stored in the order they are queued; `Pending::outcome` says how it went.
    pub async fn submit(&self, message: NewMessage) -> AppResult<Pending> {
        let (done, stored) = oneshot::channel();
        self.jobs
            .send(Job { message, done })
            .await
            .map_err(|_| AppError::ShuttingDown)?;
        Ok(Pending(stored))
    }
}

/// A queued message, not yet known to be stored.
pub struct Pending(oneshot::Receiver<StoreResult<Stored>>);

impl Pending {
    /// Resolves once the message is committed (and handed to the fan-out).
    pub async fn outcome(self) -> AppResult<Stored> {
        let stored = self.0.await.map_err(|_| AppError::ShuttingDown)?;
        Ok(stored?)
    }
}

async fn run(db: Db, fanout: Fanout, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let messages: Vec<NewMessage> = batch.iter().map(|job| job.message.clone()).collect();
        match messages::insert_batch(&db, &messages).await {
            Ok(outcomes) => {
                for (job, outcome) in batch.drain(..).zip(outcomes) {
                    finish(&fanout, job, Ok(outcome));
                }
            }
            // One bad message must not fail the others: store the rest one by one.
            Err(err) if batch.len() > 1 => {
                tracing::warn!(%err, size = batch.len(), "batch insert failed; retrying singly");
                for job in batch.drain(..) {
                    let outcome = messages::insert_batch(&db, std::slice::from_ref(&job.message))
                        .await
                        .map(|mut v| v.remove(0));
                    finish(&fanout, job, outcome);
                }
            }
            Err(err) => {
                if let Some(job) = batch.pop() {
                    finish(&fanout, job, Err(err));
                }
            }
        }
    }
}

fn finish(fanout: &Fanout, job: Job, outcome: StoreResult<Stored>) {
    if let Ok(Stored::New(row)) = &outcome {
        metrics::record_stored(1);
        fanout.send(Inbound::Committed(row.clone()));
    }
    // The sender may have gone; the message is stored and published regardless.
    let _ = job.done.send(outcome);
}
