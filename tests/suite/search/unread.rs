//! "New since you left": a room opens at a "New" divider before the first message its
//! reader has not read, and the read marker moves only when the page says its reader
//! reached the newest message (`{"read": <id>}` on the page's socket). Everyone here
//! counts every message (`notify` is `all`), so badges show numbers.

use serde_json::json;

use super::*;
use crate::live_pages::{badge, eventually, leave, live_page, next_fragment, room_id, sidebar};
use crate::pages::{assert_shows_in_order, attr_values, find_tag, load_earlier, numbered, page};

/// alice and bob in Den; bob (who has read nothing there) writes first, then alice
/// says each of `texts`. Returns them, Den's id, and the ids of alice's messages.
async fn den(app: &TestApp, texts: &[&str]) -> (User, User, i64, Vec<i64>) {
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.create_room("Den").await;
    alice.set_notify("Den", "all").await;
    bob.join_counting_all("Den").await;
    bob.say("Den", "bob was here").await;
    let mut ids = Vec::new();
    for text in texts {
        ids.push(alice.say("Den", text).await);
    }
    let den = room_id(&bob, "Den").await;
    (alice, bob, den, ids)
}

/// The divider, if the page has one: its whole tag.
fn divider(html: &str) -> Option<&str> {
    find_tag(html, "<div", "id=\"new-divider\"")
}

#[tokio::test]
async fn a_room_with_unread_messages_opens_with_a_new_divider_before_the_first_of_them() {
    let app = spawn_app().await;
    let (_alice, bob, den, ids) = den(&app, &["one", "two", "three"]).await;
    // bob's own message is not news to him.
    assert_eq!(badge(&sidebar(&bob).await, den), Some(3));

    let (status, html) = page(bob.get("/rooms/Den").await).await;
    assert_eq!(status, StatusCode::OK);
    let line = divider(&html).expect("a New divider");
    assert!(line.contains("role=\"separator\""), "{line}");
    assert_eq!(
        attr_values(line, "aria-label"),
        ["3 new messages"],
        "{line}"
    );
    let at = html.find("id=\"new-divider\"").expect("the divider");
    let first = html
        .find(&format!("id=\"m-{}\"", ids[0]))
        .expect("the first unread");
    let own = html.find("bob was here").expect("bob's message");
    assert!(
        own < at && at < first,
        "between what was read and what was not"
    );
    assert!(html[at..first].contains(">New</span>"), "it says New");
    let announce = find_tag(&html, "<p", "id=\"announce\"").expect("an announcer");
    assert!(announce.contains("role=\"status\""), "{announce}");
    assert_eq!(attr_values(announce, "data-new"), ["3 new messages"]);
    // Opening the room is not reading it.
    assert_eq!(badge(&sidebar(&bob).await, den), Some(3));

    // One alone is said in the singular.
    let carol = app.user("carol").await;
    carol.join_counting_all("Den").await;
    let mut socket = live_page(&carol, "Den").await;
    send_json(&mut socket, json!({ "read": i64::MAX })).await;
    eventually(&carol, |html| badge(html, den).is_none()).await;
    bob.say("Den", "just one more").await;
    let (_, html) = page(carol.get("/rooms/Den").await).await;
    let divider = divider(&html).expect("a New divider");
    assert_eq!(attr_values(divider, "aria-label"), ["1 new message"]);
}

#[tokio::test]
async fn a_room_with_nothing_unread_has_no_divider() {
    let app = spawn_app().await;
    let (alice, bob, den, ids) = den(&app, &["one", "two"]).await;
    // alice wrote everything but bob's first, which she has read.
    let mut page_socket = live_page(&alice, "Den").await;
    send_json(&mut page_socket, json!({ "read": ids[1] })).await;
    eventually(&alice, |html| badge(html, den).is_none()).await;
    alice.say("Den", "and my own").await;

    let (_, html) = page(alice.get("/rooms/Den").await).await;
    assert!(divider(&html).is_none(), "{html}");
    assert!(html.contains("and my own"));
    // bob, once he has read it all, sees none either.
    let mut bobs = live_page(&bob, "Den").await;
    send_json(&mut bobs, json!({ "read": i64::MAX })).await;
    eventually(&bob, |html| badge(html, den).is_none()).await;
    let (_, html) = page(bob.get("/rooms/Den").await).await;
    assert!(divider(&html).is_none(), "{html}");
    // ?latest=1 never has one.
    alice.say("Den", "news for bob").await;
    let (_, html) = page(bob.get("/rooms/Den?latest=1").await).await;
    assert!(divider(&html).is_none(), "{html}");
    let (_, html) = page(bob.get("/rooms/Den").await).await;
    assert!(divider(&html).is_some(), "{html}");
}

