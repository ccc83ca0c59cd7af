//! Notification levels: what a room's unread badge counts for each member.

use serde_json::json;

use super::*;
use crate::api_auth::expect_problem;
use crate::live_pages::{badge_text, is_bold, mention_badge, room_id, sidebar};
use crate::pages::{htmx_submit, submit};

/// What bob's sidebar says about `room`: the count badge's text, the "@" badge's
/// text, and whether the name is bold.
async fn looks(bob: &User, room: i64) -> (Option<String>, Option<String>, bool) {
    let html = sidebar(bob).await;
    (
        badge_text(&html, room),
        mention_badge(&html, room),
        is_bold(&html, room),
    )
}

fn shown(
    count: Option<&str>,
    at: Option<&str>,
    bold: bool,
) -> (Option<String>, Option<String>, bool) {
    (count.map(str::to_owned), at.map(str::to_owned), bold)
}

#[tokio::test]
async fn each_level_counts_what_it_says_in_the_unread_badge() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    assert_eq!(ann.create_room("Den").await.status(), StatusCode::CREATED);
    bob.join_room("Den").await;
    let den = room_id(&bob, "Den").await;
    // Writing reads the room up to there; bob's own messages never count.
    bob.say("Den", "my own never counts").await;
    ann.say("Den", "one").await;
    ann.say("Den", "two").await;
    ann.say("Den", "@bob three").await;

    // Group rooms notify of mentions by default: no count, "@1", and the name is bold.
    assert_eq!(looks(&bob, den).await, shown(None, Some("@1"), true));
    // All: every message counts ("3"), and the mention still shows as "@1" beside it.
    let set: Value = bob.set_notify("Den", "all").await.json().await.unwrap();
    assert_eq!(set, json!({ "room": "Den", "notify": "all" }));
    assert_eq!(looks(&bob, den).await, shown(Some("3"), Some("@1"), true));
    let carol = app.user("carol").await;
    carol.join_room("Den").await;
    carol.set_notify("Den", "all").await;
    let carols_den = room_id(&carol, "Den").await;
    ann.say("Den", "four").await;
    // Carol has read nothing there: all five messages count, and none mentions her.
    assert_eq!(
        looks(&carol, carols_den).await,
        shown(Some("5"), None, true)
    );
    assert_eq!(looks(&bob, den).await, shown(Some("4"), Some("@1"), true));
    // Mentions: no number for chatter, just the bold name (and bob's "@1").
    bob.set_notify("Den", "mentions").await;
    carol.set_notify("Den", "mentions").await;
    assert_eq!(looks(&carol, carols_den).await, shown(None, None, true));
    assert_eq!(looks(&bob, den).await, shown(None, Some("@1"), true));
    // None: nothing at all.
    bob.set_notify("Den", "none").await;
    assert_eq!(looks(&bob, den).await, shown(None, None, false));
    // Carol's level is her own: bob's none left hers alone.
    ann.say("Den", "@carol five").await;
    assert_eq!(
        looks(&carol, carols_den).await,
        shown(None, Some("@1"), true)
    );
    carol.set_notify("Den", "all").await;
    assert_eq!(
        looks(&carol, carols_den).await,
        shown(Some("6"), Some("@1"), true)
    );
}

