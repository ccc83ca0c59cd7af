//! Operations stay private: `/metrics` and a detailed `/healthz` are for the operator.

use super::*;

#[tokio::test]
async fn metrics_are_served_on_the_public_port_only_to_loopback_clients_no_proxy_forwarded() {
    let app = spawn_behind_proxy(|_| {}).await;

    let local = app.client().get("/metrics").await;
    assert_eq!(local.status(), StatusCode::OK);
    assert!(
        local
            .text()
            .await
            .unwrap_or_default()
            .contains("hearth_open_sockets")
    );

    let remote = client_via_proxy(app.addr, "203.0.113.5")
        .get("/metrics")
        .await;
    assert_eq!(remote.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_proxy_on_the_same_machine_does_not_make_its_clients_local() {
    // Not configured as trusted, but it says it forwarded the request.
    let app = spawn_app().await;
    let forwarded = client_via_proxy(app.addr, "203.0.113.5");
    assert_eq!(
        forwarded.get("/metrics").await.status(),
        StatusCode::NOT_FOUND
    );
    let health: Value = forwarded.get("/healthz").await.json().await.expect("JSON");
    assert_eq!(health, json!({ "status": "ok" }));
}

#[tokio::test]
async fn anonymous_callers_learn_only_whether_the_node_is_up() {
    let app = spawn_behind_proxy(|_| {}).await;

    let remote = client_via_proxy(app.addr, "203.0.113.5")
        .get("/healthz")
        .await;
    assert_eq!(remote.status(), StatusCode::OK);
    let body: Value = remote.json().await.expect("JSON");
    assert_eq!(body, json!({ "status": "ok" }));

    let local: Value = app
        .client()
        .get("/healthz")
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(local["database"], "ok");
    assert_eq!(local["redis"], "off");
}

#[tokio::test]
async fn with_a_metrics_address_metrics_leave_the_public_port() {
    let app = spawn_app_with(|c| c.metrics_addr = Some("127.0.0.1:0".parse().expect("addr"))).await;
    let operators = app.metrics_addr.expect("a metrics address");

    assert_eq!(
        app.client().get("/metrics").await.status(),
        StatusCode::NOT_FOUND,
        "not even for loopback"
    );
    let http = reqwest::Client::new();
    let metrics = http
        .get(format!("http://{operators}/metrics"))
        .send()
        .await
        .expect("GET /metrics");
    assert_eq!(metrics.status(), StatusCode::OK);
    assert!(
        metrics
            .text()
            .await
            .unwrap_or_default()
            .contains("hearth_open_sockets")
    );
    let health: Value = http
        .get(format!("http://{operators}/healthz"))
        .header("x-forwarded-for", "203.0.113.5")
        .send()
        .await
        .expect("GET /healthz")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        health["database"], "ok",
        "details on the operators' address"
    );
}

/// The value of the series `name` whose labels include every one of `labels` (0 when
/// it has not been recorded yet). The recorder is shared by every server this test
/// process starts, so tests compare before and after, never exact counts.
fn series(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| {
            line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} "))
        })
        .filter(|line| {
            labels
                .iter()
                .all(|(k, v)| line.contains(&format!("{k}=\"{v}\"")))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn metrics_time_requests_by_route_pattern_and_count_cache_hits() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    assert_eq!(ann.create_room("Den").await.status(), StatusCode::CREATED);
    ann.say("Den", "hello").await;
    let read = || async { app.client().get("/metrics").await.text().await.unwrap() };
    let before = read().await;

    for _ in 0..3 {
        assert_eq!(ann.get("/rooms/Den").await.status(), StatusCode::OK);
    }
    let mut socket = ann.ws("/api/v1/rooms/Den/ws").await;
    let after = read().await;

    let pages = |text: &str| {
        series(
            text,
            "hearth_http_request_duration_seconds_count",
            &[
                ("method", "GET"),
                ("route", "/rooms/:name"),
                ("status", "200"),
            ],
        )
    };
    assert!(pages(&after) >= pages(&before) + 3.0, "{after}");
    assert!(
        !after.contains("route=\"/rooms/Den\""),
        "routes are labelled by pattern, never by path"
    );
    let hits = |text: &str, cache: &str| {
        series(
            text,
            "hearth_cache_requests_total",
            &[("cache", cache), ("result", "hit")],
        )
    };
    assert!(
        hits(&after, "recent_pages") >= hits(&before, "recent_pages") + 2.0,
        "the second and third views read the kept page: {after}"
    );
    assert!(hits(&after, "sessions") >= hits(&before, "sessions") + 3.0);
    if app.database_url.starts_with("sqlite:") {
        assert!(
            hits(&after, "sidebars") >= hits(&before, "sidebars") + 2.0,
            "the second and third views read the kept sidebar: {after}"
        );
    }
    assert!(series(&after, "hearth_open_sockets", &[]) >= 1.0);
    assert!(after.contains("hearth_writer_queue_depth"));
    assert!(after.contains("hearth_http_request_duration_seconds_bucket{"));

    // A message through the socket: stored, delivered, its lag measured.
    send_json(&mut socket, json!({ "text": "counted" })).await;
    next_message(&mut socket, 5).await;
    let later = read().await;
    assert!(
        series(&later, "hearth_messages_stored_total", &[])
            > series(&after, "hearth_messages_stored_total", &[])
    );
    assert!(
        series(&later, "hearth_delivery_lag_seconds_count", &[])
            > series(&after, "hearth_delivery_lag_seconds_count", &[])
    );
}
