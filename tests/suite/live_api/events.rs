//! Edits, deletes and reactions on the sockets: live, in seq order, and replayed after
//! a reconnect (`after_seq=`, the older `after=`, and the page socket's resume frame)
//! with no gap and no repeat.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;

#[tokio::test]
async fn edits_deletes_and_reactions_reach_every_socket_live_in_seq_order() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let mut ann_ws = connect(ann, &ws_path("general")).await;
    let mut bob_ws = connect(bob, &ws_path("general")).await;

    let id = ann.say("general", "helo").await;
    let edit: Value = ann
        .edit_message(id, "hello")
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(bob.react(id, "👍").await.status(), StatusCode::OK);
    assert_eq!(ann.react(id, "🎉").await.status(), StatusCode::OK);
    assert_eq!(bob.unreact(id, "👍").await.status(), StatusCode::OK);
    assert_eq!(
        ann.delete_message(id).await.status(),
        StatusCode::NO_CONTENT
    );

    let frames = events(&mut bob_ws, 6).await;
    assert_consecutive_from(&seqs(&frames), 1);
    assert_eq!(frames[0]["type"], "message");
    assert_eq!(frames[0]["text"], "helo");
    assert_eq!(
        frames[1],
        json!({ "type": "edit", "seq": 2, "id": id, "room": "general",
                "text": "hello", "html": "<p>hello</p>", "mentions": [],
                "edited_at": edit["edited_at"] })
    );
    let reactions: Vec<&Value> = frames[2..5].iter().map(|f| &f["reactions"]).collect();
    assert_eq!(
        reactions,
        [
            &json!([{ "emoji": "👍", "users": ["bob"] }]),
            &json!([{ "emoji": "👍", "users": ["bob"] }, { "emoji": "🎉", "users": ["ann"] }]),
            &json!([{ "emoji": "🎉", "users": ["ann"] }]),
        ]
    );
    assert!(
        frames[2..5]
            .iter()
            .all(|f| f["type"] == "reactions" && f["id"] == id)
    );
    assert_eq!(
        frames[5],
        json!({ "type": "delete", "seq": 6, "id": id, "room": "general" })
    );
    assert_eq!(
        events(&mut ann_ws, 6).await,
        frames,
        "everyone gets the same frames"
    );
    // /events tells the same stream (each body as it is now: all erased).
    let stored = ann.events("general", "").await;
    assert_eq!(seqs(&stored), seqs(&frames));
    assert_eq!(kinds(&stored), kinds(&frames));
    assert!(stays_quiet(&mut bob_ws, 200).await, "and nothing more");
}

#[tokio::test]
async fn reconnecting_with_after_seq_replays_every_change_made_while_away_then_goes_live() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann", "bob", "cyd"]).await;
    let (ann, bob, cyd) = (&users[0], &users[1], &users[2]);
    let first = ann.say("general", "first").await;
    let second = cyd.say("general", "second").await;
    let mut bob_ws = connect(bob, &ws_path("general")).await;
    let third = ann.say("general", "third").await;
    let seen = events(&mut bob_ws, 1).await;
    assert_eq!(seen[0]["id"], third);
    let last_seen = seen[0]["seq"].as_i64().expect("a seq");
    bob_ws.close(None).await.expect("bob goes away");

    // While bob is away, every kind of change, by several people.
    ann.edit_message(first, "first, edited").await;
    cyd.react(second, "👍").await;
    ann.react(second, "👍").await;
    cyd.delete_message(second).await;
    let fourth = cyd.say("general", "fourth").await;
    ann.react(fourth, "❤").await;
    ann.unreact(fourth, "❤️").await;
    ann.edit_message(third, "third, edited").await;
    ann.edit_message(third, "third, edited twice").await;

    let mut bob_ws = bob
        .ws(&format!("{}?after_seq={last_seen}", ws_path("general")))
        .await;
    let missed = events(&mut bob_ws, 9).await;
    assert_consecutive_from(&seqs(&missed), last_seen + 1);
    assert_eq!(
        kinds(&missed),
        [
            "edit",
            "reactions",
            "reactions",
            "delete",
            "message",
            "reactions",
            "reactions",
            "edit",
            "edit"
        ]
    );
    assert_eq!(missed[3]["id"], second);
    assert_eq!(missed[4]["id"], fourth);
    assert_eq!(missed[8]["text"], "third, edited twice");

    // Then live, right after, once.
    let live = ann.say("general", "welcome back").await;
    let next = events(&mut bob_ws, 1).await;
    assert_eq!(next[0]["id"], live);
    assert_eq!(next[0]["seq"], missed[8]["seq"].as_i64().unwrap() + 1);

    // What bob knew before, plus what he replayed, is the room as it is.
    let mut everything = ann
        .events("general", &format!("?after_seq=0&limit={last_seen}"))
        .await;
    everything.extend(missed);
    everything.extend(next);
    assert_eq!(
        fold_events(&everything),
        state_of(&history(bob, "general").await)
    );
}

