//! The JSON WebSocket for integrations, `GET /api/v1/rooms/{name}/ws?after=ID`, driven
//! by real tokio-tungstenite clients against a real server.

mod delivery;
mod events;
mod lifecycle;
mod pressure;
mod refusals;
mod resume;
mod sessions;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{self, Message};

use crate::helpers::*;

/// Seconds any one expected frame may take: generous, for a busy two-core CI machine.
const WAIT: u64 = 10;

fn ws_path(room: &str) -> String {
    format!("/api/v1/rooms/{}/ws", encode(room))
}

fn ws_path_after(room: &str, after: i64) -> String {
    format!("{}?after={after}", ws_path(room))
}

/// Registers `names`; the first creates `room` and the others join it.
pub(crate) async fn members(app: &TestApp, room: &str, names: &[&str]) -> Vec<User> {
    let mut users = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let user = app.user(name).await;
        let response = if i == 0 {
            user.create_room(room).await
        } else {
            user.join_room(room).await
        };
        assert_eq!(response.status(), StatusCode::CREATED, "{name} into {room}");
        users.push(user);
    }
    users
}

/// A new, separate login of an existing account.
pub(crate) async fn log_in(app: &TestApp, name: &str) -> User {
    app.client().log_in(name).await
}

/// Lifts the rate limit for tests that send as fast as they can.
async fn spawn_unlimited_app() -> TestApp {
    spawn_app_with(|c| {
        c.message_rate = 1_000_000.0;
        c.message_burst = 1_000_000.0;
    })
    .await
}

/// Opens a socket and waits until the server serves it live: it answers a ping only
/// from its main loop, after subscribing to the room and to logouts and shutdown, so
/// nothing that happens from here on can be missed.
pub(crate) async fn connect(user: &User, path: &str) -> Ws {
    let mut ws = user.ws(path).await;
    until_live(&mut ws).await;
    ws
}

/// Waits until the server serves `ws` live (see `connect`).
async fn until_live(ws: &mut Ws) {
    ws.send(Message::Ping(b"ready".to_vec().into()))
        .await
        .expect("send a ping");
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(WAIT), ws.next())
            .await
            .expect("a pong in time")
            .expect("the socket is open")
            .expect("a frame");
        match frame {
            Message::Pong(payload) if payload.as_ref() == b"ready" => return,
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("nothing should arrive before the pong, got {other:?}"),
        }
    }
}

/// The HTTP status a refused upgrade answered with.
fn refusal(result: Result<Ws, tungstenite::Error>) -> u16 {
    match result {
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("expected an HTTP refusal, but the socket opened"),
    }
}

/// The next `n` frames, each of which must be a message.
async fn messages(ws: &mut Ws, n: usize) -> Vec<Value> {
    let mut frames = Vec::with_capacity(n);
    for _ in 0..n {
        let frame = next_json(ws, WAIT).await;
        assert_eq!(frame["type"], "message", "expected a message, got {frame}");
        frames.push(frame);
    }
    frames
}

fn ids(frames: &[Value]) -> Vec<i64> {
    frames
        .iter()
        .map(|f| f["id"].as_i64().expect("an id"))
        .collect()
}

fn texts(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .map(|f| f["text"].as_str().expect("a text").to_owned())
        .collect()
}

fn assert_strictly_increasing(ids: &[i64]) {
    for pair in ids.windows(2) {
        assert!(
            pair[0] < pair[1],
            "ids out of order: {} then {}",
            pair[0],
            pair[1]
        );
    }
}

async fn send_text(ws: &mut Ws, text: &str) {
    send_json(ws, json!({ "text": text })).await;
}

/// The next frame, which must be an error frame; returns its message.
async fn next_error(ws: &mut Ws) -> String {
    let frame = next_json(ws, WAIT).await;
    assert_eq!(
        frame["type"], "error",
        "expected an error frame, got {frame}"
    );
    let error = frame["error"].as_str().expect("an error string");
    assert!(!error.is_empty(), "the error says what went wrong");
    error.to_owned()
}

/// The whole stored history of a room, oldest first.
async fn history(user: &User, room: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let path = format!("/rooms/{}/messages?after={after}&limit=200", encode(room));
        let response = user.http.get(user.api(&path)).send().await.expect("GET");
        assert_eq!(response.status(), StatusCode::OK);
        let page: Vec<Value> = response.json().await.expect("JSON");
        let Some(last) = page.last() else {
            return all;
        };
        after = last["id"].as_i64().expect("an id");
        all.extend(page);
    }
}

/// How a socket ended once read to the end.
#[derive(Debug, PartialEq)]
enum End {
    Closed(Option<u16>),
    /// An error or end of stream without a close frame.
    Broken,
}

/// Reads every frame until the socket ends, keeping the messages.
async fn read_to_end(ws: &mut Ws, secs: u64) -> (Vec<Value>, End) {
    let mut frames = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let frame = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("the socket ends in time");
        match frame {
            Some(Ok(Message::Text(text))) => {
                let frame: Value = serde_json::from_str(&text).expect("a JSON frame");
                if frame["type"] == "message" {
                    frames.push(frame);
                }
            }
            Some(Ok(Message::Close(close))) => {
                return (frames, End::Closed(close.map(|c| u16::from(c.code))));
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return (frames, End::Broken),
        }
    }
}

/// The number in an `id="online-count"` element, as the room header and its live
/// updates show it.
pub(crate) fn online_count(html: &str) -> Option<usize> {
    let (_, rest) = html.split_once(r#"id="online-count""#)?;
    let (_, content) = rest.split_once('>')?;
    let digits: String = content
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// How many members the room page says are online.
async fn online(user: &User, room: &str) -> usize {
    let page = user.get(&format!("/rooms/{}", encode(room))).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("HTML");
    online_count(&html).expect("an online count")
}

/// Waits (bounded) until the room page says `n` members are online.
async fn wait_until_online(user: &User, room: &str, n: usize, secs: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let now = online(user, room).await;
        if now == n {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{room} shows {now} online, never {n}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
