//! A room's page: its history, "Load earlier", the composer, and who may see it.

use super::*;

#[tokio::test]
async fn a_room_shows_the_newest_fifty_and_load_earlier_pages_back_to_the_first() {
    let app = spawn_app_with(|config| config.message_burst = 1000.0).await;
    let alice = app.user("alice").await;
    alice.create_room("Archive").await;
    for n in 1..=120 {
        alice.say("Archive", &numbered(n)).await;
    }

    let (status, html) = page(alice.get("/rooms/Archive").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_shows_in_order(&html, 71..=120, 120);
    let newest = html.find(&numbered(120)).expect("the newest");
    let earlier = html.find("Load earlier").expect("a Load earlier button");
    assert!(
        earlier < newest,
        "Load earlier is above, the newest at the bottom"
    );

    let url = load_earlier(&html).expect("more history");
    let (status, older) = page(htmx_get(&alice, &url).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_shows_in_order(&older, 21..=70, 120);

    let url = load_earlier(&older).expect("still more history");
    let (status, oldest) = page(htmx_get(&alice, &url).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_shows_in_order(&oldest, 1..=20, 120);
    assert_eq!(
        load_earlier(&oldest),
        None,
        "nothing before the first message"
    );
}

#[tokio::test]
async fn a_room_with_fifty_messages_has_no_load_earlier_button() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    alice.create_room("Small").await;
    for n in 1..=50 {
        alice.say("Small", &numbered(n)).await;
    }
    let (_, html) = page(alice.get("/rooms/Small").await).await;
    assert_shows_in_order(&html, 1..=50, 50);
    assert_eq!(load_earlier(&html), None);
    assert!(!html.contains("Load earlier"));
}

#[tokio::test]
async fn the_composer_has_a_message_box_and_a_send_button_and_stores_what_you_send() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    alice.create_room("Porch").await;
    let (_, html) = page(alice.get("/rooms/Porch").await).await;
    assert!(find_tag(&html, "<textarea", "aria-label=\"Message\"").is_some());
    let composer = find_tag(&html, "<form", "id=\"composer\"").expect("a composer");
    assert!(composer.contains("action=\"/rooms/Porch/messages\""));
    assert!(has_button(&html, "Send"));

    // Without JavaScript: post, then back to the room.
    let sent = submit(&alice, "/rooms/Porch/messages", &[("text", "first!")]).await;
    assert_redirect(&sent, "/rooms/Porch");
    // With htmx: the answer is a fresh, empty composer.
    let fields = [("text", "second, via htmx"), ("client_id", "c-1")];
    let (status, fresh) = page(htmx_submit(&alice, "/rooms/Porch/messages", &fields).await).await;
    assert_eq!(status, StatusCode::OK);
    let textarea = find_tag(&fresh, "<textarea", "aria-label=\"Message\"").expect("a message box");
    assert!(
        fresh.contains(&format!("{textarea}</textarea>")),
        "it is empty: {fresh}"
    );
    assert!(!fresh.contains("second, via htmx") && has_button(&fresh, "Send"));

    assert_eq!(
        texts_in(&alice, "Porch").await,
        ["first!", "second, via htmx"]
    );
    let (_, html) = page(alice.get("/rooms/Porch").await).await;
    let first = html.find("first!").expect("the first message");
    let second = html.find("second, via htmx").expect("the second message");
    assert!(first < second, "oldest first");
}

#[tokio::test]
async fn an_empty_message_shows_an_error_in_the_composer_and_is_not_stored() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    alice.create_room("Porch").await;
    let fields = [("text", "  \n  ")];
    let (status, html) = page(htmx_submit(&alice, "/rooms/Porch/messages", &fields).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Message text must not be empty."), "{html}");
    assert!(find_tag(&html, "<textarea", "aria-label=\"Message\"").is_some());
    assert!(texts_in(&alice, "Porch").await.is_empty());
}

#[tokio::test]
async fn only_members_see_a_room_and_an_unknown_room_is_not_found() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    bob.create_room("Private").await;
    bob.say("Private", "for members only").await;

    // A room one is not in shows its name and size and a way in, never its messages.
    let (status, html) = page(alice.get("/rooms/Private").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("<h1>Private</h1>"), "{html}");
    assert!(html.contains("1 member"));
    assert!(html.contains("You are not a member of this room yet."));
    assert!(find_tag(&html, "<form", "action=\"/rooms/Private/join\"").is_some());
    assert!(has_button(&html, "Join this room"));
    assert!(!html.contains("for members only"));
    let (status, html) = page(htmx_get(&alice, "/rooms/Private/messages?before=999").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!html.contains("for members only"));
    let fields = [("text", "let me in")];
    let posted = htmx_submit(&alice, "/rooms/Private/messages", &fields).await;
    assert_eq!(posted.status(), StatusCode::FORBIDDEN);
    assert_eq!(texts_in(&bob, "Private").await, ["for members only"]);

    let (status, html) = page(alice.get("/rooms/Nowhere").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("There is no room with that name."));
}

/// The `<article>` that shows the message `text`.
fn message_with<'a>(html: &'a str, text: &str) -> &'a str {
    let at = html.find(text).expect("the message is shown");
    let start = html[..at].rfind("<article").expect("inside an <article>");
    let end = at + html[at..].find("</article>").expect("a closed <article>");
    &html[start..end]
}

fn author_of(message: &str) -> &str {
    let tag = find_tag(message, "<article", "data-uid=").expect("an author");
    attr_values(tag, "data-uid")[0]
}

#[tokio::test]
async fn each_message_shows_sender_time_and_text_and_your_own_look_different() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.create_room("Porch").await;
    bob.join_room("Porch").await;
    alice.say("Porch", "from alice").await;
    bob.say("Porch", "from bob").await;

    let (_, html) = page(alice.get("/rooms/Porch").await).await;
    let (hers, his) = (
        message_with(&html, "from alice"),
        message_with(&html, "from bob"),
    );
    for (message, sender) in [(hers, "alice"), (his, "bob")] {
        assert!(
            message.contains(&format!(">{sender}<")),
            "{sender} is named: {message}"
        );
        let time = attr_values(message, "datetime");
        assert!(
            time.len() == 1 && time[0].ends_with('Z'),
            "a UTC time: {message}"
        );
    }

    // Each viewer's own stylesheet picks out their messages.
    assert!(
        attr_values(&html, "href")
            .iter()
            .any(|href| href.starts_with("/me.css"))
    );
    let (alice_id, bob_id) = (author_of(hers), author_of(his));
    assert_ne!(alice_id, bob_id);
    let mine = alice.get("/me.css").await.text().await.expect("css");
    let theirs = bob.get("/me.css").await.text().await.expect("css");
    assert!(mine.contains(&format!("data-uid=\"{alice_id}\"")), "{mine}");
    assert!(!mine.contains(&format!("data-uid=\"{bob_id}\"")));
    assert!(theirs.contains(&format!("data-uid=\"{bob_id}\"")));
}
