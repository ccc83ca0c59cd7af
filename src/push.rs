//! Web Push to people who are not looking: when this node commits a message, each
//! member of the room who is not its sender, has no socket open on any node, and whose
//! notification level asks for it gets a push at every browser they subscribed, through
//! that browser's push service. The payload is encrypted for the browser (RFC 8291,
//! aes128gcm) and the request signed with the VAPID key every node shares (RFC 8292),
//! both by `web-push-native`; only the endpoint and that ciphertext leave the server.
//!
//! None of it is on the message path: the writer offers each new message to a bounded
//! queue (full: dropped and counted, never waited for), one task works out who to
//! push to, and a few workers send, each request with a timeout. A push service that
//! answers 404 or 410 has forgotten the subscription, so it is deleted; 429 and 5xx
//! are retried a few times with backoff.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use futures_util::StreamExt;
use serde::Serialize;
use tokio::{sync::mpsc, task::JoinHandle};
use tokio_stream::wrappers::ReceiverStream;

use poem::http;
use web_push_native::{
    Auth, WebPushBuilder,
    jwt_simple::algorithms::{ECDSAP256PublicKeyLike, ES256KeyPair},
    p256,
};

use crate::{
    domain::Code,
    error::{AppError, AppResult},
    live::Hub,
    messages::NewMessages,
    metrics,
    render::room_path,
    store::{self, Db, messages::MessageRow, push::Subscription},
};

/// Messages waiting to be looked at for pushes; past this they are dropped (counted).
const MESSAGES_QUEUE: usize = 1024;
/// Pushes waiting to be sent; past this they are dropped (counted).
const SENDS_QUEUE: usize = 4096;
/// Requests in flight to push services at once.
const SENDERS: usize = 4;
/// How long one push service request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Tries for a push the service answered 429 or 5xx, the first included.
const TRIES: u32 = 3;
/// How much of a message's text a notification shows, in characters.
const BODY_CHARS: usize = 120;
/// How long a push service keeps a push for a browser that is offline, and how long
/// its VAPID signature is valid (web-push-native uses one duration for both). RFC 8292
/// allows a signature at most 24 hours: half of that leaves room for a server clock
/// that runs ahead, which a strict push service would refuse.
const TTL: Duration = Duration::from_secs(12 * 3600);

/// The key every node signs pushes with, and who to contact about them.
pub struct PushKeys {
    key: ES256KeyPair,
    public: String,
    contact: String,
    /// Whether anyone has subscribed: while nobody has, the writer offers no message.
    subscribed: Arc<AtomicBool>,
}

/// How often whether anyone has subscribed is read again (a subscription made through
/// another node may wait this long for its first push).
const SUBSCRIBED_REFRESH: Duration = Duration::from_secs(2);

impl PushKeys {
    /// The VAPID key pair kept in the database, made on the first start.
    pub async fn load(db: &Db, contact: String) -> anyhow::Result<Self> {
        let private = store::push::vapid_key(db, || {
            URL_SAFE_NO_PAD.encode(ES256KeyPair::generate().to_bytes())
        })
        .await?;
        let key = ES256KeyPair::from_bytes(&URL_SAFE_NO_PAD.decode(private)?)
            .map_err(|err| anyhow::anyhow!("the stored VAPID key is unreadable: {err}"))?;
        let public = URL_SAFE_NO_PAD.encode(key.public_key().public_key().to_bytes_uncompressed());
        Ok(Self {
            key,
            public,
            contact,
            subscribed: Arc::default(),
        })
    }

    /// Someone subscribed through this node: pushes start with the next message.
    pub fn subscribed(&self) {
        self.subscribed.store(true, Ordering::Relaxed);
    }

    /// The public key browsers subscribe with (`applicationServerKey`), base64url.
    pub fn public_key(&self) -> &str {
        &self.public
    }
}

/// Which push endpoints are accepted.
#[derive(Debug, Clone, Copy)]
pub struct Endpoints {
    /// Also `http://127.0.0.1…` (tests run their own push receiver).
    pub allow_loopback_http: bool,
}

