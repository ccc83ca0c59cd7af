//! `spawn_app()` and friends: what every test needs to talk to a real Hearth.

use std::{collections::BTreeMap, net::SocketAddr, sync::Arc, time::Duration};

use futures_util::{SinkExt, StreamExt};
use hearth::{
    App, Config,
    files::{Backend, FilesConfig},
};
use reqwest::{Client, StatusCode, cookie::CookieStore};
use serde_json::{Value, json};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
use tokio::{net::TcpStream, sync::oneshot, task::JoinHandle};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub const PASSWORD: &str = "correct horse battery";

/// A running Hearth on a free port, with its own database.
pub struct TestApp {
    pub addr: SocketAddr,
    /// The operators' address, when the test asked for one (`Config::metrics_addr`).
    pub metrics_addr: Option<SocketAddr>,
    pub database_url: String,
    /// Where its files are kept (a directory of its own, or the test S3 bucket).
    pub files: FilesConfig,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    /// Keeps the SQLite file alive for the test's lifetime.
    _dir: Option<Arc<tempfile::TempDir>>,
}

/// A fresh database: a new SQLite file, or a new schema-less PostgreSQL database
/// when `HEARTH_TEST_DATABASE_URL` names a server; and a directory of the test's own
/// (removed when the test ends) holding the SQLite file and the files.
pub async fn fresh_database() -> (String, Arc<tempfile::TempDir>) {
    let dir = Arc::new(tempfile::tempdir().expect("a temporary directory"));
    if let Ok(server) = std::env::var("HEARTH_TEST_DATABASE_URL") {
        let name = format!("hearth_test_{:016x}", rand_u64());
        let admin = sqlx::PgPool::connect(&server)
            .await
            .expect("connect to PostgreSQL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .expect("create a test database");
        admin.close().await;
        let (base, _) = server.rsplit_once('/').expect("a database URL with a path");
        return (format!("{base}/{name}"), dir);
    }
    let url = format!("sqlite:{}", dir.path().join("hearth.db").display());
    (url, dir)
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts Hearth with test defaults, adjusted by `tweak`.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let (database_url, dir) = fresh_database().await;
    let mut config = Config::for_tests(database_url);
    config.files_dir = Some(dir.path().join("hearth-files"));
    tweak(&mut config);
    start(config, Some(dir)).await
}

/// Starts a Hearth node with exactly `config` (the cluster tests share one database).
pub async fn start_node(config: Config) -> TestApp {
    start(config, None).await
}

/// With `HEARTH_TEST_S3_URL` (and `HEARTH_TEST_S3_BUCKET`, and credentials in the
/// environment), every test keeps its files in that S3-compatible store.
fn use_test_s3(config: &mut Config) {
    if config.s3_url.is_some() {
        return;
    }
    if let (Ok(url), Ok(bucket)) = (
        std::env::var("HEARTH_TEST_S3_URL"),
        std::env::var("HEARTH_TEST_S3_BUCKET"),
    ) {
        config.s3_url = Some(url);
        config.s3_bucket = Some(bucket);
    }
}

async fn start(mut config: Config, dir: Option<Arc<tempfile::TempDir>>) -> TestApp {
    use_test_s3(&mut config);
    let database_url = config.database_url.clone();
    let files = config.files();
    let app = App::build(config).await.expect("Hearth builds");
    let addr = app.addr();
    let metrics_addr = app.metrics_addr();
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    TestApp {
        addr,
        metrics_addr,
        database_url,
        files,
        stop: Some(stop),
        task: Some(task),
        _dir: dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn api(&self, path: &str) -> String {
        self.url(&format!("/api/v1{path}"))
    }

    /// A browser-like client: its own cookie jar, redirects not followed.
    pub fn client(&self) -> User {
        client_at(self.addr)
    }

    /// A client registered (and so logged in) as `name`.
    pub async fn user(&self, name: &str) -> User {
        self.client().register(name).await
    }

    /// Runs `sql` on this server's database directly, as an operator at the database's
    /// console would; returns how many rows it changed.
    pub async fn run_sql(&self, sql: &str) -> u64 {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        if self.database_url.starts_with("sqlite:") {
            let pool = sqlx::SqlitePool::connect(&self.database_url)
                .await
                .expect("open the SQLite database");
            let done = sqlx::query(sql).execute(&pool).await.expect("run SQL");
            pool.close().await;
            done.rows_affected()
        } else {
            let pool = sqlx::PgPool::connect(&self.database_url)
                .await
                .expect("connect to PostgreSQL");
            let done = sqlx::query(sql).execute(&pool).await.expect("run SQL");
            pool.close().await;
            done.rows_affected()
        }
    }

    /// Stops the server the way SIGTERM does, and waits until it has stopped.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("server task")
                .expect("server stops cleanly");
        }
    }

    /// Stops this server and starts a new one on the same database.
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        let mut config = Config::for_tests(self.database_url.clone());
        match &self.files.backend {
            Backend::Directory(dir) => config.files_dir = Some(dir.clone()),
            Backend::S3 { url, bucket } => {
                config.s3_url = Some(url.clone());
                config.s3_bucket = Some(bucket.clone());
            }
        }
        start(config, self._dir.take()).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// `POST /api/v1/users` as `client`, whatever the answer.
pub async fn register_as(client: &User, username: &str, password: &str) -> reqwest::Response {
    client
        .http
        .post(client.api("/users"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("POST /users")
}

/// A form body, encoded as a browser encodes `application/x-www-form-urlencoded`.
pub fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// An answer's status and its JSON body (null when it has none).
pub async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `POST /api/v1/session` as `name` with `password` from a new client: the client,
/// and the answer.
pub async fn try_log_in(app: &TestApp, name: &str, password: &str) -> (User, StatusCode, Value) {
    let user = app.client();
    let body = json!({"username": name, "password": password});
    let (status, body) = answer(
        user.call(reqwest::Method::POST, "/session", Some(body))
            .await,
    )
    .await;
    (user, status, body)
}

/// A browser-like client of the server at `addr`: its own cookie jar, redirects not followed.
pub fn client_at(addr: SocketAddr) -> User {
    client_with_headers(addr, reqwest::header::HeaderMap::new())
}

/// A client whose every request arrives through a proxy on loopback that says it
/// came from `ip` (`X-Forwarded-For`): a different client to a server that trusts
/// 127.0.0.1 as its proxy, and a forwarded one to any server.
pub fn client_via_proxy(addr: SocketAddr, ip: &str) -> User {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", ip.parse().expect("an address"));
    client_with_headers(addr, headers)
}

fn client_with_headers(addr: SocketAddr, headers: reqwest::header::HeaderMap) -> User {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let http = Client::builder()
        .cookie_provider(Arc::clone(&jar))
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .expect("a client");
    User {
        http,
        jar,
        addr,
        name: String::new(),
    }
}

/// A person with a browser: an HTTP client with its own cookies.
pub struct User {
    pub http: Client,
    pub jar: Arc<reqwest::cookie::Jar>,
    pub addr: SocketAddr,
    pub name: String,
}

impl User {
    /// The same person (same cookies, same session) talking to another node.
    pub fn via(&self, node: &TestApp) -> User {
        self.via_addr(node.addr)
    }

    pub fn via_addr(&self, addr: SocketAddr) -> User {
        User {
            http: self.http.clone(),
            jar: Arc::clone(&self.jar),
            addr,
            name: self.name.clone(),
        }
    }

    /// Registers as `name` (which logs this client in).
    pub async fn register(self, name: &str) -> User {
        self.authenticate("/users", name, StatusCode::CREATED).await
    }

    /// Logs in to the existing account `name`: a new, separate login.
    pub async fn log_in(self, name: &str) -> User {
        self.authenticate("/session", name, StatusCode::OK).await
    }

    async fn authenticate(mut self, path: &str, name: &str, expected: StatusCode) -> User {
        let response = self
            .http
            .post(self.api(path))
            .json(&json!({ "username": name, "password": PASSWORD }))
            .send()
            .await
            .expect("POST credentials");
        assert_eq!(response.status(), expected, "{path} as {name}");
        self.name = name.to_owned();
        self
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn api(&self, path: &str) -> String {
        self.url(&format!("/api/v1{path}"))
    }

    /// The `Cookie` header this client would send.
    pub fn cookie(&self) -> Option<HeaderValue> {
        let url = self.url("/").parse().expect("a URL");
        self.jar
            .cookies(&url)
            .map(|v| HeaderValue::from_bytes(v.as_bytes()).expect("a header"))
    }

    pub async fn create_room(&self, name: &str) -> reqwest::Response {
        self.http
            .post(self.api("/rooms"))
            .json(&json!({ "name": name }))
            .send()
            .await
            .expect("create room")
    }

    pub async fn join_room(&self, name: &str) -> reqwest::Response {
        self.http
            .post(self.api(&format!("/rooms/{}/members", encode(name))))
            .send()
            .await
            .expect("join room")
    }

    /// `PUT /rooms/{room}/membership` with `{"notify": level}`.
    pub async fn set_notify(&self, room: &str, level: &str) -> reqwest::Response {
        self.http
            .put(self.api(&format!("/rooms/{}/membership", encode(room))))
            .json(&json!({ "notify": level }))
            .send()
            .await
            .expect("PUT membership")
    }

    /// Joins `room` and counts every message there as unread (the level badges show
    /// numbers at).
    pub async fn join_counting_all(&self, room: &str) {
        assert_eq!(self.join_room(room).await.status(), StatusCode::CREATED);
        assert_eq!(self.set_notify(room, "all").await.status(), StatusCode::OK);
    }

    /// `DELETE /rooms/{room}/members/me`.
    pub async fn leave_room(&self, room: &str) -> reqwest::Response {
        self.http
            .delete(self.api(&format!("/rooms/{}/members/me", encode(room))))
            .send()
            .await
            .expect("DELETE membership")
    }

    /// `DELETE /account` with the test password: deletes this account.
    pub async fn delete_account(&self) -> reqwest::Response {
        self.call(
            reqwest::Method::DELETE,
            "/account",
            Some(json!({ "password": PASSWORD })),
        )
        .await
    }

    /// `POST /direct` with `{"users": users}`.
    pub async fn open_direct(&self, users: &[&str]) -> reqwest::Response {
        self.http
            .post(self.api("/direct"))
            .json(&json!({ "users": users }))
            .send()
            .await
            .expect("POST direct")
    }

    pub async fn post_message(&self, room: &str, text: &str) -> reqwest::Response {
        self.http
            .post(self.api(&format!("/rooms/{}/messages", encode(room))))
            .json(&json!({ "text": text }))
            .send()
            .await
            .expect("post message")
    }

    /// Posts a message and returns its id.
    pub async fn say(&self, room: &str, text: &str) -> i64 {
        let response = self.post_message(room, text).await;
        assert_eq!(response.status(), StatusCode::CREATED, "posting to {room}");
        let body: Value = response.json().await.expect("json");
        body["id"].as_i64().expect("an id")
    }

    /// `PATCH /messages/{id}` with `{"text": text}`.
    pub async fn edit_message(&self, id: i64, text: &str) -> reqwest::Response {
        self.http
            .patch(self.api(&format!("/messages/{id}")))
            .json(&json!({ "text": text }))
            .send()
            .await
            .expect("PATCH a message")
    }

    /// `DELETE /messages/{id}`.
    pub async fn delete_message(&self, id: i64) -> reqwest::Response {
        self.http
            .delete(self.api(&format!("/messages/{id}")))
            .send()
            .await
            .expect("DELETE a message")
    }

    /// `PUT /messages/{id}/reactions/{emoji}`, the emoji percent-encoded.
    pub async fn react(&self, id: i64, emoji: &str) -> reqwest::Response {
        self.http
            .put(self.api(&format!("/messages/{id}/reactions/{}", encode(emoji))))
            .send()
            .await
            .expect("PUT a reaction")
    }

    /// `DELETE /messages/{id}/reactions/{emoji}`, the emoji percent-encoded.
    pub async fn unreact(&self, id: i64, emoji: &str) -> reqwest::Response {
        self.http
            .delete(self.api(&format!("/messages/{id}/reactions/{}", encode(emoji))))
            .send()
            .await
            .expect("DELETE a reaction")
    }

    /// `GET /rooms/{room}/events{query}`, which must succeed: the events, oldest first.
    pub async fn events(&self, room: &str, query: &str) -> Vec<Value> {
        let response = self
            .get(&format!("/api/v1/rooms/{}/events{query}", encode(room)))
            .await;
        assert_eq!(response.status(), StatusCode::OK, "events of {room}{query}");
        response.json().await.expect("a JSON list of events")
    }

    /// `method` on `/api/v1{path}` with a JSON body (or none), whatever the answer.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self.http.request(method, self.api(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("an API call")
    }

    /// `DELETE /session`: logs this client out.
    pub async fn log_out(&self) -> reqwest::Response {
        self.http
            .delete(self.api("/session"))
            .send()
            .await
            .expect("DELETE session")
    }

    /// `PUT /users/me/avatar` with `bytes` as the file `me.png`.
    pub async fn put_avatar(&self, bytes: Vec<u8>) -> reqwest::Response {
        let part = reqwest::multipart::Part::bytes(bytes).file_name("me.png");
        self.http
            .put(self.api("/users/me/avatar"))
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .expect("PUT avatar")
    }

    /// The texts of a room's newest page of messages, oldest first.
    pub async fn texts(&self, room: &str) -> Vec<String> {
        let path = format!("/api/v1/rooms/{}/messages", encode(room));
        let history: Vec<Value> = self.get(&path).await.json().await.expect("a history");
        history
            .iter()
            .map(|m| m["text"].as_str().expect("a text").to_owned())
            .collect()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    /// `POST /rooms/{room}/files`: `bytes` as the file `name`, with `text` if given.
    pub async fn upload(
        &self,
        room: &str,
        name: &str,
        bytes: Vec<u8>,
        text: Option<&str>,
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
        if let Some(text) = text {
            form = form.text("text", text.to_owned());
        }
        self.http
            .post(self.api(&format!("/rooms/{}/files", encode(room))))
            .multipart(form)
            .send()
            .await
            .expect("POST a file")
    }

    /// Uploads a file, which must be stored: the message's `attachment`.
    pub async fn attach(&self, room: &str, name: &str, bytes: Vec<u8>) -> Value {
        let response = self.upload(room, name, bytes, None).await;
        assert_eq!(response.status(), StatusCode::CREATED, "uploading {name}");
        let message: Value = response.json().await.expect("a message");
        message["attachment"].clone()
    }

    /// Opens a WebSocket at `path` with this user's cookie (and any extra headers).
    pub async fn ws(&self, path: &str) -> Ws {
        self.try_ws(path, &[]).await.expect("WebSocket connects")
    }

    pub async fn try_ws(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
        let mut request = format!("ws://{}{}", self.addr, path)
            .into_client_request()
            .expect("a request");
        if let Some(cookie) = self.cookie() {
            request.headers_mut().insert("cookie", cookie);
        }
        for (name, value) in headers {
            let name =
                tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
                    .expect("a header name");
            request
                .headers_mut()
                .insert(name, value.parse().expect("a header"));
        }
        tokio_tungstenite::connect_async(request)
            .await
            .map(|(ws, _)| ws)
    }
}

/// Percent-encodes a path segment.
pub fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The next text frame, as JSON, within `secs` seconds (pings and pongs skipped).
pub async fn next_json(ws: &mut Ws, secs: u64) -> Value {
    let text = next_text(ws, secs).await;
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON frame, got {text}"))
}

/// The next text frame within `secs` seconds.
pub async fn next_text(ws: &mut Ws, secs: u64) -> String {
    let deadline = Duration::from_secs(secs);
    loop {
        let frame = tokio::time::timeout(deadline, ws.next())
            .await
            .expect("a frame in time")
            .expect("the socket is open")
            .expect("a frame");
        match frame {
            Message::Text(text) => return text.to_string(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// The next message frame (skipping any other frame types) within `secs` seconds.
pub async fn next_message(ws: &mut Ws, secs: u64) -> Value {
    loop {
        let frame = next_json(ws, secs).await;
        if frame["type"] == "message" {
            return frame;
        }
    }
}

pub async fn send_json(ws: &mut Ws, value: Value) {
    ws.send(Message::text(value.to_string()))
        .await
        .expect("send a frame");
}

/// Whether nothing but pings arrives for `millis`.
pub async fn stays_quiet(ws: &mut Ws, millis: u64) -> bool {
    let until = tokio::time::Instant::now() + Duration::from_millis(millis);
    loop {
        match tokio::time::timeout_at(until, ws.next()).await {
            Err(_) => return true,
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(_) => return false,
        }
    }
}

/// Reads frames until the server closes the socket; returns the close code, if any.
pub async fn close_code(ws: &mut Ws, secs: u64) -> Option<u16> {
    let until = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(until, ws.next())
            .await
            .expect("the socket closes in time")
        {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}

/// `object` carries every field the spec names (it may carry more).
pub fn assert_has_fields(object: &Value, fields: &[&str]) {
    let object = object.as_object().expect("an object");
    for field in fields {
        assert!(object.contains_key(*field), "no {field:?} in {object:?}");
    }
}

/// `value` is an RFC 3339 time in UTC, within a minute of now; returns it.
pub fn assert_recent_utc(value: &Value) -> OffsetDateTime {
    let text = value.as_str().expect("a time string");
    let time = OffsetDateTime::parse(text, &Rfc3339).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert!(time.offset().is_utc(), "{text} is not UTC");
    let age = OffsetDateTime::now_utc() - time;
    assert!(age.whole_seconds().abs() < 60, "{text} is not now");
    time
}

/// The `type` of each event, in the order given.
pub fn kinds(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| {
            e["type"]
                .as_str()
                .unwrap_or_else(|| panic!("a type in {e}"))
        })
        .collect()
}

/// The `seq` of each event or message, in the order given.
pub fn seqs(frames: &[Value]) -> Vec<i64> {
    frames
        .iter()
        .map(|f| f["seq"].as_i64().unwrap_or_else(|| panic!("a seq in {f}")))
        .collect()
}

/// Asserts `seqs` run `from`, `from + 1`, … with no gap and no repeat.
pub fn assert_consecutive_from(seqs: &[i64], from: i64) {
    let expected: Vec<i64> = (from..from + seqs.len() as i64).collect();
    assert_eq!(
        seqs, expected,
        "seqs must run on from {from}, no gap, no repeat"
    );
}

/// What a reader knows of each message once it has applied `events` (the event
/// objects of `/events` or the JSON socket) in order: id → `{text, deleted, reactions}`.
pub fn fold_events<'a>(events: impl IntoIterator<Item = &'a Value>) -> BTreeMap<i64, Value> {
    let mut state = BTreeMap::new();
    for event in events {
        let id = event["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("an id in {event}"));
        match event["type"].as_str() {
            Some("message") => {
                state.insert(id, message_state(event));
            }
            Some(kind) => {
                let message = state
                    .get_mut(&id)
                    .unwrap_or_else(|| panic!("{kind} of message {id}, never seen created"));
                match kind {
                    "edit" => message["text"] = event["text"].clone(),
                    "reactions" => message["reactions"] = event["reactions"].clone(),
                    "delete" => {
                        *message = json!({ "text": "", "deleted": true, "reactions": [] });
                    }
                    other => panic!("an unknown event type {other}: {event}"),
                }
            }
            None => panic!("an event without a type: {event}"),
        }
    }
    state
}

/// The same view of each message as a history page shows it.
pub fn state_of(messages: &[Value]) -> BTreeMap<i64, Value> {
    messages
        .iter()
        .map(|m| (m["id"].as_i64().expect("an id"), message_state(m)))
        .collect()
}

fn message_state(message: &Value) -> Value {
    json!({
        "text": message["text"],
        "deleted": message["deleted"],
        "reactions": message["reactions"],
    })
}

/// Every row of a one-column text query against the test's database, SQLite or
/// PostgreSQL, read directly (not through Hearth).
pub async fn text_column(database_url: &str, sql: &'static str) -> Vec<String> {
    if database_url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(database_url)
            .await
            .expect("connect to PostgreSQL");
        let rows = sqlx::query_scalar(sql)
            .fetch_all(&pool)
            .await
            .expect("query");
        pool.close().await;
        rows
    } else {
        let pool = sqlx::SqlitePool::connect(database_url)
            .await
            .expect("open SQLite");
        let rows = sqlx::query_scalar(sql)
            .fetch_all(&pool)
            .await
            .expect("query");
        pool.close().await;
        rows
    }
}

/// Everything the servers in this test binary log (at `info` and above), from the
/// first call on: a global subscriber writing to memory.
pub fn captured_logs() -> String {
    static LOGS: std::sync::OnceLock<Arc<std::sync::Mutex<Vec<u8>>>> = std::sync::OnceLock::new();
    let logs = LOGS.get_or_init(|| {
        let logs = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = Arc::clone(&logs);
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || LogSink(Arc::clone(&sink)))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
        logs
    });
    String::from_utf8_lossy(&logs.lock().unwrap()).into_owned()
}

struct LogSink(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
