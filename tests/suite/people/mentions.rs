//! `@name` in a message's text: who it mentions, "messages that mention me", and the
//! "@" badge.

use serde_json::json;

use super::*;
use crate::api_auth::expect_problem;
use crate::live_pages::{
    badge_text, eventually, is_bold, live_page, mention_badge, room_id, sidebar,
};

/// ann, bob and 张伟 in Den; eve exists but is not in it.
async fn den(app: &TestApp) -> (User, User, User, User) {
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let zhang = app.user("张伟").await;
    let eve = app.user("eve").await;
    assert_eq!(ann.create_room("Den").await.status(), StatusCode::CREATED);
    bob.join_room("Den").await;
    zhang.join_room("Den").await;
    (ann, bob, zhang, eve)
}

async fn mentions_in(user: &User, text: &str) -> Value {
    let response = user.post_message("Den", text).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{text}");
    let message: Value = response.json().await.unwrap();
    message["mentions"].clone()
}

#[tokio::test]
async fn only_members_are_mentioned_ignoring_case_and_never_inside_code() {
    let app = spawn_app().await;
    let (ann, _bob, _zhang, _eve) = den(&app).await;

    for (text, mentioned) in [
        ("@bob look", json!(["bob"])),
        ("hey @BOB and @张伟!", json!(["bob", "张伟"])),
        ("@bob, @bob: twice is once", json!(["bob"])),
        // The name ends at the first character a username cannot hold.
        ("(@bob)", json!(["bob"])),
        ("@bob's turn", json!(["bob"])),
        ("@bob.", json!(["bob"])),
        ("@张伟，你好", json!(["张伟"])),
        // Not a member, nobody at all, an e-mail address, the writer themselves.
        ("@eve are you there", json!([])),
        ("@nobody", json!([])),
        ("mail bob@example.com", json!([])),
        ("note to self @ann", json!([])),
        // Code is not talk.
        ("`@bob` is a handle", json!([])),
        ("```\n@bob in a block\n```", json!([])),
        ("look:\n\n    @bob in indented code", json!([])),
        // A link's text is not a mention either, but emphasis is.
        ("**@bob** bold", json!(["bob"])),
        ("[@bob](https://example.com)", json!([])),
    ] {
        assert_eq!(mentions_in(&ann, text).await, mentioned, "{text}");
    }
}

