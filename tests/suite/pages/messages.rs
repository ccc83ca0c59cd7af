//! A message's actions on the page: the menu, editing, deleting and reacting, as plain
//! pages and forms without JavaScript and as the fragments htmx asks for.

use serde_json::json;

use super::*;

#[tokio::test]
async fn the_actions_page_offers_edit_and_delete_only_on_your_own_message() {
    let app = spawn_app().await;
    let (alice, bob, id) = porch_with_message(&app, "alice's words").await;
    let eve = app.user("eve").await;

    let (status, html) = page(alice.get(&format!("/messages/{id}/actions")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("alice&#39;s words") || html.contains("alice's words"));
    let edit_form = find_tag(&html, "<form", &format!(r#"action="/messages/{id}/edit""#));
    assert!(
        edit_form.is_some_and(|f| f.contains(r#"method="post""#)),
        "{html}"
    );
    assert!(html.contains(&format!(r#"href="/messages/{id}/delete""#)));
    assert!(has_button(&html, "Save"));
    assert!(html.contains(&format!(r#"action="/messages/{id}/reactions""#)));
    assert!(html.contains(r#"href="/rooms/Porch""#), "a way back");

    let (status, theirs) = page(bob.get(&format!("/messages/{id}/actions")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(theirs.contains(&format!(r#"action="/messages/{id}/reactions""#)));
    assert!(
        !theirs.contains(&format!("/messages/{id}/edit")),
        "{theirs}"
    );
    assert!(
        !theirs.contains(&format!("/messages/{id}/delete")),
        "{theirs}"
    );

    let (status, refused) = page(eve.get(&format!("/messages/{id}/actions")).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!refused.contains("alice&#39;s words") && !refused.contains("alice's words"));
    let (status, _) = page(alice.get("/messages/999999/actions").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Someone else's edit form and delete confirmation are not there for the asking.
    for path in [
        format!("/messages/{id}/edit"),
        format!("/messages/{id}/delete"),
    ] {
        let (status, _) = page(bob.get(&path).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn editing_without_javascript_goes_back_to_the_room_showing_the_new_text() {
    let app = spawn_app().await;
    let (alice, bob, id) = porch_with_message(&app, "teh typo").await;

    let saved = submit(
        &alice,
        &format!("/messages/{id}/edit"),
        &[("text", "the fix")],
    )
    .await;

    assert_redirect(&saved, "/rooms/Porch");
    let (_, room) = page(bob.get("/rooms/Porch").await).await;
    assert!(
        room.contains("the fix") && !room.contains("teh typo"),
        "{room}"
    );
    let mark = find_tag(&room, "<span", r#"class="edited""#).expect("an edited mark");
    assert!(attr_values(mark, "data-at")[0].ends_with('Z'), "{mark}");
    // Empty until the page's script gives it words: no focus stop without a name.
    assert!(!mark.contains("tabindex"), "{mark}");
    assert_eq!(texts_in(&bob, "Porch").await, ["the fix"]);

    // A bad edit shows the page again, with the error and what was typed.
    let refused = submit(&alice, &format!("/messages/{id}/edit"), &[("text", "   ")]).await;
    let (status, html) = page(refused).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Message text must not be empty."), "{html}");
    assert!(find_tag(&html, "<textarea", r#"name="text""#).is_some());
    assert_eq!(texts_in(&bob, "Porch").await, ["the fix"]);
    // Only the author may.
    let theirs = submit(&bob, &format!("/messages/{id}/edit"), &[("text", "bob's")]).await;
    assert_eq!(theirs.status(), StatusCode::FORBIDDEN);
    assert_eq!(texts_in(&bob, "Porch").await, ["the fix"]);
}

#[tokio::test]
async fn deleting_without_javascript_asks_first_then_removes_it_from_the_room_page() {
    let app = spawn_app().await;
    let (alice, bob, id) = porch_with_message(&app, "regrettable").await;
    let kept = alice.say("Porch", "fine to keep").await;

    let (status, confirm) = page(alice.get(&format!("/messages/{id}/delete")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("Delete this message?"), "{confirm}");
    let form = find_tag(
        &confirm,
        "<form",
        &format!(r#"action="/messages/{id}/delete""#),
    )
    .expect("a confirming form");
    assert!(form.contains(r#"method="post""#));
    assert!(has_button(&confirm, "Delete"));
    assert_eq!(
        texts_in(&bob, "Porch").await.len(),
        2,
        "asking deletes nothing"
    );

    let refused = submit(&bob, &format!("/messages/{id}/delete"), &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let deleted = submit(&alice, &format!("/messages/{id}/delete"), &[]).await;
    assert_redirect(&deleted, "/rooms/Porch");

    for viewer in [&alice, &bob] {
        let (_, room) = page(viewer.get("/rooms/Porch").await).await;
        assert!(!room.contains("regrettable"), "{room}");
        assert!(
            !room.contains(&format!(r#"id="m-{id}""#)),
            "no empty shell either"
        );
        assert!(room.contains(&format!(r#"id="m-{kept}""#)));
    }
    let (_, earlier) =
        page(htmx_get(&bob, &format!("/rooms/Porch/messages?before={kept}")).await).await;
    assert!(!earlier.contains("regrettable") && !earlier.contains(&format!(r#"id="m-{id}""#)));
    let gone = submit(&alice, &format!("/messages/{id}/delete"), &[]).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND, "deleting twice");
}

#[tokio::test]
async fn a_reaction_button_adds_your_reaction_and_pressing_it_again_takes_it_back() {
    let app = spawn_app().await;
    let (alice, bob, id) = porch_with_message(&app, "nice").await;
    let react = format!("/messages/{id}/reactions");

    assert_redirect(
        &submit(&bob, &react, &[("emoji", "👍")]).await,
        "/rooms/Porch",
    );
    let pressed = htmx_submit(&alice, &react, &[("emoji", "👍")]).await;
    assert_eq!(pressed.status(), StatusCode::OK);
    assert_eq!(
        reactions_of(&alice, id).await,
        json!([{ "emoji": "👍", "users": ["bob", "alice"] }])
    );
    let (_, room) = page(alice.get("/rooms/Porch").await).await;
    assert!(room.contains(r#"aria-label="👍 2: bob, alice""#), "{room}");

    assert_redirect(
        &submit(&bob, &react, &[("emoji", "👍")]).await,
        "/rooms/Porch",
    );
    assert_eq!(
        reactions_of(&alice, id).await,
        json!([{ "emoji": "👍", "users": ["alice"] }])
    );

    // Anything but one emoji is refused where it was typed.
    for bad in ["", "ok", "👍👍"] {
        let (status, dialog) = page(htmx_submit(&alice, &react, &[("emoji", bad)]).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        assert!(
            dialog.contains("A reaction must be exactly one emoji."),
            "{dialog}"
        );
        assert!(dialog.contains(r#"aria-invalid="true""#), "{dialog}");
    }
    let (status, html) = page(submit(&alice, &react, &[("emoji", "ok")]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("A reaction must be exactly one emoji."));

    // What was typed comes back into the box as text, never as markup.
    for hostile in [
        r#""><script>alert(1)</script>"#,
        r#"' autofocus onfocus='alert(1)"#,
        "<img src=x onerror=alert(1)>",
    ] {
        let (status, dialog) = page(htmx_submit(&alice, &react, &[("emoji", hostile)]).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{hostile}");
        assert!(
            !dialog.contains("<script>alert") && !dialog.contains("<img src=x"),
            "{dialog}"
        );
        assert!(!dialog.contains(" onfocus='alert"), "{dialog}");
        let value = find_tag(&dialog, "<input", r#"id="react-emoji""#).expect("the box");
        // The box holds the whole text, escaped: one attribute, nothing after it.
        let held = value.split(r#"value=""#).nth(1).expect("a value");
        let held = &held[..held.find('"').expect("its end")];
        assert!(!held.contains(['<', '>', '\'']), "{value}");
        assert!(held.contains("&#") && held.contains("alert(1)"), "{value}");
    }
    assert_eq!(
        reactions_of(&alice, id).await,
        json!([{ "emoji": "👍", "users": ["alice"] }])
    );
}

#[tokio::test]
async fn the_htmx_menu_is_a_menu_with_edit_and_delete_only_on_your_own_message() {
    let app = spawn_app().await;
    let (alice, bob, id) = porch_with_message(&app, "menu please").await;

    let (status, mine) = page(htmx_get(&alice, &format!("/messages/{id}/menu")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        find_tag(&mine, "<div", r#"role="menu""#).is_some(),
        "{mine}"
    );
    assert!(!mine.contains("<html"), "a fragment, not a page");
    assert!(
        mine.contains(">Edit</button>") && mine.contains(">Delete</button>"),
        "{mine}"
    );
    assert!(mine.contains(&format!(r#"hx-get="/messages/{id}/edit""#)));
    assert!(mine.contains(r#"role="menuitem""#));

    let (status, theirs) = page(htmx_get(&bob, &format!("/messages/{id}/menu")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(find_tag(&theirs, "<div", r#"role="menu""#).is_some());
    assert!(theirs.contains(&format!(r#"hx-post="/messages/{id}/reactions""#)));
    assert!(
        !theirs.contains(">Edit</button>") && !theirs.contains(">Delete</button>"),
        "{theirs}"
    );
}

#[tokio::test]
async fn the_htmx_edit_form_saves_in_place_and_a_bad_edit_answers_422_with_the_error() {
    let app = spawn_app().await;
    let (alice, bob, id) = porch_with_message(&app, "draft <1>").await;
    let path = format!("/messages/{id}/edit");

    let (status, form) = page(htmx_get(&alice, &path).await).await;
    assert_eq!(status, StatusCode::OK);
    let tag = find_tag(&form, "<form", &format!(r#"id="c-{id}""#)).expect("the edit form");
    assert!(tag.contains(&format!(r#"hx-post="{path}""#)), "{tag}");
    assert!(
        form.contains("draft &#60;1&#62;</textarea>")
            || form.contains("draft &lt;1&gt;</textarea>"),
        "{form}"
    );
    assert!(!form.contains("<html"), "a fragment");

    for (bad, error) in [
        (String::new(), "Message text must not be empty.".to_owned()),
        (
            "x".repeat(4001),
            "Message text must be at most 4000 characters.".to_owned(),
        ),
    ] {
        let (status, again) = page(htmx_submit(&alice, &path, &[("text", &bad)]).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.contains(&error), "{again}");
        let textarea = find_tag(&again, "<textarea", r#"name="text""#).expect("the form again");
        assert!(textarea.contains(r#"aria-invalid="true""#), "{textarea}");
    }
    assert_eq!(texts_in(&bob, "Porch").await, ["draft <1>"]);

    let (status, content) = page(htmx_submit(&alice, &path, &[("text", "final <2>")]).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        find_tag(&content, "<div", &format!(r#"id="c-{id}""#)).is_some(),
        "{content}"
    );
    assert!(
        content.contains("final &lt;2&gt;") || content.contains("final &#60;2&#62;"),
        "{content}"
    );
    assert!(content.contains(r#"class="edited""#));
    assert_eq!(texts_in(&bob, "Porch").await, ["final <2>"]);
}

#[tokio::test]
async fn the_favicon_is_a_png() {
    let app = spawn_app().await;

    let response = app.client().get("/favicon.ico").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, CONTENT_TYPE.as_str()), "image/png");
    let body = response.bytes().await.expect("a body");
    assert!(body.starts_with(b"\x89PNG\r\n\x1a\n"), "PNG bytes");
}

#[tokio::test]
async fn a_one_second_wait_says_1_second_and_a_longer_one_counts_seconds() {
    let quick = spawn_app_with(|config| {
        config.message_rate = 1.0;
        config.message_burst = 1.0;
    })
    .await;
    let slow = spawn_app_with(|config| {
        config.message_rate = 1.0 / 20.0;
        config.message_burst = 1.0;
    })
    .await;

    for (app, expected) in [
        (&quick, "Try again in 1 second."),
        (&slow, "Try again in 20 seconds."),
    ] {
        let alice = app.user("alice").await;
        alice.create_room("Porch").await;
        let fields = [("text", "one")];
        let first = htmx_submit(&alice, "/rooms/Porch/messages", &fields).await;
        assert_eq!(first.status(), StatusCode::OK);
        let (status, composer) =
            page(htmx_submit(&alice, "/rooms/Porch/messages", &fields).await).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(composer.contains(expected), "{expected}: {composer}");
    }
}

// ---- helpers -----------------------------------------------------------------------

/// alice's room "Porch", which bob has joined, with one message of alice's.
async fn porch_with_message(app: &TestApp, text: &str) -> (User, User, i64) {
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.create_room("Porch").await;
    bob.join_room("Porch").await;
    let id = alice.say("Porch", text).await;
    (alice, bob, id)
}

/// A message's reactions, as the API lists them.
async fn reactions_of(user: &User, id: i64) -> Value {
    let response = user.get("/api/v1/rooms/Porch/messages").await;
    let messages: Vec<Value> = response.json().await.expect("JSON");
    let message = messages
        .iter()
        .find(|m| m["id"] == id)
        .expect("the message");
    message["reactions"].clone()
}
