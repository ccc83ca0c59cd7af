//! Several Hearth nodes as one chat: nodes share one PostgreSQL (from
//! `HEARTH_TEST_DATABASE_URL`) and one Redis each test starts itself, and clients on
//! different nodes must see every message once, in order, through Redis outages and
//! a node killed outright.

#[path = "../suite/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod hardening;
mod nodes;
#[path = "../suite/push_receiver.rs"]
mod push_receiver;

use std::{collections::HashSet, time::Duration};

use futures_util::{SinkExt, future::join_all};
use helpers::*;
use nodes::{Cluster, wait_for_redis};
use serde_json::{Value, json};

/// Every message id a socket receives until it has `count`, checking the room's seq
/// runs 1, 2, 3… with no gap or repeat from the first one received.
async fn collect(ws: &mut Ws, count: usize, secs: u64) -> Vec<Value> {
    let mut got: Vec<Value> = Vec::with_capacity(count);
    while got.len() < count {
        got.push(next_message(ws, secs).await);
    }
    got
}

fn assert_in_order_once(frames: &[Value]) {
    let ids: Vec<i64> = frames.iter().map(|f| f["id"].as_i64().unwrap()).collect();
    let seqs: Vec<i64> = frames.iter().map(|f| f["seq"].as_i64().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids strictly increase: {ids:?}"
    );
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "seqs have no gap or repeat: {seqs:?}"
    );
}

#[tokio::test]
async fn clients_on_different_nodes_see_every_message_once_and_in_order() {
    let cluster = Cluster::start(3).await;
    let ann = cluster.node(0).user("ann").await;
    assert_eq!(ann.create_room("hall").await.status(), 201);
    let bob = cluster.node(0).user("bob").await.via(cluster.node(1));
    let cyd = cluster.node(0).user("cyd").await.via(cluster.node(2));
    for member in [&bob, &cyd] {
        assert_eq!(member.join_room("hall").await.status(), 201);
    }
    let mut sockets = Vec::new();
    for member in [&ann, &bob, &cyd] {
        sockets.push(member.ws("/api/v1/rooms/hall/ws").await);
    }
    // Each member posts 30 messages through their own node, all at once.
    let posts = [&ann, &bob, &cyd].map(|member| async move {
        for n in 0..30 {
            member.say("hall", &format!("{} #{n}", member.name)).await;
        }
    });
    join_all(posts).await;
    for ws in &mut sockets {
        let frames = collect(ws, 90, 10).await;
        assert_in_order_once(&frames);
        let texts: HashSet<&str> = frames.iter().map(|f| f["text"].as_str().unwrap()).collect();
        assert_eq!(texts.len(), 90, "every message arrives, once");
        assert!(stays_quiet(ws, 300).await, "and nothing more");
    }
}

#[tokio::test]
async fn online_and_unread_counts_agree_across_nodes() {
    let cluster = Cluster::start(2).await;
    let ann = cluster.node(0).user("ann").await;
    let bob_here = cluster.node(0).user("bob").await;
    let bob = bob_here.via(cluster.node(1));
    ann.create_room("hall").await;
    ann.create_room("side").await;
    bob.join_room("hall").await;
    bob.join_room("side").await;
    // Bob counts every message in the side room (its badge shows a number).
    assert_eq!(bob.set_notify("side", "all").await.status(), 200);

    // Bob watches the hall on node 1; Ann opens it on node 0.
    let mut bob_page = bob.ws("/rooms/hall/ws").await;
    send_json(&mut bob_page, json!({ "after_seq": "0" })).await;
    let mut ann_page = ann.ws("/rooms/hall/ws").await;
    send_json(&mut ann_page, json!({ "after_seq": "0" })).await;
    wait_for_online(&mut bob_page, 2).await;
    wait_for_online(&mut ann_page, 2).await;

    // Ann writes in the side room through node 0: Bob's badge on node 1 counts it.
    let side_id = room_id(&ann, "side").await;
    ann.say("side", "over here").await;
    ann.say("side", "and again").await;
    let badge = wait_for_fragment(&mut bob_page, &format!("id=\"unread-{side_id}\"")).await;
    let badge = if badge.contains(">2<") {
        badge
    } else {
        wait_for_fragment(&mut bob_page, &format!("id=\"unread-{side_id}\"")).await
    };
    assert!(
        badge.contains(">2<"),
        "two unread on the other node: {badge}"
    );

    // Ann leaves: Bob's node hears it.
    drop(ann_page);
    wait_for_online(&mut bob_page, 1).await;
}