#[tokio::test]
async fn mentions_list_newest_first_in_pages_from_rooms_i_am_still_in() {
    let app = spawn_app().await;
    let (ann, bob, _zhang, _eve) = den(&app).await;
    assert_eq!(ann.create_room("Porch").await.status(), StatusCode::CREATED);
    bob.join_room("Porch").await;
    let first = ann.say("Den", "@bob one").await;
    ann.say("Den", "not for bob").await;
    let second = ann.say("Porch", "@bob two").await;
    let third = ann.say("Den", "@Bob three").await;
    let gone = ann.say("Den", "@bob deleted later").await;
    assert_eq!(
        ann.delete_message(gone).await.status(),
        StatusCode::NO_CONTENT
    );

    let ids = |list: &Value| -> Vec<i64> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect()
    };
    let all: Value = bob.get("/api/v1/mentions").await.json().await.unwrap();
    assert_eq!(ids(&all), [third, second, first]);
    assert_eq!(all[0]["mentions"], json!(["bob"]));
    assert_eq!(all[0]["room"], "Den");
    let page: Value = bob
        .get("/api/v1/mentions?limit=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&page), [third, second]);
    let next: Value = bob
        .get(&format!("/api/v1/mentions?limit=2&before_id={second}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&next), [first]);
    let none: Value = ann.get("/api/v1/mentions").await.json().await.unwrap();
    assert_eq!(ids(&none), Vec::<i64>::new());
    // Out of Porch, out of the list.
    assert_eq!(
        bob.leave_room("Porch").await.status(),
        StatusCode::NO_CONTENT
    );
    let all: Value = bob.get("/api/v1/mentions").await.json().await.unwrap();
    assert_eq!(ids(&all), [third, first]);
    // Bad paging is a clear 400, and a stranger gets 401.
    for bad in [
        "/api/v1/mentions?limit=x",
        "/api/v1/mentions?before_id=soon",
    ] {
        let response = bob.get(bad).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    expect_problem(
        app.client().get("/api/v1/mentions").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn an_edit_that_adds_a_mention_mentions_and_one_that_removes_it_unmentions() {
    let app = spawn_app().await;
    let (ann, bob, _zhang, _eve) = den(&app).await;
    let id = ann.say("Den", "hello all").await;
    let edited: Value = ann
        .edit_message(id, "hello @bob")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(edited["mentions"], json!(["bob"]));
    let events = bob.events("Den", "").await;
    let edit = events.last().unwrap();
    assert_eq!(
        (edit["type"].as_str(), &edit["mentions"]),
        (Some("edit"), &json!(["bob"]))
    );
    let listed: Value = bob.get("/api/v1/mentions").await.json().await.unwrap();
    assert_eq!(listed[0]["id"], id);

    ann.edit_message(id, "hello everyone").await;
    assert_eq!(message(&bob, "Den", id).await["mentions"], json!([]));
    let listed: Value = bob.get("/api/v1/mentions").await.json().await.unwrap();
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn a_mention_gives_an_at_badge_live_that_reading_the_room_clears() {
    let app = spawn_app().await;
    let (ann, bob, _zhang, _eve) = den(&app).await;
    assert_eq!(
        bob.create_room("Elsewhere").await.status(),
        StatusCode::CREATED
    );
    let den = room_id(&bob, "Den").await;
    let is_den_badge = |f: &str| f.contains(&format!(r#"id="unread-{den}""#));

    // Bob's page is on another room; Den notifies him of mentions (the default).
    let mut bobs_page = live_page(&bob, "Elsewhere").await;
    ann.say("Den", "chatter").await;
    let first = next_fragment(&mut bobs_page, is_den_badge).await;
    assert_eq!(badge_text(&first, den), None, "no count for chatter");
    assert_eq!(mention_badge(&first, den), None, "nor an @");
    assert!(is_bold(&first, den), "but the name turns bold");
    let id = ann.say("Den", "@bob your turn").await;
    let fragment = next_fragment(&mut bobs_page, is_den_badge).await;
    assert_eq!(mention_badge(&fragment, den).as_deref(), Some("@1"));
    assert_eq!(badge_text(&fragment, den), None, "still no count");
    assert!(fragment.contains("class=\"badge-at\""), "{fragment}");
    ann.say("Den", "@bob and again").await;
    let fragment = next_fragment(&mut bobs_page, is_den_badge).await;
    assert_eq!(mention_badge(&fragment, den).as_deref(), Some("@2"));
    assert_eq!(
        mention_badge(&sidebar(&bob).await, den).as_deref(),
        Some("@2")
    );

    // The message is marked for bob's stylesheet, once for everyone.
    let html = bob.get("/rooms/Den").await.text().await.unwrap();
    let (_, from) = html
        .split_once(&format!("id=\"c-{id}\""))
        .expect("the message");
    let bob_id = user_id(&bob).await;
    assert!(
        from.starts_with(&format!(" data-mentions=\"{bob_id}\"")),
        "{}",
        &from[..80]
    );
    let css = bob.get("/me.css").await.text().await.unwrap();
    assert!(
        css.contains(&format!(".content[data-mentions~=\"{bob_id}\"]")),
        "{css}"
    );

    // Reading Den clears it, here and on the page elsewhere.
    let mut den_page = live_page(&bob, "Den").await;
    send_json(&mut den_page, json!({ "read": i64::MAX })).await;
    let cleared = next_fragment(&mut bobs_page, is_den_badge).await;
    assert_eq!(badge_text(&cleared, den), None);
    assert_eq!(mention_badge(&cleared, den), None);
    assert!(!is_bold(&cleared, den));
    eventually(&bob, |html| {
        badge_text(html, den).is_none() && mention_badge(html, den).is_none() && !is_bold(html, den)
    })
    .await;
}

async fn next_fragment(ws: &mut Ws, wanted: impl Fn(&str) -> bool) -> String {
    loop {
        let text = next_text(ws, WAIT).await;
        if wanted(&text) {
            return text;
        }
    }
}