/// A subscription as a browser gives it, checked: an `https:` endpoint (or, for tests,
/// loopback `http:`), a P-256 public key and a 16-byte auth secret, both base64url.
pub fn check_subscription(
    endpoints: Endpoints,
    user_id: i64,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
) -> AppResult<Subscription> {
    let uri: http::Uri = endpoint
        .parse()
        .map_err(|_| AppError::invalid("endpoint", Code::BadEndpoint))?;
    let loopback = uri.host() == Some("127.0.0.1") || uri.host() == Some("localhost");
    let allowed = match uri.scheme_str() {
        Some("https") => uri.host().is_some(),
        Some("http") => endpoints.allow_loopback_http && loopback,
        _ => false,
    };
    if !allowed || endpoint.len() > 2048 {
        return Err(AppError::invalid("endpoint", Code::BadEndpoint));
    }
    let key = decode(p256dh).and_then(|k| p256::PublicKey::from_sec1_bytes(&k).ok());
    if key.is_none() {
        return Err(AppError::invalid("keys.p256dh", Code::BadPushKey));
    }
    if decode(auth).is_none_or(|a| a.len() != 16) {
        return Err(AppError::invalid("keys.auth", Code::BadPushKey));
    }
    Ok(Subscription {
        user_id,
        endpoint: endpoint.to_owned(),
        p256dh: p256dh.to_owned(),
        auth: auth.to_owned(),
    })
}

/// Base64url, padded or not (browsers give it unpadded).
fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

/// What a notification shows.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    /// The room's name, or the sender's in a direct room.
    pub title: String,
    /// The sender and the start of the text.
    pub body: String,
    /// The message's permalink.
    pub url: String,
    /// The room: a burst of messages replaces one notification instead of stacking.
    pub tag: String,
}

impl Notification {
    pub fn of(message: &MessageRow) -> Self {
        let direct = crate::domain::is_direct_name(&message.room);
        let title = if direct {
            message.sender.clone()
        } else {
            message.room.clone()
        };
        let mut text: String = message.text.chars().take(BODY_CHARS).collect();
        if let (true, Some(a)) = (text.is_empty(), &message.attachment.0) {
            text = a.name.clone();
        }
        Self {
            title,
            body: format!("{}: {text}", message.sender),
            url: format!("{}/messages/{}", room_path(&message.room), message.id),
            tag: message.room.clone(),
        }
    }
}

struct Send {
    subscription: Subscription,
    payload: Arc<Vec<u8>>,
}

/// Where the writer offers new messages, and the task that takes them: it finds whom
/// to push to, and hands each push to the senders (`SENDERS` at once). They stop once
/// the writer has.
pub fn start(db: Db, hub: Arc<Hub>, keys: Arc<PushKeys>) -> (NewMessages, JoinHandle<()>) {
    let (messages, mut incoming) = NewMessages::channel(
        "push",
        MESSAGES_QUEUE,
        Arc::clone(&keys.subscribed),
        SUBSCRIBED_REFRESH,
        || metrics::record_push("dropped"),
    );
    let (sends, queue) = mpsc::channel::<Send>(SENDS_QUEUE);
    // Never redirected: an endpoint must be the `https:` URL it was checked to be, not
    // wherever it sends us (a 307 keeps the POST and its body).
    let client = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client with a timeout builds");
    let senders = {
        let (db, keys) = (db.clone(), Arc::clone(&keys));
        tokio::spawn(async move {
            ReceiverStream::new(queue)
                .for_each_concurrent(SENDERS, |send| deliver(&db, &keys, &client, send))
                .await
        })
    };
    let task = tokio::spawn(async move {
        // Subscriptions made or deleted through any node.
        let any_subscribed = || async { store::push::any(&db).await.ok() };
        while let Some(message) = incoming.next(any_subscribed).await {
            let recipients =
                match store::push::recipients(&db, message.room_id, message.sender_id, message.id)
                    .await
                {
                    Ok(recipients) => recipients,
                    Err(err) => {
                        tracing::warn!(%err, "finding whom to push to failed");
                        continue;
                    }
                };
            let payload = match serde_json::to_vec(&Notification::of(&message)) {
                Ok(payload) => Arc::new(payload),
                Err(_) => continue,
            };
            for subscription in recipients {
                // Someone with Hearth open on any node sees the message there.
                if hub.is_connected(subscription.user_id) {
                    continue;
                }
                let send = Send {
                    subscription,
                    payload: Arc::clone(&payload),
                };
                if sends.try_send(send).is_err() {
                    metrics::record_push("dropped");
                }
                metrics::record_queue("push_sends", SENDS_QUEUE - sends.capacity());
            }
        }
        drop(sends);
        let _ = senders.await;
    });
    (messages, task)
}

