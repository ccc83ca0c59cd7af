//! Getting a server ready for a run, over its public JSON API only: register users
//! (each keeps its session cookie), create rooms and join them, seed messages. Names
//! carry a random run id, so runs against the same server never collide.

use std::{
    hash::{BuildHasher, RandomState},
    time::Instant,
};

use anyhow::{Context, bail};
use futures_util::{StreamExt, stream};
use reqwest::{StatusCode, header};
use serde_json::json;

/// Every load user's password (8–1024 bytes).
pub const PASSWORD: &str = "load-test-password";

/// A random id for this run: six hex digits.
pub fn run_id() -> String {
    let random = RandomState::new().hash_one(std::process::id());
    format!("{:06x}", random & 0xff_ffff)
}

/// A logged-in load user.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    /// The `Cookie` header value for this user's session.
    pub cookie: String,
}

/// A room and the users who joined it, in order (the first created it).
#[derive(Debug, Clone)]
pub struct Room {
    pub name: String,
    pub members: Vec<User>,
}

/// The server's JSON API, over one pooled HTTP client.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    concurrency: usize,
}

impl Api {
    pub fn new(url: &str, concurrency: usize) -> anyhow::Result<Self> {
        let base = url.trim_end_matches('/').to_owned();
        if !base.starts_with("http://") {
            bail!("--url must be a plain http:// URL (this tool has no TLS): {url}");
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .tcp_nodelay(true)
            .pool_max_idle_per_host(usize::MAX)
            .build()?;
        Ok(Self {
            http,
            base,
            concurrency: concurrency.max(1),
        })
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `path` on the server, e.g. `/rooms/x`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The JSON WebSocket of `room`.
    pub fn socket_url(&self, room: &str) -> String {
        socket_url(&self.base, room)
    }

    /// Answers once `/healthz` does, so a misconfigured URL fails fast and clearly.
    pub async fn check(&self) -> anyhow::Result<()> {
        let url = self.url("/healthz");
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("reaching {url}"))?;
        if !response.status().is_success() {
            bail!("{url} answered {}", response.status());
        }
        Ok(())
    }

    /// Creates an account (which logs it in) and keeps its session cookie.
    pub async fn register(&self, name: String) -> anyhow::Result<User> {
        let response = self
            .http
            .post(self.url("/api/v1/users"))
            .json(&json!({ "username": name, "password": PASSWORD }))
            .send()
            .await
            .with_context(|| format!("registering {name}"))?;
        let status = response.status();
        if status != StatusCode::CREATED {
            let body = response.text().await.unwrap_or_default();
            bail!("registering {name}: {status} {body}");
        }
        // Keep every cookie's `name=value`, as a browser would send them back.
        let cookie = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next())
            .collect::<Vec<_>>()
            .join("; ");
        if cookie.is_empty() {
            bail!("registering {name}: no session cookie in the answer");
        }
        Ok(User { name, cookie })
    }

    async fn expect(
        &self,
        request: reqwest::RequestBuilder,
        ok: &[StatusCode],
        what: &str,
    ) -> anyhow::Result<()> {
        let response = request.send().await.with_context(|| what.to_owned())?;
        let status = response.status();
        if !ok.contains(&status) {
            let body = response.text().await.unwrap_or_default();
            bail!("{what}: {status} {body}");
        }
        Ok(())
    }

    pub async fn create_room(&self, user: &User, room: &str) -> anyhow::Result<()> {
        let request = self
            .http
            .post(self.url("/api/v1/rooms"))
            .header(header::COOKIE, &user.cookie)
            .json(&json!({ "name": room }));
        let what = format!("{} creating room {room}", user.name);
        self.expect(request, &[StatusCode::CREATED], &what).await
    }

    pub async fn join_room(&self, user: &User, room: &str) -> anyhow::Result<()> {
        let request = self
            .http
            .post(self.url(&format!("/api/v1/rooms/{room}/members")))
            .header(header::COOKIE, &user.cookie);
        let what = format!("{} joining room {room}", user.name);
        let ok = [StatusCode::CREATED, StatusCode::CONFLICT];
        self.expect(request, &ok, &what).await
    }

