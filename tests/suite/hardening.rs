//! Issue 16: what an attacker and a loaded machine found, each shown closed. Throttles
//! and per-client limits, body and connection limits, socket caps and floods, cookies
//! and headers, private operations, storage, and input rules.

mod connections;
mod headers;
mod input;
mod limits;
mod logins;
mod operations;
mod sockets;
mod storage;

use std::time::Duration;

use reqwest::{Response, StatusCode, header::RETRY_AFTER};
use serde_json::{Value, json};

use crate::helpers::*;

/// Seconds any one expected answer may take on a busy two-core machine.
const WAIT: u64 = 10;

async fn post_json(client: &User, path: &str, body: Value) -> Response {
    client
        .http
        .post(client.api(path))
        .json(&body)
        .send()
        .await
        .expect("POST")
}

async fn log_in_as(client: &User, username: &str, password: &str) -> Response {
    post_json(
        client,
        "/session",
        json!({ "username": username, "password": password }),
    )
    .await
}

/// A problem+json body with `status`, returned for more checks.
async fn problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/problem+json"),
        "{content_type}"
    );
    response.json().await.expect("problem JSON")
}

fn retry_after(response: &Response) -> Option<u64> {
    response
        .headers()
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// A server that believes 127.0.0.1 when it names the client (`X-Forwarded-For`), so
/// tests can speak as several different client addresses.
async fn spawn_behind_proxy(tweak: impl FnOnce(&mut hearth::Config)) -> TestApp {
    spawn_app_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().expect("an address")];
        tweak(c);
    })
    .await
}

fn seconds(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

/// A form POST to a page, as a browser sends it (same-origin).
fn form_request(client: &User, path: &str, fields: &[(&str, &str)]) -> reqwest::RequestBuilder {
    client
        .http
        .post(format!("http://{}{path}", client.addr))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", format!("http://{}", client.addr))
        .body(form_body(fields))
}

async fn post_form(client: &User, path: &str, fields: &[(&str, &str)]) -> Response {
    form_request(client, path, fields)
        .send()
        .await
        .expect("POST a form")
}
