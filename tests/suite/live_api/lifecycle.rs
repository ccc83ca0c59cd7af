//! How sockets end when the server stops or their session does.

use std::collections::HashSet;

use futures_util::SinkExt;
use reqwest::StatusCode;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use super::*;

#[tokio::test]
async fn shutting_down_closes_sockets_with_1012_and_keeps_every_acknowledged_message() {
    let mut app = spawn_unlimited_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let mut ann_ws = connect(&users[0], &ws_path("general")).await;
    let mut bob_ws = connect(&users[1], &ws_path("general")).await;

    for n in 0..10 {
        send_json(
            &mut ann_ws,
            json!({ "text": format!("before {n}"), "client_id": format!("b{n}") }),
        )
        .await;
    }
    let mut acknowledged = messages(&mut ann_ws, 10).await;
    // More in flight as the server stops: whichever are echoed must survive.
    for n in 0..30 {
        let frame = json!({ "text": format!("during {n}"), "client_id": format!("d{n}") });
        if ann_ws.send(Message::text(frame.to_string())).await.is_err() {
            break;
        }
    }
    let (_, (late, ann_end), (_, bob_end)) = tokio::join!(
        app.stop(),
        read_to_end(&mut ann_ws, 15),
        read_to_end(&mut bob_ws, 15)
    );
    assert_eq!(ann_end, End::Closed(Some(1012)), "ann is told to reconnect");
    assert_eq!(bob_end, End::Closed(Some(1012)), "bob is told to reconnect");
    acknowledged.extend(late);

    let app = app.restart().await;
    let ann = log_in(&app, "ann").await;
    let stored = history(&ann, "general").await;
    let stored_ids: HashSet<i64> = ids(&stored).into_iter().collect();
    assert_eq!(stored_ids.len(), stored.len());
    for ack in &acknowledged {
        let id = ack["id"].as_i64().expect("an id");
        assert!(stored_ids.contains(&id), "acknowledged {ack} was lost");
    }
    let stored_texts: HashSet<String> = texts(&stored).into_iter().collect();
    assert_eq!(stored_texts.len(), stored.len(), "nothing stored twice");
}

#[tokio::test]
async fn logging_out_closes_that_sessions_sockets_with_1008_and_leaves_other_sessions_open() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let ann_phone = log_in(&app, "ann").await;
    let mut laptop_ws = connect(ann, &ws_path("general")).await;
    let mut phone_ws = connect(&ann_phone, &ws_path("general")).await;

    let response = ann
        .http
        .delete(ann.api("/session"))
        .send()
        .await
        .expect("log out");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(close_code(&mut laptop_ws, WAIT).await, Some(1008));
    assert_eq!(refusal(ann.try_ws(&ws_path("general"), &[]).await), 401);

    let id = bob.say("general", "is ann still here?").await;
    assert_eq!(next_message(&mut phone_ws, WAIT).await["id"], id);
}
