//! The Redis bridge, for several nodes: every message this node commits (and every
//! change in who is online here) is published once to one Redis channel, and what
//! other nodes publish there is handed to this node's fan-out. Redis pub/sub is
//! fire-and-forget, so nothing relies on it for completeness: a dropped link is
//! re-established with backoff, and on return every node catches its rooms up from
//! the database. While the link is down, this node keeps serving its own sockets.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures_util::StreamExt;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use tokio::{sync::mpsc, task::JoinHandle, time::sleep};

use super::{
    fanout::{Fanout, Inbound},
    hub::Hub,
};
use crate::{metrics, store::messages::MessageRow};

const CHANNEL: &str = "hearth:events";
/// How often this node repeats who is online here (others forget it after 30 s).
const PRESENCE_REFRESH: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// What this node tells the others.
#[derive(Debug)]
pub enum Outbound {
    Message(MessageRow),
    Presence {
        room_id: i64,
        users: Vec<i64>,
    },
    /// A login ended: its sockets on every node close.
    Revoke(String),
    /// A user joined a room: their pages everywhere start counting its unread.
    Joined {
        user_id: i64,
        room_id: i64,
        last_seq: i64,
    },
}

/// What travels on the Redis channel.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Wire {
    Message {
        node: String,
        message: MessageRow,
    },
    Presence {
        node: String,
        room_id: i64,
        users: Vec<i64>,
    },
    Revoke {
        node: String,
        login: String,
    },
    Joined {
        node: String,
        user_id: i64,
        room_id: i64,
        last_seq: i64,
    },
    /// "My link was down: catch up from the database."
    Resync {
        node: String,
    },
}

/// Whether the link to Redis is up, for `/healthz`.
#[derive(Clone, Default)]
pub struct RedisStatus(Arc<AtomicBool>);

impl RedisStatus {
    pub fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Starts the bridge; it runs until `outbound` closes (at shutdown).
pub fn start(
    url: &str,
    node: String,
    hub: Arc<Hub>,
    fanout: Fanout,
    outbound: mpsc::UnboundedReceiver<Outbound>,
) -> anyhow::Result<(RedisStatus, JoinHandle<()>)> {
    let client = redis::Client::open(url)?;
    let status = RedisStatus::default();
    let bridge = Bridge {
        client,
        node,
        hub,
        fanout,
        status: status.clone(),
    };
    Ok((status, tokio::spawn(bridge.run(outbound))))
}

struct Bridge {
    client: redis::Client,
    node: String,
    hub: Arc<Hub>,
    fanout: Fanout,
    status: RedisStatus,
}

/// Why a connected session with Redis ended.
enum Ended {
    LinkLost,
    Shutdown,
}

impl Bridge {
    async fn run(self, mut outbound: mpsc::UnboundedReceiver<Outbound>) {
        let mut backoff = Duration::from_millis(100);
        let mut connected_before = false;
        loop {
            let ended = self.session(&mut outbound, connected_before).await;
            if self.status.is_up() {
                // We were connected: whatever ended it, what follows is a reconnect.
                connected_before = true;
                backoff = Duration::from_millis(100);
            }
            match ended {
                Ok(Ended::Shutdown) => return,
                Ok(Ended::LinkLost) => tracing::warn!("lost the Redis link; reconnecting"),
                Err(err) => tracing::warn!(%err, "Redis link failed; reconnecting"),
            }
            self.status.0.store(false, Ordering::Relaxed);
            // While the link is down, what we would have published is dropped: other
            // nodes fill the gap from the database once we are back.
            let wait = sleep(backoff);
            tokio::pin!(wait);
            loop {
                tokio::select! {
                    _ = &mut wait => break,
                    next = outbound.recv() => if next.is_none() { return },
                }
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// One connected stretch: subscribe, announce ourselves, then relay both ways.
    async fn session(
        &self,
        outbound: &mut mpsc::UnboundedReceiver<Outbound>,
        reconnect: bool,
    ) -> redis::RedisResult<Ended> {
        let mut subscriber = self.client.get_async_pubsub().await?;
        subscriber.subscribe(CHANNEL).await?;
        let mut publisher = self.client.get_multiplexed_async_connection().await?;
        let mut incoming = subscriber.into_on_message();
        self.status.0.store(true, Ordering::Relaxed);
        if reconnect {
            metrics::record_redis_reconnect();
            tracing::info!("Redis link re-established; catching up from the database");
            self.fanout.send(Inbound::Resync);
            self.publish(
                &mut publisher,
                &Wire::Resync {
                    node: self.node.clone(),
                },
            )
            .await?;
        }
        self.publish_presence(&mut publisher).await?;
        let mut refresh = tokio::time::interval(PRESENCE_REFRESH);
        loop {
            tokio::select! {
                message = incoming.next() => {
                    let Some(message) = message else { return Ok(Ended::LinkLost) };
                    match serde_json::from_slice::<Wire>(message.get_payload_bytes()) {
                        Ok(wire) => self.receive(wire),
                        Err(err) => tracing::warn!(%err, "ignoring an unreadable Redis message"),
                    }
                }
                next = outbound.recv() => {
                    let wire = match next {
                        None => return Ok(Ended::Shutdown),
                        Some(Outbound::Message(message)) => Wire::Message { node: self.node.clone(), message },
                        Some(Outbound::Presence { room_id, users }) => Wire::Presence { node: self.node.clone(), room_id, users },
                        Some(Outbound::Revoke(login)) => Wire::Revoke { node: self.node.clone(), login },
                        Some(Outbound::Joined { user_id, room_id, last_seq }) => Wire::Joined { node: self.node.clone(), user_id, room_id, last_seq },
                    };
                    self.publish(&mut publisher, &wire).await?;
                }
                _ = refresh.tick() => self.publish_presence(&mut publisher).await?,
            }
        }
    }

    fn receive(&self, wire: Wire) {
        match wire {
            Wire::Message { node, .. }
            | Wire::Presence { node, .. }
            | Wire::Revoke { node, .. }
            | Wire::Joined { node, .. }
            | Wire::Resync { node }
                if node == self.node => {}
            Wire::Message { message, .. } => self.fanout.send(Inbound::Remote(message)),
            Wire::Presence {
                node,
                room_id,
                users,
            } => self.hub.remote_presence(&node, room_id, users),
            Wire::Revoke { login, .. } => self.hub.revoke_here(login),
            Wire::Joined {
                user_id,
                room_id,
                last_seq,
                ..
            } => self.hub.joined_here(user_id, room_id, last_seq),
            Wire::Resync { .. } => self.fanout.send(Inbound::Resync),
        }
    }

    async fn publish(
        &self,
        publisher: &mut redis::aio::MultiplexedConnection,
        wire: &Wire,
    ) -> redis::RedisResult<()> {
        let payload = serde_json::to_vec(wire).expect("wire messages always serialise");
        publisher.publish::<_, _, ()>(CHANNEL, payload).await
    }

    async fn publish_presence(
        &self,
        publisher: &mut redis::aio::MultiplexedConnection,
    ) -> redis::RedisResult<()> {
        for (room_id, users) in self.hub.local_presence() {
            let wire = Wire::Presence {
                node: self.node.clone(),
                room_id,
                users,
            };
            self.publish(publisher, &wire).await?;
        }
        Ok(())
    }
}
