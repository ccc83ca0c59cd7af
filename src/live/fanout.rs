//! Fan-out: the one task per node that hands committed messages to the hub, in each
//! room's commit order, exactly once. Messages arrive from this node's writer and,
//! with several nodes, from Redis; either may come first, repeat the other, or (Redis
//! being fire-and-forget) never come at all. Each room's `seq` settles it: a repeat is
//! dropped, and a jump is filled from the database before anything newer is delivered.

use std::sync::Arc;

use tokio::{sync::mpsc, task::JoinHandle};

use super::{
    frames::Delivery,
    hub::{Admit, Hub},
    redis::Outbound,
};
use crate::{
    metrics,
    store::{self, Db, messages::MessageRow},
};

/// What the fan-out task is asked to do.
#[derive(Debug)]
pub enum Inbound {
    /// This node's writer committed a message.
    Committed(MessageRow),
    /// Another node committed a message (via Redis).
    Remote(MessageRow),
    /// Messages may have been missed (the Redis link was down): catch every watched
    /// room up from the database.
    Resync,
}

/// A handle for feeding the fan-out task.
#[derive(Clone)]
pub struct Fanout {
    inbound: mpsc::UnboundedSender<Inbound>,
}

impl Fanout {
    /// Starts the task. `relay` (the Redis bridge) gets a copy of every message this
    /// node commits. The task stops when every handle is dropped and its queue is empty.
    pub fn start(
        db: Db,
        hub: Arc<Hub>,
        relay: Option<mpsc::UnboundedSender<Outbound>>,
    ) -> (Self, JoinHandle<()>) {
        let (inbound, queue) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(db, hub, relay, queue));
        (Self { inbound }, task)
    }

    pub fn send(&self, event: Inbound) {
        // Fails only once the task has stopped, at shutdown.
        let _ = self.inbound.send(event);
    }
}

async fn run(
    db: Db,
    hub: Arc<Hub>,
    relay: Option<mpsc::UnboundedSender<Outbound>>,
    mut queue: mpsc::UnboundedReceiver<Inbound>,
) {
    while let Some(event) = queue.recv().await {
        match event {
            Inbound::Committed(message) => {
                if let Some(relay) = &relay {
                    let _ = relay.send(Outbound::Message(message.clone()));
                }
                deliver(&db, &hub, message).await;
            }
            Inbound::Remote(message) => deliver(&db, &hub, message).await,
            Inbound::Resync => {
                for (room_id, last_seq) in hub.watched_rooms() {
                    fill(&db, &hub, room_id, last_seq, i64::MAX).await;
                }
            }
        }
    }
}

async fn deliver(db: &Db, hub: &Hub, message: MessageRow) {
    match hub.admit(message.room_id, message.seq) {
        Admit::Unwatched | Admit::Duplicate => return,
        Admit::Next => {}
        Admit::Gap { after } => fill(db, hub, message.room_id, after, message.seq).await,
    }
    publish(hub, message);
}

/// Delivers the room's messages with `after < seq < before` from the database.
async fn fill(db: &Db, hub: &Hub, room_id: i64, after: i64, before: i64) {
    match store::messages::seq_range(db, room_id, after, before).await {
        Ok(missed) => {
            if !missed.is_empty() {
                tracing::debug!(
                    room_id,
                    count = missed.len(),
                    "filled a gap from the database"
                );
            }
            for message in missed {
                publish(hub, message);
            }
        }
        // The sockets' own catch-up (`after=`) still has them on reconnect.
        Err(err) => tracing::error!(%err, room_id, "filling a gap failed"),
    }
}

fn publish(hub: &Hub, message: MessageRow) {
    metrics::record_published();
    hub.publish(Arc::new(Delivery::new(message)));
}
