//! Sessions: poem's `ServerSession` keeps a random id in the cookie and the session's
//! entries in our database (`SessionStore`), so they survive restarts, are shared by
//! every node, and logout deletes them for good.

use std::{collections::BTreeMap, time::Duration};

use poem::{
    FromRequest, Request, RequestBody,
    session::{CookieConfig, Session, SessionStorage},
    web::cookie::SameSite,
};
use serde_json::Value;

use super::User;
use crate::{
    error::AppError,
    store::{self, Db, now_ms},
};

/// Sessions end thirty days after login.
pub const SESSION_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);

pub const COOKIE_NAME: &str = "hearth_session";

/// The session cookie: HttpOnly, SameSite=Lax, Secure when serving over HTTPS. It
/// holds only a 256-bit random id, so signing it would add nothing.
pub fn cookie_config(secure: bool) -> CookieConfig {
    CookieConfig::default()
        .name(COOKIE_NAME)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(SESSION_TTL)
}

/// The database behind `ServerSession`.
#[derive(Clone)]
pub struct SessionStore {
    db: Db,
}

impl SessionStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn storage_error(err: impl Into<anyhow::Error>) -> poem::Error {
    poem::Error::from(AppError::internal(err))
}

impl SessionStorage for SessionStore {
    async fn load_session<'a>(
        &'a self,
        session_id: &'a str,
    ) -> poem::Result<Option<BTreeMap<String, Value>>> {
        let Some(data) = store::sessions::load(&self.db, session_id, now_ms())
            .await
            .map_err(storage_error)?
        else {
            return Ok(None);
        };
        Ok(serde_json::from_str(&data).ok())
    }

    async fn update_session<'a>(
        &'a self,
        session_id: &'a str,
        entries: &'a BTreeMap<String, Value>,
        expires: Option<Duration>,
    ) -> poem::Result<()> {
        let data = serde_json::to_string(entries).map_err(storage_error)?;
        let login = entries.get("login").and_then(Value::as_str);
        let ttl = expires.unwrap_or(SESSION_TTL).as_millis() as i64;
        store::sessions::save(&self.db, session_id, &data, login, now_ms() + ttl)
            .await
            .map_err(storage_error)
    }

    async fn remove_session<'a>(&'a self, session_id: &'a str) -> poem::Result<()> {
        store::sessions::delete(&self.db, session_id)
            .await
            .map_err(storage_error)
    }
}

/// The logged-in user behind a request. `login` names this one login (it changes at
/// every login), so logging out can close exactly that login's sockets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub login: String,
}

impl CurrentUser {
    /// Who the request is logged in as, if anyone (for code outside a handler).
    pub fn of(req: &Request) -> Option<Self> {
        req.extensions()
            .get::<Session>()
            .and_then(CurrentUser::from_session)
    }

    fn from_session(session: &Session) -> Option<Self> {
        Some(Self {
            id: session.get("user_id")?,
            username: session.get("username")?,
            login: session.get("login")?,
        })
    }
}

impl<'a> FromRequest<'a> for CurrentUser {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        CurrentUser::of(req).ok_or_else(|| AppError::Unauthorized.into())
    }
}

/// Logs `user` in on this session, under a new session id (no session fixation).
pub fn start_session(session: &Session, user: &User) {
    session.renew();
    session.clear();
    session.set("user_id", user.id);
    session.set("username", &user.username);
    session.set("login", format!("{:032x}", rand::random::<u128>()));
}

/// Ends the session on the server. Returns the user and login that ended, if any.
pub fn end_session(session: &Session) -> Option<(i64, String)> {
    let ended = session.get("user_id").zip(session.get("login"));
    session.purge();
    ended
}
