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
use tokio::sync::oneshot;

use super::User;
use crate::{
    error::AppError,
    store::{self, Db, now_ms},
};

/// How much of a browser's `User-Agent` a session keeps.
const MAX_USER_AGENT_BYTES: usize = 256;

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

/// The database behind `ServerSession`, with the sessions this node has read kept in
/// memory (`SessionCache`).
#[derive(Clone)]
pub struct SessionStore {
    db: Db,
    cache: Arc<SessionCache>,
    peers: Option<Arc<dyn Peers>>,
}

/// The other nodes sharing the database, as the session store needs them: to be told
/// when a session ends or changes, so that none of them serves it from memory.
pub trait Peers: Send + Sync {
    /// Tells every other node to forget these sessions (by stored id). The answer
    /// comes once the word is out, or is dropped if it could not be sent.
    fn forget(&self, ids: Vec<String>) -> oneshot::Receiver<()>;
    /// Whether word from the other nodes reaches this node now (the link is up).
    fn listening(&self) -> bool;
}

/// On a node with others, a kept session is trusted for at most this long after it
/// was read: the other nodes' word that a session ended normally arrives before the
/// logout is even answered, and this bounds the case where it is late or lost.
const LINKED_MAX_AGE_MS: i64 = 1000;
/// How long a session change waits for the other nodes to be told.
const TELL_PEERS_TIMEOUT: Duration = Duration::from_millis(500);

impl SessionStore {
    /// A store for a node alone (`peers` is `None`: every change to a session goes
    /// through this store, so what it keeps is never stale), or for one of several.
    /// With peers, a session ended or changed here is forgotten by every other node
    /// before the request that did it is answered, and a kept session is used only
    /// while the link to them is up, and for at most `LINKED_MAX_AGE_MS`.
    pub fn new(db: Db, peers: Option<Arc<dyn Peers>>) -> Self {
        let max_age = peers.as_ref().map(|_| LINKED_MAX_AGE_MS);
        Self {
            db,
            cache: Arc::new(SessionCache::new(max_age)),
            peers,
        }
    }

    /// What this node keeps, for the link that tells it what other nodes ended.
    pub fn cache(&self) -> Arc<SessionCache> {
        Arc::clone(&self.cache)
    }

    /// The cache, when it may be used now: on a node with others, only while the link
    /// to them is up (what they said while it was down was not heard).
    fn usable_cache(&self) -> Option<&SessionCache> {
        match &self.peers {
            Some(peers) if !peers.listening() => None,
            _ => Some(&self.cache),
        }
    }

    /// Forgets sessions here, and on every other node before returning.
    async fn forget(&self, ids: Vec<String>) {
        for id in &ids {
            self.cache.forget(id);
        }
        if let Some(peers) = &self.peers
            && !ids.is_empty()
        {
            let told = peers.forget(ids);
            if tokio::time::timeout(TELL_PEERS_TIMEOUT, told)
                .await
                .is_err()
            {
                tracing::warn!("the other nodes were not told of a session's end in time");
            }
        }
    }
}

/// A session's last use is noted in the database at most this often (the account page
/// shows it; a write per request would cost every request).
const TOUCH_EVERY_MS: i64 = 5 * 60 * 1000;

impl SessionStore {
    /// Notes, in the background, that a session was used.
    fn touch(&self, id: String, now: i64) {
        let db = self.db.clone();
        tokio::spawn(async move {
            if let Err(err) = store::sessions::touch(&db, &id, now).await {
                tracing::debug!(%err, "noting a session's use failed");
            }
        });
    }

    /// Deletes sessions of `user_id` (one login's, all but one, or all: see
    /// `store::sessions::delete_of_user`), here and in memory. Returns their logins,
    /// whose sockets should now close.
    pub async fn end(
        &self,
        user_id: i64,
        only: Option<&str>,
        except: Option<&str>,
    ) -> Result<Vec<String>, store::StoreError> {
        let ended = store::sessions::end_of_user(&self.db, user_id, only, except).await?;
        let (ids, logins) = ended.into_iter().unzip();
        self.forget(ids).await;
        Ok(logins)
    }
}

