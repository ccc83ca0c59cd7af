//! Rooms, membership and message history through `/api/v1`, row by row of the spec's
//! table, over real HTTP.

use futures_util::future::join_all;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::api_auth::{expect_problem, problem};
use crate::helpers::*;

// ---- without a session -------------------------------------------------------------

#[tokio::test]
async fn every_room_route_is_401_without_a_session() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    assert_eq!(
        alice.create_room("Lobby").await.status(),
        StatusCode::CREATED
    );
    let stranger = app.client();

    let answers = [
        stranger.get("/api/v1/rooms").await,
        stranger.get("/api/v1/rooms?scope=all").await,
        stranger.create_room("Other").await,
        stranger.join_room("Lobby").await,
        stranger.get("/api/v1/rooms/Lobby/messages").await,
        stranger.post_message("Lobby", "hello").await,
    ];

    for response in answers {
        expect_problem(response, StatusCode::UNAUTHORIZED).await;
    }
    assert_eq!(
        room_names(&alice, "all").await,
        ["Lobby"],
        "nothing was created"
    );
}

// ---- listing -----------------------------------------------------------------------

#[tokio::test]
async fn rooms_are_listed_as_joined_available_or_all() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.create_room("Alpha").await;
    bob.create_room("Beta").await;
    bob.create_room("Gamma").await;

    assert_eq!(room_names(&alice, "joined").await, ["Alpha"]);
    assert_eq!(room_names(&alice, "available").await, ["Beta", "Gamma"]);
    assert_eq!(room_names(&alice, "all").await, ["Alpha", "Beta", "Gamma"]);

    alice.join_room("Beta").await;
    assert_eq!(room_names(&alice, "joined").await, ["Alpha", "Beta"]);
    assert_eq!(room_names(&alice, "available").await, ["Gamma"]);

    // Without a scope, a list shows the rooms you are in.
    let default: Value = alice.get("/api/v1/rooms").await.json().await.expect("JSON");
    assert_eq!(names(&default), ["Alpha", "Beta"]);
}

#[tokio::test]
async fn a_listed_room_has_its_name_member_count_and_creation_time() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.create_room("Lobby").await;
    bob.join_room("Lobby").await;

    let response = alice.get("/api/v1/rooms?scope=all").await;

    assert_eq!(response.status(), StatusCode::OK);
    let rooms: Value = response.json().await.expect("JSON");
    let room = &rooms[0];
    assert_has_fields(room, &["name", "members", "created_at"]);
    assert_eq!(room["name"], "Lobby");
    assert_eq!(room["members"], 2);
    assert_recent_utc(&room["created_at"]);
}

#[tokio::test]
async fn an_unknown_scope_is_a_client_error() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let response = alice.get("/api/v1/rooms?scope=everything").await;

    assert!(response.status().is_client_error(), "{}", response.status());
}

// ---- creating ----------------------------------------------------------------------

#[tokio::test]
async fn creating_a_room_answers_201_and_makes_the_creator_a_member() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let response = alice.create_room("Lobby").await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let room: Value = response.json().await.expect("JSON");
    assert_has_fields(&room, &["name", "members", "created_at"]);
    assert_eq!(room["name"], "Lobby");
    assert_eq!(room["members"], 1);
    assert_recent_utc(&room["created_at"]);
    assert_eq!(room_names(&alice, "joined").await, ["Lobby"]);
    assert_eq!(
        alice.post_message("Lobby", "first!").await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_room_name_taken_in_any_case_is_409() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.create_room("Lobby").await;
    alice.create_room("Ärger").await;

    for taken in ["Lobby", "lobby", "LOBBY", "  lobby  ", "ärger", "ÄRGER"] {
        expect_problem(bob.create_room(taken).await, StatusCode::CONFLICT).await;
    }
    assert_eq!(room_names(&bob, "all").await, ["Lobby", "Ärger"]);
}

