//! What the socket refuses: bad upgrades (before any socket exists) and bad frames.

use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use super::*;

#[tokio::test]
async fn a_socket_without_a_session_is_refused_with_401() {
    let app = spawn_app().await;
    members(&app, "general", &["ann"]).await;
    let stranger = app.client();
    assert_eq!(
        refusal(stranger.try_ws(&ws_path("general"), &[]).await),
        401
    );
}

#[tokio::test]
async fn a_socket_from_someone_who_is_not_a_member_is_refused_with_403() {
    let app = spawn_app().await;
    members(&app, "general", &["ann"]).await;
    let outsider = app.user("olga").await;
    assert_eq!(
        refusal(outsider.try_ws(&ws_path("general"), &[]).await),
        403
    );
}

#[tokio::test]
async fn a_socket_opened_from_another_site_is_refused_with_403_but_same_origin_and_no_origin_open()
{
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann"]).await;
    let ann = &users[0];

    let evil = [("origin", "https://evil.example")];
    assert_eq!(refusal(ann.try_ws(&ws_path("general"), &evil).await), 403);
    let other_port = [("origin", "http://127.0.0.1:1")];
    assert_eq!(
        refusal(ann.try_ws(&ws_path("general"), &other_port).await),
        403
    );

    let own = format!("http://{}", app.addr);
    let mut same_site = ann
        .try_ws(&ws_path("general"), &[("origin", own.as_str())])
        .await
        .expect("a same-origin socket opens");
    until_live(&mut same_site).await;
    let mut no_origin = connect(ann, &ws_path("general")).await;
    let id = ann.say("general", "both hear this").await;
    assert_eq!(next_message(&mut same_site, WAIT).await["id"], id);
    assert_eq!(next_message(&mut no_origin, WAIT).await["id"], id);
}

#[tokio::test]
async fn a_socket_for_an_unknown_room_is_refused_with_404() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    assert_eq!(refusal(ann.try_ws(&ws_path("nowhere"), &[]).await), 404);
}

#[tokio::test]
async fn each_bad_frame_gets_an_error_frame_and_the_socket_keeps_working() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let mut ann_ws = connect(&users[0], &ws_path("general")).await;
    let mut bob_ws = connect(&users[1], &ws_path("general")).await;

    let bad_frames = [
        Message::text("this is not JSON"),
        Message::text(json!({ "client_id": "no-text" }).to_string()),
        Message::text(json!({ "text": "" }).to_string()),
        Message::text(json!({ "text": "   \n  " }).to_string()),
        Message::text(json!({ "text": "x".repeat(4001) }).to_string()),
        Message::text(json!({ "text": "ok", "client_id": "c".repeat(65) }).to_string()),
        Message::binary(json!({ "text": "binary" }).to_string().into_bytes()),
    ];
    for frame in bad_frames {
        let shown = format!("{frame:?}").chars().take(80).collect::<String>();
        ann_ws.send(frame).await.expect("send a frame");
        let error = next_error(&mut ann_ws).await;
        assert!(
            !error.contains("sqlx"),
            "{shown}: no internals leak: {error}"
        );
    }

    // Still open, and 4000 characters (not bytes) is fine.
    let longest = "é".repeat(4000);
    send_text(&mut ann_ws, &longest).await;
    let echo = next_json(&mut ann_ws, WAIT).await;
    assert_eq!(echo["type"], "message");
    assert_eq!(echo["text"], longest.as_str());
    // Nothing bad was stored or delivered: bob's first message is the good one.
    assert_eq!(next_json(&mut bob_ws, WAIT).await, echo);
}

#[tokio::test]
async fn a_frame_over_64_kib_closes_the_socket_with_1009_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let mut bob_ws = connect(bob, &ws_path("general")).await;

    let mut ann_ws = connect(ann, &ws_path("general")).await;
    send_text(&mut ann_ws, &"x".repeat(64 * 1024 + 1)).await;
    assert_eq!(close_code(&mut ann_ws, WAIT).await, Some(1009));

    // Far bigger than the limit is refused the same way.
    let mut ann_ws = connect(ann, &ws_path("general")).await;
    ann_ws
        .send(Message::binary(vec![b'x'; 100 * 1024]))
        .await
        .expect("send a frame");
    assert_eq!(close_code(&mut ann_ws, WAIT).await, Some(1009));

    let mut ann_ws = connect(ann, &ws_path("general")).await;
    send_text(&mut ann_ws, "still here").await;
    let echo = next_json(&mut ann_ws, WAIT).await;
    assert_eq!(echo["text"], "still here");
    let seen = next_json(&mut bob_ws, WAIT).await;
    assert_eq!(seen, echo, "nothing from the oversized frames reached bob");
}
