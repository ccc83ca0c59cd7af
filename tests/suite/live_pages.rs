//! The room page's WebSocket, `GET /rooms/{name}/ws`, as htmx's ws extension uses it:
//! the page first sends `{"after_seq":"<the room's seq it shows>"}` (htmx sends form
//! values as strings), then receives HTML fragments to swap in out of band.

use std::time::Duration;

use futures_util::SinkExt;
use reqwest::StatusCode;
use serde_json::json;
use tokio_tungstenite::tungstenite;

use crate::{
    helpers::*,
    live_api::{connect, log_in, members, online_count},
};

/// Seconds any one expected frame may take: generous, for a busy two-core CI machine.
const WAIT: u64 = 10;

fn page_ws(room: &str) -> String {
    format!("/rooms/{}/ws", encode(room))
}

/// Opens the room page's socket and says where the page is, as the page's resume form does.
async fn open_page(user: &User, room: &str, after: &str) -> Ws {
    let mut ws = user.ws(&page_ws(room)).await;
    send_json(&mut ws, json!({ "after_seq": after })).await;
    ws
}

fn is_online_count(fragment: &str) -> bool {
    online_count(fragment).is_some()
}

/// Opens the page's socket on a room as a page that shows nothing yet, and waits for
/// the online count: the server sends it (after the catch-up and the sidebar's current
/// badges) just before going live, once it listens to the room, the sidebar's other
/// rooms, and logouts.
pub(crate) async fn live_page(user: &User, room: &str) -> Ws {
    let mut ws = open_page(user, room, "0").await;
    loop {
        let first = next_text(&mut ws, WAIT).await;
        if is_online_count(&first) {
            return ws;
        }
        assert!(
            first.contains("class=\"badge") || is_message(&first),
            "expected catch-up and badges, then the online count, got {first}"
        );
    }
}

/// The next fragment for which `wanted` holds, passing over others (presence updates).
pub(crate) async fn next_fragment(ws: &mut Ws, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(WAIT);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let fragment = next_text(ws, left.as_secs().max(1)).await;
        if wanted(&fragment) {
            return fragment;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no such fragment in time"
        );
    }
}