#[tokio::test]
async fn a_room_far_behind_opens_where_its_unread_messages_start_not_at_the_newest() {
    let app = spawn_app_with(|config| config.message_burst = 1000.0).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.create_room("Long").await;
    bob.join_counting_all("Long").await;
    let mut ids = Vec::new();
    for n in 1..=120 {
        ids.push(alice.say("Long", &numbered(n)).await);
    }
    // bob read up to message 40 on the day.
    let mut socket = live_page(&bob, "Long").await;
    send_json(&mut socket, json!({ "read": ids[39] })).await;
    let long = room_id(&bob, "Long").await;
    eventually(&bob, |html| badge(html, long) == Some(80)).await;

    let (status, html) = page(bob.get("/rooms/Long").await).await;
    assert_eq!(status, StatusCode::OK);
    // Half a page up to the first unread, the rest after it.
    assert_shows_in_order(&html, 17..=66, 120);
    let at = html.find("id=\"new-divider\"").expect("a New divider");
    let first = html.find(&numbered(41)).expect("the first unread is shown");
    let read = html
        .find(&numbered(40))
        .expect("the last one read, just above");
    assert!(read < at && at < first, "the divider is before message 41");
    assert!(html.contains("aria-label=\"80 new messages\""));
    assert!(load_earlier(&html).is_some(), "older ones above");
    assert!(html.contains(">Load later</button>"), "newer ones below");
    // "Jump to the latest" is there to leave for the bottom.
    assert!(html.contains("href=\"/rooms/Long?latest=1\""));
    let (_, latest) = page(bob.get("/rooms/Long?latest=1").await).await;
    assert_shows_in_order(&latest, 71..=120, 120);
}

#[tokio::test]
async fn the_read_marker_moves_only_when_the_page_says_its_reader_reached_the_newest() {
    let app = spawn_app().await;
    let (alice, bob, den, ids) = den(&app, &["one", "two", "three"]).await;
    // bob's other page (any logged-in page) keeps its sidebar live.
    let mut elsewhere = bob.ws("/ws").await;
    next_fragment(&mut elsewhere, |f| {
        f.contains(&format!("id=\"unread-{den}\""))
    })
    .await;

    // Opening the room, and its socket opening and closing, read nothing.
    page(bob.get("/rooms/Den").await).await;
    let socket = live_page(&bob, "Den").await;
    assert_eq!(badge(&sidebar(&bob).await, den), Some(3));
    leave(socket).await;
    assert_eq!(
        badge(&sidebar(&bob).await, den),
        Some(3),
        "leaving is not reading"
    );
    let mut socket = live_page(&bob, "Den").await;

    // Read up to the first: two are left.
    read(&mut socket, den, json!(ids[0])).await;
    assert_eq!(badge(&sidebar(&bob).await, den), Some(2));
    // The newest (as htmx would send it, a string): none, and bob's other page hears.
    read(&mut socket, den, json!(ids[2].to_string())).await;
    assert_eq!(badge(&sidebar(&bob).await, den), None);
    next_fragment(&mut elsewhere, |f| {
        f.contains(&format!("id=\"unread-{den}\"")) && badge(f, den).is_none()
    })
    .await;

    // The marker never goes back, nor past the newest message: what comes next is
    // unread. Frames that say nothing are passed over.
    read(&mut socket, den, json!(ids[0])).await;
    read(&mut socket, den, json!(ids[2] + 1000)).await;
    for garbage in [
        json!({ "read": "soon" }),
        json!({ "read": null }),
        json!({ "read": [1] }),
        json!({}),
    ] {
        send_json(&mut socket, garbage).await;
    }
    read(&mut socket, den, json!(ids[1])).await;
    assert_eq!(badge(&sidebar(&bob).await, den), None);
    let later = alice.say("Den", "four").await;
    assert!(later < ids[2] + 1000);
    eventually(&bob, |html| badge(html, den) == Some(1)).await;
    let (_, html) = page(bob.get("/rooms/Den").await).await;
    let divider = divider(&html).expect("a divider before four");
    assert_eq!(attr_values(divider, "aria-label"), ["1 new message"]);
    let at = html.find("id=\"new-divider\"").expect("the divider");
    assert!(html[at..].contains("four") && !html[at..].contains("three"));
}

/// Sends `{"read": id}` on a room page's socket and waits for the page's badge for the
/// room to be cleared: the server has handled the frame (and every one before it).
async fn read(socket: &mut Ws, room: i64, id: serde_json::Value) {
    send_json(socket, json!({ "read": id })).await;
    next_fragment(socket, |f| {
        f.contains(&format!("id=\"unread-{room}\"")) && badge(f, room).is_none()
    })
    .await;
}

#[tokio::test]
async fn edits_deletes_and_reactions_are_not_unread_messages_but_new_messages_are() {
    let app = spawn_app().await;
    let (alice, bob, den, ids) = den(&app, &["one", "two"]).await;
    assert_eq!(badge(&sidebar(&bob).await, den), Some(2));
    // Each of these takes a seq of the room, and none is a message to read.
    assert_eq!(
        alice.edit_message(ids[0], "one, fixed").await.status(),
        StatusCode::OK
    );
    assert_eq!(alice.react(ids[1], "👍").await.status(), StatusCode::OK);
    assert_eq!(
        alice.delete_message(ids[1]).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(badge(&sidebar(&bob).await, den), Some(2));
    // bob's own message reads the room for him; alice's next one is news again.
    bob.say("Den", "caught up").await;
    assert_eq!(badge(&sidebar(&bob).await, den), None);
    alice.say("Den", "three").await;
    alice.say("Den", "four").await;
    assert_eq!(badge(&sidebar(&bob).await, den), Some(2));
    // Someone who joins now has the whole history unread (the taken-back one's
    // tombstone too, as it has a place in the conversation).
    let busy = app.user("busy").await;
    busy.join_counting_all("Den").await;
    assert_eq!(badge(&sidebar(&busy).await, den), Some(6));
}