/// Sessions as read or written by this node, by stored id, with when each expires.
/// Bounded: past `SessionCache::LIMIT` entries it starts again empty (what was
/// dropped is read from the database next time).
pub struct SessionCache {
    inner: Mutex<CacheInner>,
    /// How long after it was read an entry is trusted (None: until it expires).
    max_age_ms: Option<i64>,
}

/// A kept session: its JSON, when it expires, when it was last noted as used, when it
/// was read or written.
struct Kept {
    data: Arc<str>,
    expires_at: i64,
    seen_at: i64,
    kept_at: i64,
}

#[derive(Default)]
struct CacheInner {
    entries: HashMap<String, Kept>,
    /// Counts writes and removals. A read from the database is kept only if none
    /// happened while it ran: a logout racing a request cannot bring the session back.
    generation: u64,
}

impl SessionCache {
    const LIMIT: usize = 100_000;

    fn new(max_age_ms: Option<i64>) -> Self {
        Self {
            inner: Mutex::default(),
            max_age_ms,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The session, if kept and not expired, with whether its use should be noted
    /// now; or else the generation to hand to `keep`.
    fn get(&self, id: &str, now_ms: i64) -> Result<(Arc<str>, bool), u64> {
        let mut inner = self.lock();
        let generation = inner.generation;
        let kept = inner
            .entries
            .get_mut(id)
            .filter(|kept| {
                kept.expires_at > now_ms
                    && self
                        .max_age_ms
                        .is_none_or(|max_age| now_ms - kept.kept_at < max_age)
            })
            .ok_or(generation)?;
        let stale = now_ms - kept.seen_at >= TOUCH_EVERY_MS;
        if stale {
            kept.seen_at = now_ms;
        }
        Ok((Arc::clone(&kept.data), stale))
    }

    /// Keeps what the database said at `generation`, unless something changed since.
    fn keep(&self, generation: u64, id: String, kept: Kept) {
        let mut inner = self.lock();
        if inner.generation == generation {
            inner.insert(id, kept);
        }
    }

    /// Keeps what was just written to the database.
    fn written(&self, id: String, kept: Kept) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.insert(id, kept);
    }

    fn forget(&self, id: &str) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.remove(id);
    }

    /// Forgets sessions another node ended or changed.
    pub fn forget_all_of(&self, ids: &[String]) {
        let mut inner = self.lock();
        inner.generation += 1;
        for id in ids {
            inner.entries.remove(id);
        }
    }

    /// Forgets everything (the link to other nodes came back: what they said while it
    /// was down was not heard).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
    }
}

impl CacheInner {
    fn insert(&mut self, id: String, kept: Kept) {
        if self.entries.len() >= SessionCache::LIMIT {
            self.entries.clear();
        }
        self.entries.insert(id, kept);
    }
}

fn storage_error(err: impl Into<anyhow::Error>) -> poem::Error {
    poem::Error::from(AppError::internal(err))
}

/// The key a session is stored under: the SHA-256 of the cookie's value, in hex. Ids
/// are 256 random bits, so a fast hash is enough (nothing to guess, nothing to salt).
fn stored_id(cookie_value: &str) -> String {
    super::token::digest(cookie_value)
}