#[tokio::test]
async fn changes_made_during_a_reconnect_are_neither_missed_nor_repeated() {
    let app = spawn_unlimited_app().await;
    let users = members(&app, "busy", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let mut ids = Vec::new();
    for n in 0..40 {
        ids.push(ann.say("busy", &format!("message {n}")).await);
    }
    // Plenty to replay, so that replaying and the changes below overlap.
    for (n, id) in ids.iter().enumerate() {
        ann.edit_message(*id, &format!("message {n}, edited")).await;
        bob.react(*id, "👀").await;
    }
    let replay_from = 20;

    let resume = format!("{}?after_seq={replay_from}", ws_path("busy"));
    let (mut bob_ws, marker) = tokio::join!(bob.ws(&resume), async {
        for (n, id) in ids.iter().enumerate().take(30) {
            ann.edit_message(*id, &format!("message {n}, edited again"))
                .await;
            ann.react(*id, "🎉").await;
            if n % 3 == 0 {
                ann.delete_message(*id).await;
            }
        }
        ann.post_message("busy", "the last one")
            .await
            .json::<Value>()
            .await
            .expect("JSON")
    },);
    let last_seq = marker["seq"].as_i64().expect("a seq");

    let frames = events(&mut bob_ws, (last_seq - replay_from) as usize).await;
    assert_consecutive_from(&seqs(&frames), replay_from + 1);
    assert_eq!(frames.last().unwrap()["id"], marker["id"]);
    assert!(stays_quiet(&mut bob_ws, 300).await, "nothing twice");
    let mut everything = ann.events("busy", &format!("?limit={replay_from}")).await;
    everything.extend(frames);
    assert_eq!(
        fold_events(&everything),
        state_of(&history(bob, "busy").await)
    );
}

#[tokio::test]
async fn after_id_still_resumes_from_the_first_message_after_it_with_every_event_since() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let first = ann.say("general", "one").await; // seq 1
    let second = ann.say("general", "two").await; // seq 2
    ann.edit_message(first, "one, edited").await; // seq 3
    let third = ann.say("general", "three").await; // seq 4
    bob.react(second, "👍").await; // seq 5

    let mut bob_ws = bob.ws(&ws_path_after("general", first)).await;
    let replayed = events(&mut bob_ws, 4).await;
    assert_consecutive_from(&seqs(&replayed), 2);
    assert_eq!(
        kinds(&replayed),
        ["message", "edit", "message", "reactions"]
    );
    assert_eq!(
        (&replayed[0]["id"], &replayed[2]["id"]),
        (&json!(second), &json!(third))
    );
    assert_eq!(replayed[1]["text"], "one, edited");

    ann.delete_message(third).await;
    let live = events(&mut bob_ws, 1).await;
    assert_eq!(live[0]["type"], "delete");
    assert_eq!(live[0]["seq"], 6);

    // After the newest message: nothing to replay, and live from there.
    let mut caught_up = connect(bob, &ws_path_after("general", third)).await;
    let id = ann.say("general", "four").await;
    let next = events(&mut caught_up, 1).await;
    assert_eq!(
        (next[0]["id"].as_i64(), next[0]["seq"].as_i64()),
        (Some(id), Some(7))
    );
}

