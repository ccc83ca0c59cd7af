//! Reconnecting with `after=` and retrying with `client_id`: nothing missed, nothing twice.

use futures_util::StreamExt;
use serde_json::json;

use super::*;

#[tokio::test]
async fn a_client_that_reconnects_with_after_gets_the_5_messages_it_missed_then_live_ones() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);

    let mut bob_ws = connect(bob, &ws_path("general")).await;
    let seen = ann.say("general", "before the tunnel").await;
    assert_eq!(next_message(&mut bob_ws, WAIT).await["id"], seen);
    bob_ws.close(None).await.expect("bob disconnects");

    let mut missed = Vec::new();
    for n in 1..=5 {
        missed.push(ann.say("general", &format!("missed {n}")).await);
    }
    let mut bob_ws = bob.ws(&ws_path_after("general", seen)).await;
    let caught_up = messages(&mut bob_ws, 5).await;
    assert_eq!(ids(&caught_up), missed);
    assert_eq!(
        texts(&caught_up),
        (1..=5).map(|n| format!("missed {n}")).collect::<Vec<_>>()
    );

    let live = ann.say("general", "welcome back").await;
    let next = next_json(&mut bob_ws, WAIT).await;
    assert_eq!(next["id"], live, "the live message comes right after, once");
    assert_eq!(next["text"], "welcome back");
}

#[tokio::test]
async fn a_client_that_missed_500_messages_gets_them_all_in_order_while_new_ones_keep_arriving() {
    let app = spawn_unlimited_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let seen = ann.say("general", "last one bob saw").await;

    let mut missed: Vec<i64> = futures_util::stream::iter(1..=500)
        .map(|n| async move { ann.say("general", &format!("missed {n}")).await })
        .buffer_unordered(8)
        .collect()
        .await;
    missed.sort_unstable();

    // Messages keep coming while bob catches up: the seam between history and live
    // delivery must show no gap and no duplicate.
    let (mut bob_ws, during) = tokio::join!(
        async {
            let mut ws = bob.ws(&ws_path_after("general", seen)).await;
            let frames = messages(&mut ws, 520).await;
            (ws, frames)
        },
        async {
            let mut during = Vec::new();
            for n in 1..=20 {
                during.push(ann.say("general", &format!("during {n}")).await);
            }
            during
        },
    );
    let (ws, frames) = &mut bob_ws;
    let mut expected = missed;
    expected.extend(during);
    assert_eq!(ids(frames), expected, "all 520, in order, once each");

    let live = ann.say("general", "and now live").await;
    let next = next_json(ws, WAIT).await;
    assert_eq!(next["id"], live);
}

#[tokio::test]
async fn retrying_a_client_id_returns_the_original_message_and_stores_it_once() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let mut ann_ws = connect(ann, &ws_path("general")).await;
    let mut bob_ws = connect(bob, &ws_path("general")).await;

    let frame = json!({ "text": "only once, please", "client_id": "retry-7" });
    send_json(&mut ann_ws, frame.clone()).await;
    let original = next_json(&mut ann_ws, WAIT).await;
    assert_eq!(original["client_id"], "retry-7");
    assert_eq!(next_json(&mut bob_ws, WAIT).await["id"], original["id"]);

    send_json(&mut ann_ws, frame).await;
    let retried = next_json(&mut ann_ws, WAIT).await;
    assert_eq!(
        retried, original,
        "the retry gets the original echo, same id"
    );

    // bob never sees it twice: the next thing he gets is ann's next message.
    send_text(&mut ann_ws, "something new").await;
    let next = next_json(&mut bob_ws, WAIT).await;
    assert_eq!(next["text"], "something new");
    assert_eq!(next_json(&mut ann_ws, WAIT).await["id"], next["id"]);

    let stored = history(ann, "general").await;
    assert_eq!(
        texts(&stored),
        ["only once, please", "something new"],
        "the retried message is stored once"
    );
}
