//! search: `GET /api/v1/search?q=…` as the seeded viewer (see `seed`), for a handful
//! of terms, one request at a time, and the latency of each term: p50 and p99.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use reqwest::{StatusCode, header};
use serde::Serialize;
use serde_json::json;

use super::seed::{SEED_PASSWORD, VIEWER};
use crate::{
    Target,
    report::{self, Latency},
};

#[derive(Debug, Args)]
pub struct Options {
    /// The terms to time, comma-separated (each is one query).
    #[arg(long, default_value = "the,quokka,数据迁移,用户")]
    terms: String,
    /// Requests per term (after one unmeasured warm-up).
    #[arg(long, default_value_t = 100)]
    requests: usize,
}

#[derive(Serialize)]
struct Term {
    term: String,
    results: usize,
    latency: Latency,
}

#[derive(Serialize)]
struct Figures {
    scenario: &'static str,
    url: String,
    requests_per_term: usize,
    terms: Vec<Term>,
}

pub async fn run(target: &Target, o: Options) -> anyhow::Result<bool> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let cookie = viewer_cookie(&http, &target.url).await?;
    let mut terms = Vec::new();
    for term in o.terms.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let mut histogram = report::histogram();
        let mut results = 0;
        for n in 0..=o.requests {
            let sent = Instant::now();
            let response = http
                .get(format!(
                    "{}/api/v1/search?q={}",
                    target.url,
                    hearth::render::encode_segment(term)
                ))
                .header(header::COOKIE, &cookie)
                .send()
                .await?;
            let status = response.status();
            let body: serde_json::Value = response.json().await?;
            if status != StatusCode::OK {
                bail!("searching {term}: {status} {body}");
            }
            results = body["results"].as_array().map_or(0, Vec::len);
            if n > 0 {
                histogram.record(sent.elapsed().as_micros() as u64)?;
            }
        }
        terms.push(Term {
            term: term.to_owned(),
            results,
            latency: Latency::of(&histogram),
        });
    }
    let lines = terms
        .iter()
        .map(|t| {
            t.latency
                .line(&format!("search {:?} ({} results)", t.term, t.results))
        })
        .collect::<Vec<_>>();
    let figures = Figures {
        scenario: "search",
        url: target.url.clone(),
        requests_per_term: o.requests,
        terms,
    };
    report::emit(&lines, &figures)?;
    Ok(true)
}

/// The `Cookie` header of a new session of the seeded viewer (see `seed`).
pub async fn viewer_cookie(http: &reqwest::Client, url: &str) -> anyhow::Result<String> {
    let login = http
        .post(format!("{url}/api/v1/session"))
        .json(&json!({ "username": VIEWER, "password": SEED_PASSWORD }))
        .send()
        .await
        .context("logging in as the seeded viewer")?;
    if login.status() != StatusCode::OK {
        bail!(
            "logging in as {VIEWER}: {} (run `seed` first)",
            login.status()
        );
    }
    Ok(login
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next())
        .collect::<Vec<_>>()
        .join("; "))
}