#[tokio::test]
async fn the_page_socket_replays_what_a_page_missed_as_html_fragments() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let first = ann.say("general", "first").await; // 1
    let second = ann.say("general", "second").await; // 2
    // Bob's page was rendered here, at seq 2. Then, while it was away:
    ann.edit_message(second, "second <b>edited</b>").await; // 3
    bob.react(second, "🎉").await; // 4
    ann.delete_message(first).await; // 5
    let third = ann.say("general", "third").await; // 6

    let mut page = bob.ws("/rooms/general/ws").await;
    send_json(&mut page, json!({ "after_seq": "2" })).await;

    let edit = next_event_fragment(&mut page).await;
    assert!(edit.contains(&format!(r#"id="c-{second}""#)), "{edit}");
    assert!(edit.contains(r#"hx-swap-oob="true""#), "{edit}");
    assert!(
        edit.contains("second &lt;b&gt;edited&lt;/b&gt;"),
        "escaped: {edit}"
    );
    assert_eq!(resume_seq(&edit), Some(3));
    let reactions = next_event_fragment(&mut page).await;
    assert!(
        reactions.contains(&format!(r#"id="r-{second}""#)),
        "{reactions}"
    );
    assert!(reactions.contains("🎉"), "{reactions}");
    assert_eq!(resume_seq(&reactions), Some(4));
    let delete = next_event_fragment(&mut page).await;
    assert!(
        delete.contains(&format!(r#"<div id="m-{first}" hx-swap-oob="delete">"#)),
        "{delete}"
    );
    assert_eq!(resume_seq(&delete), Some(5));
    let message = next_event_fragment(&mut page).await;
    assert!(
        message.contains(r#"hx-swap-oob="beforeend:#messages""#),
        "{message}"
    );
    assert!(message.contains(&format!(r#"id="m-{third}""#)), "{message}");
    assert!(message.contains("third"), "{message}");
    assert_eq!(resume_seq(&message), Some(6));

    // Then live.
    ann.edit_message(third, "third, live").await;
    let live = next_event_fragment(&mut page).await;
    assert!(live.contains(&format!(r#"id="c-{third}""#)) && live.contains("third, live"));
    assert_eq!(resume_seq(&live), Some(7));

    // A page already up to date replays nothing.
    let mut current = bob.ws("/rooms/general/ws").await;
    send_json(&mut current, json!({ "after_seq": 7 })).await;
    let first_frame = next_text(&mut current, WAIT).await;
    assert!(
        first_frame.contains(r#"id="online-count""#),
        "{first_frame}"
    );
}

// ---- helpers -----------------------------------------------------------------------

/// The next `n` frames, each of which must be an event (not an error).
async fn events(ws: &mut Ws, n: usize) -> Vec<Value> {
    let mut frames = Vec::with_capacity(n);
    for _ in 0..n {
        let frame = next_json(ws, WAIT).await;
        assert!(
            ["message", "edit", "delete", "reactions"]
                .contains(&frame["type"].as_str().unwrap_or("")),
            "expected an event, got {frame}"
        );
        assert!(
            frame["room"].is_string(),
            "each event names its room: {frame}"
        );
        frames.push(frame);
    }
    frames
}

/// The page socket's next event fragment (skipping the online count and badges).
async fn next_event_fragment(ws: &mut Ws) -> String {
    loop {
        let html = next_text(ws, WAIT).await;
        if html.contains(r#"id="resume-seq""#) {
            return html;
        }
        assert!(
            html.contains(r#"id="online-count""#) || html.contains(r#"id="unread-"#),
            "an unexpected fragment: {html}"
        );
    }
}

/// The seq a fragment moves the page's resume point to.
fn resume_seq(html: &str) -> Option<i64> {
    let (_, rest) = html.split_once(r#"id="resume-seq""#)?;
    let (_, value) = rest.split_once(r#"value=""#)?;
    value.split('"').next()?.parse().ok()
}