/// Sends one push, retrying 429 and 5xx with backoff, and deleting a subscription its
/// service no longer knows.
async fn deliver(db: &Db, keys: &PushKeys, client: &reqwest::Client, send: Send) {
    let s = &send.subscription;
    let request = match build(keys, s, &send.payload) {
        Some(request) => request,
        None => {
            metrics::record_push("failed");
            return;
        }
    };
    for attempt in 1..=TRIES {
        let answer = client
            .post(&s.endpoint)
            .headers(request.headers().clone())
            .body(request.body().clone())
            .send()
            .await;
        match answer.map(|r| r.status().as_u16()) {
            Ok(200..=299) => {
                metrics::record_push("sent");
                return;
            }
            Ok(404 | 410) => {
                metrics::record_push("gone");
                if let Err(err) = store::push::forget(db, &s.endpoint).await {
                    tracing::warn!(%err, "deleting a gone push subscription failed");
                }
                return;
            }
            Ok(429 | 500..=599) | Err(_) if attempt < TRIES => {
                tokio::time::sleep(Duration::from_millis(250 * 4u64.pow(attempt - 1))).await;
            }
            Ok(status) => {
                tracing::info!(status, "a push service refused a push");
                metrics::record_push("failed");
                return;
            }
            Err(err) => {
                tracing::info!(%err, "a push service could not be reached");
                metrics::record_push("failed");
                return;
            }
        }
    }
}

/// The encrypted, signed request for one subscription.
fn build(keys: &PushKeys, s: &Subscription, payload: &[u8]) -> Option<http::Request<Vec<u8>>> {
    let endpoint = s.endpoint.parse().ok()?;
    let public = p256::PublicKey::from_sec1_bytes(&decode(&s.p256dh)?).ok()?;
    let auth: [u8; 16] = decode(&s.auth)?.try_into().ok()?;
    let auth = Auth::from(auth);
    WebPushBuilder::new(endpoint, public, auth)
        .with_valid_duration(TTL)
        .with_vapid(&keys.key, &keys.contact)
        .build(payload.to_vec())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

    #[test]
    fn only_https_endpoints_unless_loopback_is_allowed_for_tests() {
        let strict = Endpoints {
            allow_loopback_http: false,
        };
        let tests = Endpoints {
            allow_loopback_http: true,
        };
        let ok = |e, url| check_subscription(e, 1, url, KEY, AUTH).is_ok();
        assert!(ok(strict, "https://push.example.net/send/abc"));
        assert!(!ok(strict, "http://push.example.net/send/abc"));
        assert!(!ok(strict, "http://127.0.0.1:9000/push"));
        assert!(ok(tests, "http://127.0.0.1:9000/push"));
        assert!(!ok(tests, "http://push.example.net/send/abc"));
        assert!(!ok(strict, "javascript:alert(1)"));
        assert!(!ok(strict, "not a url"));
        let bad_key = check_subscription(strict, 1, "https://p.example/x", "AAAA", AUTH);
        assert_eq!(bad_key.unwrap_err().code(), Code::BadPushKey);
        let bad_auth = check_subscription(strict, 1, "https://p.example/x", KEY, "AAAA");
        assert_eq!(bad_auth.unwrap_err().code(), Code::BadPushKey);
    }
}
