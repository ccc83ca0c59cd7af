//! A test cluster: one fresh PostgreSQL database, a Redis server of the test's own
//! (so a test can stop and restart it), and Hearth nodes in this process or as
//! separate processes (so one can be killed with SIGKILL).

use std::{
    net::{SocketAddr, TcpListener},
    process::{Child, Command, Stdio},
    time::Duration,
};

use hearth::Config;

use crate::helpers::{TestApp, fresh_database, start_node};

/// A free loopback port (bound, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    fn new() -> Self {
        let mut server = Self {
            port: free_port(),
            child: None,
        };
        server.start();
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts (again) on the same port and waits until it answers.
    pub fn start(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed (scripts/test.sh installs it)");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not start");
    }

    /// Kills the server: every node's link drops at once.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A Hearth node running as its own process.
pub struct NodeProcess {
    pub addr: SocketAddr,
    child: Child,
    /// Where its log goes (warnings and errors).
    log: tempfile::NamedTempFile,
}

impl NodeProcess {
    /// SIGKILL: no goodbye to anyone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, as a deployment stops a node: how long it took to exit, and its log.
    pub fn terminate(&mut self) -> (Duration, String) {
        let pid = self.child.id() as libc::pid_t;
        let asked = std::time::Instant::now();
        // SAFETY: sending a signal to our own child, which has not been reaped.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let status = self.child.wait().expect("the node exits");
        let took = asked.elapsed();
        assert!(status.success(), "a clean exit: {status}");
        let log = std::fs::read_to_string(self.log.path()).unwrap_or_default();
        (took, log)
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

pub struct Cluster {
    pub database_url: String,
    pub redis: RedisServer,
    nodes: Vec<TestApp>,
}

impl Cluster {
    /// `count` in-process nodes on one new database and one new Redis.
    pub async fn start(count: usize) -> Self {
        assert!(
            std::env::var("HEARTH_TEST_DATABASE_URL").is_ok(),
            "the cluster tests need PostgreSQL: run them through scripts/test.sh"
        );
        let (database_url, _) = fresh_database().await;
        let redis = RedisServer::new();
        let mut nodes = Vec::new();
        for _ in 0..count {
            let mut config = Config::for_tests(database_url.clone());
            config.redis_url = Some(redis.url());
            // These tests are about delivery: people here may write as fast as they like.
            config.message_rate = 10_000.0;
            config.message_burst = 10_000.0;
            nodes.push(start_node(config).await);
        }
        let cluster = Self {
            database_url,
            redis,
            nodes,
        };
        cluster.wait_for_redis().await;
        cluster
    }

    pub fn node(&self, i: usize) -> &TestApp {
        &self.nodes[i]
    }

    /// Until every node reports its Redis link up.
    async fn wait_for_redis(&self) {
        for node in &self.nodes {
            wait_for_redis(node, true).await;
        }
    }

    /// A node as a separate process of the real binary, on this cluster's database
    /// and Redis; returns once it is healthy.
    pub async fn spawn_process(&self) -> NodeProcess {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let log = tempfile::NamedTempFile::new().expect("a log file");
        let child = Command::new(env!("CARGO_BIN_EXE_hearth"))
            .env("HEARTH_ADDR", addr.to_string())
            .env("DATABASE_URL", &self.database_url)
            .env("REDIS_URL", self.redis.url())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log.reopen().expect("the log file"))
            .spawn()
            .expect("start the hearth binary");
        let node = NodeProcess { addr, child, log };
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(response) = client.get(format!("http://{addr}/healthz")).send().await {
                let health: serde_json::Value = response.json().await.unwrap();
                if health["redis"] == "ok" {
                    return node;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the node at {addr} never became healthy");
    }
}

/// Until `node` reports its Redis link up (or down).
pub async fn wait_for_redis(node: &TestApp, up: bool) {
    let client = reqwest::Client::new();
    for attempt in 0.. {
        let health: serde_json::Value = client
            .get(node.url("/healthz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if (health["redis"] == "ok") == up {
            return;
        }
        assert!(
            attempt < 200,
            "node never saw Redis {}: {health}",
            if up { "up" } else { "down" }
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
