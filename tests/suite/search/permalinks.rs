//! A message in its place: `?around=` on a room's history, and the permalink page
//! `/rooms/{name}/messages/{id}` that opens the room on it, highlighted, with "Load
//! earlier" above and "Load later" below.

use super::*;
use crate::api_auth::expect_problem;
use crate::pages::{
    assert_shows_in_order, attr_values, find_tag, has_button, htmx_get, load_earlier, numbered,
    page,
};

/// `GET /api/v1/rooms/{room}/messages?around=…&limit=…`, which must succeed: the texts.
async fn around(user: &User, room: &str, id: i64, limit: i64) -> Vec<String> {
    let response = user
        .get(&format!(
            "/api/v1/rooms/{}/messages?around={id}&limit={limit}",
            encode(room)
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "around {id}");
    let messages: Vec<Value> = response.json().await.expect("JSON");
    texts(&messages)
}

fn numbers(range: std::ops::RangeInclusive<usize>) -> Vec<String> {
    range.map(numbered).collect()
}

#[tokio::test]
async fn around_gives_the_message_with_half_the_page_before_it_and_the_rest_after() {
    let app = spawn_app().await;
    let texts: Vec<String> = numbers(1..=11);
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let (alice, ids) = alice_says(&app, "Log", &texts).await;
    let id = |n: usize| ids[n - 1];

    // The middle: itself and two before, then two after; oldest first.
    assert_eq!(around(&alice, "Log", id(6), 5).await, numbers(4..=8));
    assert_eq!(around(&alice, "Log", id(6), 4).await, numbers(5..=8));
    assert_eq!(around(&alice, "Log", id(6), 1).await, numbers(6..=6));
    // The first: nothing before it, so the rest comes after.
    assert_eq!(around(&alice, "Log", id(1), 5).await, numbers(1..=5));
    // The last: half the page before it, nothing after.
    assert_eq!(around(&alice, "Log", id(11), 5).await, numbers(9..=11));
    assert_eq!(around(&alice, "Log", id(11), 50).await, numbers(1..=11));
    // The default page is fifty: here, the whole room.
    let response = alice
        .get(&format!("/api/v1/rooms/Log/messages?around={}", id(3)))
        .await;
    let all: Vec<Value> = response.json().await.expect("JSON");
    assert_eq!(super::texts(&all), numbers(1..=11));
    // A deleted message keeps its place, as a tombstone.
    alice.delete_message(id(7)).await;
    let response = alice
        .get(&format!(
            "/api/v1/rooms/Log/messages?around={}&limit=3",
            id(7)
        ))
        .await;
    let shown: Vec<Value> = response.json().await.expect("JSON");
    assert_eq!(super::ids(&shown), [id(6), id(7), id(8)]);
    assert_eq!(shown[1]["deleted"], true);
}

#[tokio::test]
async fn around_a_message_the_room_does_not_have_is_404_and_other_rooms_stay_closed() {
    let app = spawn_app().await;
    let (alice, ids) = alice_says(&app, "Here", &["one", "two"]).await;
    alice.create_room("There").await;
    let there = alice.say("There", "elsewhere").await;
    let bob = app.user("bob").await;

    for unknown in [there, there + 100, 0, -1] {
        let response = alice
            .get(&format!("/api/v1/rooms/Here/messages?around={unknown}"))
            .await;
        let body = expect_problem(response, StatusCode::NOT_FOUND).await;
        assert_eq!(body["code"], "no_such_message", "{unknown}: {body}");
    }
    let response = bob
        .get(&format!("/api/v1/rooms/Here/messages?around={}", ids[0]))
        .await;
    let body = expect_problem(response, StatusCode::FORBIDDEN).await;
    assert!(!body.to_string().contains("one"), "{body}");
    let response = alice
        .get(&format!(
            "/api/v1/rooms/Here/messages?around={}&limit=201",
            ids[0]
        ))
        .await;
    let body = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["field"], "limit", "{body}");
}

