//! Bots' outgoing webhooks. Each new message this node commits is offered (never
//! awaited) to a bounded queue, while any bot has a webhook; one task finds the
//! webhooks it calls (bots it mentions, or in whose direct room it was sent), and
//! calls them, a few at a time: a signed JSON POST, 7 s at most, never retried. A
//! 2xx answer with text becomes the bot's reply in the same room. How the last call
//! went is kept for the admin page.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures_util::StreamExt;
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;
use tokio::{sync::mpsc, task::JoinHandle};
use tokio_stream::wrappers::ReceiverStream;

use crate::{
    auth::CurrentUser,
    files::Files,
    messages::{self, NewMessages, Offered, Outbox, RateLimiter, WeakWriter},
    render::json::MessageOut,
    rooms,
    store::{self, Db, bots::Hook, messages::MessageRow},
};

/// How long a webhook may take to answer.
pub const TIMEOUT: Duration = Duration::from_secs(7);
/// New messages waiting to be looked at; past this, messages are dropped (counted).
const MESSAGES_QUEUE: usize = 1024;
/// Calls waiting for a caller; past this, calls are dropped (counted).
const CALLS_QUEUE: usize = 256;
/// Calls made at once.
const CALLERS: usize = 4;
/// How often the flag saying whether any bot has a webhook is read again (webhooks
/// set through other nodes).
const HOOKED_REFRESH: Duration = Duration::from_secs(2);
/// The most of a reply read.
const MAX_REPLY_BYTES: usize = 64 * 1024;

/// Set while some bot has a webhook: only then does the writer offer new messages.
#[derive(Clone, Default)]
pub struct Hooked(Arc<AtomicBool>);

impl Hooked {
    /// A webhook was just set here: start offering at once.
    pub fn set(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// What a webhook is sent.
#[derive(Serialize)]
struct Payload<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    /// The bot whose webhook this is.
    bot: &'a str,
    room: RoomOut<'a>,
    sender: SenderOut<'a>,
    message: MessageOut,
}

#[derive(Serialize)]
struct RoomOut<'a> {
    name: &'a str,
    /// `room` or `direct`.
    kind: &'static str,
}

#[derive(Serialize)]
struct SenderOut<'a> {
    username: &'a str,
}

struct Call {
    hook: Hook,
    message: Arc<MessageRow>,
}

/// What posting a bot's reply needs; the writer is held weakly, so calls in flight
/// never hold up shutdown.
pub struct Replies {
    pub db: Db,
    pub writer: WeakWriter,
    pub limiter: Arc<RateLimiter>,
    pub files: Arc<Files>,
}

/// Where the writer offers new messages, and the flag that says whether to.
pub fn channel() -> (NewMessages, Hooked, Offered) {
    let hooked = Hooked::default();
    let wanted = Arc::clone(&hooked.0);
    let (messages, incoming) =
        NewMessages::channel("webhooks", MESSAGES_QUEUE, wanted, HOOKED_REFRESH, || {
            crate::metrics::record_webhook("dropped")
        });
    (messages, hooked, incoming)
}

