//! What survives a restart: users, sessions, rooms, memberships and messages, first
//! with the in-process server, then with the real `hearth` binary stopped by SIGTERM.

use std::{
    net::SocketAddr,
    path::Path,
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

async fn json_at(user: &User, path: &str) -> Value {
    let response = user.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.json().await.expect("json")
}

async fn messages_in(user: &User, room: &str) -> Value {
    json_at(user, &format!("/api/v1/rooms/{}/messages", encode(room))).await
}

fn ids(messages: &Value) -> Vec<i64> {
    let list = messages.as_array().expect("a list");
    list.iter()
        .map(|m| m["id"].as_i64().expect("an id"))
        .collect()
}

#[tokio::test]
async fn users_sessions_rooms_and_messages_survive_a_restart() {
    let app = spawn_app().await;
    let mut alice = app.user("alice").await;
    let mut bob = app.user("张伟明").await;
    let mut carol = app.user("carol").await;
    assert_eq!(
        alice.create_room("General").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        bob.create_room("茶水间").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        alice.join_room("茶水间").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(bob.join_room("General").await.status(), StatusCode::CREATED);
    alice.say("General", "Morning, everyone").await;
    bob.say("General", "早上好！☕").await;
    alice.say("茶水间", "🔥🎉 emoji too 👩‍👩‍👧").await;
    bob.say("茶水间", "你好，世界").await;
    // Carol logs out before the restart: her session must stay revoked after it.
    let carol_cookie = carol.cookie().expect("a cookie");
    let logout = carol.http.delete(carol.api("/session")).send().await;
    assert_eq!(logout.expect("DELETE").status(), StatusCode::NO_CONTENT);

    let alice_rooms = json_at(&alice, "/api/v1/rooms?scope=joined").await;
    let all_rooms = json_at(&alice, "/api/v1/rooms?scope=all").await;
    let memberships: Vec<(&str, i64)> = (alice_rooms.as_array().expect("a list").iter())
        .map(|r| {
            (
                r["name"].as_str().expect("a name"),
                r["members"].as_i64().expect("a count"),
            )
        })
        .collect();
    assert_eq!(memberships, [("General", 2), ("茶水间", 2)]);
    let general = messages_in(&alice, "General").await;
    let tea = messages_in(&bob, "茶水间").await;
    assert_eq!(ids(&general).len(), 2);
    let newest_before = *ids(&general).iter().chain(&ids(&tea)).max().expect("ids");

    let app = app.restart().await;
    for user in [&mut alice, &mut bob, &mut carol] {
        user.addr = app.addr;
    }

    // The same browsers are still logged in; the one that logged out is not.
    assert_eq!(
        json_at(&alice, "/api/v1/session").await["username"],
        "alice"
    );
    assert_eq!(json_at(&bob, "/api/v1/session").await["username"], "张伟明");
    assert_eq!(
        carol.get("/api/v1/session").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let replay = app.client();
    let old = replay
        .http
        .get(app.api("/session"))
        .header("Cookie", carol_cookie);
    assert_eq!(
        old.send().await.expect("GET").status(),
        StatusCode::UNAUTHORIZED
    );

    // Rooms, memberships and messages are all there, with the same ids and text.
    assert_eq!(
        json_at(&alice, "/api/v1/rooms?scope=joined").await,
        alice_rooms
    );
    assert_eq!(json_at(&alice, "/api/v1/rooms?scope=all").await, all_rooms);
    assert_eq!(messages_in(&bob, "General").await, general);
    assert_eq!(messages_in(&alice, "茶水间").await, tea);
    assert_eq!(tea[0]["text"], "🔥🎉 emoji too 👩‍👩‍👧");
    assert_eq!(tea[1]["text"], "你好，世界");
    let page = alice.get(&format!("/rooms/{}", encode("茶水间"))).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("a page");
    assert!(html.contains("你好，世界") && html.contains("🔥🎉 emoji too"));

    // Passwords still work, and new messages come after the old ones.
    let fresh = app.client();
    let login = fresh
        .http
        .post(app.api("/session"))
        .json(&json!({ "username": "carol", "password": PASSWORD }))
        .send()
        .await
        .expect("POST");
    assert_eq!(login.status(), StatusCode::OK);
    let newer = alice.say("General", "Still here after the restart").await;
    assert!(newer > newest_before, "{newer} > {newest_before}");
    let later = bob.say("茶水间", "我也在").await;
    assert!(later > newer);
}

// ---- the real binary -----------------------------------------------------------------

/// A `hearth` process; killed if the test ends before it stops.
struct Hearth {
    child: Child,
    addr: SocketAddr,
}

impl Hearth {
    /// Starts the binary on a free port with `database` and waits until it is healthy.
    async fn start(dir: &Path, log: &str) -> Hearth {
        // Nothing tells us which port `--addr 127.0.0.1:0` chose: find a free one first.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let log = std::fs::File::create(dir.join(log)).expect("a log file");
        let child = Command::new(env!("CARGO_BIN_EXE_hearth"))
            .arg("--addr")
            .arg(addr.to_string())
            .env(
                "DATABASE_URL",
                format!("sqlite:{}", dir.join("hearth.db").display()),
            )
            .env_remove("HEARTH_ADDR")
            .env_remove("HEARTH_SECURE_COOKIES")
            // One node on its own file: no Redis, whatever the environment says.
            .env_remove("REDIS_URL")
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a log file"))
            .stderr(log)
            .spawn()
            .expect("hearth starts");
        let mut hearth = Hearth { child, addr };
        hearth.wait_until_healthy().await;
        hearth
    }

    async fn wait_until_healthy(&mut self) {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("a child") {
                panic!("hearth exited early: {status}");
            }
            let health = http
                .get(format!("http://{}/healthz", self.addr))
                .timeout(Duration::from_secs(1))
                .send()
                .await;
            if health.is_ok_and(|r| r.status() == StatusCode::OK) {
                return;
            }
            assert!(Instant::now() < deadline, "hearth became healthy in time");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends SIGTERM and returns the exit status, if it came within `limit`.
    async fn terminate(&mut self, limit: Duration) -> Option<ExitStatus> {
        let sent = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM was sent");
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("a child") {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    fn user(&self, name: &str) -> User {
        User {
            name: name.to_owned(),
            ..client_at(self.addr)
        }
    }
}

impl Drop for Hearth {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn log_of(dir: &Path) -> String {
    ["first.log", "second.log"]
        .iter()
        .map(|name| std::fs::read_to_string(dir.join(name)).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// SQLite's header says WAL when bytes 18 and 19 (write and read versions) are 2.
fn is_wal(database: &Path) -> bool {
    let header = std::fs::read(database).expect("the database file");
    header.get(18..20) == Some(&[2, 2][..])
}

#[tokio::test]
async fn the_binary_stops_cleanly_on_sigterm_and_keeps_everything_on_disk() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let database = dir.path().join("hearth.db");
    let mut first = Hearth::start(dir.path(), "first.log").await;
    assert!(database.exists(), "hearth.db is created");
    assert!(
        dir.path().join("hearth.db-wal").exists(),
        "SQLite runs in WAL mode"
    );

    let mut alice = first.user("alice");
    let registered = alice
        .http
        .post(alice.api("/users"))
        .json(&json!({ "username": "alice", "password": PASSWORD }))
        .send()
        .await
        .expect("POST");
    assert_eq!(registered.status(), StatusCode::CREATED);
    assert_eq!(
        alice.create_room("茶水间").await.status(),
        StatusCode::CREATED
    );
    let hello = alice.say("茶水间", "before the restart 🚀").await;
    let chinese = alice.say("茶水间", "重启之前").await;

    let status = first.terminate(Duration::from_secs(5)).await;
    let status = status.unwrap_or_else(|| panic!("stopped within 5 s\n{}", log_of(dir.path())));
    assert!(status.success(), "exit {status}\n{}", log_of(dir.path()));
    assert!(is_wal(&database), "the file stays in WAL mode");

    let second = Hearth::start(dir.path(), "second.log").await;
    alice.addr = second.addr;
    let session = alice.get("/api/v1/session").await;
    assert_eq!(session.status(), StatusCode::OK, "the session survived");
    let messages = messages_in(&alice, "茶水间").await;
    assert_eq!(ids(&messages), [hello, chinese]);
    assert_eq!(messages[0]["text"], "before the restart 🚀");
    assert_eq!(messages[1]["text"], "重启之前");
    assert!(alice.say("茶水间", "after").await > chinese);
}
