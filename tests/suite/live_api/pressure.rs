//! Slow readers and flooding senders are dealt with, and the rest of the room carries on.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream,
    tungstenite::{Message, client::IntoClientRequest},
};

use super::*;

/// A socket whose owner never reads: its receive buffer is tiny and never grows, so
/// the server's writes back up after a few kilobytes, as over a very slow network.
async fn never_reading_socket(user: &User, path: &str) -> Ws {
    let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
    socket
        .set_recv_buffer_size(4 * 1024)
        .expect("a small receive buffer");
    let stream = socket.connect(user.addr).await.expect("TCP connects");
    let mut request = format!("ws://{}{}", user.addr, path)
        .into_client_request()
        .expect("a request");
    let cookie = user.cookie().expect("a session cookie");
    request.headers_mut().insert("cookie", cookie);
    let (ws, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream))
        .await
        .expect("the WebSocket opens");
    ws
}

#[tokio::test]
async fn a_socket_that_never_reads_is_closed_while_the_others_receive_every_message() {
    // About 6 MB: more than the kernel and the server together buffer for one socket.
    const FLOOD: usize = 1500;
    let app = spawn_unlimited_app().await;
    let users = members(&app, "firehose", &["ann", "bob", "cat"]).await;
    let (ann, bob, cat) = (&users[0], &users[1], &users[2]);

    let mut stuck = never_reading_socket(cat, &ws_path("firehose")).await;
    let mut reader = connect(bob, &ws_path("firehose")).await;
    let (mut flood, mut echoes) = connect(ann, &ws_path("firehose")).await.split();
    wait_until_online(bob, "firehose", 3, WAIT).await;

    let keeping_up = tokio::spawn(async move {
        let frames = messages(&mut reader, FLOOD).await;
        (reader, ids(&frames))
    });
    // ann reads her echoes as they come: only cat falls behind.
    let sender_sees = tokio::spawn(async move {
        let mut ids = Vec::new();
        while ids.len() < FLOOD {
            let frame = tokio::time::timeout(Duration::from_secs(WAIT), echoes.next())
                .await
                .expect("an echo in time")
                .expect("the socket is open")
                .expect("a frame");
            if let Message::Text(text) = frame {
                let frame: Value = serde_json::from_str(&text).expect("JSON");
                ids.push(frame["id"].as_i64().expect("an id"));
            }
        }
        ids
    });
    let text = "flood ".repeat(666);
    for _ in 0..FLOOD {
        let frame = json!({ "text": text }).to_string();
        flood
            .send(Message::text(frame))
            .await
            .expect("send a frame");
    }

    let posted = sender_sees.await.expect("the sender's reader");
    assert_strictly_increasing(&posted);
    let (mut reader, received) = keeping_up.await.expect("the reader task");
    assert_eq!(received, posted, "the reader got every message, in order");

    // The server gives up on the stuck socket by itself: cat goes offline.
    wait_until_online(bob, "firehose", 2, 20).await;

    let (backlog, end) = read_to_end(&mut stuck, 30).await;
    assert!(
        backlog.len() < FLOOD,
        "the stuck socket was cut off, not fed all {FLOOD} messages"
    );
    assert_strictly_increasing(&ids(&backlog));
    assert!(
        matches!(end, End::Closed(Some(1013)) | End::Broken),
        "a stuck socket ends with 1013 or is dropped, got {end:?}"
    );

    // The room carries on.
    let after = ann.say("firehose", "still flowing").await;
    assert_eq!(next_message(&mut reader, WAIT).await["id"], after);
}

#[tokio::test]
async fn sending_past_the_rate_limit_gets_error_frames_and_a_flooding_socket_is_closed_with_1008() {
    let app = spawn_app_with(|c| {
        c.message_rate = 1.0;
        c.message_burst = 3.0;
    })
    .await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let mut ann_ws = connect(ann, &ws_path("general")).await;
    let mut bob_ws = connect(bob, &ws_path("general")).await;

    // ann sends as fast as the server answers, until it stops answering.
    let (mut accepted, mut refused, mut closed) = (0, 0, None);
    'flood: for n in 0..1000 {
        send_text(&mut ann_ws, &format!("spam {n}")).await;
        loop {
            let answer = tokio::time::timeout(Duration::from_secs(WAIT), ann_ws.next()).await;
            match answer.expect("an answer in time") {
                Some(Ok(Message::Text(text))) => {
                    let frame: Value = serde_json::from_str(&text).expect("JSON");
                    match frame["type"].as_str() {
                        Some("message") => accepted += 1,
                        Some("error") => refused += 1,
                        _ => panic!("unexpected frame {frame}"),
                    }
                    break;
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(frame))) => {
                    closed = Some(frame.map(|f| u16::from(f.code)));
                    break 'flood;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert!(accepted >= 3, "the burst goes through");
    assert!(refused >= 1, "past the burst, sends get error frames");
    assert_eq!(
        closed,
        Some(Some(1008)),
        "a socket that keeps flooding is closed"
    );

    // bob got ann's accepted messages, and is not limited by her flood.
    let spam = messages(&mut bob_ws, accepted).await;
    assert!(texts(&spam).iter().all(|t| t.starts_with("spam ")));
    send_text(&mut bob_ws, "that was a lot").await;
    let echo = next_json(&mut bob_ws, WAIT).await;
    assert_eq!(echo["type"], "message");
    assert_eq!(echo["sender"], "bob");
}
