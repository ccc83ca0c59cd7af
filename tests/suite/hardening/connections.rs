//! Item 5: slow and idle connections are closed, and a node holds only so many.

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::Instant,
};

use super::*;

/// Whether the server closes `stream` (EOF or reset) within `secs`, reading and
/// discarding whatever it sends first.
async fn closed_within(stream: &mut TcpStream, secs: u64) -> bool {
    let until = Instant::now() + seconds(secs);
    let mut buf = [0; 1024];
    loop {
        match tokio::time::timeout_at(until, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

async fn tight_timeouts() -> TestApp {
    spawn_app_with(|c| {
        c.header_timeout_secs = 1;
        c.keep_alive_secs = 1;
    })
    .await
}

#[tokio::test]
async fn a_connection_sending_its_head_a_byte_every_half_second_is_closed() {
    let app = tight_timeouts().await;
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    let head = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\nX-Slow: ", app.addr);
    let started = Instant::now();
    let mut cut_off = false;
    for byte in head.bytes().chain(std::iter::repeat_n(b'a', 40)) {
        if stream.write_all(&[byte]).await.is_err() {
            cut_off = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let closed = cut_off || closed_within(&mut stream, 1).await;
    assert!(closed, "still open after {:?}", started.elapsed());
    assert!(started.elapsed() < seconds(8), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_connection_that_stops_halfway_through_its_head_is_closed() {
    let app = tight_timeouts().await;
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    let half = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n", app.addr);
    stream.write_all(half.as_bytes()).await.expect("send");
    assert!(closed_within(&mut stream, 4).await);
}

#[tokio::test]
async fn a_connection_that_never_says_anything_is_closed() {
    let app = tight_timeouts().await;
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    assert!(closed_within(&mut stream, 4).await);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_its_timeout() {
    let app = spawn_app_with(|c| c.keep_alive_secs = 2).await;
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", app.addr);
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut buf = [0; 1024];
    let n = stream.read(&mut buf).await.expect("an answer");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));

    // Kept alive: a second request on it works at once.
    stream.write_all(request.as_bytes()).await.expect("send");
    let n = stream.read(&mut buf).await.expect("a second answer");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));

    let idle_since = Instant::now();
    assert!(closed_within(&mut stream, 6).await, "closed when idle");
    assert!(
        idle_since.elapsed() >= Duration::from_millis(1500),
        "not before its time: {:?}",
        idle_since.elapsed()
    );
}

#[tokio::test]
async fn connections_past_the_cap_are_answered_503_and_closed() {
    let app = spawn_app_with(|c| c.max_connections = Some(3)).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(app.addr).await.expect("connect"));
    }
    // Give the server a moment to accept them all.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut fourth = TcpStream::connect(app.addr).await.expect("connect");
    let mut answer = String::new();
    tokio::time::timeout(seconds(WAIT), fourth.read_to_string(&mut answer))
        .await
        .expect("answered in time")
        .expect("read");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    assert!(answer.contains("Retry-After"), "{answer:?}");

    // One closes: its place is free again (once the server has seen it go).
    drop(held.pop());
    let client = app.client();
    let mut served = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok(response) = client.http.get(app.url("/healthz")).send().await {
            served = response.status() == StatusCode::OK;
            if served {
                break;
            }
        }
    }
    assert!(served, "a place came free");
}

#[tokio::test]
async fn a_websocket_is_not_cut_off_by_the_http_timeouts() {
    let app = tight_timeouts().await;
    let alice = app.user("alice").await;
    alice.create_room("hall").await;
    let mut ws = alice.ws("/api/v1/rooms/hall/ws").await;

    tokio::time::sleep(seconds(3)).await;
    send_json(&mut ws, json!({ "text": "still here" })).await;
    let echo = next_message(&mut ws, WAIT).await;
    assert_eq!(echo["text"], "still here");
}
