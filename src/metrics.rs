//! Prometheus metrics at `/metrics`: a handful of counters kept in atomics, so
//! counting costs one relaxed add on the hot path.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

static OPEN_SOCKETS: AtomicI64 = AtomicI64::new(0);
static MESSAGES_STORED: AtomicU64 = AtomicU64::new(0);
static MESSAGES_PUBLISHED: AtomicU64 = AtomicU64::new(0);
static DELIVERIES: AtomicU64 = AtomicU64::new(0);
static DELIVERY_LAG_MS_SUM: AtomicU64 = AtomicU64::new(0);
static REDIS_RECONNECTS: AtomicU64 = AtomicU64::new(0);
static RELAY_DROPPED: AtomicU64 = AtomicU64::new(0);
static CONNECTIONS_REFUSED: AtomicU64 = AtomicU64::new(0);

pub fn record_connection_refused() {
    CONNECTIONS_REFUSED.fetch_add(1, Relaxed);
}

pub fn record_relay_dropped() {
    RELAY_DROPPED.fetch_add(1, Relaxed);
}

pub fn record_stored(count: u64) {
    MESSAGES_STORED.fetch_add(count, Relaxed);
}

pub fn record_published() {
    MESSAGES_PUBLISHED.fetch_add(1, Relaxed);
}

/// Counts the messages one socket write carried: `Deliveries::add` per message, then
/// `record` once, so the hot path reads the clock and touches the shared counters once
/// per write, not once per message.
pub struct Deliveries {
    now_ms: i64,
    count: u64,
    lag_ms: u64,
}

impl Deliveries {
    pub fn start() -> Self {
        Self {
            now_ms: crate::store::now_ms(),
            count: 0,
            lag_ms: 0,
        }
    }

    /// One message, stored at `sent_at_ms`.
    pub fn add(&mut self, sent_at_ms: i64) {
        self.count += 1;
        self.lag_ms += (self.now_ms - sent_at_ms).max(0) as u64;
    }

    pub fn record(self) {
        if self.count > 0 {
            DELIVERIES.fetch_add(self.count, Relaxed);
            DELIVERY_LAG_MS_SUM.fetch_add(self.lag_ms, Relaxed);
        }
    }
}

pub fn record_redis_reconnect() {
    REDIS_RECONNECTS.fetch_add(1, Relaxed);
}

/// Counts an open socket until dropped.
pub struct SocketGauge;

impl SocketGauge {
    pub fn open() -> Self {
        OPEN_SOCKETS.fetch_add(1, Relaxed);
        SocketGauge
    }
}

impl Drop for SocketGauge {
    fn drop(&mut self) {
        OPEN_SOCKETS.fetch_sub(1, Relaxed);
    }
}

/// The Prometheus text exposition of every metric.
pub fn render() -> String {
    let lag_seconds = DELIVERY_LAG_MS_SUM.load(Relaxed) as f64 / 1000.0;
    format!(
        "# HELP hearth_open_sockets WebSockets open on this node.\n\
         # TYPE hearth_open_sockets gauge\n\
         hearth_open_sockets {}\n\
         # HELP hearth_messages_stored_total Messages this node committed.\n\
         # TYPE hearth_messages_stored_total counter\n\
         hearth_messages_stored_total {}\n\
         # HELP hearth_messages_published_total Messages this node handed to its sockets (its own and other nodes').\n\
         # TYPE hearth_messages_published_total counter\n\
         hearth_messages_published_total {}\n\
         # HELP hearth_deliveries_total Message frames written to sockets.\n\
         # TYPE hearth_deliveries_total counter\n\
         hearth_deliveries_total {}\n\
         # HELP hearth_delivery_lag_seconds Time from commit to socket write, summed over deliveries.\n\
         # TYPE hearth_delivery_lag_seconds summary\n\
         hearth_delivery_lag_seconds_sum {}\n\
         hearth_delivery_lag_seconds_count {}\n\
         # HELP hearth_redis_reconnects_total Times the Redis link was re-established.\n\
         # TYPE hearth_redis_reconnects_total counter\n\
         hearth_redis_reconnects_total {}\n\
         # HELP hearth_relay_dropped_total Items for other nodes dropped because the relay queue was full.\n\
         # TYPE hearth_relay_dropped_total counter\n\
         hearth_relay_dropped_total {}\n\
         # HELP hearth_connections_refused_total Connections refused because this node held its maximum.\n\
         # TYPE hearth_connections_refused_total counter\n\
         hearth_connections_refused_total {}\n",
        OPEN_SOCKETS.load(Relaxed),
        MESSAGES_STORED.load(Relaxed),
        MESSAGES_PUBLISHED.load(Relaxed),
        DELIVERIES.load(Relaxed),
        lag_seconds,
        DELIVERIES.load(Relaxed),
        REDIS_RECONNECTS.load(Relaxed),
        RELAY_DROPPED.load(Relaxed),
        CONNECTIONS_REFUSED.load(Relaxed),
    )
}
