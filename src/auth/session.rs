//! Sessions: poem's `ServerSession` keeps a random id in the cookie and the session's
//! entries in our database (`SessionStore`), so they survive restarts, are shared by
//! every node, and logout deletes them for good. The database holds only the SHA-256
//! of each id: a leaked copy of it opens no session.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use poem::{
    Endpoint, FromRequest, IntoResponse, Middleware, Request, RequestBody, Response,
    http::{HeaderValue, header},
    session::{CookieConfig, Session, SessionStorage},
    web::cookie::SameSite,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::User;
use crate::{
    error::AppError,
    store::{self, Db, now_ms},
};

/// Sessions end thirty days after login.
pub const SESSION_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);

const COOKIE_NAME: &str = "hearth_session";

/// The session cookie's name. Over HTTPS it takes the `__Host-` prefix: browsers then
/// accept it only if it is Secure, for `Path=/` and for this host alone, so neither a
/// sibling subdomain nor a plain-HTTP page can plant or shadow it.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-hearth_session"
    } else {
        COOKIE_NAME
    }
}

/// The session cookie: HttpOnly, SameSite=Lax, Secure when serving over HTTPS. It
/// holds only a 256-bit random id, so signing it would add nothing.
pub fn cookie_config(secure: bool) -> CookieConfig {
    CookieConfig::default()
        .name(cookie_name(secure))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(SESSION_TTL)
}

/// The database behind `ServerSession`, with, on a node alone, the sessions it has
/// read kept in memory.
#[derive(Clone)]
pub struct SessionStore {
    db: Db,
    cache: Option<Arc<SessionCache>>,
}

impl SessionStore {
    /// `cached`: keep sessions in memory. Only for a node alone: every change to a
    /// session goes through its one store, so the memory is never stale. With several
    /// nodes a logout on one must be refused on the next request on every other,
    /// which no message between nodes can promise, so each request reads the
    /// database.
    pub fn new(db: Db, cached: bool) -> Self {
        Self {
            db,
            cache: cached.then(|| Arc::new(SessionCache::default())),
        }
    }
}

/// Sessions as read or written by this node, by stored id, with when each expires.
/// Bounded: past `SessionCache::LIMIT` entries it starts again empty (what was
/// dropped is read from the database next time).
#[derive(Default)]
pub struct SessionCache {
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    entries: HashMap<String, (Arc<str>, i64)>,
    /// Counts writes and removals. A read from the database is kept only if none
    /// happened while it ran: a logout racing a request cannot bring the session back.
    generation: u64,
}

impl SessionCache {
    const LIMIT: usize = 100_000;

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The session, if kept and not expired, or else the generation to hand to `keep`.
    fn get(&self, id: &str, now_ms: i64) -> Result<Arc<str>, u64> {
        let inner = self.lock();
        inner
            .entries
            .get(id)
            .filter(|(_, expires)| *expires > now_ms)
            .map(|(data, _)| Arc::clone(data))
            .ok_or(inner.generation)
    }

    /// Keeps what the database said at `generation`, unless something changed since.
    fn keep(&self, generation: u64, id: String, data: Arc<str>, expires_at_ms: i64) {
        let mut inner = self.lock();
        if inner.generation == generation {
            inner.insert(id, data, expires_at_ms);
        }
    }

    /// Keeps what was just written to the database.
    fn written(&self, id: String, data: Arc<str>, expires_at_ms: i64) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.insert(id, data, expires_at_ms);
    }

    fn forget(&self, id: &str) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.remove(id);
    }
}

impl CacheInner {
    fn insert(&mut self, id: String, data: Arc<str>, expires_at_ms: i64) {
        if self.entries.len() >= SessionCache::LIMIT {
            self.entries.clear();
        }
        self.entries.insert(id, (data, expires_at_ms));
    }
}

fn storage_error(err: impl Into<anyhow::Error>) -> poem::Error {
    poem::Error::from(AppError::internal(err))
}

