//! Fan-out: the one task per node that hands committed events to the hub, in each
//! room's seq order, exactly once. Events arrive from this node's writer and, with
//! several nodes, from the bridge; either may come first, repeat the other, or (the
//! bridge being fire-and-forget) never come at all. Each room's `seq` settles it: a
//! repeat is dropped, and a jump is filled from the database before anything newer
//! is delivered.

use std::sync::Arc;

use tokio::{sync::mpsc, task::JoinHandle};

use super::{
    delivery::Delivery,
    hub::{Admit, Hub},
    relay::{Outbound, Relay},
};
use crate::{
    metrics,
    store::{self, Db, events::Event},
};

/// What the fan-out task hears from other nodes (through the bridge).
#[derive(Debug)]
pub enum Inbound {
    /// Another node committed an event.
    Remote(Box<Event>),
    /// Events may have been missed (the link to other nodes was down): catch every
    /// watched room up from the database.
    Resync,
}

/// The fan-out's queues. Bounded: a writer that outpaces it waits (backpressure on
/// commits), and a bridge that does stops reading from Redis, which drops a
/// subscriber that falls too far behind; the node then resyncs from the database.
const QUEUE: usize = 16 * 1024;
/// Gaps are filled from the database this many events at a time.
const FILL_PAGE: i64 = 500;

/// A handle for the bridge to feed the fan-out task with other nodes' news.
#[derive(Clone)]
pub struct Fanout {
    inbound: mpsc::Sender<Inbound>,
}

/// Where this node's writer hands each event it commits, in commit order.
pub type Committed = mpsc::Sender<Event>;

impl Fanout {
    /// Starts the task. `relay` gets a copy of every event this node commits. The task
    /// stops once the writer has dropped its `Committed` sender and every event it
    /// committed is delivered (the bridge's handle does not keep it alive, so a node
    /// linked to others stops as quickly as one alone).
    pub fn start(db: Db, hub: Arc<Hub>, relay: Option<Relay>) -> (Self, Committed, JoinHandle<()>) {
        let (committed, from_writer) = mpsc::channel(QUEUE);
        let (inbound, from_nodes) = mpsc::channel(QUEUE);
        let task = tokio::spawn(run(db, hub, relay, from_writer, from_nodes));
        (Self { inbound }, committed, task)
    }

    /// Waits while the queue is full. Fails only once the task has stopped, at shutdown.
    pub async fn send(&self, event: Inbound) {
        let _ = self.inbound.send(event).await;
    }
}

async fn run(
    db: Db,
    hub: Arc<Hub>,
    relay: Option<Relay>,
    mut from_writer: mpsc::Receiver<Event>,
    mut from_nodes: mpsc::Receiver<Inbound>,
) {
    loop {
        tokio::select! {
            committed = from_writer.recv() => {
                let Some(event) = committed else { return };
                if let Some(relay) = &relay {
                    relay.try_send(Outbound::Event(Box::new(event.clone())));
                }
                deliver(&db, &hub, event).await;
            }
            Some(news) = from_nodes.recv() => match news {
                Inbound::Remote(event) => deliver(&db, &hub, *event).await,
                Inbound::Resync => {
                    for (room_id, last_seq) in hub.watched_rooms() {
                        fill(&db, &hub, room_id, last_seq, i64::MAX).await;
                    }
                }
            },
        }
    }
}

async fn deliver(db: &Db, hub: &Hub, event: Event) {
    match hub.admit(event.room_id, event.seq) {
        Admit::Unwatched | Admit::Duplicate => return,
        Admit::Next => {}
        Admit::Gap { after } => fill(db, hub, event.room_id, after, event.seq).await,
    }
    publish(hub, event);
}

/// Delivers the room's events with `after < seq < before` from the database.
async fn fill(db: &Db, hub: &Hub, room_id: i64, mut after: i64, before: i64) {
    loop {
        match store::events::range(db, room_id, after, before, FILL_PAGE).await {
            Ok(missed) => {
                let full = missed.len() as i64 == FILL_PAGE;
                if !missed.is_empty() {
                    tracing::debug!(
                        room_id,
                        count = missed.len(),
                        "filled a gap from the database"
                    );
                }
                for event in missed {
                    after = event.seq;
                    publish(hub, event);
                }
                if !full {
                    return;
                }
            }
            // The sockets' own catch-up (`after_seq=`) still has them on reconnect.
            Err(err) => {
                tracing::error!(%err, room_id, "filling a gap failed");
                return;
            }
        }
    }
}

fn publish(hub: &Hub, event: Event) {
    metrics::record_published();
    hub.publish(Arc::new(Delivery::new(event)));
}
