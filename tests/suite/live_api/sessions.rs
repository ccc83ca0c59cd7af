//! A socket never outlives its login: logouts it missed because its channel lagged,
//! and sessions deleted or expired behind its back, all close it.

use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

use futures_util::{StreamExt, stream};
use reqwest::StatusCode;
use serde_json::json;

use super::*;
use crate::live_pages::{live_page, next_fragment};

/// More events than a user's channel holds (64).
const FLOOD: usize = 70;

#[tokio::test]
async fn a_socket_whose_user_channel_overflows_is_closed_with_1013_and_may_come_back() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let others = logins(&app, "ann", FLOOD).await;

    // The page socket reads nothing until the page says where it is (up to three
    // seconds): meanwhile ann's other logins all log out, more than her channel holds.
    let opened = Instant::now();
    let mut page = ann.ws("/rooms/general/ws").await;
    log_out_all(&others).await;
    assert_within_resume_wait(opened);
    send_json(&mut page, json!({ "after_seq": "0" })).await;

    assert_eq!(
        close_code(&mut page, WAIT).await,
        Some(1013),
        "a socket that missed events is told to reconnect, not left open"
    );
    // Her own login is still good: she reconnects and carries on.
    let mut again = live_page(ann, "general").await;
    let id = bob.say("general", "welcome back").await;
    next_fragment(&mut again, |html| html.contains(&format!(r#"id="m-{id}""#))).await;
}

#[tokio::test]
async fn a_logout_pushed_out_of_a_lagging_channel_still_closes_the_socket_for_good() {
    let app = spawn_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let others = logins(&app, "ann", FLOOD).await;
    let mut bob_page = live_page(bob, "general").await;

    let opened = Instant::now();
    let mut page = ann.ws("/rooms/general/ws").await;
    // Her own logout first, then more than the channel holds: the one event that
    // mattered is no longer in it.
    assert_eq!(ann.log_out().await.status(), StatusCode::NO_CONTENT);
    log_out_all(&others).await;
    assert_within_resume_wait(opened);
    send_json(&mut page, json!({ "after_seq": "0" })).await;

    let code = close_code(&mut page, WAIT).await;
    assert!(
        matches!(code, Some(1013 | 1008)),
        "the socket closes, got {code:?}"
    );
    // Coming back is refused: the page goes to the login page, the API says 401.
    assert_eq!(refusal(ann.try_ws("/rooms/general/ws", &[]).await), 303);
    assert_eq!(refusal(ann.try_ws(&ws_path("general"), &[]).await), 401);
    // Nobody else was disturbed.
    let id = bob.say("general", "still here").await;
    next_fragment(&mut bob_page, |html| {
        html.contains(&format!(r#"id="m-{id}""#))
    })
    .await;
}

/// Messages whose frames, about 24 KB each (4,000 three-byte characters, as text and
/// again as HTML), come to some 7 MB: more than the kernel's and tungstenite's buffers
/// between the server and a client that reads nothing (about 4 MB), so the server's
/// catch-up stalls until the client reads.
const STALLING_MESSAGES: usize = 300;

#[tokio::test]
async fn a_json_socket_stalled_in_its_catch_up_still_closes_for_a_logout_pushed_out_of_its_channel()
{
    let app = spawn_unlimited_app().await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let others = logins(&app, "ann", FLOOD).await;
    let long = "话".repeat(hearth::domain::MAX_MESSAGE_CHARS);
    let _: Vec<i64> = stream::iter(0..STALLING_MESSAGES)
        .map(|_| bob.say("general", &long))
        .buffer_unordered(8)
        .collect()
        .await;

    // The JSON socket reads from its first moment, so only a stalled write keeps it
    // from hearing its channel: ann asks for the whole history and reads none of it.
    // Meanwhile she logs out, then her other logins do, more than her channel holds:
    // the one event that mattered is no longer in it.
    let opened = Instant::now();
    let mut socket = ann.ws(&format!("{}?after_seq=0", ws_path("general"))).await;
    assert_eq!(ann.log_out().await.status(), StatusCode::NO_CONTENT);
    log_out_all(&others).await;
    assert!(
        opened.elapsed() < Duration::from_secs(4),
        "the logouts took {:?}: too slow to land inside the server's five-second write timeout",
        opened.elapsed()
    );

    // She reads on: the whole history arrives, then the socket closes (a socket that
    // kept serving would still be open when the wait ends).
    messages(&mut socket, STALLING_MESSAGES).await;
    let code = close_code(&mut socket, WAIT).await.expect("a close frame");
    assert!(matches!(code, 1013 | 1008), "the socket closes, got {code}");
    // Coming back is refused.
    assert_eq!(refusal(ann.try_ws(&ws_path("general"), &[]).await), 401);
    let mut bob_ws = connect(bob, &ws_path("general")).await;
    let id = bob.say("general", "still here").await;
    assert_eq!(next_message(&mut bob_ws, WAIT).await["id"], id);
}

#[tokio::test]
async fn a_session_deleted_in_the_database_closes_its_sockets_with_1008_within_the_recheck() {
    let app = spawn_app_with(|config| config.session_recheck_secs = 1).await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let mut ann_json = connect(ann, &ws_path("general")).await;
    let mut ann_page = live_page(ann, "general").await;
    let mut bob_ws = connect(bob, &ws_path("general")).await;

    let deleted = app
        .run_sql(&format!(
            "DELETE FROM sessions WHERE id = '{}'",
            session_id(ann)
        ))
        .await;
    assert_eq!(deleted, 1, "ann's session row");
    let since = Instant::now();

    assert_eq!(close_code(&mut ann_json, 5).await, Some(1008));
    assert_eq!(close_code(&mut ann_page, 5).await, Some(1008));
    assert!(
        since.elapsed() < Duration::from_secs(4),
        "{:?}",
        since.elapsed()
    );
    assert_eq!(refusal(ann.try_ws(&ws_path("general"), &[]).await), 401);
    let id = bob.say("general", "bob is unaffected").await;
    assert_eq!(next_message(&mut bob_ws, WAIT).await["id"], id);
}

#[tokio::test]
async fn an_expired_session_closes_its_sockets_with_1008_within_the_recheck() {
    let app = spawn_app_with(|config| config.session_recheck_secs = 1).await;
    let users = members(&app, "general", &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let mut ann_json = connect(ann, &ws_path("general")).await;
    let mut ann_page = live_page(ann, "general").await;
    let mut bob_ws = connect(bob, &ws_path("general")).await;

    let expired = app
        .run_sql(&format!(
            "UPDATE sessions SET expires_at = 1 WHERE id = '{}'",
            session_id(ann)
        ))
        .await;
    assert_eq!(expired, 1, "ann's session row");

    assert_eq!(close_code(&mut ann_json, 5).await, Some(1008));
    assert_eq!(close_code(&mut ann_page, 5).await, Some(1008));
    assert_eq!(refusal(ann.try_ws(&ws_path("general"), &[]).await), 401);
    let id = bob.say("general", "bob's session is fine").await;
    assert_eq!(next_message(&mut bob_ws, WAIT).await["id"], id);
}

// ---- helpers -----------------------------------------------------------------------

/// `count` more logins of the account `name`, each a client of its own.
async fn logins(app: &TestApp, name: &str, count: usize) -> Vec<User> {
    stream::iter(0..count)
        .map(|_| log_in(app, name))
        .buffer_unordered(4)
        .collect()
        .await
}

/// Logs every one of `users` out, several at a time.
async fn log_out_all(users: &[User]) {
    let statuses: Vec<StatusCode> = stream::iter(users)
        .map(|user| async move {
            user.http
                .delete(user.api("/session"))
                .send()
                .await
                .expect("log out")
                .status()
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::NO_CONTENT),
        "{statuses:?}"
    );
}

/// The page socket waits three seconds for its resume frame: what these tests do in
/// that window must have happened within it.
fn assert_within_resume_wait(opened: Instant) {
    assert!(
        opened.elapsed() < Duration::from_millis(2500),
        "the logouts took {:?}: too slow to land inside the page socket's resume wait",
        opened.elapsed()
    );
}

/// The key of `user`'s session in the sessions table: the SHA-256 (hex) of the id its
/// cookie carries.
fn session_id(user: &User) -> String {
    let cookie = user.cookie().expect("a session cookie");
    let cookie = cookie.to_str().expect("an ASCII cookie");
    let value = cookie
        .split("; ")
        .find_map(|pair| pair.strip_prefix("hearth_session="))
        .expect("the session cookie");
    assert!(
        value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)),
        "{value}"
    );
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