/// The task that takes new messages from `incoming` and calls the webhooks they
/// concern. It stops once the writer has.
pub fn start(replies: Replies, mut incoming: Offered) -> JoinHandle<()> {
    let (calls, queue) = mpsc::channel::<Call>(CALLS_QUEUE);
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client with a timeout builds");
    let replies = Arc::new(replies);
    let callers = {
        let replies = Arc::clone(&replies);
        tokio::spawn(async move {
            ReceiverStream::new(queue)
                .for_each_concurrent(CALLERS, |call| deliver(&replies, &client, call))
                .await
        })
    };
    tokio::spawn(async move {
        let db = replies.db.clone();
        let any_webhook = || async { store::bots::any_webhook(&db).await.ok() };
        while let Some(message) = incoming.next(any_webhook).await {
            let hooks =
                match store::bots::hooks_for(&db, message.room_id, message.id, message.sender_id)
                    .await
                {
                    Ok(hooks) => hooks,
                    Err(err) => {
                        tracing::warn!(%err, "finding the webhooks to call failed");
                        continue;
                    }
                };
            let message = Arc::new(message);
            for hook in hooks {
                let call = Call {
                    hook,
                    message: Arc::clone(&message),
                };
                if calls.try_send(call).is_err() {
                    crate::metrics::record_webhook("dropped");
                }
                crate::metrics::record_queue("webhook_calls", CALLS_QUEUE - calls.capacity());
            }
        }
        drop(calls);
        let _ = callers.await;
    })
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`: the
/// `X-Hearth-Signature` header.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    format!("sha256={}", crate::auth::token::hex(&digest))
}

/// Calls one webhook, once, and posts its reply; notes how it went.
async fn deliver(replies: &Replies, client: &reqwest::Client, call: Call) {
    let Call { hook, message } = call;
    let direct = crate::domain::is_direct_name(&message.room);
    let payload = Payload {
        kind: "message",
        bot: &hook.username,
        room: RoomOut {
            name: &message.room,
            kind: if direct { "direct" } else { "room" },
        },
        sender: SenderOut {
            username: &message.sender,
        },
        message: MessageOut::from(&*message),
    };
    let Ok(body) = serde_json::to_vec(&payload) else {
        return;
    };
    let sent = client
        .post(&hook.url)
        .header("content-type", "application/json")
        .header("x-hearth-signature", signature(&hook.secret, &body))
        .body(body)
        .send()
        .await;
    let status = match sent {
        Err(err) if err.is_timeout() => "timeout".to_owned(),
        Err(_) => "unreachable".to_owned(),
        Ok(response) => {
            let code = response.status();
            let status = code.as_u16().to_string();
            if code.is_success() {
                match reply_of(response).await {
                    Some(text) => match post_reply(replies, &hook, &message, &text).await {
                        Ok(()) => status,
                        Err(err) => format!("{status}, reply refused: {}", err.code().as_str()),
                    },
                    None => status,
                }
            } else {
                status
            }
        }
    };
    crate::metrics::record_webhook(if status.starts_with('2') {
        "ok"
    } else {
        "failed"
    });
    if let Err(err) = store::bots::record_delivery(&replies.db, hook.user_id, &status).await {
        tracing::warn!(%err, "noting a webhook call failed");
    }
}

/// The reply in a 2xx answer: `{"text": …}` as JSON, or the body as plain text; none
/// when empty.
async fn reply_of(mut response: reqwest::Response) -> Option<String> {
    let json = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    // Read as it comes, and no further than the limit.
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        if bytes.len() + chunk.len() > MAX_REPLY_BYTES {
            return None;
        }
        bytes.extend_from_slice(&chunk);
    }
    let text = if json {
        let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        value.get("text")?.as_str()?.to_owned()
    } else {
        String::from_utf8(bytes.to_vec()).ok()?
    };
    Some(text).filter(|t| !t.trim().is_empty())
}

/// Posts `text` as the bot, in the message's room.
async fn post_reply(
    replies: &Replies,
    hook: &Hook,
    message: &MessageRow,
    text: &str,
) -> crate::error::AppResult<()> {
    let writer = replies
        .writer
        .upgrade()
        .ok_or(crate::error::AppError::ShuttingDown)?;
    let bot = CurrentUser {
        id: hook.user_id,
        username: hook.username.clone(),
        login: String::new(),
        avatar: hook.avatar.clone(),
    };
    let room = rooms::open_to_post(&replies.db, &bot, &message.room).await?;
    let outbox = Outbox {
        db: &replies.db,
        writer: &writer,
        limiter: &replies.limiter,
        files: &replies.files,
    };
    messages::send(outbox, &room, &bot, text.trim(), None).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_rfc_4231_hmac_sha256_in_hex() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
