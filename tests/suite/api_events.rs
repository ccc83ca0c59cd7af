//! A room's stream of events through `/api/v1/rooms/{name}/events`: every kind of
//! change in seq order, the seqs they take, and paging with `after_seq` and `limit`.

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_auth::expect_problem;
use crate::api_messages::{edited, message_in, room_with_message};
use crate::helpers::*;

#[tokio::test]
async fn events_list_every_kind_of_change_in_seq_order_each_naming_its_room() {
    let app = spawn_app().await;
    let (alice, first) = room_with_message(&app, "Team 茶水间", "one").await;
    let second = alice.say("Team 茶水间", "two").await;
    let edit = edited(&alice, first, "one, edited").await;
    alice.react(second, "👍").await;
    alice.delete_message(first).await;

    let response = alice
        .get(&format!("/api/v1/rooms/{}/events", encode("team 茶水间")))
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let events: Vec<Value> = response.json().await.expect("JSON");
    assert_eq!(
        kinds(&events),
        ["message", "message", "edit", "reactions", "delete"]
    );
    assert_consecutive_from(&seqs(&events), 1);
    for event in &events {
        assert_eq!(event["room"], "Team 茶水间", "{event}");
    }
    let two = &events[1];
    assert_has_fields(
        two,
        &["id", "sender", "text", "sent_at", "edited_at", "deleted"],
    );
    assert_eq!(
        (two["id"].as_i64(), two["text"].as_str()),
        (Some(second), Some("two"))
    );
    assert_eq!(
        events[2],
        json!({ "type": "edit", "seq": 3, "id": first, "room": "Team 茶水间",
                "text": "", "html": "", "mentions": [], "edited_at": edit["edited_at"] }),
        "the edit of a message since deleted keeps no words"
    );
    assert_eq!(
        events[3],
        json!({ "type": "reactions", "seq": 4, "id": second, "room": "Team 茶水间",
                "reactions": [{ "emoji": "👍", "users": ["alice"] }] })
    );
    assert_eq!(events[4]["type"], "delete");
    assert_eq!(events[4]["id"], first);

    // Only what came after a seq.
    assert_eq!(
        seqs(&alice.events("Team 茶水间", "?after_seq=3").await),
        [4, 5]
    );
    assert_eq!(
        alice.events("Team 茶水间", "?after_seq=5").await,
        Vec::<Value>::new()
    );
}

#[tokio::test]
async fn message_seqs_skip_the_numbers_edits_deletes_and_reactions_took() {
    let app = spawn_app().await;
    let (alice, first) = room_with_message(&app, "Lobby", "one").await;
    let seq_of = |m: &Value| m["seq"].as_i64().expect("a seq");
    let one = message_in(&alice, "Lobby", first).await;
    assert_eq!(seq_of(&one), 1);

    edited(&alice, first, "one!").await; // 2
    alice.react(first, "👍").await; // 3
    alice.react(first, "👍").await; // nothing: no seq
    alice.unreact(first, "🎉").await; // nothing: no seq
    let second = alice.say("Lobby", "two").await; // 4
    alice.delete_message(second).await; // 5
    let third: Value = alice
        .post_message("Lobby", "three")
        .await
        .json()
        .await
        .expect("JSON"); // 6

    assert_eq!(seq_of(&message_in(&alice, "Lobby", second).await), 4);
    assert_eq!(seq_of(&third), 6);
    assert_eq!(seqs(&alice.events("Lobby", "").await), [1, 2, 3, 4, 5, 6]);
}

