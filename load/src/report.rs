//! How results are told: human lines first, then exactly one JSON line that starts with
//! `{"scenario":` (each scenario's report struct has `scenario` as its first field, and
//! serde keeps field order), so scripts can `grep '^{"scenario":'` and parse it.

use std::sync::Mutex;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Latencies are recorded in microseconds, from 1 µs to 10 minutes, 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

/// A histogram many tasks add into, in batches (`Samples`) so the lock is rarely taken
/// and each task costs a small buffer instead of a histogram of its own.
#[derive(Default)]
pub struct SharedHistogram(Mutex<Option<Histogram<u64>>>);

impl SharedHistogram {
    /// Adds a batch of latencies, in microseconds.
    pub fn record_all(&self, micros: &[u32]) {
        let mut shared = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let shared = shared.get_or_insert_with(histogram);
        for &us in micros {
            shared.saturating_record(us as u64);
        }
    }

    pub fn summary(&self) -> Latency {
        let shared = self.0.lock().unwrap_or_else(|p| p.into_inner());
        shared.as_ref().map_or_else(Latency::default, Latency::of)
    }
}

/// One task's latency samples (µs), added to the shared histogram in batches.
pub struct Samples<'a> {
    shared: &'a SharedHistogram,
    pending: Vec<u32>,
}

impl<'a> Samples<'a> {
    const BATCH: usize = 512;

    pub fn new(shared: &'a SharedHistogram) -> Self {
        Self {
            shared,
            pending: Vec::new(),
        }
    }

    /// One latency, from two nanosecond timestamps.
    pub fn record(&mut self, sent_ns: u64, now_ns: u64) {
        self.record_micros(now_ns.saturating_sub(sent_ns) / 1000);
    }

    pub fn record_micros(&mut self, micros: u64) {
        self.pending.push(micros.clamp(1, u32::MAX as u64) as u32);
        if self.pending.len() >= Self::BATCH {
            self.flush();
        }
    }

    pub fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        self.shared.record_all(&self.pending);
        self.pending.clear();
    }
}

/// A latency distribution, in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Latency {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl Latency {
    pub fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let ms = |us: u64| (us as f64 / 10.0).round() / 100.0;
        Self {
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.50)),
            p90_ms: ms(h.value_at_quantile(0.90)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            max_ms: ms(h.max()),
            mean_ms: (h.mean() / 10.0).round() / 100.0,
        }
    }

    pub fn line(&self, what: &str) -> String {
        if self.count == 0 {
            return format!("{what}: no samples");
        }
        format!(
            "{what}: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms (mean {:.2} ms, {} samples)",
            self.p50_ms, self.p90_ms, self.p99_ms, self.max_ms, self.mean_ms, self.count
        )
    }
}

/// Prints the human lines, then the one JSON line.
pub fn emit(lines: &[String], figures: &impl Serialize) -> anyhow::Result<()> {
    for line in lines {
        println!("{line}");
    }
    println!("{}", serde_json::to_string(figures)?);
    Ok(())
}

/// Rounds a rate for display and JSON.
pub fn per_second(count: u64, seconds: f64) -> f64 {
    (count as f64 / seconds.max(1e-9) * 10.0).round() / 10.0
}