fn is_message(fragment: &str) -> bool {
    fragment.contains(r#"class="msg""#)
}

/// The id in a message fragment's `id="m-<id>"`.
fn message_id(fragment: &str) -> i64 {
    let (_, rest) = fragment
        .split_once(r#"id="m-"#)
        .unwrap_or_else(|| panic!("a message fragment, got {fragment}"));
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().expect("a message id")
}

/// The id of a room, as the sidebar at `GET /rooms` names it (`<li id="room-<id>">`).
pub(crate) async fn room_id(user: &User, room: &str) -> i64 {
    let html = user.get("/rooms").await.text().await.expect("HTML");
    let link = format!(r#"<a href="/rooms/{}""#, encode(room));
    let (before, _) = html
        .split_once(&link)
        .unwrap_or_else(|| panic!("{room} in the sidebar"));
    let (_, id) = before.rsplit_once(r#"<li id="room-"#).expect("a room item");
    let digits: String = id.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().expect("a room id")
}

/// What a room's count badge shows ("3", "99+"), or None when it is hidden.
pub(crate) fn badge_text(html: &str, room_id: i64) -> Option<String> {
    let marker = format!(r#"id="unread-{room_id}""#);
    let (_, rest) = html
        .split_once(&marker)
        .unwrap_or_else(|| panic!("a badge for room {room_id} in {html}"));
    let (attributes, rest) = rest.split_once('>').expect("a badge element");
    let (content, _) = rest.split_once('<').expect("a badge's end");
    (!attributes.contains("hidden")).then(|| content.to_owned())
}

/// What a room's "@" badge beside the count shows ("@2"), or None when it is hidden.
/// Its "@" is drawn for the eye only: the page's label after it says the words.
pub(crate) fn mention_badge(html: &str, room_id: i64) -> Option<String> {
    let marker = format!(r#"id="unread-at-{room_id}""#);
    let (_, rest) = html
        .split_once(&marker)
        .unwrap_or_else(|| panic!("an @ badge for room {room_id} in {html}"));
    let (attributes, rest) = rest.split_once('>').expect("a badge element");
    let number = rest
        .strip_prefix(r#"<span aria-hidden="true">@</span>"#)
        .unwrap_or_else(|| panic!("a drawn @ in {rest}"));
    let (number, _) = number.split_once('<').expect("a badge's end");
    (!attributes.contains("hidden")).then(|| format!("@{number}"))
}

/// Whether a room's name is bold: something from others is unread there.
pub(crate) fn is_bold(html: &str, room_id: i64) -> bool {
    let marker = format!(r#"id="unread-{room_id}""#);
    let (_, rest) = html
        .split_once(&marker)
        .unwrap_or_else(|| panic!("a badge for room {room_id} in {html}"));
    let (attributes, _) = rest.split_once('>').expect("a badge element");
    attributes.contains("data-unread")
}

/// The unread count a badge shows (in a room notifying of every message), or None
/// when it is hidden. "99+" (the cap) reads as 100: a test waiting for a smaller count
/// may first see the room before its marker moved.
pub(crate) fn badge(html: &str, room_id: i64) -> Option<i64> {
    badge_text(html, room_id).map(|text| match text.as_str() {
        "99+" => 100,
        count => count.parse().expect("a count"),
    })
}

pub(crate) async fn sidebar(user: &User) -> String {
    let response = user.get("/rooms").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.expect("HTML")
}

/// Reads until the server lets go of the socket, so whatever it does on the way out
/// (saving the read marker) is done.
pub(crate) async fn leave(mut ws: Ws) {
    ws.close(None).await.expect("close");
    assert!(
        close_code(&mut ws, WAIT)
            .await
            .is_none_or(|code| code == 1000)
    );
}

#[tokio::test]
async fn a_message_from_another_member_arrives_on_the_page_as_an_escaped_html_fragment() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let mut bob_page = live_page(bob, "general").await;
    let mut ann_page = live_page(ann, "general").await;

    let text = r#"<script>alert("hi")</script> & <b>bold</b>"#;
    let id = ann.say("general", text).await;
    let fragment = next_fragment(&mut bob_page, is_message).await;

    assert!(fragment.contains("hx-swap-oob"), "{fragment}");
    assert!(fragment.contains(&format!(r#"id="m-{id}""#)), "{fragment}");
    assert!(fragment.contains("ann"), "the sender is shown: {fragment}");
    assert!(
        fragment.contains("&#60;script&#62;") || fragment.contains("&lt;script&gt;"),
        "the text arrives escaped: {fragment}"
    );
    assert!(!fragment.contains("<script"), "never raw: {fragment}");
    assert!(!fragment.contains("<b>"), "never raw: {fragment}");
    // The same HTML for everyone: "mine" is the page's own stylesheet's business.
    assert_eq!(next_fragment(&mut ann_page, is_message).await, fragment);
}

#[tokio::test]
async fn a_page_that_reconnects_gets_the_messages_it_missed_in_order_before_anything_else() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let shown = ann.say("general", "the last one bob's page shows").await;
    let mut missed = Vec::new();
    for n in 1..=3 {
        missed.push(ann.say("general", &format!("missed {n}")).await);
    }

    let mut bob_page = open_page(bob, "general", &shown.to_string()).await;
    for expected in &missed {
        let fragment = next_text(&mut bob_page, WAIT).await;
        assert!(is_message(&fragment), "catch-up comes first: {fragment}");
        assert_eq!(message_id(&fragment), *expected);
    }
    let live = ann.say("general", "and now live").await;
    let fragment = next_fragment(&mut bob_page, is_message).await;
    assert_eq!(message_id(&fragment), live, "no repeat, no gap");
}

#[tokio::test]
async fn a_message_in_another_room_shows_an_unread_badge_that_lasts_until_the_room_is_read() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    assert_eq!(
        ann.create_room("random").await.status(),
        StatusCode::CREATED
    );
    bob.join_counting_all("random").await;
    let random = room_id(bob, "random").await;
    let general = room_id(bob, "general").await;
    let is_random_badge = |f: &str| f.contains(&format!(r#"id="unread-{random}""#));

    let mut bob_page = live_page(bob, "general").await;
    ann.say("random", "psst").await;
    let fragment = next_fragment(&mut bob_page, is_random_badge).await;
    assert!(fragment.contains("hx-swap-oob"), "{fragment}");
    assert_eq!(badge(&fragment, random), Some(1));
    ann.say("random", "psst, again").await;
    let fragment = next_fragment(&mut bob_page, is_random_badge).await;
    assert_eq!(badge(&fragment, random), Some(2));

    // Read on the open page: the reader is at the bottom, and the page says so.
    let here = ann.say("general", "hello bob").await;
    let fragment = next_fragment(&mut bob_page, is_message).await;
    assert_eq!(message_id(&fragment), here);
    send_json(&mut bob_page, json!({ "read": here.to_string() })).await;
    leave(bob_page).await;

    // Counts are kept per member, so a new session sees them too.
    let bob_again = log_in(&app, "bob").await;
    let html = eventually(&bob_again, |html| !is_bold(html, general)).await;
    assert_eq!(badge(&html, random), Some(2));

    // Opening the room is not reading it: it shows where the new messages start...
    let (status, html) = page_html(&bob_again, "/rooms/random").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"id="new-divider""#), "{html}");
    assert!(html.contains("2 new messages"), "{html}");
    assert_eq!(badge(&sidebar(&bob_again).await, random), Some(2));
    // ...and reaching its newest message is.
    let mut random_page = live_page(&bob_again, "random").await;
    let newest = bob_again.say("random", "read it all").await;
    next_fragment(&mut random_page, is_message).await;
    send_json(&mut random_page, json!({ "read": newest })).await;
    eventually(&bob_again, |html| badge(html, random).is_none()).await;
}

/// The sidebar once `done` holds for it (the read marker moves a moment after the
/// page says so); fails after a few seconds.
pub(crate) async fn eventually(user: &User, done: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(WAIT);
    loop {
        let html = sidebar(user).await;
        if done(&html) {
            return html;
        }
        assert!(tokio::time::Instant::now() < deadline, "never: {html}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn page_html(user: &User, path: &str) -> (StatusCode, String) {
    let response = user.get(path).await;
    (response.status(), response.text().await.expect("a page"))
}

#[tokio::test]
async fn a_room_joined_while_a_page_is_open_gets_its_unread_badge_without_a_reload() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    assert_eq!(ann.create_room("later").await.status(), StatusCode::CREATED);
    let mut bob_page = live_page(bob, "general").await;

    // Bob joins from the dialog (or any other client) while his page is open.
    bob.join_counting_all("later").await;
    let later = room_id(bob, "later").await;
    // The page lists it at once...
    let entry = next_fragment(&mut bob_page, |f| {
        f.contains(&format!(r#"id="room-{later}""#))
    })
    .await;
    assert!(
        entry.contains(r##"hx-swap-oob="beforeend:#room-list""##),
        "{entry}"
    );
    assert!(entry.contains(r#"href="/rooms/later""#), "{entry}");
    // ...and counts what arrives there.
    ann.say("later", "welcome, bob").await;
    let badge_of_later = |f: &str| {
        f.contains(&format!(r#"id="unread-{later}""#))
            && !f.contains("<li")
            && badge(f, later).is_some()
    };
    let fragment = next_fragment(&mut bob_page, badge_of_later).await;
    assert_eq!(badge(&fragment, later), Some(1));
}

#[tokio::test]
async fn the_online_count_goes_up_when_a_second_member_opens_the_room_and_down_when_they_leave() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let online = |n: usize| move |f: &str| online_count(f) == Some(n);

    let mut bob_page = open_page(bob, "general", "0").await;
    let first = next_text(&mut bob_page, WAIT).await;
    assert!(online(1)(&first), "the page learns who is online: {first}");

    let ann_page = live_page(ann, "general").await;
    let fragment = next_fragment(&mut bob_page, online(2)).await;
    assert!(fragment.contains("hx-swap-oob"), "{fragment}");

    leave(ann_page).await;
    next_fragment(&mut bob_page, online(1)).await;
}

#[tokio::test]
async fn logging_out_closes_the_page_socket_with_1008() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["bob"]).await;
    let bob = &users[0];
    let mut bob_page = live_page(bob, "general").await;

    let response = bob
        .http
        .post(app.url("/logout"))
        .send()
        .await
        .expect("log out");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(close_code(&mut bob_page, WAIT).await, Some(1008));
}

#[tokio::test]
async fn a_page_socket_opened_from_another_site_is_refused_with_403() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["bob"]).await;
    let bob = &users[0];

    let refused = bob
        .try_ws(&page_ws("general"), &[("origin", "https://evil.example")])
        .await;
    match refused {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status().as_u16(), 403),
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("a cross-site page socket opened"),
    }

    // What a browser on the site itself sends is fine.
    let own = format!("http://{}", app.addr);
    let mut ws = bob
        .try_ws(&page_ws("general"), &[("origin", own.as_str())])
        .await
        .expect("a same-origin page socket opens");
    ws.send(tungstenite::Message::text(
        json!({ "after_seq": "0" }).to_string(),
    ))
    .await
    .expect("send");
    let id = bob.say("general", "hello").await;
    assert_eq!(message_id(&next_fragment(&mut ws, is_message).await), id);
}

#[tokio::test]
async fn a_message_sent_from_the_page_composer_reaches_pages_and_integrations_alike() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let mut bob_page = live_page(bob, "general").await;
    let mut bob_api = connect(bob, "/api/v1/rooms/general/ws").await;

    let response = ann
        .http
        .post(app.url("/rooms/general/messages"))
        .header("HX-Request", "true")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("text=from+the+composer&client_id=page-1")
        .send()
        .await
        .expect("post the composer");
    assert_eq!(response.status(), StatusCode::OK);
    let composer = response.text().await.expect("HTML");
    assert!(
        composer.contains(r#"id="composer""#),
        "a fresh composer: {composer}"
    );
    assert!(!composer.contains("from the composer"), "and an empty one");

    let frame = next_message(&mut bob_api, WAIT).await;
    assert_eq!(frame["text"], "from the composer");
    assert_eq!(frame["client_id"], "page-1");
    let fragment = next_fragment(&mut bob_page, is_message).await;
    assert_eq!(Some(message_id(&fragment)), frame["id"].as_i64());
    assert!(fragment.contains("from the composer"));
}
