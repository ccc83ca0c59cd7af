//! Bots: accounts an admin makes for scripts and services. A bot authenticates with
//! `Authorization: Bearer <token>` (shown once; only its secret's digest is kept), and
//! may have an outgoing webhook (see `webhooks`). Each token is one login, named
//! `bot:<token id>`: rotating or revoking it closes that login's sockets.

use poem::{Endpoint, Middleware, Request, http::header};

use super::{Accounts, Admin, CurrentUser, token};
use crate::{
    domain::Username,
    error::{AppError, AppResult, Code, ValidationError},
    store::{self, Db, StoreError, bots::BotRow},
};

/// What a bot token's login starts with (a session's login is hex, with no `:`).
const BOT_LOGIN: &str = "bot:";

/// The login a bot token stands for.
pub fn bot_login(token_id: &str) -> String {
    format!("{BOT_LOGIN}{token_id}")
}

/// A new token: its id (public, to look it up by), and the whole token to hand out.
fn new_token() -> (String, String, String) {
    let id = token::hex(&rand::random::<[u8; 12]>());
    let secret = token::new_secret();
    let digest = token::digest(&secret);
    let whole = format!("{id}.{secret}");
    (id, digest, whole)
}

/// Who a bearer token belongs to, as a logged-in user; 401 `bad_token` if it is no
/// active bot's (unknown, revoked, rotated, or its bot deactivated). The secret is
/// compared in constant time.
pub async fn authenticate(db: &Db, bearer: &str) -> AppResult<CurrentUser> {
    let (id, secret) = bearer.split_once('.').ok_or(AppError::BadToken)?;
    let owner = store::bots::token_owner(db, id)
        .await?
        .ok_or(AppError::BadToken)?;
    if !token::matches(secret, &owner.token_hash) {
        return Err(AppError::BadToken);
    }
    Ok(CurrentUser {
        id: owner.user_id,
        username: owner.username,
        login: bot_login(id),
        avatar: owner.avatar,
    })
}

/// Whether the bot login `login` (see `bot_login`) still stands: its token is the
/// bot's current one, and the bot can act. `None` for a login that is not a bot's.
pub async fn bot_login_stands(db: &Db, login: &str) -> Option<Result<bool, StoreError>> {
    let id = login.strip_prefix(BOT_LOGIN)?;
    Some(store::bots::token_owner(db, id).await.map(|o| o.is_some()))
}

/// The bot called `name` (404 `no_such_bot`).
async fn find(db: &Db, name: &str) -> AppResult<BotRow> {
    let missing = || AppError::NotFound(Code::NoSuchBot);
    let key = Username::existing(name).map_err(|_| missing())?.key();
    store::bots::find_by_key(db, &key)
        .await?
        .ok_or_else(missing)
}

/// Makes a bot called `name` (a username's rules; 409 `username_taken`). Returns it
/// and its first token.
pub async fn create(db: &Db, admin: &Admin, name: &str) -> AppResult<(BotRow, String)> {
    let name = Username::parse(name)?;
    let user_id = match store::bots::insert(db, name.as_str(), &name.key(), admin.id()).await {
        Ok(id) => id,
        Err(StoreError::Duplicate) => return Err(AppError::Conflict(Code::UsernameTaken)),
        Err(err) => return Err(err.into()),
    };
    let (id, digest, whole) = new_token();
    store::bots::set_token(db, user_id, Some((&id, &digest))).await?;
    Ok((find(db, name.as_str()).await?, whole))
}

/// The bot called `name`, to act on as its admin would (its picture, say).
pub async fn as_user(db: &Db, _: &Admin, name: &str) -> AppResult<CurrentUser> {
    let bot = find(db, name).await?;
    Ok(CurrentUser {
        id: bot.user_id,
        username: bot.username,
        login: String::new(),
        avatar: bot.avatar,
    })
}

/// Every bot, by name.
pub async fn list(db: &Db, _: &Admin) -> AppResult<Vec<BotRow>> {
    Ok(store::bots::list(db).await?)
}

/// Gives the bot a new token (returned, shown once); the old one stops working and
/// its sockets close.
pub async fn rotate_token(accounts: Accounts<'_>, admin: &Admin, name: &str) -> AppResult<String> {
    replace_token(accounts, admin, name, true)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a rotated token went missing")))
}

/// Takes the bot's token away: it cannot act until given a new one.
pub async fn revoke_token(accounts: Accounts<'_>, admin: &Admin, name: &str) -> AppResult<()> {
    replace_token(accounts, admin, name, false).await.map(drop)
}

async fn replace_token(
    accounts: Accounts<'_>,
    _: &Admin,
    name: &str,
    fresh: bool,
) -> AppResult<Option<String>> {
    let db = accounts.db;
    let bot = find(db, name).await?;
    let made = fresh.then(new_token);
    let token = made
        .as_ref()
        .map(|(id, digest, _)| (id.as_str(), digest.as_str()));
    store::bots::set_token(db, bot.user_id, token).await?;
    if let Some(old) = &bot.token_id {
        accounts.sockets.revoke(bot.user_id, bot_login(old));
    }
    Ok(made.map(|(_, _, whole)| whole))
}

/// Sets the bot's outgoing webhook to `url` (an `http:` or `https:` URL; 422
/// `bad_webhook_url`), with a new signing secret (returned, shown once); or takes it
/// away (`None`).
pub async fn set_webhook(
    db: &Db,
    _: &Admin,
    name: &str,
    url: Option<&str>,
) -> AppResult<Option<String>> {
    let bot = find(db, name).await?;
    let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
        store::bots::set_webhook(db, bot.user_id, None).await?;
        return Ok(None);
    };
    let parsed =
        reqwest::Url::parse(url).map_err(|_| ValidationError::new("url", Code::BadWebhookUrl))?;
    if !matches!(parsed.scheme(), "http" | "https")
        || parsed.host_str().is_none()
        || url.len() > 2048
    {
        return Err(ValidationError::new("url", Code::BadWebhookUrl).into());
    }
    let secret = token::new_secret();
    store::bots::set_webhook(db, bot.user_id, Some((url, &secret))).await?;
    Ok(Some(secret))
}

/// Authenticates requests that carry `Authorization: Bearer <token>` (the API and
/// incoming webhooks): the bot becomes the request's `CurrentUser`, whatever cookie
/// came too, and no cross-site check applies (a browser never adds the header by
/// itself). A token that is no bot's is refused with 401, logged without the token.
pub struct BearerAuth {
    db: Db,
}

impl BearerAuth {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// A request authenticated by a bot's token.
#[derive(Clone)]
pub struct Bearer(pub CurrentUser);

impl<E: Endpoint> Middleware<E> for BearerAuth {
    type Output = BearerAuthEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BearerAuthEndpoint {
            inner,
            db: self.db.clone(),
        }
    }
}

pub struct BearerAuthEndpoint<E> {
    inner: E,
    db: Db,
}

impl<E: Endpoint> Endpoint for BearerAuthEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> poem::Result<Self::Output> {
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if let Some(bearer) = bearer {
            let path = req.uri().path();
            if !(path.starts_with("/api/") || path.starts_with("/hooks/")) {
                return self.inner.call(req).await;
            }
            match authenticate(&self.db, bearer).await {
                Ok(user) => {
                    req.extensions_mut().insert(Bearer(user));
                }
                Err(err) => {
                    if matches!(err, AppError::BadToken) {
                        tracing::warn!(path, "refused a bearer token");
                    }
                    return Err(err.into());
                }
            }
        }
        self.inner.call(req).await
    }
}