#[tokio::test]
async fn a_permalink_opens_the_room_around_its_message_highlighted_with_load_earlier_and_later() {
    let app = spawn_app_with(|config| config.message_burst = 1000.0).await;
    let alice = app.user("alice").await;
    alice.create_room("Archive").await;
    let mut ids = Vec::new();
    for n in 1..=120 {
        ids.push(alice.say("Archive", &numbered(n)).await);
    }
    let target = ids[29];

    let (status, html) = page(
        alice
            .get(&format!("/rooms/Archive/messages/{target}"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // The 25 up to it and the 25 after.
    assert_shows_in_order(&html, 6..=55, 120);
    let log = find_tag(&html, "<div", "id=\"messages\"").expect("the message log");
    assert_eq!(
        attr_values(log, "data-target"),
        [format!("m-{target}")],
        "{log}"
    );
    assert!(html.contains(&format!("id=\"m-{target}\"")));
    assert_eq!(
        load_earlier(&html).as_deref(),
        Some(&*format!("/rooms/Archive/messages?before={}", ids[5]))
    );
    let later = load_later(&html).expect("newer messages exist");
    assert_eq!(later, format!("/rooms/Archive/messages?after={}", ids[54]));
    assert!(
        html.find("Load later") > html.find(&numbered(55)),
        "Load later is below"
    );
    // The live socket resumes where the room is, so nothing after the gap is appended.
    assert!(html.contains("ws-connect=\"/rooms/Archive/ws\""));
    assert!(
        find_tag(&html, "<a", "id=\"jump-latest\"")
            .is_some_and(|a| a.contains("href=\"/rooms/Archive?latest=1\""))
    );
    assert!(
        !html.contains("id=\"new-divider\""),
        "alice wrote them all: nothing is new"
    );

    // "Load later" brings the next fifty, then the rest, then no more button.
    let (status, next) = page(htmx_get(&alice, &later).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_shows_in_order(&next, 56..=105, 120);
    let later = load_later(&next).expect("still more");
    let (_, last) = page(htmx_get(&alice, &later).await).await;
    assert_shows_in_order(&last, 106..=120, 120);
    assert_eq!(load_later(&last), None);

    let permalink = async |id: i64| {
        let response = alice.get(&format!("/rooms/Archive/messages/{id}")).await;
        page(response).await.1
    };
    // A permalink to the newest message has nothing later.
    let html = permalink(ids[119]).await;
    assert_shows_in_order(&html, 96..=120, 120);
    assert_eq!(load_later(&html), None);
    assert!(!html.contains("Load later"));
    // One near the first has nothing earlier, and the rest of the page after it.
    let html = permalink(ids[1]).await;
    assert_shows_in_order(&html, 1..=50, 120);
    assert_eq!(load_earlier(&html), None);
    assert_eq!(
        load_later(&html),
        Some(format!("/rooms/Archive/messages?after={}", ids[49]))
    );
}

#[tokio::test]
async fn a_permalink_to_a_message_of_another_room_or_none_is_not_found_and_a_stranger_sees_none() {
    let app = spawn_app().await;
    let (alice, ids) = alice_says(&app, "Here", &["the first", "the second"]).await;
    alice.create_room("There").await;
    let there = alice.say("There", "over there").await;
    let bob = app.user("bob").await;

    for path in [
        format!("/rooms/Here/messages/{there}"),
        format!("/rooms/Here/messages/{}", there + 100),
        format!("/rooms/Nowhere/messages/{}", ids[0]),
    ] {
        let (status, html) = page(alice.get(&path).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!html.contains("over there"), "{path}");
    }
    // Someone not in the room is shown its door, not its messages.
    let (status, html) = page(bob.get(&format!("/rooms/Here/messages/{}", ids[0])).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(has_button(&html, "Join this room"), "{html}");
    assert!(!html.contains("the first"));
    // Nor may a stranger without a session: to the login page, and back after.
    let response = app
        .client()
        .get(&format!("/rooms/Here/messages/{}", ids[0]))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = response.headers()["location"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert!(to.starts_with("/login?next="), "{to}");
}

/// Where "Load later" fetches from, if the page has the button.
fn load_later(html: &str) -> Option<String> {
    let url = attr_values(html, "hx-get")
        .into_iter()
        .find(|url| url.contains("after="))?;
    assert!(has_button(html, "Load later"), "the button is labelled");
    Some(url.to_owned())
}