#[tokio::test]
async fn room_names_breaking_a_rule_are_422() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bad = [
        String::new(),
        "   ".to_owned(),
        "\t\n".to_owned(),
        "r".repeat(65),
        "房".repeat(65),
        "a/b".to_owned(),
        "a?b".to_owned(),
        "50%".to_owned(),
        "<b>bold</b>".to_owned(),
        "line\nbreak".to_owned(),
        "tea ☕".to_owned(),
        // Only dots: "/rooms/.." would be resolved away by every URL parser.
        ".".to_owned(),
        "..".to_owned(),
    ];
    for name in &bad {
        let body = expect_problem(
            alice.create_room(name).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(
            body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("Room name"),
            "{name:?}: {body}"
        );
    }
    assert_eq!(room_names(&alice, "all").await, Vec::<String>::new());

    // At the limits: one character, and 64 of them however many bytes.
    for good in [
        "x".to_owned(),
        "r".repeat(64),
        "房".repeat(64),
        "a.b_c-d 1".to_owned(),
    ] {
        assert_eq!(
            alice.create_room(&good).await.status(),
            StatusCode::CREATED,
            "{good}"
        );
    }
}

#[tokio::test]
async fn room_names_are_trimmed() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let response = alice.create_room("   Lobby \t").await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let room: Value = response.json().await.expect("JSON");
    assert_eq!(room["name"], "Lobby");
    assert_eq!(room_names(&alice, "joined").await, ["Lobby"]);
}

#[tokio::test]
async fn a_chinese_room_name_with_spaces_works_in_urls() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let name = "Team 茶水间";
    assert_eq!(alice.create_room(name).await.status(), StatusCode::CREATED);

    let response = bob.join_room(name).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let posted: Value = bob
        .post_message(name, "你好")
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(posted["room"], name);

    // Whatever case the URL uses, it names the same room, spelled as created.
    let page = history(&alice, "team 茶水间", "").await;
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["room"], name);
    assert_eq!(page[0]["text"], "你好");
}

// ---- joining -----------------------------------------------------------------------

#[tokio::test]
async fn joining_a_room_answers_201_and_lets_you_read_and_post() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.create_room("Lobby").await;
    alice.say("Lobby", "welcome").await;

    let response = bob.join_room("lobby").await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let room: Value = response.json().await.expect("JSON");
    assert_eq!(room["name"], "Lobby");
    assert_eq!(room["members"], 2);
    assert_eq!(room_names(&bob, "joined").await, ["Lobby"]);
    assert_eq!(texts(&history(&bob, "Lobby", "").await), ["welcome"]);
    assert_eq!(
        bob.post_message("Lobby", "thanks").await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn joining_an_unknown_room_is_404() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    for name in ["Nowhere", "No/where", "张伟的房间"] {
        expect_problem(alice.join_room(name).await, StatusCode::NOT_FOUND).await;
    }
    assert_eq!(room_names(&alice, "all").await, Vec::<String>::new());
}

#[tokio::test]
async fn joining_a_room_you_are_in_is_409() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.create_room("Lobby").await;
    bob.join_room("Lobby").await;

    expect_problem(alice.join_room("Lobby").await, StatusCode::CONFLICT).await;
    expect_problem(bob.join_room("LOBBY").await, StatusCode::CONFLICT).await;

    let rooms: Value = alice.get("/api/v1/rooms").await.json().await.expect("JSON");
    assert_eq!(rooms[0]["members"], 2);
}

// ---- reading history ---------------------------------------------------------------

#[tokio::test]
async fn history_comes_oldest_first_with_every_field() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.create_room("Lobby").await;
    bob.join_room("Lobby").await;
    alice.say("Lobby", "one").await;
    bob.say("Lobby", "two").await;
    alice.say("Lobby", "three").await;

    let response = bob.get("/api/v1/rooms/Lobby/messages").await;

    assert_eq!(response.status(), StatusCode::OK);
    let page: Vec<Value> = response.json().await.expect("JSON");
    assert_eq!(texts(&page), ["one", "two", "three"]);
    assert_eq!(
        page.iter()
            .map(|m| m["sender"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["alice", "bob", "alice"]
    );
    assert_increasing(&ids(&page));
    for message in &page {
        assert_has_fields(message, &["id", "room", "sender", "text", "sent_at"]);
        assert_eq!(message["room"], "Lobby");
        assert_recent_utc(&message["sent_at"]);
    }
}

#[tokio::test]
async fn an_empty_room_has_an_empty_history() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    alice.create_room("Lobby").await;

    assert_eq!(history(&alice, "Lobby", "").await, Vec::<Value>::new());
}