/// The key a session is stored under: the SHA-256 of the cookie's value, in hex. Ids
/// are 256 random bits, so a fast hash is enough (nothing to guess, nothing to salt).
fn stored_id(cookie_value: &str) -> String {
    Sha256::digest(cookie_value.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

impl SessionStorage for SessionStore {
    async fn load_session<'a>(
        &'a self,
        session_id: &'a str,
    ) -> poem::Result<Option<BTreeMap<String, Value>>> {
        let id = stored_id(session_id);
        let now = now_ms();
        let kept = self.cache.as_ref().map(|c| c.get(&id, now));
        if let Some(kept) = &kept {
            crate::metrics::record_cache("sessions", kept.is_ok());
        }
        let generation = match kept {
            Some(Ok(data)) => return Ok(serde_json::from_str(&data).ok()),
            Some(Err(generation)) => generation,
            None => 0,
        };
        let Some((data, expires_at)) = store::sessions::load(&self.db, &id, now)
            .await
            .map_err(storage_error)?
        else {
            return Ok(None);
        };
        let entries = serde_json::from_str(&data).ok();
        if let Some(cache) = &self.cache {
            cache.keep(generation, id, data.into(), expires_at);
        }
        Ok(entries)
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
        let id = stored_id(session_id);
        let expires_at = now_ms() + ttl;
        // Forgotten first: whatever happens to the write, nothing old is served.
        if let Some(cache) = &self.cache {
            cache.forget(&id);
        }
        store::sessions::save(&self.db, &id, &data, login, expires_at)
            .await
            .map_err(storage_error)?;
        if let Some(cache) = &self.cache {
            cache.written(id, data.into(), expires_at);
        }
        Ok(())
    }

    async fn remove_session<'a>(&'a self, session_id: &'a str) -> poem::Result<()> {
        let id = stored_id(session_id);
        if let Some(cache) = &self.cache {
            cache.forget(&id);
        }
        let deleted = store::sessions::delete(&self.db, &id)
            .await
            .map_err(storage_error);
        // Again after the delete: a read that began before it is not kept.
        if let Some(cache) = &self.cache {
            cache.forget(&id);
        }
        deleted
    }
}

/// The logged-in user behind a request. `login` names this one login (it changes at
/// every login), so logging out can close exactly that login's sockets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub login: String,
    /// Their avatar's key, as of when this session logged in or last changed it.
    pub avatar: Option<String>,
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
            avatar: session.get("avatar"),
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
    if let Some(avatar) = &user.avatar {
        session.set("avatar", avatar);
    }
}

/// Notes a new avatar (or none) on this session, for the pages it shows.
pub fn remember_avatar(session: &Session, avatar: Option<&str>) {
    match avatar {
        Some(key) => session.set("avatar", key),
        None => session.remove("avatar"),
    }
}

/// Ends the session on the server. Returns the user and login that ended, if any.
pub fn end_session(session: &Session) -> Option<(i64, String)> {
    let ended = session.get("user_id").zip(session.get("login"));
    session.purge();
    ended
}

/// Wraps `ServerSession` to fix the cookie it sends at logout. poem removes the cookie
/// by name alone, so the removal carries no `Path` (the browser then scopes it to the
/// request's directory, `/api/v1` for the API's logout, and keeps the real cookie) and
/// no `Secure` (without which browsers ignore any `__Host-` cookie). This sends the
/// removal with the same attributes the cookie was set with.
pub struct SessionCookie {
    secure: bool,
}

impl SessionCookie {
    pub fn new(secure: bool) -> Self {
        Self { secure }
    }

    fn removal(&self) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax{secure}",
            cookie_name(self.secure)
        )
    }
}

impl<E: Endpoint> Middleware<E> for SessionCookie {
    type Output = SessionCookieEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        SessionCookieEndpoint {
            inner,
            removal: HeaderValue::from_str(&self.removal()).ok(),
            poem_removal: format!("{}=;", cookie_name(self.secure)),
        }
    }
}

pub struct SessionCookieEndpoint<E> {
    inner: E,
    removal: Option<HeaderValue>,
    /// How poem's removal starts: the name with an empty value.
    poem_removal: String,
}

impl<E: Endpoint> Endpoint for SessionCookieEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let mut response = self.inner.call(req).await?.into_response();
        let Some(removal) = &self.removal else {
            return Ok(response);
        };
        let headers = response.headers_mut();
        let cookies: Vec<HeaderValue> = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .cloned()
            .collect();
        let removes = |v: &HeaderValue| v.as_bytes().starts_with(self.poem_removal.as_bytes());
        if cookies.iter().any(removes) {
            headers.remove(header::SET_COOKIE);
            for cookie in cookies {
                let cookie = if removes(&cookie) {
                    removal.clone()
                } else {
                    cookie
                };
                headers.append(header::SET_COOKIE, cookie);
            }
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_ids_are_the_sha256_of_the_cookie_in_hex() {
        assert_eq!(
            stored_id("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
