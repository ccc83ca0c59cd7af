//! Changing messages through `/api/v1`: editing, deleting, earlier versions and
//! reactions, row by row of the spec's table, every success and every refusal, and
//! wrongly typed JSON fields.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::api_auth::expect_problem;
use crate::helpers::*;

// ---- without a session, outside the room, not the author, no such message ---------

#[tokio::test]
async fn every_message_route_is_401_without_a_session_and_changes_nothing() {
    let app = spawn_app().await;
    let (alice, id) = room_with_message(&app, "Lobby", "hello").await;
    let stranger = app.client();

    for response in every_message_route(&stranger, id).await {
        let body = expect_problem(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(body["code"], "not_logged_in", "{body}");
    }
    let events = stranger.get("/api/v1/rooms/Lobby/events").await;
    expect_problem(events, StatusCode::UNAUTHORIZED).await;

    assert_untouched(&alice, "Lobby", id, "hello").await;
}

#[tokio::test]
async fn a_non_member_gets_403_on_every_message_route_and_sees_nothing() {
    let app = spawn_app().await;
    let (alice, id) = room_with_message(&app, "Secret", "the plans").await;
    let eve = app.user("eve").await;

    for response in every_message_route(&eve, id).await {
        let body = expect_problem(response, StatusCode::FORBIDDEN).await;
        assert_eq!(body["code"], "not_a_member", "{body}");
        assert!(!body.to_string().contains("the plans"), "{body}");
    }
    let events = eve.get("/api/v1/rooms/Secret/events").await;
    let body = expect_problem(events, StatusCode::FORBIDDEN).await;
    assert!(!body.to_string().contains("the plans"), "{body}");

    assert_untouched(&alice, "Secret", id, "the plans").await;
}

#[tokio::test]
async fn only_the_author_may_edit_or_delete_but_every_member_may_react_and_read_edits() {
    let app = spawn_app().await;
    let (alice, id) = room_with_message(&app, "Lobby", "mine").await;
    let bob = app.user("bob").await;
    bob.join_room("Lobby").await;

    for response in [
        bob.edit_message(id, "yours now").await,
        bob.delete_message(id).await,
    ] {
        let body = expect_problem(response, StatusCode::FORBIDDEN).await;
        assert_eq!(body["code"], "not_the_author", "{body}");
    }
    assert_untouched(&alice, "Lobby", id, "mine").await;

    assert_eq!(bob.react(id, "👍").await.status(), StatusCode::OK);
    let edits = bob.get(&format!("/api/v1/messages/{id}/edits")).await;
    assert_eq!(edits.status(), StatusCode::OK);
    assert_eq!(edits.json::<Value>().await.expect("JSON"), json!([]));
}

#[tokio::test]
async fn an_unknown_message_is_404_on_every_route() {
    let app = spawn_app().await;
    let (alice, id) = room_with_message(&app, "Lobby", "hello").await;

    for unknown in [id + 1, 999_999, 0, -1] {
        for response in every_message_route(&alice, unknown).await {
            let body = expect_problem(response, StatusCode::NOT_FOUND).await;
            assert_eq!(body["code"], "no_such_message", "{unknown}: {body}");
        }
    }
    // A message in a room that does not exist either.
    let nowhere = alice.get("/api/v1/rooms/Nowhere/events").await;
    let body = expect_problem(nowhere, StatusCode::NOT_FOUND).await;
    assert_eq!(body["code"], "no_such_room");
}

#[tokio::test]
async fn a_deleted_message_is_404_to_edit_delete_read_edits_or_react_to() {
    let app = spawn_app().await;
    let (alice, id) = room_with_message(&app, "Lobby", "soon gone").await;
    let bob = app.user("bob").await;
    bob.join_room("Lobby").await;
    assert_eq!(
        alice.edit_message(id, "edited").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        alice.delete_message(id).await.status(),
        StatusCode::NO_CONTENT
    );
    let events_before = alice.events("Lobby", "").await;

    for who in [&alice, &bob] {
        for response in every_message_route(who, id).await {
            let body = expect_problem(response, StatusCode::NOT_FOUND).await;
            assert_eq!(body["code"], "no_such_message", "{body}");
        }
    }
    assert_eq!(
        alice.events("Lobby", "").await,
        events_before,
        "nothing happened"
    );
}

// ---- editing -----------------------------------------------------------------------

#[tokio::test]
async fn editing_your_message_answers_200_with_the_new_text_and_edited_at_set() {
    let app = spawn_app().await;
    let (alice, id) = room_with_message(&app, "Lobby", "helo").await;
    let posted = message_in(&alice, "Lobby", id).await;
    assert_eq!(posted["edited_at"], Value::Null, "not edited yet");

    let response = alice.edit_message(id, "  hello  ").await;

    assert_eq!(response.status(), StatusCode::OK);
    let edited: Value = response.json().await.expect("JSON");
    assert_has_fields(
        &edited,
        &[
            "id",
            "seq",
            "room",
            "sender",
            "text",
            "sent_at",
            "edited_at",
            "deleted",
            "reactions",
        ],
    );
    assert_eq!(edited["id"], id);
    assert_eq!(edited["text"], "hello", "trimmed like a new message");
    assert_eq!(edited["seq"], posted["seq"], "a message keeps its seq");
    assert_eq!(edited["sent_at"], posted["sent_at"]);
    assert_eq!(edited["sender"], "alice");
    assert_eq!(edited["deleted"], false);
    assert_eq!(edited["reactions"], json!([]));
    let edited_at = assert_recent_utc(&edited["edited_at"]);
    assert!(edited_at >= assert_recent_utc(&posted["sent_at"]));
    assert_eq!(message_in(&alice, "Lobby", id).await, edited);
}

#[tokio::test]
async fn every_earlier_version_is_kept_oldest_first_with_when_it_was_replaced() {
    let app = spawn_app().await;
    let (alice, id) = room_with_message(&app, "Lobby", "first draft").await;
    let bob = app.user("bob").await;
    bob.join_room("Lobby").await;

    let second = edited(&alice, id, "second draft").await;
    let third = edited(&alice, id, "final").await;

    let response = bob.get(&format!("/api/v1/messages/{id}/edits")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let edits: Vec<Value> = response.json().await.expect("JSON");
    assert_eq!(
        edits,
        [
            json!({ "text": "first draft", "edited_at": second["edited_at"] }),
            json!({ "text": "second draft", "edited_at": third["edited_at"] }),
        ],
        "each version with the moment the next one replaced it"
    );
    let (replaced_first, replaced_second) = (
        assert_recent_utc(&edits[0]["edited_at"]),
        assert_recent_utc(&edits[1]["edited_at"]),
    );
    assert!(replaced_first <= replaced_second);
    assert_eq!(message_in(&bob, "Lobby", id).await["text"], "final");
}

#[tokio::test]
async fn edit_text_breaking_a_rule_is_422_naming_the_field_and_changes_nothing() {
    let app = spawn_app().await;
    let (alice, id) = room_with_message(&app, "Lobby", "keep me").await;
    let events_before = alice.events("Lobby", "").await;

    for bad in [String::new(), " \n\t ".to_owned(), "x".repeat(4001)] {
        let body = expect_problem(
            alice.edit_message(id, &bad).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(body["field"], "text", "{} chars: {body}", bad.len());
    }
    for body in [json!({ "text": 5 }), json!({}), json!({ "text": null })] {
        let response = alice
            .http
            .patch(alice.api(&format!("/messages/{id}")))
            .json(&body)
            .send()
            .await
            .expect("PATCH");
        let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["field"], "text", "{body}: {problem}");
    }

    assert_untouched(&alice, "Lobby", id, "keep me").await;
    assert_eq!(alice.events("Lobby", "").await, events_before);
    // 4000 characters is still fine.
    let longest = "字".repeat(4000);
    assert_eq!(edited(&alice, id, &longest).await["text"], longest.as_str());
}

#[tokio::test]
async fn hostile_text_edited_in_comes_back_verbatim_everywhere() {
    let app = spawn_app().await;
    let (alice, id) = room_with_message(&app, "Lobby", "harmless").await;
    let hostile = [
        "<script>alert('x')</script>",
        "\"'`\\",
        "'); DROP TABLE messages;--",
        "Robert'); DELETE FROM reactions WHERE ('1'='1",
        "<img src=x onerror=alert(1)> &amp; &lt;",
    ];

    for text in hostile {
        assert_eq!(edited(&alice, id, text).await["text"], text);
        assert_eq!(message_in(&alice, "Lobby", id).await["text"], text);
    }

    let edits: Vec<Value> = alice
        .get(&format!("/api/v1/messages/{id}/edits"))
        .await
        .json()
        .await
        .expect("JSON");
    let earlier: Vec<&str> = edits.iter().map(|e| e["text"].as_str().unwrap()).collect();
    let mut expected = vec!["harmless"];
    expected.extend(&hostile[..hostile.len() - 1]);
    assert_eq!(earlier, expected);
    let edit_events: Vec<String> = alice
        .events("Lobby", "")
        .await
        .into_iter()
        .filter(|e| e["type"] == "edit")
        .map(|e| e["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(edit_events, hostile);
    // The tables are all still there: a new message stores and lists.
    alice.say("Lobby", "still working").await;
    assert_eq!(alice.events("Lobby", "").await.len(), 2 + hostile.len());
}

// ---- deleting ----------------------------------------------------------------------

#[tokio::test]
async fn deleting_your_message_leaves_a_tombstone_without_its_words_or_reactions() {
    let app = spawn_app().await;
    let (alice, id) = room_with_message(&app, "Lobby", "a secret draft").await;
    let bob = app.user("bob").await;
    bob.join_room("Lobby").await;
    let kept = alice.say("Lobby", "this one stays").await;
    edited(&alice, id, "the secret, edited").await;
    assert_eq!(bob.react(id, "🎉").await.status(), StatusCode::OK);

    let response = alice.delete_message(id).await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.bytes().await.expect("a body").is_empty());
    let tombstone = message_in(&bob, "Lobby", id).await;
    assert_eq!(tombstone["deleted"], true);
    assert_eq!(tombstone["text"], "");
    assert_eq!(tombstone["reactions"], json!([]));
    assert_eq!(
        tombstone["sender"], "alice",
        "the tombstone keeps its place"
    );
    let other = message_in(&bob, "Lobby", kept).await;
    assert_eq!(other["text"], "this one stays");
    assert_eq!(other["deleted"], false);

    let events = bob.events("Lobby", "").await;
    assert_eq!(
        kinds(&events),
        ["message", "message", "edit", "reactions", "delete"]
    );
    assert_consecutive_from(&seqs(&events), 1);
    assert_eq!(
        events[0]["deleted"], true,
        "created, as it is now: {}",
        events[0]
    );
    assert_eq!(events[0]["text"], "");
    assert_eq!(events[2]["text"], "", "the edit's words went too");
    assert_eq!(events[3]["reactions"], json!([]));
    assert_eq!(
        events[4],
        json!({ "type": "delete", "seq": 5, "id": id, "room": "Lobby" })
    );
    for words in ["secret", "🎉"] {
        let everything = format!("{events:?} {tombstone}");
        assert!(
            !everything.contains(words),
            "{words:?} is gone: {everything}"
        );
    }
}

// ---- reactions ---------------------------------------------------------------------

#[tokio::test]
async fn reacting_answers_the_reactions_and_reacting_twice_is_the_same_as_once() {
    let app = spawn_app().await;
    let (alice, id) = room_with_message(&app, "Lobby", "react to me").await;

    let first = alice.react(id, "👍").await;
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.expect("JSON");
    assert_eq!(first, json!([{ "emoji": "👍", "users": ["alice"] }]));
    let again: Value = alice.react(id, "👍").await.json().await.expect("JSON");
    assert_eq!(again, first);

    assert_eq!(message_in(&alice, "Lobby", id).await["reactions"], first);
    let events = alice.events("Lobby", "").await;
    assert_eq!(
        kinds(&events),
        ["message", "reactions"],
        "one event, not two"
    );
    assert_eq!(events[1]["reactions"], first);
    assert_eq!(events[1]["id"], id);
}

#[tokio::test]
async fn reactions_come_in_the_order_each_emoji_was_first_used_with_people_in_order() {
    let app = spawn_app().await;
    let (alice, id) = room_with_message(&app, "Lobby", "party?").await;
    let mut people = vec![alice];
    for name in ["bob", "carol"] {
        let user = app.user(name).await;
        user.join_room("Lobby").await;
        people.push(user);
    }
    let (alice, bob, carol) = (&people[0], &people[1], &people[2]);

    for (who, emoji) in [(alice, "🎉"), (bob, "👍"), (carol, "🎉"), (bob, "🎉")] {
        assert_eq!(who.react(id, emoji).await.status(), StatusCode::OK);
    }

    let expected = json!([
        { "emoji": "🎉", "users": ["alice", "carol", "bob"] },
        { "emoji": "👍", "users": ["bob"] },
    ]);
    assert_eq!(message_in(carol, "Lobby", id).await["reactions"], expected);
}

#[tokio::test]
async fn an_emoji_keeps_its_place_while_anyone_still_reacts_with_it() {
    let app = spawn_app().await;
    let (alice, id) = room_with_message(&app, "Lobby", "order").await;
    let mut people = vec![alice];
    for name in ["bob", "carol"] {
        let user = app.user(name).await;
        user.join_room("Lobby").await;
        people.push(user);
    }
    let (alice, bob, carol) = (&people[0], &people[1], &people[2]);
    alice.react(id, "👍").await;
    bob.react(id, "🎉").await;
    carol.react(id, "👍").await;

    // The first to use 👍 takes theirs back; carol's 👍 still came first.
    let left: Value = alice.unreact(id, "👍").await.json().await.expect("JSON");
    assert_eq!(
        left,
        json!([{ "emoji": "👍", "users": ["carol"] }, { "emoji": "🎉", "users": ["bob"] }])
    );
    // Once nobody reacts with it, it is gone: used again, it comes last.
    carol.unreact(id, "👍").await;
    let again: Value = alice.react(id, "👍").await.json().await.expect("JSON");
    assert_eq!(emoji_of(&again), ["🎉", "👍"]);
}

#[tokio::test]
async fn taking_a_reaction_back_removes_only_yours_and_an_absent_one_changes_nothing() {
    let app = spawn_app().await;
    let (alice, id) = room_with_message(&app, "Lobby", "hmm").await;
    let bob = app.user("bob").await;
    bob.join_room("Lobby").await;
    alice.react(id, "👍").await;
    bob.react(id, "👍").await;
    bob.react(id, "🤔").await;

    let response = alice.unreact(id, "👍").await;
    assert_eq!(response.status(), StatusCode::OK);
    let left: Value = response.json().await.expect("JSON");
    assert_eq!(
        left,
        json!([{ "emoji": "👍", "users": ["bob"] }, { "emoji": "🤔", "users": ["bob"] }])
    );

    let events_before = alice.events("Lobby", "").await;
    let again = alice.unreact(id, "👍").await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.expect("JSON"), left);
    assert_eq!(alice.unreact(id, "🎉").await.status(), StatusCode::OK);
    assert_eq!(
        alice.events("Lobby", "").await,
        events_before,
        "no event for nothing"
    );

    // The last person's reaction takes the emoji away.
    let gone: Value = bob.unreact(id, "🤔").await.json().await.expect("JSON");
    assert_eq!(gone, json!([{ "emoji": "👍", "users": ["bob"] }]));
    assert_eq!(message_in(&alice, "Lobby", id).await["reactions"], gone);
}

#[tokio::test]
async fn a_reaction_must_be_exactly_one_emoji_of_any_kind() {
    let app = spawn_app().await;
    let (alice, id) = room_with_message(&app, "Lobby", "emoji test").await;

    for bad in [
        "a",
        "ab",
        "👍👍",
        "👍 🎉",
        "1",
        "#",
        "字",
        ":+1:",
        "<b>",
        " ",
        "\u{fe0f}",
    ] {
        for response in [alice.react(id, bad).await, alice.unreact(id, bad).await] {
            let body = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(body["code"], "not_one_emoji", "{bad:?}: {body}");
            assert_eq!(body["field"], "emoji", "{bad:?}: {body}");
        }
    }
    // Bytes that are not UTF-8 (or half of a character) are not one emoji either.
    for raw in ["%FF", "%F0%9F%91", "%C0%80"] {
        let path = format!("/messages/{id}/reactions/{raw}");
        for method in [reqwest::Method::PUT, reqwest::Method::DELETE] {
            let response = alice
                .http
                .request(method.clone(), alice.api(&path))
                .send()
                .await
                .expect("request");
            let body = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(body["code"], "not_one_emoji", "{method} {raw}: {body}");
            assert_eq!(body["field"], "emoji", "{method} {raw}: {body}");
        }
    }
    // An empty emoji leaves no path segment to check: that address is no route at all.
    let empty = alice
        .http
        .put(alice.api(&format!("/messages/{id}/reactions/")))
        .send()
        .await
        .expect("PUT");
    let body = expect_problem(empty, StatusCode::NOT_FOUND).await;
    assert_eq!(body["code"], "no_such_page", "{body}");
    assert_eq!(
        message_in(&alice, "Lobby", id).await["reactions"],
        json!([])
    );
    assert_eq!(kinds(&alice.events("Lobby", "").await), ["message"]);

    for good in ["👍", "👍🏽", "👩‍👩‍👧", "🏳️‍🌈", "🇨🇳", "1️⃣", "❤️"]
    {
        let response = alice.react(id, good).await;
        assert_eq!(response.status(), StatusCode::OK, "{good}");
    }
    let listed = ["👍", "👍🏽", "👩‍👩‍👧", "🏳️‍🌈", "🇨🇳", "1️⃣", "❤️"];
    // The same emoji however it is written: a bare heart, a selector where none belongs.
    for same in ["❤", "👍\u{fe0f}", " 👍 "] {
        let reactions: Value = alice.react(id, same).await.json().await.expect("JSON");
        assert_eq!(emoji_of(&reactions), listed, "{same:?}");
    }
    let taken_back: Value = alice.unreact(id, "❤").await.json().await.expect("JSON");
    assert_eq!(emoji_of(&taken_back), listed[..6]);
}

#[tokio::test]
async fn odd_emoji_paths_are_refused_and_store_nothing() {
    let app = spawn_app().await;
    let (alice, id) = room_with_message(&app, "Lobby", "paths").await;

    // Sent exactly as written: a URL library would resolve the dot segments away.
    for raw in [
        "%2F",
        "%2F..%2F",
        "..%2F..%2Fadmin",
        "%00",
        "%25",
        "%E2%80%8B",
        "..",
        ".",
        "%2E%2E",
        "%2e",
    ] {
        let path = format!("/api/v1/messages/{id}/reactions/{raw}");
        for method in ["PUT", "DELETE"] {
            let status = raw_request(&alice, method, &path).await;
            assert_eq!(status, 422, "{method} {path}: not one emoji");
        }
    }
    // Half an emoji is not even UTF-8, and no more one emoji for it.
    let half = format!("/api/v1/messages/{id}/reactions/%F0%9F");
    assert_eq!(raw_request(&alice, "PUT", &half).await, 422);
    // Elsewhere a segment that is not UTF-8 leaves the path malformed (400).
    let room = "/api/v1/rooms/%F0%9F/messages";
    assert_eq!(raw_request(&alice, "GET", room).await, 400);

    assert_eq!(
        message_in(&alice, "Lobby", id).await["reactions"],
        json!([])
    );
    assert_eq!(kinds(&alice.events("Lobby", "").await), ["message"]);
}

// ---- wrongly typed JSON ------------------------------------------------------------

#[tokio::test]
async fn a_json_field_of_the_wrong_type_is_422_naming_it_and_creates_nothing() {
    let app = spawn_app().await;
    let client = app.client();
    for (body, field) in [
        (json!({ "username": 42, "password": PASSWORD }), "username"),
        (
            json!({ "username": true, "password": PASSWORD }),
            "username",
        ),
        (
            json!({ "username": "alice", "password": 12345678 }),
            "password",
        ),
    ] {
        let response = client
            .http
            .post(app.api("/users"))
            .json(&body)
            .send()
            .await
            .expect("POST");
        let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["field"], field, "{body}: {problem}");
        assert_eq!(problem["code"], "wrong_type", "{problem}");
    }
    // No account "true" was made (the name was free), nor "alice", whom
    // `room_with_message` registers next.
    app.client().register("true").await;

    let (alice, _) = room_with_message(&app, "Lobby", "the only one").await;
    for (body, field) in [
        (json!({ "text": 5 }), "text"),
        (json!({ "text": ["x"] }), "text"),
        (json!({ "text": "x", "client_id": 7 }), "client_id"),
        (
            json!({ "text": "x", "client_id": { "id": "7" } }),
            "client_id",
        ),
    ] {
        let response = alice
            .http
            .post(alice.api("/rooms/Lobby/messages"))
            .json(&body)
            .send()
            .await
            .expect("POST");
        let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["field"], field, "{body}: {problem}");
    }
    let events = alice.events("Lobby", "").await;
    assert_eq!(events.len(), 1, "nothing was posted: {events:?}");

    // Every other body's fields too, whatever their type (alice, the first account,
    // is an admin).
    let bob = app.user("bob").await;
    assert_eq!(bob.join_room("Lobby").await.status(), StatusCode::CREATED);
    let key_error = json!({ "endpoint": "https://push.example/1", "keys": 5 });
    let inner_error =
        json!({ "endpoint": "https://push.example/1", "keys": { "p256dh": 1, "auth": "a" } });
    for (method, path, body, field) in [
        ("POST", "/direct", json!({ "users": [12345] }), "users"),
        ("POST", "/direct", json!({ "users": "bob" }), "users"),
        (
            "PUT",
            "/rooms/Lobby/membership",
            json!({ "notify": 1 }),
            "notify",
        ),
        (
            "POST",
            "/push/subscriptions",
            json!({ "endpoint": 5, "keys": {} }),
            "endpoint",
        ),
        ("POST", "/push/subscriptions", key_error, "keys"),
        ("POST", "/push/subscriptions", inner_error, "p256dh"),
        (
            "DELETE",
            "/push/subscriptions",
            json!({ "endpoint": true }),
            "endpoint",
        ),
        (
            "PUT",
            "/admin/users/bob/active",
            json!({ "active": "no" }),
            "active",
        ),
        ("POST", "/admin/invites", json!({ "hours": "24" }), "hours"),
        ("POST", "/admin/invites", json!({ "uses": 1.5 }), "uses"),
        ("PUT", "/admin/users/bob/role", json!({ "role": 1 }), "role"),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = alice.call(method.clone(), path, Some(body.clone())).await;
        let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["field"], field, "{method} {path} {body}: {problem}");
        assert_eq!(problem["code"], "wrong_type", "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(field),
            "{problem}"
        );
    }
    // None of it took: bob is still active, a member, with no direct room.
    let rooms: Vec<Value> = bob
        .get("/api/v1/rooms?scope=joined")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rooms.len(), 1, "{rooms:?}");
    assert_eq!(bob.get("/api/v1/session").await.status(), StatusCode::OK);
}

