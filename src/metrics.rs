//! Prometheus metrics at `/metrics`, recorded with the `metrics` crate and rendered by
//! `metrics-exporter-prometheus` (without its own HTTP listener: poem serves the text,
//! on the public port for the local operator or on `--metrics-addr`).
//!
//! - requests: `hearth_http_request_duration_seconds{method, route, status}`, a
//!   histogram by poem's route pattern (`/rooms/:name`, never the path itself);
//! - sockets: `hearth_open_sockets`;
//! - messages: `hearth_messages_stored_total`, `hearth_messages_published_total`,
//!   `hearth_deliveries_total`;
//! - fan-out lag: `hearth_delivery_lag_seconds`, commit to socket write, one sample
//!   per write (the oldest message in it);
//! - queues: `hearth_writer_queue_depth`, `hearth_relay_dropped_total`;
//! - caches: `hearth_cache_requests_total{cache, result}` (`sessions`,
//!   `recent_pages`, `members`; `hit` or `miss`);
//! - the cluster and the door: `hearth_redis_reconnects_total`,
//!   `hearth_connections_refused_total`.
//!
//! One recorder serves the process (tests start many servers in one; they share it).

use std::{
    sync::{LazyLock, OnceLock},
    time::Duration,
};

use metrics::{
    Counter, Gauge, Histogram, Unit, counter, describe_counter, describe_gauge, describe_histogram,
    gauge, histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

// What every socket write or socket touches, looked up in the recorder once rather than
// by name each time (after installing it, so never a handle to no recorder).
static DELIVERED: LazyLock<Counter> = LazyLock::new(|| {
    install();
    counter!("hearth_deliveries_total")
});
static DELIVERY_LAG: LazyLock<Histogram> = LazyLock::new(|| {
    install();
    histogram!("hearth_delivery_lag_seconds")
});
static OPEN_SOCKETS: LazyLock<Gauge> = LazyLock::new(|| {
    install();
    gauge!("hearth_open_sockets")
});

/// Seconds: from a fast page (0.5 ms) to a stalled one (5 s).
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Histograms keep their samples until upkeep folds them into buckets: this often.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the recorder (once per process) and returns what renders it.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed: /metrics will be empty");
        }
        describe();
        let upkeep = handle.clone();
        // A thread rather than a task: it needs no runtime and lives as long as the
        // process, which the recorder does too.
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                }
            })
            .expect("a thread for metrics upkeep");
        handle
    })
}

fn describe() {
    describe_histogram!(
        "hearth_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by method, route pattern and status."
    );
    describe_gauge!("hearth_open_sockets", "WebSockets open on this node.");
    gauge!("hearth_open_sockets").set(0.0);
    describe_counter!(
        "hearth_messages_stored_total",
        "Events this node committed."
    );
    describe_counter!(
        "hearth_messages_published_total",
        "Events this node handed to its sockets (its own and other nodes')."
    );
    describe_counter!(
        "hearth_deliveries_total",
        "Message frames written to sockets."
    );
    describe_histogram!(
        "hearth_delivery_lag_seconds",
        Unit::Seconds,
        "Time from commit to socket write, one sample per write (its oldest message)."
    );
    describe_gauge!(
        "hearth_writer_queue_depth",
        "Writes waiting for the writer, when /metrics was read."
    );
    describe_counter!(
        "hearth_relay_dropped_total",
        "Items for other nodes dropped because the relay queue was full."
    );
    describe_counter!(
        "hearth_cache_requests_total",
        "Reads of an in-memory cache (sessions, recent_pages, members), by hit or miss."
    );
    describe_counter!(
        "hearth_redis_reconnects_total",
        "Times the Redis link was re-established."
    );
    describe_counter!(
        "hearth_connections_refused_total",
        "Connections refused because this node held its maximum."
    );
    describe_counter!(
        "hearth_push_total",
        "Web Pushes by outcome: sent, gone (the subscription was deleted), failed, dropped (a queue was full)."
    );
}

/// The Prometheus text exposition of every metric.
pub fn render() -> String {
    install().render()
}

/// One answered request. `route` is the route's pattern, never the path.
pub fn record_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    histogram!(
        "hearth_http_request_duration_seconds",
        "method" => method.to_owned(),
        "route" => route.to_owned(),
        "status" => status.to_string(),
    )
    .record(elapsed.as_secs_f64());
}

/// An in-memory cache was read: `hit` or not.
pub fn record_cache(cache: &'static str, hit: bool) {
    let result = if hit { "hit" } else { "miss" };
    counter!("hearth_cache_requests_total", "cache" => cache, "result" => result).increment(1);
}

/// A Web Push ended: `sent`, `gone`, `failed` or `dropped`.
pub fn record_push(outcome: &'static str) {
    counter!("hearth_push_total", "outcome" => outcome).increment(1);
}

/// A bot's webhook call: `ok`, `failed`, or `dropped` (its queue was full).
pub fn record_webhook(outcome: &'static str) {
    counter!("hearth_webhook_calls_total", "outcome" => outcome).increment(1);
}

/// How many items wait in one of the bounded queues off the message path: `push` and
/// `webhooks` (new messages offered), `push_sends` and `webhook_calls` (work found).
pub fn record_queue(queue: &'static str, depth: usize) {
    gauge!("hearth_queue_depth", "queue" => queue).set(depth as f64);
}

pub fn record_writer_queue(depth: usize) {
    gauge!("hearth_writer_queue_depth").set(depth as f64);
}

pub fn record_connection_refused() {
    counter!("hearth_connections_refused_total").increment(1);
}

pub fn record_relay_dropped() {
    counter!("hearth_relay_dropped_total").increment(1);
}

pub fn record_stored(count: u64) {
    counter!("hearth_messages_stored_total").increment(count);
}

pub fn record_published() {
    counter!("hearth_messages_published_total").increment(1);
}

pub fn record_redis_reconnect() {
    counter!("hearth_redis_reconnects_total").increment(1);
}

/// Counts the messages one socket write carried: `Deliveries::add` per message, then
/// `record` once, so the hot path reads the clock and touches the recorder once per
/// write, not once per message.
pub struct Deliveries {
    now_ms: i64,
    count: u64,
    oldest_ms: Option<i64>,
}

impl Deliveries {
    pub fn start() -> Self {
        Self {
            now_ms: crate::store::now_ms(),
            count: 0,
            oldest_ms: None,
        }
    }

    /// One message, stored at `sent_at_ms`.
    pub fn add(&mut self, sent_at_ms: i64) {
        self.count += 1;
        self.oldest_ms = Some(self.oldest_ms.map_or(sent_at_ms, |o| o.min(sent_at_ms)));
    }

    pub fn record(self) {
        if let Some(oldest) = self.oldest_ms {
            DELIVERED.increment(self.count);
            let lag_ms = (self.now_ms - oldest).max(0);
            DELIVERY_LAG.record(lag_ms as f64 / 1000.0);
        }
    }
}

/// Counts an open socket until dropped.
pub struct SocketGauge;

impl SocketGauge {
    pub fn open() -> Self {
        OPEN_SOCKETS.increment(1.0);
        SocketGauge
    }
}

impl Drop for SocketGauge {
    fn drop(&mut self) {
        OPEN_SOCKETS.decrement(1.0);
    }
}
