//! `DELETE /api/v1/rooms/{name}/members/me`: out of the room, its sockets closed.

use super::*;
use crate::api_auth::expect_problem;
use crate::live_pages::{live_page, room_id};

#[tokio::test]
async fn leaving_refuses_the_rooms_history_and_messages_after_with_403() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    assert_eq!(ann.create_room("Den").await.status(), StatusCode::CREATED);
    bob.join_room("Den").await;
    ann.say("Den", "before").await;

    let response = bob.leave_room("den").await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.bytes().await.unwrap().is_empty());

    for response in [
        bob.get("/api/v1/rooms/Den/messages").await,
        bob.get("/api/v1/rooms/Den/events").await,
        bob.post_message("Den", "after").await,
        bob.set_notify("Den", "all").await,
        bob.leave_room("Den").await,
    ] {
        let body = expect_problem(response, StatusCode::FORBIDDEN).await;
        assert_eq!(body["code"], "not_a_member", "{body}");
    }
    assert!(bob.try_ws("/api/v1/rooms/Den/ws", &[]).await.is_err());
    let listed: Vec<Value> = rooms(&bob, "joined").await;
    assert!(listed.is_empty(), "{listed:?}");
    let html = bob.get("/rooms").await.text().await.unwrap();
    assert!(
        !html.contains("href=\"/rooms/Den\""),
        "gone from the sidebar"
    );
    // A group room can be joined again; the room itself lives on for ann.
    assert_eq!(
        ann.get("/api/v1/rooms/Den/messages").await.status(),
        StatusCode::OK
    );
    assert_eq!(bob.join_room("Den").await.status(), StatusCode::CREATED);
    expect_problem(bob.leave_room("Nowhere").await, StatusCode::NOT_FOUND).await;
    expect_problem(
        app.client().leave_room("Den").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn leaving_closes_the_json_socket_and_the_rooms_page_with_1008_and_updates_every_sidebar() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    assert_eq!(ann.create_room("Den").await.status(), StatusCode::CREATED);
    assert_eq!(ann.create_room("Porch").await.status(), StatusCode::CREATED);
    bob.join_room("Den").await;
    bob.join_room("Porch").await;
    let den = room_id(&bob, "Den").await;
    let mut json_socket = bob.ws("/api/v1/rooms/Den/ws").await;
    let mut den_page = live_page(&bob, "Den").await;
    let mut porch_page = live_page(&bob, "Porch").await;
    let mut other_tab = bob.ws("/ws").await;
    let mut anns_socket = ann.ws("/api/v1/rooms/Den/ws").await;

    assert_eq!(bob.leave_room("Den").await.status(), StatusCode::NO_CONTENT);

    assert_eq!(close_code(&mut json_socket, WAIT).await, Some(1008));
    let (code, reason) = close_frame(&mut den_page).await;
    assert_eq!((code, reason.as_str()), (1008, "left the room"));
    for socket in [&mut porch_page, &mut other_tab] {
        let fragment = loop {
            let text = next_text(socket, WAIT).await;
            if text.contains(&format!("id=\"room-{den}\"")) {
                break text;
            }
        };
        assert!(fragment.contains("hx-swap-oob=\"delete\""), "{fragment}");
    }
    // Nothing of Den reaches bob's other sockets any more; ann's goes on.
    ann.say("Den", "after bob left").await;
    assert_eq!(
        next_message(&mut anns_socket, WAIT).await["text"],
        "after bob left"
    );
    assert!(
        stays_quiet(&mut porch_page, 300).await,
        "no badge for a room left"
    );
}

#[tokio::test]
async fn leaving_a_direct_room_leaves_it_to_the_others_until_someone_opens_it_again() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let room = direct(&ann, &["bob"], StatusCode::CREATED).await;
    let name = room["name"].as_str().unwrap();
    ann.say(name, "hi bob").await;

    assert_eq!(bob.leave_room(name).await.status(), StatusCode::NO_CONTENT);
    assert!(rooms(&bob, "joined").await.is_empty());
    assert_eq!(rooms(&ann, "joined").await.len(), 1, "ann keeps it");
    ann.say(name, "still here").await;
    expect_problem(
        bob.get(&format!("/api/v1/rooms/{}/messages", encode(name)))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // Opening it again (by anyone in it) brings bob back, with its history.
    let again = direct(&ann, &["bob"], StatusCode::OK).await;
    assert_eq!(again["name"], name);
    let history = bob
        .get(&format!("/api/v1/rooms/{}/messages", encode(name)))
        .await;
    assert_eq!(history.status(), StatusCode::OK);
    let texts: Vec<String> = history
        .json::<Vec<Value>>()
        .await
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(texts, ["hi bob", "still here"]);
}

/// The code and reason of the close frame the server sends.
async fn close_frame(ws: &mut Ws) -> (u16, String) {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(WAIT), ws.next())
            .await
            .expect("a close in time");
        match frame {
            Some(Ok(Message::Close(Some(frame)))) => {
                return (u16::from(frame.code), frame.reason.to_string());
            }
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}