#[tokio::test]
async fn a_history_page_holds_the_newest_50_by_default_and_at_most_200() {
    let app = spawn_app_without_rate_limit().await;
    let alice = app.user("alice").await;
    alice.create_room("Lobby").await;
    let all = fill(&alice, "Lobby", 205).await;

    let page = ids(&history(&alice, "Lobby", "").await);
    assert_eq!(page, all[all.len() - 50..], "the newest 50, oldest first");

    let page = ids(&history(&alice, "Lobby", "?limit=200").await);
    assert_eq!(page, all[all.len() - 200..]);

    let page = ids(&history(&alice, "Lobby", "?limit=1").await);
    assert_eq!(page, [*all.last().unwrap()]);

    for bad in ["201", "1000", "0", "-1"] {
        let response = alice
            .get(&format!("/api/v1/rooms/Lobby/messages?limit={bad}"))
            .await;
        let (status, _) = problem(response).await;
        assert!(
            [StatusCode::BAD_REQUEST, StatusCode::UNPROCESSABLE_ENTITY].contains(&status),
            "limit={bad}: {status}"
        );
    }
}

#[tokio::test]
async fn paging_back_with_before_walks_the_whole_history_without_gaps_or_repeats() {
    let app = spawn_app_without_rate_limit().await;
    let alice = app.user("alice").await;
    alice.create_room("Lobby").await;
    alice.create_room("Kitchen").await;
    // Another room's messages take ids in between; they must not show up, nor leave holes.
    let (all, _) = tokio::join!(fill(&alice, "Lobby", 123), fill(&alice, "Kitchen", 40));

    let mut walked = Vec::new();
    let mut query = "?limit=10".to_owned();
    loop {
        let page = ids(&history(&alice, "Lobby", &query).await);
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 10);
        assert_increasing(&page);
        query = format!("?limit=10&before={}", page[0]);
        walked.splice(0..0, page);
    }

    assert_eq!(walked, all);
}

#[tokio::test]
async fn paging_forward_with_after_walks_the_whole_history_without_gaps_or_repeats() {
    let app = spawn_app_without_rate_limit().await;
    let alice = app.user("alice").await;
    alice.create_room("Lobby").await;
    let all = fill(&alice, "Lobby", 123).await;

    let mut walked: Vec<i64> = Vec::new();
    loop {
        let after = walked.last().copied().unwrap_or(0);
        let page = ids(&history(&alice, "Lobby", &format!("?limit=10&after={after}")).await);
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 10);
        assert_increasing(&page);
        walked.extend(page);
    }

    assert_eq!(walked, all);
}

#[tokio::test]
async fn before_and_after_together_give_only_what_lies_between() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    alice.create_room("Lobby").await;
    let mut all = Vec::new();
    for i in 0..10 {
        all.push(alice.say("Lobby", &format!("message {i}")).await);
    }

    let query = format!("?after={}&before={}", all[2], all[7]);
    let page = ids(&history(&alice, "Lobby", &query).await);

    assert_eq!(page, all[3..7]);
}

#[tokio::test]
async fn history_is_per_room() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    alice.create_room("Lobby").await;
    alice.create_room("Kitchen").await;
    alice.say("Lobby", "in the lobby").await;
    alice.say("Kitchen", "in the kitchen").await;

    assert_eq!(texts(&history(&alice, "Lobby", "").await), ["in the lobby"]);
    assert_eq!(
        texts(&history(&alice, "Kitchen", "").await),
        ["in the kitchen"]
    );
}

#[tokio::test]
async fn a_non_member_cannot_read_a_rooms_messages() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let eve = app.user("eve").await;
    alice.create_room("Secret").await;
    alice.say("Secret", "the plans").await;

    let response = eve.get("/api/v1/rooms/Secret/messages").await;

    let body = expect_problem(response, StatusCode::FORBIDDEN).await;
    assert!(!body.to_string().contains("the plans"));
}

