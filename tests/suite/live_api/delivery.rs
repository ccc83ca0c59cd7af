//! Every member with the room open gets each message once, with the same id, in one
//! order, whatever path it was sent by, and nothing from other rooms.

use std::collections::HashSet;

use futures_util::SinkExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
use tokio_tungstenite::tungstenite::Message;

use super::*;

#[tokio::test]
async fn a_message_reaches_every_connected_member_with_the_same_id_and_the_sender_gets_its_client_id_back()
 {
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let mut ann_ws = connect(ann, &ws_path("general")).await;
    let mut bob_ws = connect(bob, &ws_path("general")).await;

    send_json(
        &mut ann_ws,
        json!({ "text": "hello, bob", "client_id": "ann-1" }),
    )
    .await;
    let echo = next_json(&mut ann_ws, WAIT).await;
    let seen = next_json(&mut bob_ws, WAIT).await;

    assert_eq!(echo["type"], "message");
    assert!(echo["id"].as_i64().is_some_and(|id| id > 0), "{echo}");
    assert_eq!(echo["room"], "general");
    assert_eq!(echo["sender"], "ann");
    assert_eq!(echo["text"], "hello, bob");
    assert_eq!(echo["client_id"], "ann-1");
    let sent_at = echo["sent_at"].as_str().expect("sent_at");
    OffsetDateTime::parse(sent_at, &Rfc3339).expect("sent_at is RFC 3339");
    assert_eq!(seen, echo, "both members receive the very same message");

    // Without a client_id, the frame has none.
    send_text(&mut bob_ws, "hi ann").await;
    let reply = next_json(&mut ann_ws, WAIT).await;
    assert_eq!(reply["sender"], "bob");
    assert!(reply["id"].as_i64() > echo["id"].as_i64());
    assert!(reply.get("client_id").is_none(), "{reply}");
    assert_eq!(next_json(&mut bob_ws, WAIT).await, reply);
}

#[tokio::test]
async fn two_senders_flooding_200_messages_each_deliver_all_400_to_everyone_in_one_order() {
    let app = spawn_unlimited_app().await;
    let users = members(&app, "busy", &["ann", "bob", "cat"]).await;
    let mut sockets = Vec::new();
    for user in &users {
        sockets.push(connect(user, &ws_path("busy")).await);
    }

    let mut tasks = Vec::new();
    for (i, mut ws) in sockets.into_iter().enumerate() {
        // ann and bob send; cat only listens.
        let sender = (i < 2).then(|| users[i].name.clone());
        tasks.push(tokio::spawn(async move {
            if let Some(name) = sender {
                for n in 0..200 {
                    let frame = json!({ "text": format!("{name} {n}") }).to_string();
                    ws.send(Message::text(frame)).await.expect("send a frame");
                }
            }
            messages(&mut ws, 400).await
        }));
    }
    let mut received = Vec::new();
    for task in tasks {
        received.push(task.await.expect("a receiver"));
    }

    let expected: HashSet<String> = ["ann", "bob"]
        .iter()
        .flat_map(|name| (0..200).map(move |n| format!("{name} {n}")))
        .collect();
    let first = ids(&received[0]);
    for frames in &received {
        let ids = ids(frames);
        assert_strictly_increasing(&ids);
        assert_eq!(
            ids, first,
            "every member sees the same messages in the same order"
        );
        let texts = texts(frames);
        assert_eq!(texts.iter().cloned().collect::<HashSet<_>>(), expected);
        // Each sender's messages keep the order they were sent in.
        for name in ["ann", "bob"] {
            let order: Vec<usize> = texts
                .iter()
                .filter_map(|t| t.strip_prefix(&format!("{name} "))?.parse().ok())
                .collect();
            assert_eq!(
                order,
                (0..200).collect::<Vec<_>>(),
                "{name}'s messages in order"
            );
        }
    }
}

#[tokio::test]
async fn a_message_posted_over_rest_reaches_every_socket_in_the_room() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let mut ann_ws = connect(ann, &ws_path("general")).await;
    let mut bob_ws = connect(bob, &ws_path("general")).await;

    let response = bob
        .http
        .post(bob.api("/rooms/general/messages"))
        .json(&json!({ "text": "posted over REST", "client_id": "rest-1" }))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::CREATED);
    let posted: Value = response.json().await.expect("JSON");

    for ws in [&mut ann_ws, &mut bob_ws] {
        let frame = next_json(ws, WAIT).await;
        assert_eq!(frame["type"], "message");
        assert_eq!(frame["id"], posted["id"]);
        assert_eq!(frame["text"], "posted over REST");
        assert_eq!(frame["sender"], "bob");
        assert_eq!(frame["client_id"], "rest-1");
        assert_eq!(frame["sent_at"], posted["sent_at"]);
    }
}

#[tokio::test]
async fn a_message_in_one_room_never_reaches_a_socket_on_another_room() {
    let app = spawn_app().await;
    let users = members(&app, "kitchen", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    assert_eq!(
        ann.create_room("garden").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(bob.join_room("garden").await.status(), StatusCode::CREATED);

    let mut kitchen = connect(bob, &ws_path("kitchen")).await;
    let mut garden = connect(bob, &ws_path("garden")).await;
    let elsewhere = ann.say("garden", "in the garden").await;
    assert_eq!(next_message(&mut garden, WAIT).await["id"], elsewhere);

    // Had the garden message leaked, it would arrive before this one.
    let here = ann.say("kitchen", "in the kitchen").await;
    let first = next_json(&mut kitchen, WAIT).await;
    assert_eq!(first["id"], here);
    assert_eq!(first["room"], "kitchen");
}
