//! Issue 16, item 3: a logout that other nodes could not hear about (Redis was down)
//! still closes the user's sockets on them once the link is back, well before the
//! periodic re-check (60 s in these nodes) would have.

use std::time::Duration;

use crate::{helpers::*, nodes::Cluster};

/// Until `node`'s own health report says its Redis link is `state`.
async fn until_redis_is(node: &TestApp, state: &str) {
    let client = reqwest::Client::new();
    for _ in 0..200 {
        let health: serde_json::Value = client
            .get(node.url("/healthz"))
            .send()
            .await
            .expect("GET /healthz")
            .json()
            .await
            .expect("JSON");
        if health["redis"] == state {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the node's Redis link never became {state}");
}

#[tokio::test]
async fn a_logout_made_while_redis_is_down_closes_sockets_on_other_nodes_once_it_is_back() {
    let mut cluster = Cluster::start(2).await;
    let ann = cluster.node(0).user("ann").await;
    assert_eq!(ann.create_room("hall").await.status(), 201);
    // The same login, with a socket on the other node.
    let mut on_node_b = ann.via(cluster.node(1)).ws("/api/v1/rooms/hall/ws").await;

    cluster.redis.stop();
    until_redis_is(cluster.node(0), "down").await;
    until_redis_is(cluster.node(1), "down").await;
    let response = ann.log_out().await;
    assert_eq!(response.status(), 204, "logged out through node A");
    assert!(
        stays_quiet(&mut on_node_b, 1000).await,
        "node B cannot have heard of it yet"
    );

    cluster.redis.start();
    assert_eq!(
        close_code(&mut on_node_b, 20).await,
        Some(1008),
        "closed once node B's link is back and it re-checks its sockets"
    );
}