#[tokio::test]
async fn a_two_second_redis_outage_loses_no_message() {
    let mut cluster = Cluster::start(2).await;
    let ann = cluster.node(0).user("ann").await;
    let bob = cluster.node(0).user("bob").await.via(cluster.node(1));
    ann.create_room("hall").await;
    bob.join_room("hall").await;
    let mut bob_ws = bob.ws("/api/v1/rooms/hall/ws").await;
    let mut ann_ws = ann.ws("/api/v1/rooms/hall/ws").await;

    for n in 0..10 {
        ann.say("hall", &format!("before {n}")).await;
    }
    cluster.redis.stop();
    for n in 0..10 {
        ann.say("hall", &format!("during {n}")).await;
        bob.say("hall", &format!("bob during {n}")).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    cluster.redis.start();
    for n in 0..10 {
        ann.say("hall", &format!("after {n}")).await;
    }
    for ws in [&mut bob_ws, &mut ann_ws] {
        let frames = collect(ws, 40, 15).await;
        assert_in_order_once(&frames);
    }
    let health: Value = bob.get("/healthz").await.json().await.unwrap();
    assert_eq!(health["redis"], "ok", "the link is back: {health}");
    let metrics = bob.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("hearth_redis_reconnects_total ") && !l.ends_with(" 0")),
        "the reconnect is counted: {metrics}"
    );
}

#[tokio::test]
async fn many_writers_on_many_nodes_never_leave_a_resume_point_behind() {
    let cluster = Cluster::start(3).await;
    let owner = cluster.node(0).user("owner").await;
    owner.create_room("busy").await;
    let mut writers = Vec::new();
    for n in 0..6 {
        let writer = cluster
            .node(0)
            .user(&format!("writer{n}"))
            .await
            .via(cluster.node(n % 3));
        writer.join_room("busy").await;
        writers.push(writer);
    }
    let mut reader = owner.ws("/api/v1/rooms/busy/ws").await;
    join_all(writers.iter().map(|w| async move {
        for n in 0..40 {
            w.say("busy", &format!("{} {n}", w.name)).await;
        }
    }))
    .await;
    let seen = collect(&mut reader, 240, 15).await;
    assert_in_order_once(&seen);
    // Resuming after any message seen gives exactly the messages after it.
    let all_ids: Vec<i64> = seen.iter().map(|f| f["id"].as_i64().unwrap()).collect();
    for (i, id) in all_ids.iter().enumerate().step_by(37) {
        let mut resumed = owner.ws(&format!("/api/v1/rooms/busy/ws?after={id}")).await;
        let rest = collect(&mut resumed, all_ids.len() - i - 1, 10).await;
        let rest_ids: Vec<i64> = rest.iter().map(|f| f["id"].as_i64().unwrap()).collect();
        assert_eq!(rest_ids, all_ids[i + 1..], "resuming after {id}");
    }
}

