//! Item 4 and the room limit: bodies over 64 KiB are refused on every route, whether
//! declared or sent chunked; one user may create only so many rooms.

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use super::*;

/// Sends `head` (and then `body`, ignoring a server that stops reading) on a new
/// connection and returns what the server answered, up to when it closed or paused.
async fn raw_exchange(app: &TestApp, head: String, body: &[u8]) -> String {
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("send head");
    // The server may answer and close before reading it all.
    let _ = stream.write_all(body).await;
    let mut answer = Vec::new();
    let mut buf = [0; 8192];
    // Wait for the answer to begin, then take what follows it closely.
    let mut wait = seconds(WAIT);
    while let Ok(Ok(n)) = tokio::time::timeout(wait, stream.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        wait = Duration::from_millis(500);
    }
    String::from_utf8_lossy(&answer).into_owned()
}

fn status_line(answer: &str) -> &str {
    answer.lines().next().unwrap_or_default()
}

#[tokio::test]
async fn a_body_declared_as_a_terabyte_is_413_without_being_read() {
    let app = spawn_app().await;
    let addr = app.addr;
    for (path, content_type, problem_json) in [
        ("/api/v1/session", "application/json", true),
        ("/login", "application/x-www-form-urlencoded", false),
    ] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n\
             Content-Length: 1099511627776\r\n\r\n"
        );
        let answer = raw_exchange(&app, head, b"{").await;
        assert!(status_line(&answer).contains(" 413 "), "{path}: {answer}");
        let lower = answer.to_lowercase();
        if problem_json {
            assert!(
                lower.contains("content-type: application/problem+json"),
                "{answer}"
            );
            assert!(answer.contains("\"code\":\"too_large\""), "{answer}");
        } else {
            assert!(lower.contains("content-type: text/html"), "{answer}");
        }
    }
}

#[tokio::test]
async fn a_ten_megabyte_json_or_form_body_is_413() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    alice.create_room("hall").await;
    let big = "x".repeat(10 * 1024 * 1024);

    let response = post_json(&alice, "/rooms/hall/messages", json!({ "text": big })).await;
    let body = problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(body["code"], "too_large");

    let response = post_form(&alice, "/rooms/hall/messages", &[("text", big.as_str())]).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Just under the limit is read as usual (and refused by its own rule).
    let near = "y".repeat(60 * 1024);
    let response = post_json(&alice, "/rooms/hall/messages", json!({ "text": near })).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_chunked_body_is_cut_off_at_64_kib_with_413() {
    let app = spawn_app().await;
    let addr = app.addr;
    let head = format!(
        "POST /api/v1/users HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n"
    );
    // 80 chunks of 1 KiB: no length declared anywhere.
    let mut body = Vec::new();
    for _ in 0..80 {
        body.extend_from_slice(b"400\r\n");
        body.extend_from_slice(&[b' '; 1024]);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let answer = raw_exchange(&app, head, &body).await;
    assert!(status_line(&answer).contains(" 413 "), "{answer}");
    assert!(answer.contains("\"code\":\"too_large\""), "{answer}");

    // A small chunked body still gets through to the handler.
    let head = format!(
        "POST /api/v1/users HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let json = format!(r#"{{"username":"chunky","password":"{PASSWORD}"}}"#);
    let small = format!("{:x}\r\n{json}\r\n0\r\n\r\n", json.len());
    let answer = raw_exchange(&app, head, small.as_bytes()).await;
    assert!(status_line(&answer).contains(" 201 "), "{answer}");
}

#[tokio::test]
async fn one_user_may_create_only_so_many_rooms_an_hour() {
    let app = spawn_app_with(|c| c.rooms_per_hour = 3).await;
    let alice = app.user("alice").await;
    for n in 0..3 {
        assert_eq!(
            alice.create_room(&format!("room {n}")).await.status(),
            StatusCode::CREATED
        );
    }

    let response = alice.create_room("room 3").await;
    let wait = retry_after(&response).expect("Retry-After");
    assert!((1..=3600).contains(&wait), "{wait}");
    problem(response, StatusCode::TOO_MANY_REQUESTS).await;
    let page = post_form(&alice, "/rooms", &[("name", "room 4")]).await;
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);

    // Bob has his own allowance.
    let bob = app.user("bob").await;
    assert_eq!(bob.create_room("bobs").await.status(), StatusCode::CREATED);

    // Direct rooms count too: a new one is a room made, opening one again is not.
    async fn direct(who: &User, with: &[&str]) -> reqwest::Response {
        let body = serde_json::json!({ "users": with });
        who.call(reqwest::Method::POST, "/direct", Some(body)).await
    }
    let mut pals = Vec::new();
    for n in 0..3 {
        let name = format!("pal{n}");
        pals.push(app.user(&name).await);
        if n < 2 {
            assert_eq!(direct(&bob, &[&name]).await.status(), StatusCode::CREATED);
        } else {
            problem(direct(&bob, &[&name]).await, StatusCode::TOO_MANY_REQUESTS).await;
        }
    }
    assert_eq!(direct(&bob, &["pal0"]).await.status(), StatusCode::OK);
    let page = post_form(&bob, "/direct", &[("users", "pal2")]).await;
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    // pal2 never heard of a room with bob.
    let rooms: Vec<serde_json::Value> = pals[2]
        .get("/api/v1/rooms?scope=joined")
        .await
        .json()
        .await
        .unwrap();
    assert!(rooms.is_empty(), "{rooms:?}");
}
