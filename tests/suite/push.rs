//! Web Push, with the test playing the browser: it makes its own P-256 key pair and
//! auth secret, subscribes with an endpoint on a push receiver of its own, and the
//! receiver checks each push's VAPID JWT (audience, expiry, signature against the
//! server's public key) and decrypts the payload (RFC 8291).

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::{
    helpers::{TestApp, User, spawn_app, spawn_app_with},
    push_receiver::{Browser, Pushed, next_push, no_push, receiver, server_key},
};

/// Ann and Bob in "garden", Bob at notification level `notify` (or the default).
async fn set_up(app: &TestApp, notify: Option<&str>) -> (User, User) {
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    assert_eq!(
        ann.create_room("garden").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(bob.join_room("garden").await.status(), StatusCode::CREATED);
    if let Some(level) = notify {
        assert_eq!(
            bob.set_notify("garden", level).await.status(),
            StatusCode::OK
        );
    }
    (ann, bob)
}

#[tokio::test]
async fn an_offline_member_gets_one_encrypted_signed_push_per_message() {
    let app = spawn_app().await;
    let (push, mut pushes) = receiver().await;
    let (ann, bob) = set_up(&app, Some("all")).await;
    let phone = Browser::subscribe(&bob, push, "bob-phone").await;
    let laptop = Browser::subscribe(&bob, push, "bob-laptop").await;
    // The sender is subscribed too, and offline: never pushed their own message.
    Browser::subscribe(&ann, push, "ann-laptop").await;
    let ann_setting = ann.set_notify("garden", "all").await;
    assert_eq!(ann_setting.status(), StatusCode::OK);
    let key = server_key(&bob).await;

    let id = ann.say("garden", "the tomatoes are ripe 🍅").await;
    let mut got = [next_push(&mut pushes).await, next_push(&mut pushes).await];
    got.sort_by(|a, b| a.browser.cmp(&b.browser));
    for (browser, push) in [(&laptop, &got[0]), (&phone, &got[1])] {
        let payload = browser.open(push, &key);
        assert_eq!(
            payload,
            json!({
                "title": "garden",
                "body": "ann: the tomatoes are ripe 🍅",
                "url": format!("/rooms/garden/messages/{id}"),
                "tag": "garden",
            })
        );
    }
    assert!(
        no_push(&mut pushes).await,
        "one push per browser, none to ann"
    );

    // A long message is cut to 120 characters.
    let long = "长".repeat(300);
    ann.say("garden", &long).await;
    let payload = phone.open(&take_for(&mut pushes, "bob-phone").await, &key);
    assert_eq!(
        payload["body"],
        format!("ann: {}", "长".repeat(120)).as_str()
    );
}

/// The next push to `browser` (others may come in any order).
async fn take_for(pushes: &mut mpsc::UnboundedReceiver<Pushed>, browser: &str) -> Pushed {
    loop {
        let push = next_push(pushes).await;
        if push.browser == browser {
            return push;
        }
    }
}

#[tokio::test]
async fn a_member_with_hearth_open_gets_no_push_until_they_close_it() {
    let app = spawn_app().await;
    let (push, mut pushes) = receiver().await;
    let (ann, bob) = set_up(&app, Some("all")).await;
    Browser::subscribe(&bob, push, "bob").await;
    let socket = bob.ws("/ws").await;
    ann.say("garden", "are you there?").await;
    assert!(no_push(&mut pushes).await, "bob has a page open");
    drop(socket);
    // The socket's end reaches the server in a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    ann.say("garden", "and now?").await;
    assert_eq!(next_push(&mut pushes).await.browser, "bob");
}

#[tokio::test]
async fn levels_and_mentions_decide_and_direct_rooms_notify_of_everything() {
    let app = spawn_app().await;
    let (push, mut pushes) = receiver().await;
    let (ann, bob) = set_up(&app, None).await;
    let key = server_key(&bob).await;
    let browser = Browser::subscribe(&bob, push, "bob").await;
    // Group rooms notify of mentions by default.
    ann.say("garden", "just chatting").await;
    assert!(no_push(&mut pushes).await, "no mention, no push");
    ann.say("garden", "@bob can you water them?").await;
    let payload = browser.open(&next_push(&mut pushes).await, &key);
    assert_eq!(payload["body"], "ann: @bob can you water them?");
    // `none`: not even a mention.
    assert_eq!(
        bob.set_notify("garden", "none").await.status(),
        StatusCode::OK
    );
    ann.say("garden", "@bob hello?").await;
    assert!(no_push(&mut pushes).await, "level none");

    // A direct room notifies of every message, titled by the sender.
    let opened = ann.open_direct(&["bob"]).await;
    let room: Value = opened.json().await.unwrap();
    let name = room["name"].as_str().unwrap();
    let id = ann.say(name, "private word").await;
    let payload = browser.open(&next_push(&mut pushes).await, &key);
    assert_eq!(payload["title"], "ann");
    assert_eq!(payload["body"], "ann: private word");
    assert_eq!(payload["tag"], name);
    assert_eq!(
        payload["url"],
        format!("/rooms/{}/messages/{id}", crate::helpers::encode(name)).as_str()
    );
}

#[tokio::test]
async fn each_eligible_member_gets_one_push_and_the_sender_and_the_deactivated_none() {
    let app = spawn_app().await;
    let (push, mut pushes) = receiver().await;
    let (ann, bob) = set_up(&app, Some("all")).await; // ann, the first account, is admin
    let cyd = app.user("cyd").await;
    assert_eq!(cyd.join_room("garden").await.status(), StatusCode::CREATED);
    for who in [&ann, &cyd] {
        assert_eq!(
            who.set_notify("garden", "all").await.status(),
            StatusCode::OK
        );
    }
    for (who, name) in [(&ann, "ann"), (&bob, "bob"), (&cyd, "cyd")] {
        Browser::subscribe(who, push, name).await;
    }
    bob.say("garden", "hello both").await;
    let mut got = vec![
        next_push(&mut pushes).await.browser,
        next_push(&mut pushes).await.browser,
    ];
    got.sort();
    assert_eq!(got, ["ann", "cyd"], "one each, none to bob who said it");
    assert!(no_push(&mut pushes).await);

    // A deactivated account hears nothing more, whatever its browser subscribed.
    let off = ann
        .call(
            reqwest::Method::PUT,
            "/admin/users/cyd/active",
            Some(json!({ "active": false })),
        )
        .await;
    assert_eq!(off.status(), StatusCode::NO_CONTENT);
    bob.say("garden", "cyd?").await;
    assert_eq!(next_push(&mut pushes).await.browser, "ann");
    assert!(no_push(&mut pushes).await, "nothing to cyd");
}

#[tokio::test]
async fn a_stalled_push_service_slows_no_delivery_drops_pushes_counted_and_every_message_commits() {
    let app = spawn_app().await;
    let (push, _pushes) = receiver().await;
    let (ann, bob) = set_up(&app, Some("all")).await;
    // 100 browsers on a push service that never answers: its four senders wait, the
    // queue of sends (4,096) fills, and what does not fit is dropped.
    for n in 0..100 {
        Browser::subscribe(&bob, push, &format!("stall-{n}")).await;
    }
    // Someone reading live meanwhile: the stalled pushes hold up nothing they see.
    // (Each push request may take 10 s before it gives up; every message here must
    // reach the reader within 2 s of being sent, far inside that.)
    let cyd = app.user("cyd").await;
    assert_eq!(cyd.join_room("garden").await.status(), StatusCode::CREATED);
    let mut live = cyd.ws("/api/v1/rooms/garden/ws").await;
    for n in 0..45 {
        let sent = ann
            .http
            .post(ann.api("/rooms/garden/messages"))
            .json(&json!({ "text": format!("message {n}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), StatusCode::CREATED, "message {n}");
        let seen = crate::helpers::next_message(&mut live, 2).await;
        assert_eq!(seen["text"], format!("message {n}"));
    }
    let history: Vec<Value> = ann
        .get("/api/v1/rooms/garden/messages?limit=100")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history.len(), 45, "every message committed");
    let mut dropped = 0.0;
    for _ in 0..50 {
        let metrics = ann.get("/metrics").await.text().await.unwrap();
        dropped = metrics
            .lines()
            .find(|l| l.starts_with(r#"hearth_push_total{outcome="dropped"}"#))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0);
        if dropped >= 300.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        dropped >= 300.0,
        "4,500 pushes, 4,100 places: {dropped} dropped"
    );
}

#[tokio::test]
async fn a_push_service_redirecting_elsewhere_is_not_followed() {
    let app = spawn_app().await;
    let (push, mut pushes) = receiver().await;
    let (ann, bob) = set_up(&app, Some("all")).await;
    Browser::subscribe(&bob, push, "redirect-me").await;
    ann.say("garden", "where does this go?").await;
    assert_eq!(next_push(&mut pushes).await.browser, "redirect-me");
    assert!(
        no_push(&mut pushes).await,
        "the push went nowhere else (not to /push/redirected)"
    );
}

#[tokio::test]
async fn a_subscription_the_push_service_has_forgotten_is_deleted() {
    let app = spawn_app().await;
    let (push, mut pushes) = receiver().await;
    let (ann, bob) = set_up(&app, Some("all")).await;
    Browser::subscribe(&bob, push, "gone-tablet").await;
    ann.say("garden", "first").await;
    assert_eq!(next_push(&mut pushes).await.browser, "gone-tablet");
    // Answered 410: deleted, so the next message is not pushed to it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    ann.say("garden", "second").await;
    assert!(
        no_push(&mut pushes).await,
        "the forgotten subscription is gone"
    );
    let left = app
        .run_sql("DELETE FROM push_subscriptions WHERE endpoint LIKE '%gone-tablet'")
        .await;
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_busy_push_service_is_tried_again_and_the_push_arrives_once() {
    let app = spawn_app().await;
    let (push, mut pushes) = receiver().await;
    let (ann, bob) = set_up(&app, Some("all")).await;
    let key = server_key(&bob).await;
    let browser = Browser::subscribe(&bob, push, "flaky-phone").await;
    ann.say("garden", "try again").await;
    // Refused with 503, then taken on the retry: the same push, twice received.
    let refused = next_push(&mut pushes).await;
    let taken = next_push(&mut pushes).await;
    assert_eq!(browser.open(&refused, &key)["body"], "ann: try again");
    assert_eq!(browser.open(&taken, &key)["body"], "ann: try again");
    assert!(no_push(&mut pushes).await, "delivered: no third try");
}

#[tokio::test]
async fn subscriptions_are_checked_and_idempotent() {
    let app = spawn_app_with(|c| c.push_allow_loopback_http = false).await;
    let bob = app.user("bob").await;
    let subscribe = |endpoint: &str, p256dh: &str, auth: &str| {
        bob.http
            .post(bob.api("/push/subscriptions"))
            .json(&json!({ "endpoint": endpoint, "keys": { "p256dh": p256dh, "auth": auth } }))
            .send()
    };
    const KEY: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
    let code = |response: reqwest::Response| async move {
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = response.json().await.unwrap();
        body["code"].as_str().unwrap().to_owned()
    };
    let http = subscribe("http://127.0.0.1:9/push/x", KEY, AUTH)
        .await
        .unwrap();
    assert_eq!(
        code(http).await,
        "bad_endpoint",
        "https only without the test flag"
    );
    let script = subscribe("javascript:alert(1)", KEY, AUTH).await.unwrap();
    assert_eq!(code(script).await, "bad_endpoint");
    let bad_key = subscribe("https://push.example.net/a", "AAAA", AUTH)
        .await
        .unwrap();
    assert_eq!(code(bad_key).await, "bad_push_key");
    let first = subscribe("https://push.example.net/a", KEY, AUTH)
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let again = subscribe("https://push.example.net/a", KEY, AUTH)
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    let gone = bob
        .http
        .delete(bob.api("/push/subscriptions"))
        .json(&json!({ "endpoint": "https://push.example.net/a" }))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let stranger = app.client().get("/api/v1/push/key").await;
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_vapid_key_is_made_once_and_kept_across_restarts() {
    let app = spawn_app().await;
    let bob = app.user("bob").await;
    let before = server_key(&bob).await;
    assert_eq!(
        URL_SAFE_NO_PAD.decode(&before).unwrap().len(),
        65,
        "uncompressed P-256"
    );
    let app = app.restart().await;
    let bob = app.client().log_in("bob").await;
    assert_eq!(server_key(&bob).await, before);
}