#[tokio::test]
async fn reading_an_unknown_room_is_404() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let response = alice
        .get(&format!(
            "/api/v1/rooms/{}/messages",
            encode("没有这个房间")
        ))
        .await;

    expect_problem(response, StatusCode::NOT_FOUND).await;
}

// ---- posting -----------------------------------------------------------------------

#[tokio::test]
async fn posting_a_message_answers_201_with_the_stored_message() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    alice.create_room("Lobby").await;

    let response = alice.post_message("lobby", "hello, world").await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let message: Value = response.json().await.expect("JSON");
    assert_has_fields(&message, &["id", "room", "sender", "text", "sent_at"]);
    assert!(message["id"].as_i64().is_some_and(|id| id > 0));
    assert_eq!(message["room"], "Lobby");
    assert_eq!(message["sender"], "alice");
    assert_eq!(message["text"], "hello, world");
    assert_recent_utc(&message["sent_at"]);
    assert_eq!(history(&alice, "Lobby", "").await, [message]);
}

#[tokio::test]
async fn message_ids_only_increase() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.create_room("Lobby").await;
    bob.create_room("Kitchen").await;
    bob.join_room("Lobby").await;

    let mut sent = Vec::new();
    for i in 0..6 {
        sent.push(alice.say("Lobby", &format!("a{i}")).await);
        sent.push(bob.say("Kitchen", &format!("b{i}")).await);
        sent.push(bob.say("Lobby", &format!("c{i}")).await);
    }

    assert_increasing(&sent);
}

#[tokio::test]
async fn message_text_is_trimmed_but_keeps_inner_lines() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    alice.create_room("Lobby").await;

    let message: Value = alice
        .post_message("Lobby", " \n\t first line\n  second line  \n")
        .await
        .json()
        .await
        .expect("JSON");

    assert_eq!(message["text"], "first line\n  second line");
    assert_eq!(
        texts(&history(&alice, "Lobby", "").await),
        ["first line\n  second line"]
    );
}

#[tokio::test]
async fn a_message_may_be_4000_characters_but_not_4001() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    alice.create_room("Lobby").await;

    for ok in [
        "a".repeat(4000),
        "字".repeat(4000),
        "😀".repeat(4000),
        format!("  {}  ", "a".repeat(4000)),
    ] {
        let response = alice.post_message("Lobby", &ok).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{} bytes", ok.len());
        let message: Value = response.json().await.expect("JSON");
        assert_eq!(message["text"], ok.trim());
    }
    for too_long in ["a".repeat(4001), "字".repeat(4001)] {
        let body = expect_problem(
            alice.post_message("Lobby", &too_long).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(
            body["detail"].as_str().unwrap_or_default().contains("4000"),
            "{body}"
        );
    }
    assert_eq!(history(&alice, "Lobby", "").await.len(), 4);
}

#[tokio::test]
async fn an_empty_or_blank_message_is_422() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    alice.create_room("Lobby").await;

    for blank in ["", " ", "\n\t \r\n"] {
        expect_problem(
            alice.post_message("Lobby", blank).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let response = alice
        .http
        .post(alice.api("/rooms/Lobby/messages"))
        .json(&json!({}))
        .send()
        .await
        .expect("POST");
    let status = response.status();
    assert!(
        [StatusCode::BAD_REQUEST, StatusCode::UNPROCESSABLE_ENTITY].contains(&status),
        "no text: {status}"
    );

    assert_eq!(history(&alice, "Lobby", "").await, Vec::<Value>::new());
}

#[tokio::test]
async fn a_non_member_cannot_post_in_a_room() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let eve = app.user("eve").await;
    alice.create_room("Secret").await;

    expect_problem(
        eve.post_message("Secret", "let me in").await,
        StatusCode::FORBIDDEN,
    )
    .await;

    assert_eq!(history(&alice, "Secret", "").await, Vec::<Value>::new());
}