#[tokio::test]
async fn events_come_100_at_a_time_by_default_and_at_most_500() {
    let app = spawn_app_with(|config| {
        config.message_rate = 100_000.0;
        config.message_burst = 100_000.0;
    })
    .await;
    let (alice, first) = room_with_message(&app, "Lobby", "message 0").await;
    let texts: Vec<String> = (1..505).map(|n| format!("message {n}")).collect();
    for chunk in texts.chunks(32) {
        futures_util::future::join_all(chunk.iter().map(|text| alice.say("Lobby", text))).await;
    }
    edited(&alice, first, "the first, edited last").await; // seq 506

    assert_eq!(
        seqs(&alice.events("Lobby", "").await),
        (1..=100).collect::<Vec<_>>()
    );
    let page = alice.events("Lobby", "?after_seq=400&limit=500").await;
    assert_eq!(seqs(&page), (401..=506).collect::<Vec<_>>());
    assert_eq!(page.last().unwrap()["type"], "edit");
    assert_eq!(alice.events("Lobby", "?limit=500").await.len(), 500);
    assert_eq!(
        seqs(&alice.events("Lobby", "?after_seq=2&limit=1").await),
        [3]
    );

    // Past the maximum is the maximum.
    for many in ["501", "100000"] {
        assert_eq!(
            alice.events("Lobby", &format!("?limit={many}")).await.len(),
            500,
            "limit={many}"
        );
    }
    for bad in ["0", "-1"] {
        let response = alice
            .get(&format!("/api/v1/rooms/Lobby/events?limit={bad}"))
            .await;
        let body = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["field"], "limit", "limit={bad}: {body}");
    }

    // Walking the stream with after_seq meets every event once.
    let mut walked = Vec::new();
    loop {
        let after = walked.last().copied().unwrap_or(0);
        let page = alice
            .events("Lobby", &format!("?after_seq={after}&limit=77"))
            .await;
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 77);
        walked.extend(seqs(&page));
    }
    assert_eq!(walked, (1..=506).collect::<Vec<_>>());
}

/// The writer stores a run of messages to one room in a few statements, not a few per
/// message (issues 15 and 18). Under eight writers at once, half over sockets (many
/// messages in flight, so runs are long): every message is stored once, seq order is
/// id order with no gap, live fragments carry each sender's picture, and no writer's
/// own messages count as unread for them.
#[tokio::test]
async fn a_burst_from_eight_writers_is_stored_in_order_with_faces_and_own_messages_read() {
    const EACH: usize = 12;
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    assert_eq!(
        owner.create_room("ledger").await.status(),
        StatusCode::CREATED
    );
    let mut writers = Vec::new();
    for n in 0..8 {
        let writer = app.user(&format!("scribe{n}")).await;
        writer.join_counting_all("ledger").await;
        writers.push(writer);
    }
    let face: Value = writers[0]
        .put_avatar(crate::files::png(64, 64))
        .await
        .json()
        .await
        .unwrap();
    let face = face["avatar_url"].as_str().expect("an avatar").to_owned();
    let mut page = crate::live_pages::live_page(&owner, "ledger").await;

    join_all(writers.iter().enumerate().map(|(n, w)| async move {
        if n % 2 == 1 {
            for k in 0..EACH {
                w.say(
                    "ledger",
                    &format!(r#"{} 说 {k}：数据库 "迁移" \ done"#, w.name),
                )
                .await;
            }
            return;
        }
        let mut ws = w.ws("/api/v1/rooms/ledger/ws").await;
        for k in 0..EACH {
            send_json(
                &mut ws,
                json!({ "text": format!(r#"{} 说 {k}：数据库 "迁移" \ done"#, w.name) }),
            )
            .await;
        }
        let mut mine = 0;
        while mine < EACH {
            let frame = next_json(&mut ws, 15).await;
            if frame["type"] == "message" && frame["sender"] == w.name.as_str() {
                mine += 1;
            }
        }
    }))
    .await;

    for _ in 0..EACH {
        let fragment =
            crate::live_pages::next_fragment(&mut page, |f| f.contains("scribe0 说")).await;
        assert!(fragment.contains(&format!(r#"src="{face}""#)), "{fragment}");
    }
    let rows: Vec<Value> = owner
        .get("/api/v1/rooms/ledger/messages?limit=200")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rows.len(), 8 * EACH);
    let texts: std::collections::HashSet<&str> =
        rows.iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts.len(), 8 * EACH, "each stored once");
    assert!(
        texts.contains(r#"scribe3 说 5：数据库 "迁移" \ done"#),
        "as written"
    );
    for pair in rows.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(a["id"].as_i64() < b["id"].as_i64() && a["seq"].as_i64() < b["seq"].as_i64());
    }
    let seqs: Vec<i64> = rows.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_consecutive_from(&seqs, seqs[0]);

    let room_id = crate::live_pages::room_id(&owner, "ledger").await;
    for w in &writers {
        let last_own = rows
            .iter()
            .rposition(|m| m["sender"] == w.name.as_str())
            .expect("their messages");
        let unread = (rows.len() - 1 - last_own) as i64;
        let sidebar = crate::live_pages::sidebar(w).await;
        let shown = crate::live_pages::badge(&sidebar, room_id).unwrap_or(0);
        assert_eq!(
            shown, unread,
            "{}: only others' messages after their own",
            w.name
        );
    }
}
