//! Sockets: a cap per user per node, floods judged over a window, and protocol errors
//! answered with a close frame.

use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::{
    MaybeTlsStream,
    tungstenite::{
        self, Message,
        protocol::frame::{
            Frame,
            coding::{Data, OpCode},
        },
    },
};

use super::*;

const API_SOCKET: &str = "/api/v1/rooms/hall/ws";
const PAGE_SOCKET: &str = "/rooms/hall/ws";

async fn alice_in_hall(app: &TestApp) -> User {
    let alice = app.user("alice").await;
    assert_eq!(
        alice.create_room("hall").await.status(),
        StatusCode::CREATED
    );
    alice
}

#[tokio::test]
async fn a_user_may_hold_only_so_many_sockets_on_a_node() {
    let app = spawn_app_with(|c| c.sockets_per_user = 2).await;
    let alice = alice_in_hall(&app).await;
    let first = alice.ws(API_SOCKET).await;
    let _second = alice.ws(PAGE_SOCKET).await;

    for path in [API_SOCKET, PAGE_SOCKET] {
        match alice.try_ws(path, &[]).await {
            Err(tungstenite::Error::Http(response)) => {
                assert_eq!(response.status().as_u16(), 429, "{path}");
                assert!(response.headers().contains_key("retry-after"), "{path}");
                if path == API_SOCKET {
                    let content_type = response.headers()["content-type"].to_str().unwrap_or("");
                    assert!(content_type.starts_with("application/problem+json"));
                    let body: Value =
                        serde_json::from_slice(response.body().as_deref().unwrap_or_default())
                            .expect("a problem");
                    assert_eq!(body["code"], "too_many_sockets");
                }
            }
            Err(other) => panic!("{path}: expected 429, got {other}"),
            Ok(_) => panic!("{path}: a third socket opened"),
        }
    }

    // Someone else is not limited by her sockets.
    let bob = app.user("bob").await;
    assert_eq!(bob.join_room("hall").await.status(), StatusCode::CREATED);
    let _bobs = bob.ws(API_SOCKET).await;

    // Closing one frees its place (once the server has seen it go).
    drop(first);
    let mut reopened = None;
    for _ in 0..50 {
        if let Ok(ws) = alice.try_ws(API_SOCKET, &[]).await {
            reopened = Some(ws);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reopened.is_some(), "a place came free");
}

#[tokio::test]
async fn a_socket_flooding_at_400_frames_a_second_is_closed_with_1008() {
    let app = spawn_app().await; // the default rate: 20 a second, bursts of 50
    let alice = alice_in_hall(&app).await;
    // Messages past the rate, and frames refused for what they are, on the JSON
    // socket; on a page's socket, frames that do nothing (a read marker sent again
    // and again, what is no page frame at all).
    let floods: [(&str, Frames); 7] = [
        (API_SOCKET, |n| {
            Message::text(json!({ "text": format!("spam {n}") }).to_string())
        }),
        (API_SOCKET, |_| Message::text("not json")),
        (API_SOCKET, |_| {
            Message::text(json!({ "text": "" }).to_string())
        }),
        (API_SOCKET, |_| Message::binary(vec![1, 2, 3])),
        (PAGE_SOCKET, |_| {
            Message::text(json!({ "read": 1 }).to_string())
        }),
        (PAGE_SOCKET, |_| Message::text("{}")),
        (PAGE_SOCKET, |_| Message::binary(vec![1, 2, 3])),
    ];
    let said = alice.say("hall", "so there is something to read").await;
    assert!(said > 0);
    for (path, frame) in floods {
        let code = flood_of(alice.ws(path).await, frame).await;
        assert_eq!(code, Some(1008), "{path}: {:?}", frame(0));
    }
}

/// The `n`th frame of a flood.
type Frames = fn(usize) -> Message;

/// Sends `frame(n)` 400 times a second on `ws` until it closes; its close code.
async fn flood_of(ws: Ws, frame: Frames) -> Option<u16> {
    let (mut sink, mut stream) = ws.split();
    let flood = tokio::spawn(async move {
        for n in 0..2400 {
            if sink.send(frame(n)).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_micros(2500)).await;
        }
    });

    let code = tokio::time::timeout(seconds(6), async {
        while let Some(frame) = stream.next().await {
            match frame {
                Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    })
    .await
    .expect("closed within six seconds, not answered forever");
    flood.abort();
    code
}

#[tokio::test]
async fn a_text_frame_that_is_not_utf8_closes_the_socket_with_1007() {
    let app = spawn_app().await;
    let alice = alice_in_hall(&app).await;
    let mut ws = alice.ws(API_SOCKET).await;
    let frame = Frame::message(vec![b'h', 0xff, 0xfe, b'i'], OpCode::Data(Data::Text), true);
    ws.send(Message::Frame(frame)).await.expect("send");
    assert_eq!(close_code(&mut ws, WAIT).await, Some(1007));
}

#[tokio::test]
async fn a_stray_continuation_frame_closes_the_socket_with_1002() {
    let app = spawn_app().await;
    let alice = alice_in_hall(&app).await;
    let mut ws = alice.ws(PAGE_SOCKET).await;
    let frame = Frame::message(b"tail".to_vec(), OpCode::Data(Data::Continue), true);
    ws.send(Message::Frame(frame)).await.expect("send");
    assert_eq!(close_code(&mut ws, WAIT).await, Some(1002));
}

#[tokio::test]
async fn an_unmasked_frame_from_a_client_closes_the_socket_with_1002() {
    let app = spawn_app().await;
    let alice = alice_in_hall(&app).await;
    let mut ws = alice.ws(API_SOCKET).await;
    // FIN + text, no mask bit, two bytes: written past the client library.
    let MaybeTlsStream::Plain(tcp) = ws.get_mut() else {
        panic!("a plain TCP socket");
    };
    tcp.write_all(&[0x81, 0x02, b'h', b'i'])
        .await
        .expect("write");
    assert_eq!(close_code(&mut ws, WAIT).await, Some(1002));
}