#[tokio::test]
async fn a_flood_of_messages_is_slowed_with_429_and_retry_after() {
    // A slow limit (one a second, bursts of five), so the test is quick even on a busy machine.
    let app = spawn_app_with(|config| {
        config.message_rate = 1.0;
        config.message_burst = 5.0;
    })
    .await;
    let alice = app.user("alice").await;
    alice.create_room("Lobby").await;

    let mut refused = None;
    for i in 0..50 {
        let response = alice.post_message("Lobby", &format!("spam {i}")).await;
        if response.status() != StatusCode::CREATED {
            refused = Some(response);
            break;
        }
    }

    let response = refused.expect("the flood is refused at some point");
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .cloned();
    expect_problem(response, StatusCode::TOO_MANY_REQUESTS).await;
    let retry_after: u64 = retry_after
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .expect("seconds");
    assert!(retry_after >= 1);
    let bob = app.user("bob").await;
    bob.join_room("Lobby").await;
    assert_eq!(
        bob.post_message("Lobby", "I can still talk").await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn posting_to_an_unknown_room_is_404() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    expect_problem(
        alice.post_message("Nowhere", "hello?").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Even when the text is invalid too: the room is what is missing.
    expect_problem(
        alice.post_message("Nowhere", "").await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn retrying_with_the_same_client_id_returns_the_original_and_stores_it_once() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    alice.create_room("Lobby").await;

    let first = post_with_client_id(&alice, "Lobby", "only once", "c-1").await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.expect("JSON");

    for retry_text in ["only once", "a changed retry"] {
        let retry = post_with_client_id(&alice, "Lobby", retry_text, "c-1").await;
        assert_eq!(
            retry.status(),
            StatusCode::OK,
            "a retry is not a new message"
        );
        let retry: Value = retry.json().await.expect("JSON");
        assert_eq!(retry["id"], first["id"]);
        assert_eq!(retry["text"], "only once", "the original comes back");
    }

    let other = post_with_client_id(&alice, "Lobby", "another", "c-2").await;
    assert_eq!(other.status(), StatusCode::CREATED);
    assert_eq!(
        texts(&history(&alice, "Lobby", "").await),
        ["only once", "another"]
    );
}

#[tokio::test]
async fn many_senders_retrying_at_once_store_each_client_id_once_in_seq_order() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.create_room("Lobby").await;
    assert_eq!(bob.join_room("Lobby").await.status(), StatusCode::CREATED);
    // 15 messages each, each sent three times at once (the writer takes many together:
    // on PostgreSQL they are stored as runs, their retries looked up in the same
    // statement), and two senders using the same client ids. (45 sends each: under
    // the rate's burst of 50.)
    let mut sends = Vec::new();
    for n in 0..15 {
        for who in [&alice, &bob] {
            for _ in 0..3 {
                let text = format!("{} {n}", who.name);
                sends.push(async move {
                    let answer = post_with_client_id(who, "Lobby", &text, &format!("c-{n}")).await;
                    let status = answer.status();
                    let message: Value = answer.json().await.expect("JSON");
                    (status, message)
                });
            }
        }
    }
    let answers = join_all(sends).await;
    let mut ids: std::collections::HashMap<String, Vec<Value>> = Default::default();
    for (status, message) in answers {
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "{status}: {message}"
        );
        ids.entry(message["text"].as_str().unwrap().to_owned())
            .or_default()
            .push(message["id"].clone());
    }
    assert_eq!(ids.len(), 30, "every message answered");
    for (text, same) in &ids {
        assert!(
            same.iter().all(|id| id == &same[0]),
            "{text}: one message, {same:?}"
        );
    }
    let stored = history(&alice, "Lobby", "?limit=200").await;
    assert_eq!(stored.len(), 30, "each stored once");
    // Seq order is id order.
    let mut by_id: Vec<(i64, i64)> = stored
        .iter()
        .map(|m| (m["id"].as_i64().unwrap(), m["seq"].as_i64().unwrap()))
        .collect();
    by_id.sort();
    assert!(by_id.windows(2).all(|w| w[0].1 < w[1].1), "{by_id:?}");
}

#[tokio::test]
async fn a_client_id_over_64_characters_is_422() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    alice.create_room("Lobby").await;

    let response = post_with_client_id(&alice, "Lobby", "hello", &"c".repeat(65)).await;

    expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(history(&alice, "Lobby", "").await, Vec::<Value>::new());
}

