//! Bots: bearer tokens on the API and the JSON WebSocket (bad, revoked, rotated),
//! never logged; incoming webhooks in both body forms; outgoing webhooks against a
//! local receiver that checks the signature, with a reply, a 500 and a timeout.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use futures_util::SinkExt;
use poem::{
    EndpointExt, Route, Server, handler,
    http::{HeaderMap, StatusCode as PoemStatus},
    listener::{Acceptor, Listener, TcpListener},
    web::Data,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

use crate::helpers::{
    TestApp, User, answer, captured_logs, close_code, encode, next_json, spawn_app,
};

/// A bot made by `admin`: its name and token.
async fn make_bot(admin: &User, name: &str) -> String {
    let (status, made) = answer(
        admin
            .call(Method::POST, "/admin/bots", Some(json!({"name": name})))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["username"], name);
    made["token"].as_str().unwrap().to_owned()
}

/// `method` on the API with `token` as the bearer, and no cookie.
async fn as_bot(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .request(method, app.api(path))
        .bearer_auth(token)
        // A browser's cross-site Origin does not matter: no cookie is involved.
        .header("origin", "https://elsewhere.example");
    if let Some(body) = body {
        request = request.json(&body);
    }
    answer(request.send().await.unwrap()).await
}

async fn bot_socket(
    app: &TestApp,
    room: &str,
    token: &str,
) -> Result<crate::helpers::Ws, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://{}/api/v1/rooms/{}/ws", app.addr, encode(room))
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
}

