//! A closed-loop HTTP driver for `post` and `page`: C workers, each sending its next
//! request as soon as the last one is answered, until the time is up.

use std::{
    collections::BTreeMap,
    future::Future,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use serde::Serialize;

use crate::report::{Latency, Samples, SharedHistogram, per_second};

/// Sends one request and reads the whole answer: its status and body size.
pub async fn exchange(request: reqwest::RequestBuilder) -> Result<(StatusCode, usize), String> {
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
    Ok((status, bytes.len()))
}

/// What the workers saw.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub concurrency: usize,
    pub seconds: f64,
    /// Requests answered with the expected success status.
    pub ok: u64,
    /// 429: the server's per-user rate limit.
    pub rate_limited: u64,
    /// Any other status, or no answer.
    pub failed: u64,
    pub requests_per_second: f64,
    pub bytes_per_response: u64,
    /// Of successful requests.
    pub latency: Latency,
    /// Why requests failed, most common first.
    pub failures: Vec<(String, u64)>,
}

#[derive(Default)]
struct Counts {
    ok: u64,
    limited: u64,
    failed: u64,
    bytes: u64,
}

/// Runs `request(worker, n)` in `concurrency` loops for `duration`. A request returns
/// its status and body length, or why it got no answer.
pub async fn drive<F, Fut>(
    concurrency: usize,
    duration: Duration,
    success: StatusCode,
    request: F,
) -> Outcome
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(StatusCode, usize), String>> + Send,
{
    let request = Arc::new(request);
    let latencies = Arc::new(SharedHistogram::default());
    let failures = Arc::new(Mutex::new(BTreeMap::<String, u64>::new()));
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let (request, latencies, failures) = (
                Arc::clone(&request),
                Arc::clone(&latencies),
                Arc::clone(&failures),
            );
            tokio::spawn(async move {
                let mut samples = Samples::new(&latencies);
                let mut counts = Counts::default();
                let mut n = 0;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let answer = request(worker, n).await;
                    n += 1;
                    match answer {
                        Ok((status, bytes)) if status == success => {
                            samples.record_micros(sent.elapsed().as_micros() as u64);
                            counts.ok += 1;
                            counts.bytes += bytes as u64;
                        }
                        Ok((StatusCode::TOO_MANY_REQUESTS, _)) => counts.limited += 1,
                        other => {
                            counts.failed += 1;
                            let reason = match other {
                                Ok((status, _)) => format!("HTTP {status}"),
                                Err(reason) => reason,
                            };
                            let mut failures = failures.lock().unwrap_or_else(|p| p.into_inner());
                            *failures.entry(reason).or_default() += 1;
                        }
                    }
                }
                samples.flush();
                counts
            })
        })
        .collect();
    let mut total = Counts::default();
    for worker in workers {
        if let Ok(c) = worker.await {
            total.ok += c.ok;
            total.limited += c.limited;
            total.failed += c.failed;
            total.bytes += c.bytes;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut failures: Vec<(String, u64)> = failures
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|(reason, n)| (reason.clone(), *n))
        .collect();
    failures.sort_by_key(|r| std::cmp::Reverse(r.1));
    Outcome {
        concurrency,
        seconds: (seconds * 100.0).round() / 100.0,
        ok: total.ok,
        rate_limited: total.limited,
        failed: total.failed,
        requests_per_second: per_second(total.ok, seconds),
        bytes_per_response: total.bytes.checked_div(total.ok).unwrap_or(0),
        latency: latencies.summary(),
        failures,
    }
}

impl Outcome {
    pub fn lines(&self, what: &str) -> Vec<String> {
        let mut lines = vec![
            format!(
                "{what}: {} ok, {} rate-limited (429), {} failed in {:.2} s with {} workers",
                self.ok, self.rate_limited, self.failed, self.seconds, self.concurrency
            ),
            format!(
                "throughput: {:.0} req/s ({} bytes per response)",
                self.requests_per_second, self.bytes_per_response
            ),
            self.latency.line("latency"),
        ];
        for (reason, n) in self.failures.iter().take(5) {
            lines.push(format!("  {n} × {reason}"));
        }
        if self.rate_limited > 0 {
            lines.push("hint: 429s are the per-user rate limit: use more --users, or start the server with HEARTH_MESSAGE_RATE and HEARTH_MESSAGE_BURST raised".into());
        }
        lines
    }
}