    /// Sets `user`'s notification level in `room` (`all`, `mentions`, `none`).
    pub async fn set_notify(&self, user: &User, room: &str, level: &str) -> anyhow::Result<()> {
        let request = self
            .http
            .put(self.url(&format!("/api/v1/rooms/{room}/membership")))
            .header(header::COOKIE, &user.cookie)
            .json(&json!({ "notify": level }));
        let what = format!("{} setting {room} to {level}", user.name);
        self.expect(request, &[StatusCode::OK], &what).await
    }

    /// Subscribes `user` to Web Push at `endpoint`, with a fixed browser key (the
    /// test push service never decrypts).
    pub async fn subscribe_push(&self, user: &User, endpoint: &str) -> anyhow::Result<()> {
        // RFC 8291's example browser key and auth secret.
        let keys = json!({
            "p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
            "auth": "BTBZMqHH6r4Tts7J_aSIgg",
        });
        let request = self
            .http
            .post(self.url("/api/v1/push/subscriptions"))
            .header(header::COOKIE, &user.cookie)
            .json(&json!({ "endpoint": endpoint, "keys": keys }));
        let what = format!("{} subscribing to pushes", user.name);
        self.expect(request, &[StatusCode::CREATED, StatusCode::OK], &what)
            .await
    }

    /// Posts one message; a rate-limited post waits and tries again.
    pub async fn post_message(&self, user: &User, room: &str, text: &str) -> anyhow::Result<()> {
        loop {
            let response = self
                .http
                .post(self.url(&format!("/api/v1/rooms/{room}/messages")))
                .header(header::COOKIE, &user.cookie)
                .json(&json!({ "text": text }))
                .send()
                .await
                .context("posting a message")?;
            match response.status() {
                StatusCode::CREATED | StatusCode::OK => return Ok(()),
                StatusCode::TOO_MANY_REQUESTS => {
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await
                }
                status => bail!("posting to {room}: {status}"),
            }
        }
    }

    /// Registers `count` users named `load_<run>_<first + i>`, a bounded number at a time.
    pub async fn register_users(
        &self,
        run: &str,
        first: usize,
        count: usize,
    ) -> anyhow::Result<Vec<User>> {
        let names = (first..first + count).map(|n| format!("load_{run}_{n}"));
        stream::iter(names)
            .map(|name| self.register(name))
            .buffered(self.concurrency)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect()
    }

    /// `rooms` rooms named `load_<run>_r<n>`, each with `members` freshly registered
    /// members. Prints how long it took, since argon2 makes registration slow on purpose.
    pub async fn rooms(
        &self,
        run: &str,
        rooms: usize,
        members: usize,
    ) -> anyhow::Result<Vec<Room>> {
        let started = Instant::now();
        eprintln!(
            "setup: registering {} users in {rooms} room(s)…",
            rooms * members
        );
        let users = self.register_users(run, 0, rooms * members).await?;
        let mut chunks = users.chunks(members.max(1));
        let rooms: Vec<Room> = (0..rooms)
            .map(|n| Room {
                name: format!("load_{run}_r{n}"),
                members: chunks.next().map(<[User]>::to_vec).unwrap_or_default(),
            })
            .collect();
        stream::iter(&rooms)
            .map(|room| async move {
                match room.members.first() {
                    Some(owner) => self.create_room(owner, &room.name).await,
                    None => Ok(()),
                }
            })
            .buffer_unordered(self.concurrency)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<anyhow::Result<()>>()?;
        let joins = rooms
            .iter()
            .flat_map(|room| room.members.iter().skip(1).map(move |u| (u, &room.name)));
        stream::iter(joins)
            .map(|(user, room)| self.join_room(user, room))
            .buffer_unordered(self.concurrency)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<anyhow::Result<()>>()?;
        eprintln!("setup: done in {:.1} s", started.elapsed().as_secs_f64());
        Ok(rooms)
    }
}

/// The JSON WebSocket of `room` on the server at `base` (`http://host:port`).
pub fn socket_url(base: &str, room: &str) -> String {
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    format!("ws://{host}/api/v1/rooms/{room}/ws")
}
