//! "ann is typing…": passed on live, at most every 3 s, never stored, and only from
//! those who share it.

use serde_json::json;

use super::*;
use crate::live_pages::live_page;

#[tokio::test]
async fn typing_reaches_the_others_sockets_as_a_frame_and_a_fragment_but_not_the_typist() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    assert_eq!(ann.create_room("Den").await.status(), StatusCode::CREATED);
    bob.join_room("Den").await;
    let mut anns = ann.ws("/api/v1/rooms/Den/ws").await;
    let mut bobs = bob.ws("/api/v1/rooms/Den/ws").await;
    let mut bobs_page = live_page(&bob, "Den").await;

    send_json(&mut anns, json!({ "typing": true })).await;
    assert_eq!(
        next_json(&mut bobs, WAIT).await,
        json!({ "type": "typing", "room": "Den", "user": "ann" })
    );
    let fragment = next_text(&mut bobs_page, WAIT).await;
    assert!(
        fragment.contains(r##"hx-swap-oob="beforeend:#typing""##),
        "{fragment}"
    );
    assert!(fragment.contains(r#"data-name="ann""#), "{fragment}");
    assert!(
        !fragment.contains("typing…"),
        "no words: the page says it in its reader's language"
    );
    assert!(stays_quiet(&mut anns, 300).await, "not to the typist");

    // Within 3 s again: not passed on. It takes no seq and is not stored.
    send_json(&mut anns, json!({ "typing": true })).await;
    assert!(stays_quiet(&mut bobs, 500).await);
    assert!(bob.events("Den", "").await.is_empty());
    let id = ann.say("Den", "done typing").await;
    let message = next_message(&mut bobs, WAIT).await;
    assert_eq!(
        (message["id"].as_i64(), message["seq"].as_i64()),
        (Some(id), Some(1))
    );
}

#[tokio::test]
async fn a_page_typing_reaches_the_json_socket_and_its_typist_can_switch_it_off() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    assert_eq!(ann.create_room("Den").await.status(), StatusCode::CREATED);
    bob.join_room("Den").await;
    let mut bobs = bob.ws("/api/v1/rooms/Den/ws").await;

    let mut anns_page = live_page(&ann, "Den").await;
    send_json(&mut anns_page, json!({ "typing": true })).await;
    assert_eq!(next_json(&mut bobs, WAIT).await["user"], "ann");

    // Switched off in settings: no more, from sockets already open (which have not
    // typed yet, so no throttle hides it) and from a page opened after.
    let mut open_json = ann.ws("/api/v1/rooms/Den/ws").await;
    let mut open_page = live_page(&ann, "Den").await;
    let settings = ann.get("/settings").await.text().await.unwrap();
    assert!(
        settings.contains(r#"name="shares_typing" value="on" checked"#),
        "on by default"
    );
    let saved = crate::pages::submit(&ann, "/settings", &[]).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let settings = ann.get("/settings?saved=1").await.text().await.unwrap();
    assert!(!settings.contains("checked"), "{settings}");
    assert!(settings.contains("role=\"status\""), "says it is saved");
    // (The change reaches open sockets through the hub: a moment.)
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    send_json(&mut open_json, json!({ "typing": true })).await;
    send_json(&mut open_page, json!({ "typing": true })).await;
    let mut anns_page = live_page(&ann, "Den").await;
    send_json(&mut anns_page, json!({ "typing": true })).await;
    let mut anns_json = ann.ws("/api/v1/rooms/Den/ws").await;
    send_json(&mut anns_json, json!({ "typing": true })).await;
    assert!(
        stays_quiet(&mut bobs, 500).await,
        "nothing from someone who does not share it"
    );
    // A frame that says something else is just ignored; a bad one gets an error frame.
    send_json(&mut anns_json, json!({ "typing": "yes" })).await;
    let refused = next_json(&mut anns_json, WAIT).await;
    assert_eq!(refused["type"], "error", "{refused}");
}