/// PostgreSQL stores a run of messages to one room with one statement: under eight
/// concurrent writers on two nodes (half through sockets, which keep many messages in
/// flight, so runs are long), commit order is still seq order is id order.
#[tokio::test]
async fn batched_writes_keep_seq_order_equal_to_id_order_under_eight_writers_on_two_nodes() {
    let cluster = Cluster::start(2).await;
    let owner = cluster.node(0).user("owner").await;
    owner.create_room("ledger").await;
    let mut writers = Vec::new();
    for n in 0..8 {
        let writer = cluster
            .node(0)
            .user(&format!("scribe{n}"))
            .await
            .via(cluster.node(n % 2));
        writer.join_room("ledger").await;
        writers.push(writer);
    }
    let mut reader = owner.ws("/api/v1/rooms/ledger/ws").await;
    join_all(writers.iter().enumerate().map(|(n, w)| async move {
        if n < 4 {
            for k in 0..30 {
                w.say("ledger", &format!("{} api {k}", w.name)).await;
            }
        } else {
            let mut ws = w.ws("/api/v1/rooms/ledger/ws").await;
            for k in 0..30 {
                send_json(&mut ws, json!({ "text": format!("{} socket {k}", w.name) })).await;
            }
            // Every one acknowledged (echoed) before the socket goes.
            let mut mine = 0;
            while mine < 30 {
                let frame = next_json(&mut ws, 15).await;
                if frame["type"] == "message" && frame["sender"] == w.name.as_str() {
                    mine += 1;
                }
            }
        }
    }))
    .await;
    let seen = collect(&mut reader, 240, 20).await;
    assert_in_order_once(&seen);
    // The stored rows: by id, their seqs only rise.
    let rows = history(&owner, "ledger").await;
    assert_eq!(rows.len(), 240);
    let pairs: Vec<(i64, i64)> = rows
        .iter()
        .map(|m| (m["id"].as_i64().unwrap(), m["seq"].as_i64().unwrap()))
        .collect();
    for pair in pairs.windows(2) {
        assert!(pair[0].0 < pair[1].0 && pair[0].1 < pair[1].1, "{pair:?}");
    }
    let seqs: Vec<i64> = pairs.iter().map(|p| p.1).collect();
    assert_consecutive_from(&seqs, seqs[0]);
}

#[tokio::test]
async fn clients_of_a_killed_node_resume_on_another_and_miss_nothing() {
    let cluster = Cluster::start(0).await;
    let mut first = cluster.spawn_process().await;
    let second = cluster.spawn_process().await;
    let ann = client_at(first.addr).register("ann").await;
    let bob = client_at(second.addr).register("bob").await;
    ann.create_room("hall").await;
    bob.join_room("hall").await;
    let mut ann_ws = ann.ws("/api/v1/rooms/hall/ws").await;
    let mut last = 0;
    for n in 0..5 {
        bob.say("hall", &format!("live {n}")).await;
    }
    for frame in collect(&mut ann_ws, 5, 10).await {
        last = frame["id"].as_i64().unwrap();
    }
    first.kill();
    assert!(
        close_code(&mut ann_ws, 5).await.is_none(),
        "a killed node sends no close frame"
    );
    for n in 0..5 {
        bob.say("hall", &format!("while ann was away {n}")).await;
    }
    // Ann's client reconnects to the surviving node and resumes.
    let ann_again = ann.via_addr(second.addr);
    let mut resumed = ann_again
        .ws(&format!("/api/v1/rooms/hall/ws?after={last}"))
        .await;
    let missed = collect(&mut resumed, 5, 10).await;
    assert_in_order_once(&missed);
    assert!(missed.iter().all(|f| {
        f["text"]
            .as_str()
            .unwrap()
            .starts_with("while ann was away")
    }));
    bob.say("hall", "and live again").await;
    assert_eq!(
        next_message(&mut resumed, 5).await["text"],
        "and live again"
    );
}

/// Every event frame a socket receives until the one with seq `last`, checking they
/// run on from `first` with no gap or repeat.
async fn events_through(ws: &mut Ws, first: i64, last: i64, secs: u64) -> Vec<Value> {
    let mut got: Vec<Value> = Vec::new();
    while got.last().is_none_or(|f| f["seq"].as_i64() < Some(last)) {
        let frame = next_json(ws, secs).await;
        assert!(
            ["message", "edit", "delete", "reactions"]
                .contains(&frame["type"].as_str().unwrap_or("")),
            "an event frame: {frame}"
        );
        got.push(frame);
    }
    assert_consecutive_from(&seqs(&got), first);
    got
}