#[tokio::test]
async fn emoji_and_chinese_text_round_trip_exactly() {
    let app = spawn_app().await;
    let alice = app.user("张伟明").await;
    let bob = app.user("bob").await;
    alice.create_room("茶水间").await;
    bob.join_room("茶水间").await;
    let texts_sent = [
        "你好，世界！今天喝茶吗？",
        "👋🏽 family: 👨‍👩‍👧‍👦, flags: 🇨🇳🇩🇪, keycap: 1️⃣",
        "mixed: café, Ärger, ΣΟΦΊΑ, שלום, \u{200d}zero-width joiner",
        "<script>alert('x')</script> & \"quotes\"",
    ];

    for text in texts_sent {
        let message: Value = alice
            .post_message("茶水间", text)
            .await
            .json()
            .await
            .expect("JSON");
        assert_eq!(message["text"], text);
        assert_eq!(message["sender"], "张伟明");
        assert_eq!(message["room"], "茶水间");
    }

    let page = history(&bob, "茶水间", "").await;
    assert_eq!(texts(&page), texts_sent);
    assert!(page.iter().all(|m| m["sender"] == "张伟明"));
}

// ---- helpers -----------------------------------------------------------------------

/// A Hearth that lets one user post hundreds of messages at once.
async fn spawn_app_without_rate_limit() -> TestApp {
    spawn_app_with(|config| {
        config.message_rate = 100_000.0;
        config.message_burst = 100_000.0;
    })
    .await
}

/// Posts `count` messages to `room`, many at a time; returns their ids in order.
async fn fill(user: &User, room: &str, count: usize) -> Vec<i64> {
    let mut ids = Vec::with_capacity(count);
    let texts: Vec<String> = (0..count).map(|i| format!("message {i}")).collect();
    for chunk in texts.chunks(32) {
        ids.extend(join_all(chunk.iter().map(|text| user.say(room, text))).await);
    }
    ids.sort_unstable();
    ids
}

/// `GET /api/v1/rooms/{room}/messages{query}`, which must succeed.
async fn history(user: &User, room: &str, query: &str) -> Vec<Value> {
    let response = user
        .get(&format!("/api/v1/rooms/{}/messages{query}", encode(room)))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "history of {room}{query}"
    );
    response.json().await.expect("a JSON list")
}

async fn post_with_client_id(user: &User, room: &str, text: &str, client_id: &str) -> Response {
    user.http
        .post(user.api(&format!("/rooms/{}/messages", encode(room))))
        .json(&json!({ "text": text, "client_id": client_id }))
        .send()
        .await
        .expect("POST")
}

/// The names of the rooms `user` sees in `scope`, sorted.
async fn room_names(user: &User, scope: &str) -> Vec<String> {
    let response = user.get(&format!("/api/v1/rooms?scope={scope}")).await;
    assert_eq!(response.status(), StatusCode::OK, "rooms in {scope}");
    let rooms: Value = response.json().await.expect("JSON");
    names(&rooms)
}

fn names(rooms: &Value) -> Vec<String> {
    let mut names: Vec<String> = rooms
        .as_array()
        .expect("a list of rooms")
        .iter()
        .map(|r| r["name"].as_str().expect("a name").to_owned())
        .collect();
    names.sort();
    names
}

fn ids(messages: &[Value]) -> Vec<i64> {
    messages
        .iter()
        .map(|m| m["id"].as_i64().expect("an id"))
        .collect()
}

fn texts(messages: &[Value]) -> Vec<&str> {
    messages
        .iter()
        .map(|m| m["text"].as_str().expect("a text"))
        .collect()
}

fn assert_increasing(ids: &[i64]) {
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids must strictly increase: {ids:?}"
    );
}
