//! What this node tells the others, and the small handle the hub and the fan-out
//! tell it through. Neither knows what carries it (Redis, in `redis_bridge`): `app`
//! wires a relay to the bridge only when several nodes share the database.

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::user_event::UserEvent;
use crate::{metrics, store::events::Event};

/// What this node tells the others.
#[derive(Debug)]
pub enum Outbound {
    /// An event this node committed.
    Event(Box<Event>),
    /// Who is online in a room on this node now.
    Presence { room_id: i64, users: Vec<i64> },
    /// Something for one person's sockets on every node.
    User { user_id: i64, event: UserEvent },
    /// Someone is typing in a room.
    Typing {
        room_id: i64,
        room: String,
        user_id: i64,
        user: String,
    },
    /// Someone opened their first socket on this node, or closed their last.
    Connected { user_id: i64, connected: bool },
    /// Sessions ended or changed here (by stored id): no node may serve them from
    /// memory. `sent` is answered once they are published.
    ForgetSessions {
        ids: Vec<String>,
        sent: oneshot::Sender<()>,
    },
}

/// The relay's queue: bounded, because Redis can be slow or gone. What does not fit
/// is dropped and counted; nothing depends on it arriving (see `try_send`).
pub const RELAY_QUEUE: usize = 8192;

/// A handle for telling the other nodes. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Relay(mpsc::Sender<Outbound>);

impl Relay {
    /// A relay and the queue its carrier reads.
    pub fn new() -> (Self, mpsc::Receiver<Outbound>) {
        let (tx, rx) = mpsc::channel(RELAY_QUEUE);
        (Self(tx), rx)
    }

    /// Never waits. When the queue is full the item is dropped and counted: other
    /// nodes fill a missed event from the database at the room's next seq (or when the
    /// link resyncs), presence is repeated every few seconds, and every socket
    /// re-checks its session on a timer, so a dropped logout still closes its sockets.
    pub fn try_send(&self, item: Outbound) {
        if self.0.try_send(item).is_err() {
            metrics::record_relay_dropped();
        }
    }
}

/// What travels between nodes, tagged with the node that sent it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Wire {
    pub node: String,
    #[serde(flatten)]
    pub item: WireItem,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WireItem {
    Event {
        event: Box<Event>,
    },
    Presence {
        room_id: i64,
        users: Vec<i64>,
    },
    User {
        user_id: i64,
        event: UserEvent,
    },
    Typing {
        room_id: i64,
        room: String,
        user_id: i64,
        user: String,
    },
    Connected {
        user_id: i64,
        connected: bool,
    },
    ForgetSessions {
        ids: Vec<String>,
    },
    /// Everyone with a socket on the sending node now (sent every few seconds).
    Connections {
        users: Vec<i64>,
    },
    /// "My link was down: catch up from the database."
    Resync,
}

impl From<Outbound> for WireItem {
    fn from(item: Outbound) -> Self {
        match item {
            Outbound::Event(event) => WireItem::Event { event },
            Outbound::Presence { room_id, users } => WireItem::Presence { room_id, users },
            Outbound::User { user_id, event } => WireItem::User { user_id, event },
            Outbound::Typing {
                room_id,
                room,
                user_id,
                user,
            } => WireItem::Typing {
                room_id,
                room,
                user_id,
                user,
            },
            Outbound::Connected { user_id, connected } => {
                WireItem::Connected { user_id, connected }
            }
            Outbound::ForgetSessions { ids, .. } => WireItem::ForgetSessions { ids },
        }
    }
}
