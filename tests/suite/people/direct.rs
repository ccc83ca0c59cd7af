//! `POST /api/v1/direct`: one room per set of people, however many ask at once.

use futures_util::future::join_all;

use super::*;
use crate::api_auth::expect_problem;

#[tokio::test]
async fn a_direct_room_is_made_once_then_found_and_lists_its_people() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let _bob = app.user("bob").await;
    let _carol = app.user("Carol").await;

    let room = direct(&ann, &["bob", "carol"], StatusCode::CREATED).await;
    assert_eq!(room["kind"], "direct");
    assert_eq!(
        room["name"], "@ann,bob,Carol",
        "usernames as registered, ordered"
    );
    assert_eq!(room["members"], serde_json::json!(["ann", "bob", "Carol"]));
    assert_recent_utc(&room["created_at"]);
    let keys: Vec<&String> = room.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 4, "name, kind, members, created_at: {room}");

    // The same people, in any order and case, from any of them: the same room.
    let again = direct(&ann, &["CAROL", "bob"], StatusCode::OK).await;
    assert_eq!(again, room);
    let bob = app.client().log_in("bob").await;
    let from_bob = direct(&bob, &["ann", "Carol"], StatusCode::OK).await;
    assert_eq!(from_bob["name"], room["name"]);
    // Naming yourself too changes nothing; a different set is a different room.
    let with_me = direct(&ann, &["ann", "bob", "carol"], StatusCode::OK).await;
    assert_eq!(with_me["name"], room["name"]);
    let pair = direct(&ann, &["bob"], StatusCode::CREATED).await;
    assert_eq!(pair["name"], "@ann,bob");
}

#[tokio::test]
async fn twenty_concurrent_calls_for_the_same_people_get_one_room() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let _bob = app.user("bob").await;
    let _cyd = app.user("cyd").await;

    let calls = (0..20).map(|n| {
        let who = if n % 2 == 0 {
            ["bob", "cyd"]
        } else {
            ["cyd", "BOB"]
        };
        let ann = &ann;
        async move { ann.open_direct(&who).await }
    });
    let answers = join_all(calls).await;
    let mut created = 0;
    let mut names = Vec::new();
    for response in answers {
        match response.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::OK => {}
            other => panic!("unexpected {other}"),
        }
        let room: Value = response.json().await.expect("a room");
        names.push(room["name"].as_str().unwrap().to_owned());
    }
    assert_eq!(created, 1, "exactly one call made it");
    names.dedup();
    assert_eq!(names, ["@ann,bob,cyd"]);
    let joined: Vec<Value> = rooms(&ann, "joined").await;
    assert_eq!(joined.len(), 1, "one room: {joined:?}");
    assert_eq!(
        joined[0]["members"],
        serde_json::json!(["ann", "bob", "cyd"])
    );
}

