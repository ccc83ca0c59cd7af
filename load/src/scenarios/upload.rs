//! upload: one big file up through `POST /api/v1/rooms/{name}/files` and back down,
//! watching the server's resident memory every 10 ms: it should stay flat (the upload
//! streams to a spool file and on to the store in parts, never whole in memory).

use std::time::{Duration, Instant};

use clap::Args;
use futures_util::StreamExt;
use reqwest::{StatusCode, header};
use serde::Serialize;
use tokio::sync::watch;

use crate::{
    Target,
    proc::{self, Memory},
    report,
    setup::{self, Api},
};

#[derive(Debug, Args)]
pub struct Options {
    /// The file's size, in MiB (the server's `--max-upload-bytes` must allow it).
    #[arg(long, default_value_t = 100)]
    size_mib: u64,
}

#[derive(Serialize)]
struct Figures {
    scenario: &'static str,
    url: String,
    run: String,
    size_mib: u64,
    upload_s: f64,
    upload_mib_s: f64,
    download_s: f64,
    download_mib_s: f64,
    /// The same bytes came back.
    intact: bool,
    server_memory_before: Option<Memory>,
    /// The most resident memory seen while the file went up and came down.
    server_rss_peak_kib: Option<u64>,
    server_memory_end: Option<Memory>,
    healthy: bool,
}

const CHUNK: usize = 1 << 20;

/// The `i`th MiB of the file: bytes that do not compress.
fn chunk(i: u64) -> Vec<u8> {
    (0..CHUNK as u64)
        .map(|j| ((j + i * CHUNK as u64).wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

fn checksum(sum: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(sum, |h, b| (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// Samples the server's RSS until told to stop; answers the highest.
fn watch_memory(pid: Option<u32>) -> (watch::Sender<bool>, tokio::task::JoinHandle<Option<u64>>) {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        let mut peak = None;
        loop {
            if let Some(memory) = proc::server_memory(pid) {
                peak = Some(peak.unwrap_or(0).max(memory.rss_kib));
            }
            tokio::select! {
                _ = stopped.changed() => return peak,
                _ = tokio::time::sleep(Duration::from_millis(10)) => {}
            }
        }
    });
    (stop, task)
}

pub async fn run(target: &Target, o: Options) -> anyhow::Result<bool> {
    let api = Api::new(&target.url, target.setup_concurrency)?;
    api.check().await?;
    let run = setup::run_id();
    let room = api.rooms(&run, 1, 1).await?.remove(0);
    let user = &room.members[0];
    let size = o.size_mib * CHUNK as u64;
    let memory_before = proc::server_memory(target.server_pid);
    let (stop, peak) = watch_memory(target.server_pid);

    eprintln!("uploading {} MiB…", o.size_mib);
    let started = Instant::now();
    let chunks = (0..o.size_mib).map(|i| Ok::<_, std::io::Error>(chunk(i)));
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let part = reqwest::multipart::Part::stream_with_length(body, size).file_name("big.bin");
    let response = api
        .http()
        .post(api.url(&format!("/api/v1/rooms/{}/files", room.name)))
        .header(header::COOKIE, &user.cookie)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await?;
    let status = response.status();
    let message: serde_json::Value = response.json().await?;
    let upload_s = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        status == StatusCode::CREATED,
        "upload answered {status}: {message}"
    );
    let url = message["attachment"]["url"].as_str().unwrap_or_default();

    eprintln!("downloading…");
    let started = Instant::now();
    let response = api
        .http()
        .get(api.url(url))
        .header(header::COOKIE, &user.cookie)
        .send()
        .await?;
    let mut body = response.bytes_stream();
    let mut got = 0u64;
    let mut sum = 0u64;
    while let Some(bytes) = body.next().await {
        let bytes = bytes?;
        got += bytes.len() as u64;
        sum = checksum(sum, &bytes);
    }
    let download_s = started.elapsed().as_secs_f64();
    let _ = stop.send(true);
    let server_rss_peak_kib = peak.await.ok().flatten();
    let sent = (0..o.size_mib).fold(0u64, |sum, i| checksum(sum, &chunk(i)));
    let intact = got == size && sum == sent;

    let mib = o.size_mib as f64;
    let figures = Figures {
        scenario: "upload",
        url: target.url.clone(),
        run,
        size_mib: o.size_mib,
        upload_s,
        upload_mib_s: mib / upload_s,
        download_s,
        download_mib_s: mib / download_s,
        intact,
        server_memory_before: memory_before,
        server_rss_peak_kib,
        server_memory_end: proc::server_memory(target.server_pid),
        healthy: intact,
    };
    let kib = |m: Option<u64>| m.map_or("?".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
    let lines = vec![
        format!(
            "upload {}: {} MiB into room {}",
            figures.run, o.size_mib, room.name
        ),
        format!(
            "up {upload_s:.2} s ({:.0} MiB/s), down {download_s:.2} s ({:.0} MiB/s)",
            figures.upload_mib_s, figures.download_mib_s
        ),
        format!(
            "server RSS: before {}, peak {}, end {}",
            kib(memory_before.map(|m| m.rss_kib)),
            kib(server_rss_peak_kib),
            kib(figures.server_memory_end.map(|m| m.rss_kib))
        ),
        format!("intact: {intact}"),
    ];
    report::emit(&lines, &figures)?;
    Ok(figures.healthy)
}