impl SessionStorage for SessionStore {
    async fn load_session<'a>(
        &'a self,
        session_id: &'a str,
    ) -> poem::Result<Option<BTreeMap<String, Value>>> {
        let id = stored_id(session_id);
        let now = now_ms();
        let cache = self.usable_cache();
        let kept = cache.map(|c| c.get(&id, now));
        if let Some(kept) = &kept {
            crate::metrics::record_cache("sessions", kept.is_ok());
        }
        let generation = match kept {
            Some(Ok((data, stale))) => {
                if stale {
                    self.touch(id, now);
                }
                return Ok(serde_json::from_str(&data).ok());
            }
            Some(Err(generation)) => generation,
            None => 0,
        };
        let Some((data, expires_at, seen_at)) = store::sessions::load(&self.db, &id, now)
            .await
            .map_err(storage_error)?
        else {
            return Ok(None);
        };
        let entries = serde_json::from_str(&data).ok();
        let stale = now - seen_at >= TOUCH_EVERY_MS;
        if stale {
            self.touch(id.clone(), now);
        }
        if let Some(cache) = cache {
            let seen_at = if stale { now } else { seen_at };
            let kept = Kept {
                data: data.into(),
                expires_at,
                seen_at,
                kept_at: now,
            };
            cache.keep(generation, id, kept);
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
        let owner = store::sessions::Owner {
            login: entries.get("login").and_then(Value::as_str),
            user_id: entries.get("user_id").and_then(Value::as_i64),
            user_agent: entries.get("user_agent").and_then(Value::as_str),
        };

        let ttl = expires.unwrap_or(SESSION_TTL).as_millis() as i64;
        let id = stored_id(session_id);
        let expires_at = now_ms() + ttl;
        // Forgotten first: whatever happens to the write, nothing old is served.
        self.cache.forget(&id);
        let written = store::sessions::save(&self.db, &id, &data, owner, expires_at)
            .await
            .map_err(storage_error)?;
        if !written {
            // Ended while this request ran: it stays ended.
            return Ok(());
        }
        // Other nodes may keep what it said before.
        self.forget(vec![id.clone()]).await;
        let now = now_ms();
        let kept = Kept {
            data: data.into(),
            expires_at,
            seen_at: now,
            kept_at: now,
        };
        self.cache.written(id, kept);
        Ok(())
    }

    async fn remove_session<'a>(&'a self, session_id: &'a str) -> poem::Result<()> {
        let id = stored_id(session_id);
        self.cache.forget(&id);
        let deleted = store::sessions::end(&self.db, &id)
            .await
            .map_err(storage_error);
        // Again after the delete, here and on every node: a read that began before it
        // is not kept.
        self.forget(vec![id]).await;
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
        if let Some(super::bots::Bearer(bot)) = req.extensions().get() {
            return Some(bot.clone());
        }
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
/// `req` is the request logging in: its browser names the session on the account page.
pub fn start_session(session: &Session, user: &User, req: &Request) {
    session.renew();
    session.clear();
    session.set("user_id", user.id);
    session.set("username", &user.username);
    if let Some(agent) = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    {
        let end = agent.floor_char_boundary(MAX_USER_AGENT_BYTES);
        session.set("user_agent", &agent[..end]);
    }
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

    fn kept(at: i64) -> Kept {
        Kept {
            data: Arc::from("{}"),
            expires_at: at + 60_000,
            seen_at: at,
            kept_at: at,
        }
    }

    #[test]
    fn on_a_node_alone_a_kept_session_serves_until_it_expires() {
        let cache = SessionCache::new(None);
        cache.written("s".into(), kept(1_000));
        assert!(cache.get("s", 50_000).is_ok());
        assert!(cache.get("s", 61_000).is_err(), "expired");
    }

    #[test]
    fn with_other_nodes_a_kept_session_is_read_again_after_its_max_age() {
        let cache = SessionCache::new(Some(LINKED_MAX_AGE_MS));
        cache.written("s".into(), kept(1_000));
        assert!(cache.get("s", 1_000 + LINKED_MAX_AGE_MS - 1).is_ok());
        let generation = cache
            .get("s", 1_000 + LINKED_MAX_AGE_MS)
            .expect_err("too old to trust");
        // What the database then says is kept again, from when it was read.
        cache.keep(generation, "s".into(), kept(5_000));
        assert!(cache.get("s", 5_001).is_ok());
    }

    #[test]
    fn what_other_nodes_ended_is_forgotten_and_a_read_racing_it_is_not_kept() {
        let cache = SessionCache::new(Some(LINKED_MAX_AGE_MS));
        cache.written("a".into(), kept(0));
        cache.written("b".into(), kept(0));
        let generation = cache.get("c", 0).expect_err("not kept");
        cache.forget_all_of(&["a".to_string()]);
        assert!(cache.get("a", 1).is_err());
        assert!(cache.get("b", 1).is_ok());
        // A read of "c" that began before the word arrived is not kept.
        cache.keep(generation, "c".into(), kept(0));
        assert!(cache.get("c", 1).is_err());
        cache.clear();
        assert!(
            cache.get("b", 1).is_err(),
            "all forgotten when the link returns"
        );
    }
}