#[tokio::test]
async fn a_bot_uses_the_api_and_the_socket_with_its_token_until_rotated_or_revoked() {
    captured_logs();
    let app = spawn_app().await;
    let admin = app.user("ada").await;
    assert_eq!(
        admin.create_room("builds").await.status(),
        StatusCode::CREATED
    );
    let token = make_bot(&admin, "ci-bot").await;

    let (status, me) = as_bot(&app, &token, Method::GET, "/session", None).await;
    assert_eq!((status, me["role"].as_str()), (StatusCode::OK, Some("bot")));
    let (status, _) = as_bot(&app, &token, Method::POST, "/rooms/builds/members", None).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, posted) = as_bot(
        &app,
        &token,
        Method::POST,
        "/rooms/builds/messages",
        Some(json!({"text": "build 41 passed"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(posted["sender"], "ci-bot");

    // The JSON socket, with the token in the upgrade.
    let mut ws = bot_socket(&app, "builds", &token)
        .await
        .expect("the bot's socket opens");
    admin.say("builds", "thanks @ci-bot").await;
    let frame = loop {
        let frame = next_json(&mut ws, 5).await;
        if frame["type"] == "message" && frame["sender"] == "ada" {
            break frame;
        }
    };
    assert_eq!(frame["mentions"], json!(["ci-bot"]));
    ws.send(Message::text(
        json!({"text": "from the socket"}).to_string(),
    ))
    .await
    .unwrap();
    loop {
        let frame = next_json(&mut ws, 5).await;
        if frame["type"] == "message" && frame["text"] == "from the socket" {
            assert_eq!(frame["sender"], "ci-bot");
            break;
        }
    }

    // A bad token: 401, said as problem+json; a cookie-less call gets no further.
    let (status, problem) = as_bot(&app, "nonsense", Method::GET, "/session", None).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("bad_token"))
    );
    let forged = format!("{}.{}", token.split('.').next().unwrap(), "A".repeat(43));
    let (status, _) = as_bot(&app, &forged, Method::GET, "/session", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(bot_socket(&app, "builds", "nonsense").await.is_err());

    // Rotated: the old token stops, its socket closes, the new one works.
    let (status, rotated) = answer(
        admin
            .call(Method::POST, "/admin/bots/ci-bot/token", None)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let fresh = rotated["token"].as_str().unwrap().to_owned();
    assert_ne!(fresh, token);
    assert_eq!(close_code(&mut ws, 5).await, Some(1008));
    assert_eq!(
        as_bot(&app, &token, Method::GET, "/session", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        as_bot(&app, &fresh, Method::GET, "/session", None).await.0,
        StatusCode::OK
    );
    let mut ws = bot_socket(&app, "builds", &fresh)
        .await
        .expect("the new token's socket opens");

    // Revoked: nothing works, the socket closes.
    let revoked = admin
        .call(Method::DELETE, "/admin/bots/ci-bot/token", None)
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(close_code(&mut ws, 5).await, Some(1008));
    assert_eq!(
        as_bot(&app, &fresh, Method::GET, "/session", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, bots) = answer(admin.call(Method::GET, "/admin/bots", None).await).await;
    assert_eq!(bots[0]["has_token"], false);

    // Members may not make bots; the history holds what the bot said.
    let member = app.user("bea").await;
    let (status, _) = answer(
        member
            .call(Method::POST, "/admin/bots", Some(json!({"name": "evil"})))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let texts = admin.texts("builds").await;
    assert!(
        texts.iter().any(|t| t == "build 41 passed")
            && texts.iter().any(|t| t == "from the socket"),
        "{texts:?}"
    );

    // No token ever reached the logs; the refusals did.
    let logs = captured_logs();
    assert!(logs.contains("refused a bearer token"), "{logs}");
    for secret in [&token, &fresh] {
        assert!(!logs.contains(secret.as_str()));
        assert!(!logs.contains(secret.split('.').nth(1).unwrap()));
    }
}

#[tokio::test]
async fn the_incoming_webhook_posts_json_or_plain_text_as_the_bot() {
    let app = spawn_app().await;
    let admin = app.user("ada").await;
    assert_eq!(
        admin.create_room("alerts").await.status(),
        StatusCode::CREATED
    );
    let token = make_bot(&admin, "pager").await;
    let hook = |body: reqwest::Body, content_type: &str, path: &str| {
        reqwest::Client::new()
            .post(app.url(path))
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    // Not a member yet: 403.
    let refused = hook(
        r#"{"text":"disk full"}"#.into(),
        "application/json",
        "/hooks/pager?room=alerts",
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        as_bot(&app, &token, Method::POST, "/rooms/alerts/members", None)
            .await
            .0,
        StatusCode::CREATED
    );

    let slack = hook(
        r##"{"text":"disk <b>full</b> on db-1","channel":"#alerts"}"##.into(),
        "application/json",
        "/hooks/pager",
    )
    .await
    .unwrap();
    assert_eq!(slack.status(), StatusCode::CREATED);
    let posted: Value = slack.json().await.unwrap();
    assert_eq!(posted["sender"], "pager");
    assert!(
        !posted["html"].as_str().unwrap().contains("<b>"),
        "{posted}"
    );
    let plain = hook(
        "deploy 7 finished ✅".into(),
        "text/plain; charset=utf-8",
        "/hooks/pager?room=alerts",
    )
    .await
    .unwrap();
    assert_eq!(plain.status(), StatusCode::CREATED);

    // Bad bodies, a missing room, another bot's path, no token: clear refusals.
    for (body, content_type, path, status, code) in [
        (
            r#"{"text": 42}"#,
            "application/json",
            "/hooks/pager?room=alerts",
            422,
            "bad_hook_body",
        ),
        (
            "{not json",
            "application/json",
            "/hooks/pager?room=alerts",
            422,
            "bad_hook_body",
        ),
        ("hello", "text/plain", "/hooks/pager", 422, "bad_hook_body"),
        (
            "",
            "text/plain",
            "/hooks/pager?room=alerts",
            422,
            "message_empty",
        ),
        (
            "hello",
            "text/plain",
            "/hooks/someone-else?room=alerts",
            401,
            "bad_token",
        ),
        (
            "hello",
            "text/plain",
            "/hooks/pager?room=nowhere",
            404,
            "no_such_room",
        ),
    ] {
        let response = hook(body.into(), content_type, path).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{body} {path}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], code, "{body} {path}");
    }
    let cookie_only = admin
        .http
        .post(admin.url("/hooks/pager?room=alerts"))
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_eq!(cookie_only.status(), StatusCode::UNAUTHORIZED);

    let texts = admin.texts("alerts").await;
    assert_eq!(texts, ["disk <b>full</b> on db-1", "deploy 7 finished ✅"]);
}

/// What the local receiver saw: each body, and whether its signature was right.
#[derive(Default)]
struct Seen {
    calls: Vec<(Value, bool)>,
}

#[derive(Clone)]
struct Receiver {
    secret: Arc<Mutex<String>>,
    seen: Arc<Mutex<Seen>>,
}

#[handler]
async fn receive(
    headers: &HeaderMap,
    body: Vec<u8>,
    receiver: Data<&Receiver>,
) -> (PoemStatus, String) {
    let secret = receiver.secret.lock().unwrap().clone();
    let expected = hearth::webhooks::signature(&secret, &body);
    let given = headers
        .get("x-hearth-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let text = json["message"]["text"].as_str().unwrap_or("").to_owned();
    receiver
        .seen
        .lock()
        .unwrap()
        .calls
        .push((json, given == expected));
    if text.contains("fail") {
        return (PoemStatus::INTERNAL_SERVER_ERROR, "oops".into());
    }
    if text.contains("slow") {
        tokio::time::sleep(Duration::from_secs(9)).await;
    }
    (PoemStatus::OK, format!("echo: {text}"))
}

async fn start_receiver(receiver: Receiver) -> String {
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let addr = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
    tokio::spawn(
        Server::new_with_acceptor(acceptor).run(Route::new().at("/hook", receive).data(receiver)),
    );
    format!("http://{addr}/hook")
}

async fn last_delivery(admin: &User, after: &str) -> String {
    for _ in 0..200 {
        let (_, bots) = answer(admin.call(Method::GET, "/admin/bots", None).await).await;
        if let Some(status) = bots[0]["last_delivery_status"].as_str()
            && status != after
        {
            return status.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no new delivery after {after}");
}

#[tokio::test]
async fn the_outgoing_webhook_is_signed_and_its_answer_becomes_the_reply() {
    let app = spawn_app().await;
    let admin = app.user("ada").await;
    let bea = app.user("bea").await;
    assert_eq!(
        admin.create_room("help").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(bea.join_room("help").await.status(), StatusCode::CREATED);
    let token = make_bot(&admin, "helper").await;
    assert_eq!(
        as_bot(&app, &token, Method::POST, "/rooms/help/members", None)
            .await
            .0,
        StatusCode::CREATED
    );

    let receiver = Receiver {
        secret: Arc::default(),
        seen: Arc::default(),
    };
    let url = start_receiver(receiver.clone()).await;
    let (status, problem) = answer(
        admin
            .call(
                Method::PUT,
                "/admin/bots/helper/webhook",
                Some(json!({"url": "ftp://nope"})),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_webhook_url"))
    );
    let (status, set) = answer(
        admin
            .call(
                Method::PUT,
                "/admin/bots/helper/webhook",
                Some(json!({"url": url})),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    *receiver.secret.lock().unwrap() = set["secret"].as_str().unwrap().to_owned();

    // Not mentioned: no call. Mentioned: a signed call, and the answer as the reply.
    bea.say("help", "just chatting").await;
    bea.say("help", "@helper what is 2+2").await;
    assert_eq!(last_delivery(&admin, "").await, "200");
    let mut reply = None;
    for _ in 0..100 {
        let history: Vec<Value> = bea
            .get("/api/v1/rooms/help/messages")
            .await
            .json()
            .await
            .unwrap();
        reply = history.into_iter().find(|m| m["sender"] == "helper");
        if reply.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        reply.expect("the bot replied")["text"],
        "echo: @helper what is 2+2"
    );
    {
        let seen = receiver.seen.lock().unwrap();
        assert_eq!(
            seen.calls.len(),
            1,
            "one call: not for the chat, not for the bot's own reply"
        );
        let (body, signed) = &seen.calls[0];
        assert!(signed, "the signature checks out");
        assert_eq!(body["bot"], "helper");
        assert_eq!(body["room"]["name"], "help");
        assert_eq!(body["sender"]["username"], "bea");
        assert_eq!(body["message"]["text"], "@helper what is 2+2");
    }

    // A direct message calls it too; a 500 is noted and posts nothing.
    let direct: Value = bea.open_direct(&["helper"]).await.json().await.unwrap();
    let direct_name = direct["name"].as_str().unwrap().to_owned();
    bea.say(&direct_name, "please fail").await;
    assert_eq!(last_delivery(&admin, "200").await, "500");
    // A receiver slower than 7 s times out.
    bea.say("help", "@helper be slow").await;
    assert_eq!(last_delivery(&admin, "500").await, "timeout");
    let calls = receiver.seen.lock().unwrap().calls.len();
    assert_eq!(calls, 3);
    let history: Vec<Value> = bea
        .get("/api/v1/rooms/help/messages")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        history.iter().filter(|m| m["sender"] == "helper").count(),
        1
    );
    // The queues off the message path say how deep they are.
    let metrics = admin.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"hearth_queue_depth{queue="webhooks"}"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"hearth_queue_depth{queue="webhook_calls"}"#));
    assert!(metrics.contains(r#"hearth_webhook_calls_total{outcome="ok"}"#));
}

#[tokio::test]
async fn a_bot_has_a_picture_set_by_itself_or_by_an_admin_and_no_cookie_for_it() {
    let app = spawn_app().await;
    let admin = app.user("ada").await;
    let token = make_bot(&admin, "painter").await;
    let part = reqwest::multipart::Part::bytes(crate::files::png(64, 64)).file_name("me.png");
    let response = reqwest::Client::new()
        .put(app.api("/users/me/avatar"))
        .bearer_auth(&token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers().get("set-cookie").is_none(),
        "a bot gets no session"
    );
    let url: Value = response.json().await.unwrap();
    assert!(url["avatar_url"].as_str().unwrap().starts_with("/avatars/"));

    // An admin, from the page (a photo larger than a form's 64 KiB); a member may not.
    let photo = crate::files::noisy_png(200, 200);
    assert!(photo.len() > 64 * 1024, "{} bytes", photo.len());
    let from_page = |who: &User| {
        let part = reqwest::multipart::Part::bytes(photo.clone()).file_name("new.png");
        who.http
            .post(who.url("/admin/bots/avatar?name=painter"))
            .header("origin", who.url(""))
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
    };
    assert_eq!(
        from_page(&admin).await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    let member = app.user("bea").await;
    assert_eq!(
        from_page(&member).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}
