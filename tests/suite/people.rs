//! People: direct rooms, @mentions, notification levels, leaving a room, typing, and
//! Markdown, through the API and both kinds of socket, against a real server.

mod direct;
mod formatting;
mod leaving;
mod mentions;
mod notify;
mod pages;
mod typing;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

/// Seconds any one expected frame may take: generous, for a busy two-core CI machine.
const WAIT: u64 = 10;

/// `POST /direct` that must answer `expected`: the room object.
async fn direct(user: &User, users: &[&str], expected: StatusCode) -> Value {
    let response = user.open_direct(users).await;
    assert_eq!(response.status(), expected, "direct with {users:?}");
    response.json().await.expect("a room")
}

/// The rooms `user` lists in `scope`, as objects.
async fn rooms(user: &User, scope: &str) -> Vec<Value> {
    let response = user.get(&format!("/api/v1/rooms?scope={scope}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let list: Value = response.json().await.expect("JSON");
    list.as_array().expect("a list").clone()
}

/// One message as `user` reads it through the room's history.
async fn message(user: &User, room: &str, id: i64) -> Value {
    let response = user
        .get(&format!(
            "/api/v1/rooms/{}/messages?around={id}",
            encode(room)
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page: Value = response.json().await.expect("JSON");
    page.as_array()
        .expect("a page")
        .iter()
        .find(|m| m["id"] == id)
        .cloned()
        .expect("the message")
}

/// A user's id, as their own stylesheet names it (`.msg[data-uid="7"]`).
async fn user_id(user: &User) -> i64 {
    let css = user.get("/me.css").await.text().await.expect("CSS");
    let (_, rest) = css.split_once("data-uid=\"").expect("an id in me.css");
    rest.chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .expect("an id")
}
