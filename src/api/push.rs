//! Web Push over JSON: the key to subscribe with, and subscribing a browser.

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};

use super::{ApiResult, strict};
use crate::{AppState, auth::CurrentUser, push, store};

#[derive(Debug, Object)]
pub struct PushKey {
    /// The server's VAPID public key (base64url, uncompressed P-256): the
    /// `applicationServerKey` to subscribe with.
    pub public_key: String,
}

#[derive(Debug, Object)]
pub struct PushKeysIn {
    /// The browser's P-256 public key, base64url.
    #[oai(deserialize_with = "strict::p256dh")]
    pub p256dh: String,
    /// The browser's 16-byte auth secret, base64url.
    #[oai(deserialize_with = "strict::auth")]
    pub auth: String,
}

/// A browser's `PushSubscription`, as `JSON.stringify(subscription)` gives it.
#[derive(Debug, Object)]
pub struct SubscriptionIn {
    /// Where its push service takes pushes: an `https:` URL.
    #[oai(deserialize_with = "strict::endpoint")]
    pub endpoint: String,
    #[oai(deserialize_with = "keys")]
    pub keys: PushKeysIn,
}

fn keys(value: Option<serde_json::Value>) -> poem_openapi::types::ParseResult<PushKeysIn> {
    strict::object("keys", value)
}

#[derive(Debug, Object)]
pub struct EndpointIn {
    #[oai(deserialize_with = "strict::endpoint")]
    pub endpoint: String,
}

#[derive(ApiResponse)]
pub enum Subscribed {
    /// A new subscription.
    #[oai(status = 201)]
    Created,
    /// This endpoint was subscribed already (now to you, with these keys).
    #[oai(status = 200)]
    Existing,
}

#[derive(ApiResponse)]
pub enum Unsubscribed {
    /// No more pushes to that browser (whether or not it was subscribed).
    #[oai(status = 204)]
    NoContent,
}

pub struct PushApi;

#[OpenApi]
impl PushApi {
    /// The key browsers subscribe with.
    #[oai(path = "/push/key", method = "get")]
    async fn key(&self, state: Data<&AppState>, _user: CurrentUser) -> Json<PushKey> {
        Json(PushKey {
            public_key: state.push_keys.public_key().to_owned(),
        })
    }

    /// Subscribe a browser to pushes for messages you would be notified of while no
    /// Hearth page of yours is open. 422 unless the endpoint is `https:` and the keys
    /// are a P-256 public key and a 16-byte secret.
    #[oai(path = "/push/subscriptions", method = "post")]
    async fn subscribe(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        body: Json<SubscriptionIn>,
    ) -> ApiResult<Subscribed> {
        let subscription = push::check_subscription(
            state.push_endpoints,
            user.id,
            &body.endpoint,
            &body.keys.p256dh,
            &body.keys.auth,
        )?;
        let new = store::push::subscribe(&state.db, &subscription).await?;
        state.push_keys.subscribed();
        Ok(if new {
            Subscribed::Created
        } else {
            Subscribed::Existing
        })
    }

    /// Stop pushes to a browser.
    #[oai(path = "/push/subscriptions", method = "delete")]
    async fn unsubscribe(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        body: Json<EndpointIn>,
    ) -> ApiResult<Unsubscribed> {
        store::push::unsubscribe(&state.db, user.id, &body.endpoint).await?;
        Ok(Unsubscribed::NoContent)
    }
}