/// The whole history of `room`, oldest first, tombstones included.
async fn history(user: &User, room: &str) -> Vec<Value> {
    let mut all: Vec<Value> = Vec::new();
    loop {
        let after = all.last().map_or(0, |m| m["id"].as_i64().unwrap());
        let page: Vec<Value> = user
            .get(&format!(
                "/api/v1/rooms/{room}/messages?after={after}&limit=200"
            ))
            .await
            .json()
            .await
            .unwrap();
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

/// People on both nodes change the room's messages at once: edits, deletes, reactions.
async fn churn(writers: &[&User], ids: &[i64]) {
    const EMOJI: [&str; 3] = ["👍", "🎉", "👀"];
    join_all(writers.iter().enumerate().map(|(w, writer)| async move {
        for (n, id) in ids.iter().enumerate() {
            // Each writer reacts to every message (some since deleted: 404), takes some
            // reactions back, and edits (only their own: 403) and deletes some.
            let reacted = writer.react(*id, EMOJI[w]).await.status();
            assert!([200, 404].contains(&reacted.as_u16()), "{reacted}");
            if n % 4 == w {
                let taken = writer.unreact(*id, EMOJI[w]).await.status();
                assert!([200, 404].contains(&taken.as_u16()), "{taken}");
            }
            let text = format!("{} edited {n}", writer.name);
            let edited = writer.edit_message(*id, &text).await.status();
            assert!([200, 403, 404].contains(&edited.as_u16()), "{edited}");
            if edited == 200 && n % 5 == 0 {
                assert_eq!(writer.delete_message(*id).await.status(), 204);
            }
        }
    }))
    .await;
}

#[tokio::test]
async fn edits_deletes_and_reactions_reach_sockets_on_another_node_in_seq_order() {
    let cluster = Cluster::start(2).await;
    let (a, b) = (cluster.node(0), cluster.node(1));
    let ann = a.user("ann").await;
    let bob = a.user("bob").await.via(b);
    let cyd = b.user("cyd").await;
    ann.create_room("hall").await;
    bob.join_room("hall").await;
    cyd.join_room("hall").await;
    // Subscribers mostly on node B; one on A for comparison.
    let mut sockets = Vec::new();
    for member in [&bob, &cyd, &bob, &ann] {
        sockets.push(member.ws("/api/v1/rooms/hall/ws?after_seq=0").await);
    }
    let mut ids = Vec::new();
    for n in 0..12 {
        for member in [&ann, &bob, &cyd] {
            ids.push(member.say("hall", &format!("{} #{n}", member.name)).await);
        }
    }

    churn(&[&ann, &bob, &cyd], &ids).await;
    let last: Value = ann
        .post_message("hall", "the end")
        .await
        .json()
        .await
        .unwrap();
    let last = last["seq"].as_i64().unwrap();

    let expected = state_of(&history(&bob, "hall").await);
    assert_eq!(
        state_of(&history(&ann, "hall").await),
        expected,
        "both nodes agree"
    );
    assert!(expected.values().any(|m| m["deleted"] == true));
    assert!(expected.values().any(|m| m["reactions"] != json!([])));
    let mut streams = Vec::new();
    for ws in &mut sockets {
        let frames = events_through(ws, 1, last, 15).await;
        assert_eq!(fold_events(&frames), expected, "the final state agrees");
        assert!(stays_quiet(ws, 300).await, "and nothing more");
        streams.push(frames);
    }
    // The same events in the same order everywhere. Node B's own sockets share its
    // deliveries frame for frame; node A's may differ in between (a gap filled from the
    // database reads what is there by then: a later edit or delete shows through).
    let order = |frames: &[Value]| -> Vec<(Value, Value, Value)> {
        let key = |f: &Value| (f["seq"].clone(), f["type"].clone(), f["id"].clone());
        frames.iter().map(key).collect()
    };
    for stream in &streams[1..3] {
        assert_eq!(
            stream, &streams[0],
            "sockets on node B saw the very same frames"
        );
    }
    assert_eq!(
        order(&streams[3]),
        order(&streams[0]),
        "node A saw the same events"
    );
}

#[tokio::test]
async fn changes_made_through_a_redis_outage_still_arrive_in_seq_order() {
    let mut cluster = Cluster::start(2).await;
    let ann = cluster.node(0).user("ann").await;
    let bob = cluster.node(0).user("bob").await.via(cluster.node(1));
    ann.create_room("hall").await;
    bob.join_room("hall").await;
    let mut bob_ws = bob.ws("/api/v1/rooms/hall/ws?after_seq=0").await;
    let mut ids = Vec::new();
    for n in 0..10 {
        ids.push(ann.say("hall", &format!("before {n}")).await);
    }

    cluster.redis.stop();
    // Node B hears nothing of these until the link is back.
    for (n, id) in ids.iter().enumerate() {
        ann.edit_message(*id, &format!("edited during {n}")).await;
        ann.react(*id, "🔥").await;
        if n % 3 == 0 {
            ann.delete_message(*id).await;
        }
    }
    cluster.redis.start();
    let last: Value = ann
        .post_message("hall", "after")
        .await
        .json()
        .await
        .unwrap();
    let last = last["seq"].as_i64().unwrap();

    let frames = events_through(&mut bob_ws, 1, last, 20).await;
    assert_eq!(fold_events(&frames), state_of(&history(&bob, "hall").await));
}

async fn room_id(user: &User, room: &str) -> i64 {
    // The sidebar links carry each room's id.
    let html = user.get("/rooms").await.text().await.unwrap();
    let marker = format!(">{room}</span>");
    let at = html.find(&marker).expect("the room in the sidebar");
    let before = &html[..at];
    let start = before.rfind("id=\"room-").expect("a room id") + "id=\"room-".len();
    before[start..].split('"').next().unwrap().parse().unwrap()
}

/// Reads page-socket frames until the online count says `count`.
async fn wait_for_online(ws: &mut Ws, count: usize) {
    let needle = format!("id=\"online-count\" hx-swap-oob=\"true\">{count}<");
    wait_for_fragment(ws, &needle).await;
}

/// Reads page-socket frames until one contains `needle`; returns it.
async fn wait_for_fragment(ws: &mut Ws, needle: &str) -> String {
    loop {
        let text = next_text(ws, 10).await;
        if text.contains(needle) {
            return text;
        }
    }
}

#[tokio::test]
async fn logging_out_on_one_node_closes_that_sessions_sockets_on_another() {
    let cluster = Cluster::start(2).await;
    let ann = cluster.node(0).user("ann").await;
    ann.create_room("hall").await;
    let mut on_other_node = ann.via(cluster.node(1)).ws("/api/v1/rooms/hall/ws").await;
    let response = ann.log_out().await;
    assert_eq!(response.status(), 204);
    assert_eq!(close_code(&mut on_other_node, 5).await, Some(1008));
}

#[tokio::test]
async fn a_password_change_and_a_deactivation_on_one_node_close_sockets_on_another() {
    let cluster = Cluster::start(2).await;
    let (a, b) = (cluster.node(0), cluster.node(1));
    let admin = a.user("ada").await;
    let ann = a.user("ann").await;
    ann.create_room("hall").await;
    // Ann's phone is logged in through node B, with a socket there.
    let phone = b.client().log_in("ann").await;
    let mut phone_ws = phone.ws("/api/v1/rooms/hall/ws").await;
    let mut here_ws = ann.via(b).ws("/api/v1/rooms/hall/ws").await;
    let changed = change_password(&ann).await;
    assert_eq!(changed.status(), 204);
    assert_eq!(close_code(&mut phone_ws, 5).await, Some(1008));
    assert_eq!(phone.get("/api/v1/session").await.status(), 401);
    // The session that changed it keeps its socket on B.
    ann.say("hall", "still here").await;
    let frame = next_json(&mut here_ws, 5).await;
    assert_eq!(frame["text"], "still here");

    // Deactivated through node A: every socket of hers, on B too, closes.
    let off = admin
        .call(
            reqwest::Method::PUT,
            "/admin/users/ann/active",
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(off.status(), 204);
    assert_eq!(close_code(&mut here_ws, 5).await, Some(1008));
    assert_eq!(ann.via(b).get("/api/v1/session").await.status(), 401);
    let (_, status, body) = try_log_in(b, "ann", "brand new passphrase").await;
    assert_eq!(
        (status.as_u16(), body["code"].as_str()),
        (403, Some("account_deactivated"))
    );
}

#[tokio::test]
async fn typing_leaving_and_direct_rooms_reach_sockets_on_another_node() {
    let cluster = Cluster::start(2).await;
    let (a, b) = (cluster.node(0), cluster.node(1));
    let ann = a.user("ann").await;
    let bob = a.user("bob").await;
    ann.create_room("hall").await;
    bob.join_room("hall").await;
    let bob_there = bob.via(b);
    let mut bobs = bob_there.ws("/api/v1/rooms/hall/ws").await;
    let mut bobs_sidebar = bob_there.ws("/ws").await;

    // Typing on node 0 reaches node 1, though nothing is stored.
    let mut anns = ann.ws("/api/v1/rooms/hall/ws").await;
    anns.send(tokio_tungstenite::tungstenite::Message::text(
        json!({ "typing": true }).to_string(),
    ))
    .await
    .unwrap();
    assert_eq!(
        next_json(&mut bobs, 5).await,
        json!({ "type": "typing", "room": "hall", "user": "ann" })
    );
    // A direct room opened on node 0 appears in bob's sidebar on node 1.
    let opened = ann.open_direct(&["bob"]).await;
    assert_eq!(opened.status(), 201);
    let added = loop {
        let text = next_text(&mut bobs_sidebar, 5).await;
        if text.contains("dm-list") {
            break text;
        }
    };
    assert!(added.contains("href=\"/rooms/%40ann%2Cbob\""), "{added}");
    // Leaving on node 0 closes bob's socket on node 1.
    assert_eq!(bob.leave_room("hall").await.status(), 204);
    assert_eq!(close_code(&mut bobs, 5).await, Some(1008));
}

#[tokio::test]
async fn an_idle_node_linked_to_redis_stops_within_200_ms() {
    let cluster = Cluster::start(0).await;
    let mut node = cluster.spawn_process().await;
    // It has done some work: its writer, fan-out and Redis link have all run.
    let ann = client_at(node.addr).register("ann").await;
    ann.create_room("hall").await;
    ann.say("hall", "before the restart").await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let (took, log) = node.terminate();
    assert!(
        !log.contains("gave up waiting"),
        "nothing to wait for: {log}"
    );
    assert!(
        took < Duration::from_millis(200),
        "stopped in {took:?}: {log}"
    );
}

/// Issue 15: what nodes keep in memory never serves stale authority. A logout on one
/// node is refused on the next request to another (which kept the session: see the
/// next test), and a room page on one node shows an edit, a delete and a
/// departure made through another at once.
#[tokio::test]
async fn a_logout_or_an_edit_on_one_node_is_seen_on_the_next_request_to_another() {
    let cluster = Cluster::start(2).await;
    let (a, b) = (cluster.node(0), cluster.node(1));
    let ann = a.user("ann").await;
    let bob = a.user("bob").await;
    assert_eq!(ann.create_room("hall").await.status(), 201);
    bob.join_room("hall").await;
    let id = ann.say("hall", "first-wording").await;
    let bob_on_b = bob.via(b);
    for _ in 0..3 {
        let html = bob_on_b.get("/rooms/hall").await.text().await.unwrap();
        assert!(html.contains("first-wording"), "kept on node B");
    }

    assert_eq!(ann.edit_message(id, "second-wording").await.status(), 200);
    let html = bob_on_b.get("/rooms/hall").await.text().await.unwrap();
    assert!(html.contains("second-wording") && !html.contains("first-wording"));
    assert_eq!(ann.delete_message(id).await.status(), 204);
    let html = bob_on_b.get("/rooms/hall").await.text().await.unwrap();
    assert!(!html.contains("second-wording"), "deleted on A, gone on B");
    let kept = bob.say("hall", "still-here").await;
    assert!(kept > id);
    assert_eq!(bob.leave_room("hall").await.status(), 204);
    let response = bob_on_b.get("/rooms/hall").await;
    assert_eq!(response.status(), 403, "left through A, refused on B");
    assert!(!response.text().await.unwrap().contains("still-here"));

    assert_eq!(ann.via(b).get("/api/v1/session").await.status(), 200);
    let cookie = ann.cookie().expect("a session cookie");
    let response = ann.log_out().await;
    assert_eq!(response.status(), 204, "logged out through node A");
    let response = reqwest::Client::new()
        .get(b.url("/api/v1/session"))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401, "refused on node B at once");
}

/// The session-cache hits counted so far (by every node of this process).
async fn session_cache_hits(node: &User) -> u64 {
    let metrics = node.get("/metrics").await.text().await.unwrap();
    metrics
        .lines()
        .find(|l| {
            l.starts_with("hearth_cache_requests_total")
                && l.contains(r#"cache="sessions""#)
                && l.contains(r#"result="hit""#)
        })
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}

/// Changes `user`'s password to "brand new passphrase" (which ends their other sessions).
async fn change_password(user: &User) -> reqwest::Response {
    let body = json!({"current_password": PASSWORD, "new_password": "brand new passphrase"});
    user.call(reqwest::Method::PUT, "/account/password", Some(body))
        .await
}

/// A request with exactly this cookie, to `node`.
async fn session_status(node: &TestApp, cookie: &reqwest::header::HeaderValue) -> u16 {
    reqwest::Client::new()
        .get(node.url("/api/v1/session"))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Issue 15: linked nodes keep sessions in memory too, and never serve one that has
/// ended: a node ending a session tells the others before answering, a node whose
/// Redis link is down reads every session from the database, and one whose link comes
/// back forgets all it kept.
#[tokio::test]
async fn a_session_kept_on_another_node_is_refused_there_once_ended_even_through_a_redis_outage() {
    let mut cluster = Cluster::start(2).await;
    let laptop = cluster.node(0).user("ann").await;
    let phone = cluster.node(0).client().log_in("ann").await;
    let tablet = cluster.node(0).client().log_in("ann").await;
    let cookies: Vec<_> = [&laptop, &phone, &tablet]
        .iter()
        .map(|u| u.cookie().expect("a session cookie"))
        .collect();
    for cookie in &cookies {
        assert_eq!(session_status(cluster.node(1), cookie).await, 200);
    }
    let before = session_cache_hits(&laptop).await;
    for cookie in &cookies {
        assert_eq!(session_status(cluster.node(1), cookie).await, 200);
    }
    assert!(
        session_cache_hits(&laptop).await >= before + 3,
        "node B serves the sessions from memory"
    );

    // Logged out through A: refused on B at once.
    let response = laptop.log_out().await;
    assert_eq!(response.status(), 204);
    assert_eq!(session_status(cluster.node(1), &cookies[0]).await, 401);

    // With Redis down, word of the phone's logout cannot reach B, and B, knowing it
    // cannot hear, reads the database.
    cluster.redis.stop();
    wait_for_redis(cluster.node(1), false).await;
    let response = phone.log_out().await;
    assert_eq!(response.status(), 204, "a logout does not wait for Redis");
    assert_eq!(session_status(cluster.node(1), &cookies[1]).await, 401);
    assert_eq!(session_status(cluster.node(1), &cookies[2]).await, 200);

    // Back up: the tablet's session, kept again on B, ends through A (a password
    // change ends every other session) and is refused on B at once.
    cluster.redis.start();
    wait_for_redis(cluster.node(0), true).await;
    wait_for_redis(cluster.node(1), true).await;
    assert_eq!(session_status(cluster.node(1), &cookies[2]).await, 200);
    assert_eq!(session_status(cluster.node(1), &cookies[2]).await, 200);
    let me = cluster.node(0).client().log_in("ann").await;
    let changed = change_password(&me).await;
    assert_eq!(changed.status(), 204);
    assert_eq!(session_status(cluster.node(1), &cookies[2]).await, 401);
}

/// Nodes keep files in one S3-compatible store: a file sent through one node is
/// announced live on another, downloads there byte for byte (thumbnail too), and a
/// delete through the second node removes it for both.
#[tokio::test]
async fn a_file_sent_through_one_node_is_served_by_another_from_the_shared_store() {
    assert!(
        std::env::var("HEARTH_TEST_S3_URL").is_ok(),
        "the cluster's file test needs an S3-compatible server: run it through scripts/test.sh"
    );
    let cluster = Cluster::start(2).await;
    let ann = cluster.node(0).user("ann").await;
    assert_eq!(ann.create_room("shared").await.status(), 201);
    let bob = cluster.node(0).user("bob").await.via(cluster.node(1));
    assert_eq!(bob.join_room("shared").await.status(), 201);
    let mut bobs = bob.ws("/api/v1/rooms/shared/ws").await;

    let mut picture = std::io::Cursor::new(Vec::new());
    image::DynamicImage::new_rgb8(1200, 900)
        .write_to(&mut picture, image::ImageFormat::Png)
        .unwrap();
    let picture = picture.into_inner();
    let response = ann
        .upload("shared", "plan.png", picture.clone(), Some("the plan"))
        .await;
    assert_eq!(response.status(), 201);
    let sent: Value = response.json().await.unwrap();
    let frame = next_message(&mut bobs, 5).await;
    assert_eq!(
        frame["attachment"], sent["attachment"],
        "announced on node B"
    );

    let url = sent["attachment"]["url"].as_str().unwrap();
    let got = bob.get(url).await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap(), picture, "served by node B");
    let thumb = bob
        .get(sent["attachment"]["thumbnail_url"].as_str().unwrap())
        .await;
    assert_eq!(thumb.status(), 200);

    // Ann deletes it through node B: neither node serves it any more.
    let ann_b = ann.via(cluster.node(1));
    let id = sent["id"].as_i64().unwrap();
    assert_eq!(ann_b.delete_message(id).await.status(), 204);
    assert_eq!(ann.get(url).await.status(), 404);
    assert_eq!(bob.get(url).await.status(), 404);
}

/// Web Push across nodes: each message is pushed once, by the node that committed it,
/// however many nodes there are; and someone with a page open on another node is not
/// pushed to.
#[tokio::test]
async fn each_message_is_pushed_once_and_never_to_someone_with_a_page_open_on_another_node() {
    let cluster = Cluster::start(2).await;
    let (push, mut pushes) = push_receiver::receiver().await;
    let ann = cluster.node(0).user("ann").await;
    assert_eq!(ann.create_room("porch").await.status(), 201);
    let bob = cluster.node(0).user("bob").await.via(cluster.node(1));
    assert_eq!(bob.join_room("porch").await.status(), 201);
    assert_eq!(bob.set_notify("porch", "all").await.status(), 200);
    let browser = push_receiver::Browser::subscribe(&bob, push, "bob").await;
    // Bob subscribed through node B; node A learns that someone has within 2 s.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let key = push_receiver::server_key(&bob).await;
    assert_eq!(
        push_receiver::server_key(&ann).await,
        key,
        "one key for every node"
    );
    let ann_b = ann.via(cluster.node(1));
    for n in 0..6 {
        let through = if n % 2 == 0 { &ann } else { &ann_b };
        through.say("porch", &format!("note {n}")).await;
    }
    let mut bodies = Vec::new();
    for _ in 0..6 {
        let pushed = push_receiver::next_push(&mut pushes).await;
        let payload = browser.open(&pushed, &key);
        bodies.push(payload["body"].as_str().unwrap().to_owned());
    }
    bodies.sort();
    let expected: Vec<String> = (0..6).map(|n| format!("ann: note {n}")).collect();
    assert_eq!(
        bodies, expected,
        "each message once, signed with the shared key"
    );
    assert!(
        push_receiver::no_push(&mut pushes).await,
        "and nothing more"
    );

    // Bob opens a page on node B (another room's, or just his rooms: the sidebar's
    // socket); node A commits the next message.
    let _page = bob.ws("/ws").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    ann.say("porch", "you are here").await;
    assert!(
        push_receiver::no_push(&mut pushes).await,
        "bob has a page open on B"
    );
}