#[tokio::test]
async fn each_badge_has_words_after_it_in_the_readers_language() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    assert_eq!(ann.create_room("Den").await.status(), StatusCode::CREATED);
    bob.join_room("Den").await;
    bob.set_notify("Den", "all").await;
    let den = room_id(&bob, "Den").await;
    ann.say("Den", "one").await;
    ann.say("Den", "@bob two").await;
    for (lang, unread, mentioning) in [
        ("en", "unread", "mentioning you"),
        ("zh-CN", "条未读", "条提及你"),
    ] {
        let html = bob
            .http
            .get(bob.url("/rooms"))
            .header("Accept-Language", lang)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let (_, item) = html
            .split_once(&format!(r#"<li id="room-{den}">"#))
            .expect("Den in the sidebar");
        let (item, _) = item.split_once("</li>").expect("the item's end");
        // The count, its label, the "@N" (its "@" drawn, not read), its label.
        let count = item
            .find(&format!(r#"id="unread-{den}""#))
            .expect("a count");
        let count_label = item
            .find(&format!(
                r#"<span class="badge-label visually-hidden"> {unread}</span>"#
            ))
            .unwrap_or_else(|| panic!("{lang}: {item}"));
        let at = item
            .find(&format!(r#"id="unread-at-{den}""#))
            .expect("an @ badge");
        let at_label = item
            .find(&format!(
                r#"<span class="badge-label visually-hidden"> {mentioning}</span>"#
            ))
            .unwrap_or_else(|| panic!("{lang}: {item}"));
        assert!(
            count < count_label && count_label < at && at < at_label,
            "{lang}: {item}"
        );
        assert!(
            item.contains(r#"<span aria-hidden="true">@</span>1</span>"#),
            "{item}"
        );
    }
}

#[tokio::test]
async fn a_direct_room_counts_every_message_by_default() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let room = direct(&ann, &["bob"], StatusCode::CREATED).await;
    let name = room["name"].as_str().unwrap();
    ann.say(name, "one").await;
    ann.say(name, "two").await;
    let id = room_id(&bob, name).await;
    assert_eq!(looks(&bob, id).await, shown(Some("2"), None, true));
    ann.say(name, "@bob three").await;
    assert_eq!(looks(&bob, id).await, shown(Some("3"), Some("@1"), true));
    let set: Value = bob.set_notify(name, "mentions").await.json().await.unwrap();
    assert_eq!(set["notify"], "mentions");
    assert_eq!(looks(&bob, id).await, shown(None, Some("@1"), true));
}

#[tokio::test]
async fn a_bad_level_is_422_and_only_members_set_one() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let eve = app.user("eve").await;
    assert_eq!(ann.create_room("Den").await.status(), StatusCode::CREATED);
    for bad in ["", "everything", "ALL ", "<script>", "none'; --"] {
        let body = expect_problem(
            ann.set_notify("Den", bad).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(body["code"], "bad_notify", "{bad:?}: {body}");
    }
    let body = expect_problem(eve.set_notify("Den", "all").await, StatusCode::FORBIDDEN).await;
    assert_eq!(body["code"], "not_a_member");
    expect_problem(
        ann.set_notify("Nowhere", "all").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_problem(
        app.client().set_notify("Den", "all").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let response = ann
        .http
        .put(ann.api("/rooms/Den/membership"))
        .json(&json!({ "notify": 3 }))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error());
}

#[tokio::test]
async fn the_page_select_sets_the_level_and_other_pages_recount_at_once() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    assert_eq!(ann.create_room("Den").await.status(), StatusCode::CREATED);
    bob.join_room("Den").await;
    let den = room_id(&bob, "Den").await;
    ann.say("Den", "one").await;
    let mut elsewhere = bob.ws("/ws").await;
    // The room page's select shows the level in force.
    let html = bob.get("/rooms/Den").await.text().await.unwrap();
    assert!(
        html.contains(r#"<option value="mentions" selected>"#),
        "{html}"
    );

    let response = htmx_submit(&bob, "/rooms/Den/notify", &[("notify", "all")]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let badge = loop {
        let text = next_text(&mut elsewhere, WAIT).await;
        if text.contains(&format!("id=\"unread-{den}\"")) && badge_text(&text, den).is_some() {
            break text;
        }
    };
    assert_eq!(badge_text(&badge, den).as_deref(), Some("1"));
    let html = bob.get("/rooms/Den").await.text().await.unwrap();
    assert!(html.contains(r#"<option value="all" selected>"#));
    // A bad value from the form is refused, and changes nothing.
    let response = submit(&bob, "/rooms/Den/notify", &[("notify", "loud")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bob.get("/rooms/Den").await.text().await.unwrap();
    assert!(html.contains(r#"<option value="all" selected>"#));
}
