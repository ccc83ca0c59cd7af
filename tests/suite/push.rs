//! Web Push, with the test playing the browser: it makes its own P-256 key pair and
//! auth secret, subscribes with an endpoint on a push receiver of its own, and the
//! receiver checks each push's VAPID JWT (audience, expiry, signature against the
//! server's public key) and decrypts the payload (RFC 8291).

use std::{net::SocketAddr, time::Duration};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use poem::{
    EndpointExt, Route, Server, handler,
    http::StatusCode as PoemStatus,
    listener::{Acceptor, Listener, TcpListener},
    post,
    web::{Data, Path},
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use web_push_native::{
    Auth,
    jwt_simple::{
        algorithms::{ECDSAP256PublicKeyLike, ES256PublicKey},
        claims::NoCustomClaims,
        common::VerificationOptions,
    },
    p256,
};

use crate::helpers::{TestApp, User, spawn_app, spawn_app_with};

/// One push the receiver took.
struct Pushed {
    browser: String,
    authorization: String,
    body: Vec<u8>,
}

#[handler]
async fn take(
    Path(browser): Path<String>,
    req: &poem::Request,
    body: Vec<u8>,
    pushes: Data<&mpsc::UnboundedSender<Pushed>>,
) -> PoemStatus {
    let authorization = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let _ = pushes.send(Pushed {
        browser: browser.clone(),
        authorization,
        body,
    });
    // A browser whose subscription its push service has forgotten.
    if browser.starts_with("gone") {
        PoemStatus::GONE
    } else {
        PoemStatus::CREATED
    }
}

/// A push service on a free loopback port.
async fn receiver() -> (SocketAddr, mpsc::UnboundedReceiver<Pushed>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
    let app = Route::new().at("/push/:browser", post(take)).data(tx);
    tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
    (addr, rx)
}

/// A browser: its key pair and auth secret, subscribed for `user` at `/push/{name}`.
struct Browser {
    name: String,
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl Browser {
    async fn subscribe(user: &User, push: SocketAddr, name: &str) -> Browser {
        let secret = loop {
            let bytes: [u8; 32] = rand::random();
            if let Ok(secret) = p256::SecretKey::from_slice(&bytes) {
                break secret;
            }
        };
        let auth: [u8; 16] = rand::random();
        let public = secret.public_key().to_sec1_bytes();
        let body = json!({
            "endpoint": format!("http://{push}/push/{name}"),
            "keys": {
                "p256dh": URL_SAFE_NO_PAD.encode(&public),
                "auth": URL_SAFE_NO_PAD.encode(auth),
            }
        });
        let response = user
            .http
            .post(user.api("/push/subscriptions"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "subscribing {name}");
        Browser {
            name: name.to_owned(),
            secret,
            auth,
        }
    }

    /// Checks the push's VAPID signature with the server's key and decrypts it.
    fn open(&self, push: &Pushed, server_key: &str) -> Value {
        assert_eq!(push.browser, self.name);
        let vapid = push
            .authorization
            .strip_prefix("vapid ")
            .expect("a VAPID authorization");
        let mut token = "";
        let mut key = "";
        for part in vapid.split(',').map(str::trim) {
            if let Some(t) = part.strip_prefix("t=") {
                token = t;
            } else if let Some(k) = part.strip_prefix("k=") {
                key = k;
            }
        }
        assert_eq!(key, server_key, "signed with the key the server publishes");
        let public = ES256PublicKey::from_bytes(&URL_SAFE_NO_PAD.decode(key).unwrap()).unwrap();
        let options = VerificationOptions {
            allowed_audiences: Some(["http://127.0.0.1".to_owned()].into()),
            ..VerificationOptions::default()
        };
        let claims = public
            .verify_token::<NoCustomClaims>(token, Some(options))
            .expect("a valid JWT for this audience");
        let expires = claims.expires_at.expect("an expiry").as_secs();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(
            expires > now && expires <= now + 24 * 3600,
            "expires within a day"
        );
        assert_eq!(
            claims.subject.as_deref(),
            Some("mailto:tests@hearth.invalid")
        );
        let plain =
            web_push_native::decrypt(push.body.clone(), &self.secret, &Auth::from(self.auth))
                .expect("decrypts with the browser's keys");
        serde_json::from_slice(&plain).expect("a JSON payload")
    }
}

async fn server_key(user: &User) -> String {
    let key: Value = user.get("/api/v1/push/key").await.json().await.unwrap();
    key["public_key"].as_str().unwrap().to_owned()
}

async fn next_push(pushes: &mut mpsc::UnboundedReceiver<Pushed>) -> Pushed {
    tokio::time::timeout(Duration::from_secs(5), pushes.recv())
        .await
        .expect("a push within 5 s")
        .expect("the receiver runs")
}

/// Nothing more arrives for a while.
async fn no_push(pushes: &mut mpsc::UnboundedReceiver<Pushed>) -> bool {
    tokio::time::timeout(Duration::from_millis(600), pushes.recv())
        .await
        .is_err()
}

async fn set_up(app: &TestApp) -> (User, User) {
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    assert_eq!(
        ann.create_room("garden").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(bob.join_room("garden").await.status(), StatusCode::CREATED);
    (ann, bob)
}

#[tokio::test]
async fn an_offline_member_gets_one_encrypted_signed_push_per_message() {
    let app = spawn_app().await;
    let (push, mut pushes) = receiver().await;
    let (ann, bob) = set_up(&app).await;
    assert_eq!(
        bob.set_notify("garden", "all").await.status(),
        StatusCode::OK
    );
    let phone = Browser::subscribe(&bob, push, "bob-phone").await;
    let laptop = Browser::subscribe(&bob, push, "bob-laptop").await;
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
    let (ann, bob) = set_up(&app).await;
    assert_eq!(
        bob.set_notify("garden", "all").await.status(),
        StatusCode::OK
    );
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
    let (ann, bob) = set_up(&app).await;
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
async fn a_subscription_the_push_service_has_forgotten_is_deleted() {
    let app = spawn_app().await;
    let (push, mut pushes) = receiver().await;
    let (ann, bob) = set_up(&app).await;
    assert_eq!(
        bob.set_notify("garden", "all").await.status(),
        StatusCode::OK
    );
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
