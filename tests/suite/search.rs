//! Finding messages: `GET /api/v1/search` (terms in any script, phrases, filters,
//! membership, edits and deletes, keyset paging, refusals, snippets), `?around=` on a
//! room's history, permalinks, the `/search` page with and without htmx, and what a
//! room shows its reader of what is new since they left.

mod echo;
mod filters;
mod paging;
mod permalinks;
mod refusals;
mod search_page;
mod terms;
mod unread;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

/// `GET /api/v1/search` with these query parameters, each value percent-encoded.
pub(crate) async fn search_response(user: &User, pairs: &[(&str, &str)]) -> reqwest::Response {
    user.get(&format!("/api/v1/search?{}", query(pairs))).await
}

/// A search that must succeed: its `results` and `next_before_id`.
pub(crate) async fn search(user: &User, pairs: &[(&str, &str)]) -> (Vec<Value>, Option<i64>) {
    let response = search_response(user, pairs).await;
    let status = response.status();
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(status, StatusCode::OK, "searching {pairs:?}: {body}");
    let results = body["results"].as_array().expect("a list of results");
    let next = &body["next_before_id"];
    assert!(
        next.is_null() && body.get("next_before_id").is_some() || next.is_i64(),
        "next_before_id is a number or null, and always there: {body}"
    );
    (results.clone(), next.as_i64())
}

/// The texts found for `q` (everything else as given), newest first; the last page.
pub(crate) async fn found(user: &User, q: &str) -> Vec<String> {
    found_with(user, &[("q", q)]).await
}

pub(crate) async fn found_with(user: &User, pairs: &[(&str, &str)]) -> Vec<String> {
    let (results, next) = search(user, pairs).await;
    assert_eq!(next, None, "one page is all for {pairs:?}");
    texts(&results)
}

pub(crate) fn texts(results: &[Value]) -> Vec<String> {
    results
        .iter()
        .map(|m| m["text"].as_str().expect("a text").to_owned())
        .collect()
}

pub(crate) fn ids(results: &[Value]) -> Vec<i64> {
    results
        .iter()
        .map(|m| m["id"].as_i64().expect("an id"))
        .collect()
}

/// A query string: `name=value&…`, each part percent-encoded.
pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// alice, who creates `room` and says each of `texts` in it, oldest first; returns
/// her and the messages' ids.
pub(crate) async fn alice_says(app: &TestApp, room: &str, texts: &[&str]) -> (User, Vec<i64>) {
    let alice = app.user("alice").await;
    assert_eq!(alice.create_room(room).await.status(), StatusCode::CREATED);
    let mut ids = Vec::new();
    for text in texts {
        ids.push(alice.say(room, text).await);
    }
    (alice, ids)
}

/// `texts` in the order given, as owned strings (newest first, when they are results).
pub(crate) fn strings(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|t| (*t).to_owned()).collect()
}