#[tokio::test]
async fn refusals_say_who_is_unknown_or_what_is_wrong_with_the_list() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    for name in ["bo1", "bo2", "bo3", "bo4", "bo5", "bo6", "bo7", "bo8"] {
        app.user(name).await;
    }

    for (users, code) in [
        (vec![], "direct_count"),
        (vec!["ann"], "direct_self"),
        (vec!["ANN"], "direct_self"),
        (vec!["bo1", "BO1"], "direct_duplicate"),
        (vec!["ann", "bo1", "Ann"], "direct_duplicate"),
        (
            vec!["bo1", "bo2", "bo3", "bo4", "bo5", "bo6", "bo7", "bo8"],
            "direct_count",
        ),
    ] {
        let body = expect_problem(
            ann.open_direct(&users).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(body["code"], code, "{users:?}: {body}");
    }
    for users in [
        vec!["nobody"],
        vec!["bo1", "nobody"],
        vec!["<script>"],
        vec!["a'; DROP TABLE users; --"],
    ] {
        let body = expect_problem(ann.open_direct(&users).await, StatusCode::NOT_FOUND).await;
        assert_eq!(body["code"], "no_such_user", "{users:?}: {body}");
    }
    // Seven others is the most, and fine.
    direct(
        &ann,
        &["bo1", "bo2", "bo3", "bo4", "bo5", "bo6", "bo7"],
        StatusCode::CREATED,
    )
    .await;
    // Not a list of names: a clear 4xx.
    for body in [
        serde_json::json!({ "users": "bo1" }),
        serde_json::json!({ "users": [1, 2] }),
        serde_json::json!({}),
    ] {
        let response = ann
            .http
            .post(ann.api("/direct"))
            .json(&body)
            .send()
            .await
            .expect("POST");
        assert!(
            response.status().is_client_error(),
            "{body}: {}",
            response.status()
        );
    }
    assert_eq!(
        rooms(&ann, "joined").await.len(),
        1,
        "nothing else was made"
    );
    let stranger = app.client();
    expect_problem(
        stranger.open_direct(&["bo1"]).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn direct_rooms_are_never_listed_to_join_and_cannot_be_joined() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let _bob = app.user("bob").await;
    let eve = app.user("eve").await;
    assert_eq!(ann.create_room("Lobby").await.status(), StatusCode::CREATED);
    direct(&ann, &["bob"], StatusCode::CREATED).await;

    for scope in ["available", "all"] {
        let listed = rooms(&eve, scope).await;
        assert!(
            listed.iter().all(|r| r["kind"] == "room"),
            "{scope}: {listed:?}"
        );
        assert_eq!(listed.len(), 1, "{scope}: {listed:?}");
    }
    let body = expect_problem(eve.join_room("@ann,bob").await, StatusCode::FORBIDDEN).await;
    assert_eq!(body["code"], "direct_room");
    // Ann's own list has both kinds, each saying which it is.
    let mine = rooms(&ann, "joined").await;
    let kinds: Vec<(&str, &str)> = mine
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, [("@ann,bob", "direct"), ("Lobby", "room")]);
    assert_eq!(mine[1]["members"], 1);
    // An outsider reads and writes nothing there, by API, socket or page.
    let encoded = encode("@ann,bob");
    expect_problem(
        eve.get(&format!("/api/v1/rooms/{encoded}/messages")).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_problem(
        eve.post_message("@ann,bob", "hi").await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let page = eve.get(&format!("/rooms/{encoded}")).await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    let html = page.text().await.unwrap();
    assert!(
        !html.contains(&format!("{encoded}/join")),
        "no way in: {html}"
    );
    assert!(
        eve.try_ws(&format!("/api/v1/rooms/{encoded}/ws"), &[])
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_direct_rooms_name_works_in_every_room_route_and_page() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let _zhang = app.user("张伟").await;
    let room = direct(&ann, &["bob", "张伟"], StatusCode::CREATED).await;
    let name = room["name"].as_str().unwrap();
    assert_eq!(name, "@ann,bob,张伟");

    let mut bob_socket = bob.ws(&format!("/api/v1/rooms/{}/ws", encode(name))).await;
    let id = ann.say(name, "just us").await;
    let frame = next_message(&mut bob_socket, WAIT).await;
    assert_eq!(
        (frame["id"].as_i64(), frame["room"].as_str()),
        (Some(id), Some(name))
    );
    let history = bob
        .get(&format!("/api/v1/rooms/{}/messages", encode(name)))
        .await;
    assert_eq!(history.status(), StatusCode::OK);
    assert_eq!(bob.events(name, "").await.len(), 1);
    // Its page is titled by the others' names, and its socket works.
    let page = bob.get(&format!("/rooms/{}", encode(name))).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>ann, 张伟</h1>"), "{html}");
    assert!(html.contains("just us"));
    assert!(
        html.contains(&format!("ws-connect=\"/rooms/{}/ws\"", encode(name))),
        "the page's socket path is encoded"
    );
    // The sidebar lists it under Direct messages, by the others' names.
    let sidebar = bob.get("/rooms").await.text().await.unwrap();
    let (_, dms) = sidebar.split_once("id=\"dm-list\"").expect("a direct list");
    assert!(dms.contains("title=\"ann, 张伟\""), "{dms}");
    let (rooms_part, _) = sidebar.split_once("id=\"dm-list\"").unwrap();
    assert!(!rooms_part.contains("ann, 张伟"), "not among group rooms");
}

#[tokio::test]
async fn someone_brought_into_a_direct_room_sees_it_in_their_open_sidebar() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let mut bobs_sidebar = bob.ws("/ws").await;

    let room = direct(&ann, &["bob"], StatusCode::CREATED).await;
    let fragment = loop {
        let text = next_text(&mut bobs_sidebar, WAIT).await;
        if text.contains("dm-list") {
            break text;
        }
    };
    assert!(
        fragment.contains(r##"hx-swap-oob="beforeend:#dm-list""##),
        "{fragment}"
    );
    assert!(
        fragment.contains(&format!(
            "href=\"/rooms/{}\"",
            encode(room["name"].as_str().unwrap())
        )),
        "{fragment}"
    );
    assert!(
        fragment.contains(">ann</span>"),
        "titled by the other person: {fragment}"
    );
    // Its messages count at once: every one, by default, in a direct room.
    ann.say("@ann,bob", "hello bob").await;
    let badge = loop {
        let text = next_text(&mut bobs_sidebar, WAIT).await;
        if text.contains("class=\"badge") {
            break text;
        }
    };
    assert!(badge.contains(">1</span>"), "{badge}");
}