// ---- helpers -----------------------------------------------------------------------

/// alice (logged in as `alice`, which she must not be yet) creates `room` and says
/// `text` in it.
pub(crate) async fn room_with_message(app: &TestApp, room: &str, text: &str) -> (User, i64) {
    let alice = app.user("alice").await;
    assert_eq!(alice.create_room(room).await.status(), StatusCode::CREATED);
    let id = alice.say(room, text).await;
    (alice, id)
}

/// Every route that acts on one message, as `user`, with valid input.
async fn every_message_route(user: &User, id: i64) -> Vec<Response> {
    vec![
        user.edit_message(id, "changed").await,
        user.delete_message(id).await,
        user.get(&format!("/api/v1/messages/{id}/edits")).await,
        user.react(id, "👍").await,
        user.unreact(id, "👍").await,
    ]
}

/// Edits `id` to `text`, which must succeed; returns the message.
pub(crate) async fn edited(user: &User, id: i64, text: &str) -> Value {
    let response = user.edit_message(id, text).await;
    assert_eq!(response.status(), StatusCode::OK, "editing {id}");
    response.json().await.expect("JSON")
}

/// Message `id` as the room's history lists it.
pub(crate) async fn message_in(user: &User, room: &str, id: i64) -> Value {
    let response = user
        .get(&format!(
            "/api/v1/rooms/{}/messages?limit=200",
            encode(room)
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page: Vec<Value> = response.json().await.expect("JSON");
    page.into_iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("message {id} is listed"))
}

/// The message still reads `text`, unedited, undeleted, with no reactions, and the
/// room has had no event but its creation.
async fn assert_untouched(user: &User, room: &str, id: i64, text: &str) {
    let message = message_in(user, room, id).await;
    assert_eq!(message["text"], text);
    assert_eq!(message["edited_at"], Value::Null);
    assert_eq!(message["deleted"], false);
    assert_eq!(message["reactions"], json!([]));
    assert_eq!(kinds(&user.events(room, "").await), ["message"]);
    let edits = user.get(&format!("/api/v1/messages/{id}/edits")).await;
    assert_eq!(edits.json::<Value>().await.expect("JSON"), json!([]));
}

fn emoji_of(reactions: &Value) -> Vec<&str> {
    reactions
        .as_array()
        .expect("a list of reactions")
        .iter()
        .map(|r| r["emoji"].as_str().expect("an emoji"))
        .collect()
}

/// Sends `method path` exactly as written (no URL normalising), with `user`'s cookie;
/// returns the status code.
async fn raw_request(user: &User, method: &str, path: &str) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(user.addr)
        .await
        .expect("connect");
    let cookie = user.cookie().expect("a session cookie");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nCookie: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        user.addr,
        cookie.to_str().expect("an ASCII cookie"),
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .await
        .expect("read the answer");
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.split_whitespace().nth(1).expect("a status line");
    status
        .parse()
        .unwrap_or_else(|_| panic!("a status: {answer}"))
}
