//! The Redis bridge, for several nodes: what this node's relay carries (every event it
//! commits, who is online here, users' logouts and joins) is published once to one
//! Redis channel, and what other nodes publish there is handed to this node's fan-out
//! and hub. Redis pub/sub is fire-and-forget, so nothing relies on it for
//! completeness: a dropped link is re-established with backoff, and on return every
//! node catches its rooms up from the database and re-checks its sockets' sessions.
//! While the link is down, this node keeps serving its own sockets. Only `app` knows
//! this module exists.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures_util::StreamExt;
use redis::AsyncCommands;
use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
    time::sleep,
};

use super::{
    fanout::{Fanout, Inbound},
    hub::Hub,
    relay::{Outbound, Relay, Wire, WireItem},
};
use crate::{
    auth::{Peers, SessionCache},
    metrics,
};

const CHANNEL: &str = "hearth:events";
/// How often this node repeats who is online here (others forget it after 30 s).
const PRESENCE_REFRESH: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Whether the link to Redis is up, for `/healthz`.
#[derive(Clone, Default)]
pub struct RedisStatus(Arc<AtomicBool>);

impl RedisStatus {
    pub fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The other nodes, as the session store sees them: told through the relay, heard
/// while the link is up.
pub struct LinkedPeers {
    pub relay: Relay,
    pub status: RedisStatus,
}

impl Peers for LinkedPeers {
    fn forget(&self, ids: Vec<String>) -> oneshot::Receiver<()> {
        let (sent, answer) = oneshot::channel();
        // Dropped when the queue is full: the answer then comes at once, and the other
        // nodes' kept copies age out (see `auth::SessionStore`).
        self.relay.try_send(Outbound::ForgetSessions { ids, sent });
        answer
    }

    fn listening(&self) -> bool {
        self.status.is_up()
    }
}

/// What the bridge hands other nodes' news to.
pub struct Listeners {
    pub hub: Arc<Hub>,
    pub fanout: Fanout,
    pub sessions: Arc<SessionCache>,
}

/// Starts the bridge; it runs until `outbound` closes (at shutdown).
pub fn start(
    url: &str,
    node: String,
    status: RedisStatus,
    listeners: Listeners,
    outbound: mpsc::Receiver<Outbound>,
) -> anyhow::Result<JoinHandle<()>> {
    let client = redis::Client::open(url)?;
    let bridge = Bridge {
        client,
        node,
        hub: listeners.hub,
        fanout: listeners.fanout,
        sessions: listeners.sessions,
        status,
    };
    Ok(tokio::spawn(bridge.run(outbound)))
}

struct Bridge {
    client: redis::Client,
    node: String,
    hub: Arc<Hub>,
    fanout: Fanout,
    sessions: Arc<SessionCache>,
    status: RedisStatus,
}

/// Why a connected session with Redis ended.
enum Ended {
    LinkLost,
    Shutdown,
}

impl Bridge {
    async fn run(self, mut outbound: mpsc::Receiver<Outbound>) {
        let mut backoff = Duration::from_millis(100);
        let mut connected_before = false;
        loop {
            let ended = self.session(&mut outbound, connected_before).await;
            // Whatever ended it, what follows is a reconnect: even if the link never
            // came up, this node may have served sockets meanwhile, and missed what
            // other nodes said (a logout) while it could not hear.
            connected_before = true;
            if self.status.is_up() {
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
        outbound: &mut mpsc::Receiver<Outbound>,
        reconnect: bool,
    ) -> redis::RedisResult<Ended> {
        let mut subscriber = self.client.get_async_pubsub().await?;
        subscriber.subscribe(CHANNEL).await?;
        let mut publisher = self.client.get_multiplexed_async_connection().await?;
        let mut incoming = subscriber.into_on_message();
        // Sessions other nodes ended while we were not listening were not heard of.
        self.sessions.clear();
        self.status.0.store(true, Ordering::Relaxed);
        if reconnect {
            metrics::record_redis_reconnect();
            tracing::info!("Redis link re-established; catching up from the database");
            self.catch_up().await;
            self.publish(&mut publisher, WireItem::Resync).await?;
        }
        self.publish_presence(&mut publisher).await?;
        let mut refresh = tokio::time::interval(PRESENCE_REFRESH);
        loop {
            tokio::select! {
                message = incoming.next() => {
                    let Some(message) = message else { return Ok(Ended::LinkLost) };
                    match serde_json::from_slice::<Wire>(message.get_payload_bytes()) {
                        Ok(wire) if wire.node != self.node => self.receive(wire.node, wire.item).await,
                        Ok(_) => {}
                        Err(err) => tracing::warn!(%err, "ignoring an unreadable Redis message"),
                    }
                }
                next = outbound.recv() => match next {
                    None => return Ok(Ended::Shutdown),
                    Some(Outbound::ForgetSessions { ids, sent }) => {
                        self.publish(&mut publisher, WireItem::ForgetSessions { ids }).await?;
                        // The one waiting may have given up.
                        let _ = sent.send(());
                    }
                    Some(item) => self.publish(&mut publisher, item.into()).await?,
                },
                _ = refresh.tick() => self.publish_presence(&mut publisher).await?,
            }
        }
    }

    /// Events, logouts and joins may have been missed while a link was down.
    async fn catch_up(&self) {
        self.fanout.send(Inbound::Resync).await;
        self.hub.recheck_sessions();
    }

    /// Another node's news. Waiting here while the fan-out is full is the backpressure
    /// that keeps its queue bounded (see `live::fanout`).
    async fn receive(&self, node: String, item: WireItem) {
        match item {
            WireItem::Event { event } => self.fanout.send(Inbound::Remote(event)).await,
            WireItem::Presence { room_id, users } => {
                self.hub.remote_presence(&node, room_id, users)
            }
            WireItem::User { user_id, event } => self.hub.tell_user_here(user_id, event),
            WireItem::Typing {
                room_id,
                room,
                user_id,
                user,
            } => self.hub.typing_here(room_id, &room, user_id, &user),
            WireItem::Connected { user_id, connected } => {
                self.hub.remote_connection(&node, user_id, connected)
            }
            WireItem::Connections { users } => self.hub.remote_connections(&node, users),
            WireItem::ForgetSessions { ids } => self.sessions.forget_all_of(&ids),
            WireItem::Resync => self.catch_up().await,
        }
    }

    async fn publish(
        &self,
        publisher: &mut redis::aio::MultiplexedConnection,
        item: WireItem,
    ) -> redis::RedisResult<()> {
        let wire = Wire {
            node: self.node.clone(),
            item,
        };
        let payload = serde_json::to_vec(&wire).expect("wire messages always serialise");
        publisher.publish::<_, _, ()>(CHANNEL, payload).await
    }

    async fn publish_presence(
        &self,
        publisher: &mut redis::aio::MultiplexedConnection,
    ) -> redis::RedisResult<()> {
        for (room_id, users) in self.hub.local_presence() {
            self.publish(publisher, WireItem::Presence { room_id, users })
                .await?;
        }
        let users = self.hub.local_connections();
        self.publish(publisher, WireItem::Connections { users })
            .await?;
        Ok(())
    }
}
