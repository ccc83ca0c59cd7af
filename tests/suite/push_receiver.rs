//! A push service of the tests' own, and a browser: the test makes its own P-256 key
//! pair and auth secret and subscribes with an endpoint on the receiver, which keeps
//! each push for the test to check: its VAPID JWT (audience, expiry, signature against
//! the server's public key) and its payload, decrypted (RFC 8291). Shared by the suite
//! and the cluster tests.

use std::{
    net::SocketAddr,
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use poem::{
    EndpointExt, IntoResponse, Route, Server, handler,
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

use crate::helpers::User;

/// Requests to "flaky" browsers so far (every other one is refused with 503).
static FLAKY: AtomicU32 = AtomicU32::new(0);

/// One push the receiver took.
pub struct Pushed {
    pub browser: String,
    pub authorization: String,
    pub body: Vec<u8>,
}

#[handler]
async fn take(
    Path(browser): Path<String>,
    req: &poem::Request,
    body: Vec<u8>,
    pushes: Data<&mpsc::UnboundedSender<Pushed>>,
) -> poem::Response {
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
    // A browser whose subscription its push service has forgotten; a push service
    // that is busy for every other request to a flaky browser; one that sends the
    // push on elsewhere (`/push/redirected`), which Hearth must not follow.
    if browser.starts_with("stall") {
        // A push service that takes a push and never answers.
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    let status = if browser.starts_with("gone") {
        PoemStatus::GONE
    } else if browser.starts_with("flaky")
        && FLAKY.fetch_add(1, Ordering::Relaxed).is_multiple_of(2)
    {
        PoemStatus::SERVICE_UNAVAILABLE
    } else if browser.starts_with("redirect") {
        return poem::Response::builder()
            .status(PoemStatus::TEMPORARY_REDIRECT)
            .header("location", "/push/redirected")
            .finish();
    } else {
        PoemStatus::CREATED
    };
    status.into_response()
}

/// A push service on a free loopback port.
pub async fn receiver() -> (SocketAddr, mpsc::UnboundedReceiver<Pushed>) {
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
pub struct Browser {
    name: String,
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl Browser {
    pub async fn subscribe(user: &User, push: SocketAddr, name: &str) -> Browser {
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
    pub fn open(&self, push: &Pushed, server_key: &str) -> Value {
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

pub async fn server_key(user: &User) -> String {
    let key: Value = user.get("/api/v1/push/key").await.json().await.unwrap();
    key["public_key"].as_str().unwrap().to_owned()
}

pub async fn next_push(pushes: &mut mpsc::UnboundedReceiver<Pushed>) -> Pushed {
    tokio::time::timeout(Duration::from_secs(5), pushes.recv())
        .await
        .expect("a push within 5 s")
        .expect("the receiver runs")
}

/// Nothing more arrives for a while.
pub async fn no_push(pushes: &mut mpsc::UnboundedReceiver<Pushed>) -> bool {
    tokio::time::timeout(Duration::from_millis(600), pushes.recv())
        .await
        .is_err()
}
