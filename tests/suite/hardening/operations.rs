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
