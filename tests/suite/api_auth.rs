//! Accounts, sessions, throttling, CSRF and the API's own plumbing (problem+json,
//! OpenAPI, docs, health), through `/api/v1` over real HTTP.

use reqwest::{
    Response, StatusCode,
    header::{CONTENT_TYPE, COOKIE, ORIGIN, REFERER, RETRY_AFTER, SET_COOKIE},
};
use serde_json::{Value, json};

use crate::helpers::*;

// ---- registering -------------------------------------------------------------------

#[tokio::test]
async fn registering_answers_201_with_the_username_and_logs_you_in() {
    let app = spawn_app().await;
    let alice = app.client();

    let response = register_as(&alice, "alice", PASSWORD).await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = session_cookie(&response).expect("a session cookie");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        body,
        json!({ "username": "alice", "role": "admin" }),
        "no password echoed back"
    );
    assert!(!cookie_value(&cookie).is_empty());
    assert_eq!(whoami(&alice).await, Some("alice".to_owned()));
}

#[tokio::test]
async fn the_session_cookie_is_http_only_same_site_lax_and_lasts_thirty_days() {
    let app = spawn_app().await;

    let response = register_as(&app.client(), "alice", PASSWORD).await;

    let cookie = session_cookie(&response).expect("a session cookie");
    let attributes = cookie_attributes(&cookie);
    assert!(attributes.contains(&"httponly".to_owned()), "{cookie}");
    assert!(attributes.contains(&"samesite=lax".to_owned()), "{cookie}");
    assert!(attributes.contains(&"path=/".to_owned()), "{cookie}");
    assert!(
        attributes.contains(&"max-age=2592000".to_owned()),
        "{cookie}"
    );
    assert!(
        !attributes.contains(&"secure".to_owned()),
        "plain HTTP by default: {cookie}"
    );
}

#[tokio::test]
async fn the_session_cookie_is_secure_and_host_only_when_configured() {
    let app = spawn_app_with(|config| config.secure_cookies = true).await;

    let response = register_as(&app.client(), "alice", PASSWORD).await;

    let cookie = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("__Host-hearth_session="))
        .expect("a __Host- session cookie")
        .to_owned();
    let attributes = cookie_attributes(&cookie);
    assert!(attributes.contains(&"secure".to_owned()), "{cookie}");
    assert!(attributes.contains(&"path=/".to_owned()), "{cookie}");
    assert!(
        !attributes.iter().any(|a| a.starts_with("domain=")),
        "{cookie}"
    );
}

#[tokio::test]
async fn chinese_usernames_can_register_and_log_in() {
    let app = spawn_app().await;

    let response = register_as(&app.client(), "张伟明", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["username"], "张伟明");

    // 32 characters is the limit, however many bytes they take (here 96).
    let long = "张".repeat(32);
    assert_eq!(
        register_as(&app.client(), &long, PASSWORD).await.status(),
        StatusCode::CREATED
    );

    let again = app.client();
    let response = log_in(&again, "张伟明", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(whoami(&again).await, Some("张伟明".to_owned()));
}

#[tokio::test]
async fn a_taken_username_is_409_in_any_case_and_any_script() {
    let app = spawn_app().await;
    app.user("alice").await;
    app.user("ÄRGER").await;

    for taken in ["alice", "ALICE", "Alice", "ärger", "Ärger"] {
        let response = register_as(&app.client(), taken, PASSWORD).await;
        expect_problem(response, StatusCode::CONFLICT).await;
    }

    // The first spelling is the one that stays.
    let response = log_in(&app.client(), "ärger", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["username"], "ÄRGER");
}

#[tokio::test]
async fn usernames_breaking_a_rule_are_422_with_a_reason() {
    let app = spawn_app().await;
    let bad = [
        "".to_owned(),
        "ab".to_owned(),        // too short
        "张".to_owned(),        // one character, however wide
        "x".repeat(33),         // too long
        "张".repeat(33),        // 33 characters
        "bob smith".to_owned(), // a space
        "bob!".to_owned(),      // punctuation outside _ . -
        "a/b".to_owned(),
        "<script>".to_owned(),
        "😀😀😀".to_owned(), // emoji are not letters
        "tab\there".to_owned(),
    ];
    for username in &bad {
        let response = register_as(&app.client(), username, PASSWORD).await;
        let body = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["field"], "username", "{username:?}: {body}");
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("Username") || detail.contains("usernames"),
            "{username:?}: {body}"
        );
    }

    // Letters of any script, digits and _ . - are fine; two characters are enough
    // where each is wide (Chinese, Japanese, Korean).
    for good in ["a.b-c_1", "Ærøskøbing", &"x".repeat(32), "小明", "민수"] {
        let response = register_as(&app.client(), good, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{good}");
    }
}

#[tokio::test]
async fn passwords_must_be_8_characters_and_at_most_1024_bytes() {
    let app = spawn_app().await;
    // Characters, not bytes: three Chinese characters are nine bytes, and too few.
    let too_short = [
        "1234567".to_owned(),
        "密码".to_owned(),
        "密码密".to_owned(),
        String::new(),
    ];
    let too_long = ["p".repeat(1025), "密".repeat(342)]; // 1025 and 1026 bytes
    for (i, password) in too_short.iter().chain(&too_long).enumerate() {
        let response = register_as(&app.client(), &format!("user{i}"), password).await;
        let body = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(
            body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("Password"),
            "{} bytes: {body}",
            password.len()
        );
    }

    for (name, password) in [
        // (Common ones such as 12345678 are refused: see tests/suite/hardening.)
        ("eight", "zq7#kv2m".to_owned()),
        ("maxed", "p".repeat(1024)),
        ("mima", "我的密码很长很长".to_owned()),
    ] {
        let response = register_as(&app.client(), name, &password).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{} bytes",
            password.len()
        );
        assert_eq!(
            log_in(&app.client(), name, &password).await.status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn a_malformed_json_body_is_a_problem_not_a_crash() {
    let app = spawn_app().await;
    let client = app.client();
    let bodies = [
        "{\"username\": \"alice\", \"password\": ", // cut short
        "not json at all",
        "{\"username\": \"alice\"}", // no password
        "{\"username\": [\"alice\"], \"password\": \"12345678\"}", // wrong type
        "[]",
    ];
    for path in ["/users", "/session"] {
        for body in bodies {
            let response = client
                .http
                .post(app.api(path))
                .header(CONTENT_TYPE, "application/json")
                .body(body)
                .send()
                .await
                .expect("POST");
            let (status, _) = problem(response).await;
            assert!(
                [StatusCode::BAD_REQUEST, StatusCode::UNPROCESSABLE_ENTITY].contains(&status),
                "{path} {body}: {status}"
            );
        }
    }
    assert_eq!(whoami(&client).await, None);
    // Nothing half-made: the name is still free.
    assert_eq!(
        register_as(&client, "alice", PASSWORD).await.status(),
        StatusCode::CREATED
    );
}

// ---- logging in and out ------------------------------------------------------------

#[tokio::test]
async fn logging_in_answers_200_with_the_username_and_a_session_cookie() {
    let app = spawn_app().await;
    app.user("alice").await;
    let browser = app.client();

    let response = log_in(&browser, "alice", PASSWORD).await;

    assert_eq!(response.status(), StatusCode::OK);
    let cookie = session_cookie(&response).expect("a session cookie");
    assert!(cookie_attributes(&cookie).contains(&"httponly".to_owned()));
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body, json!({ "username": "alice", "role": "admin" }));
    assert_eq!(whoami(&browser).await, Some("alice".to_owned()));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_401() {
    let app = spawn_app().await;
    app.user("alice").await;
    let browser = app.client();

    let wrong = log_in(&browser, "alice", "not the password").await;
    assert!(
        session_cookie(&wrong).is_none(),
        "no session for a failed login"
    );
    let wrong = expect_problem(wrong, StatusCode::UNAUTHORIZED).await;
    let unknown = log_in(&browser, "nobody", PASSWORD).await;
    let unknown = expect_problem(unknown, StatusCode::UNAUTHORIZED).await;

    assert_eq!(
        wrong, unknown,
        "the answer must not tell which usernames exist"
    );
    assert_eq!(whoami(&browser).await, None);
}

#[tokio::test]
async fn a_login_that_could_never_be_valid_is_refused() {
    let app = spawn_app().await;
    app.user("alice").await;
    let browser = app.client();

    for (username, password) in [
        ("ab", PASSWORD),
        ("alice", "short"),
        ("", ""),
        ("bob smith", PASSWORD),
    ] {
        let response = log_in(&browser, username, password).await;
        let (status, _) = problem(response).await;
        assert!(
            [StatusCode::UNAUTHORIZED, StatusCode::UNPROCESSABLE_ENTITY].contains(&status),
            "{username:?}/{password:?}: {status}"
        );
    }
    assert_eq!(whoami(&browser).await, None);
}

#[tokio::test]
async fn the_session_id_changes_at_login() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let before = current_cookie(&alice);

    let response = log_in(&alice, "alice", PASSWORD).await;

    assert_eq!(response.status(), StatusCode::OK);
    let after = cookie_value(&session_cookie(&response).expect("a new session cookie")).to_owned();
    assert_ne!(after, before, "a login must not keep the old session id");
    assert_eq!(whoami(&alice).await, Some("alice".to_owned()));
    assert_eq!(
        whoami_with_cookie(&app, &before).await,
        None,
        "the old id is gone"
    );
}

#[tokio::test]
async fn a_session_id_planted_before_login_is_not_adopted() {
    let app = spawn_app().await;
    app.user("alice").await;
    let planted = "chosen-by-an-attacker";
    let victim = app.client();

    let response = victim
        .http
        .post(app.api("/session"))
        .header(COOKIE, format!("hearth_session={planted}"))
        .json(&json!({ "username": "alice", "password": PASSWORD }))
        .send()
        .await
        .expect("log in");

    assert_eq!(response.status(), StatusCode::OK);
    let issued = session_cookie(&response).expect("a session cookie");
    assert_ne!(cookie_value(&issued), planted);
    assert_eq!(whoami_with_cookie(&app, planted).await, None);
}

#[tokio::test]
async fn get_session_says_who_you_are_or_401() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let response = alice.get("/api/v1/session").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body, json!({ "username": "alice", "role": "admin" }));

    let response = app.client().get("/api/v1/session").await;
    expect_problem(response, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn logging_out_revokes_the_session_on_the_server() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let stolen = current_cookie(&alice);
    assert_eq!(
        whoami_with_cookie(&app, &stolen).await,
        Some("alice".to_owned()),
        "a copied cookie works while the session lives"
    );

    let response = log_out(&alice).await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(whoami(&alice).await, None);
    assert_eq!(
        whoami_with_cookie(&app, &stolen).await,
        None,
        "a replayed copy of the cookie must fail after logout"
    );
    let replay = app
        .client()
        .http
        .post(app.api("/rooms"))
        .header(COOKIE, format!("hearth_session={stolen}"))
        .json(&json!({ "name": "Lobby" }))
        .send()
        .await
        .expect("POST");
    expect_problem(replay, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn logging_out_one_browser_leaves_the_others_logged_in() {
    let app = spawn_app().await;
    let laptop = app.user("alice").await;
    let phone = app.client();
    assert_eq!(
        log_in(&phone, "alice", PASSWORD).await.status(),
        StatusCode::OK
    );

    assert_eq!(log_out(&laptop).await.status(), StatusCode::NO_CONTENT);

    assert_eq!(whoami(&laptop).await, None);
    assert_eq!(whoami(&phone).await, Some("alice".to_owned()));
}

#[tokio::test]
async fn logging_out_without_a_session_is_harmless() {
    let app = spawn_app().await;

    let response = log_out(&app.client()).await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

// ---- throttling --------------------------------------------------------------------

#[tokio::test]
async fn ten_failed_logins_lock_that_username_with_429_and_retry_after() {
    let app = spawn_app().await;
    app.user("alice").await;
    app.user("bob").await;
    let attacker = app.client();

    for attempt in 1..=10 {
        let response = log_in(&attacker, "alice", &format!("guess number {attempt}")).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }

    let response = log_in(&attacker, "alice", "guess number 11").await;
    let retry_after = retry_after(&response);
    let body = expect_problem(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(
        (1..=15 * 60).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("Try again")
    );

    // Locked means locked: the right password, from anywhere, in any case, waits too.
    for username in ["alice", "ALICE"] {
        let response = log_in(&app.client(), username, PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{username}"
        );
        assert!(retry_after_header(&response).is_some());
    }

    // Other usernames are not affected.
    let bob = app.client();
    assert_eq!(log_in(&bob, "bob", PASSWORD).await.status(), StatusCode::OK);
    assert_eq!(whoami(&bob).await, Some("bob".to_owned()));
}

/// A success takes back only its own attempt: it does not wipe out the failures
/// before it, or a guesser could have their count reset by every login of the owner.
#[tokio::test]
async fn a_successful_login_does_not_forgive_earlier_failures() {
    let app = spawn_app().await;
    app.user("alice").await;
    let browser = app.client();

    for _ in 0..9 {
        assert_eq!(
            log_in(&browser, "alice", "wrong password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        log_in(&browser, "alice", PASSWORD).await.status(),
        StatusCode::OK,
        "the ninth failure still leaves room"
    );
    assert_eq!(
        log_in(&browser, "alice", "wrong password").await.status(),
        StatusCode::UNAUTHORIZED,
        "the tenth failure is still counted"
    );

    assert_eq!(
        log_in(&browser, "alice", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "ten failures from this client lock it out, success or not"
    );
}

// ---- CSRF --------------------------------------------------------------------------

#[tokio::test]
async fn a_post_from_another_site_is_403_and_changes_nothing() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    for origin in ["http://evil.example", "null", "http://127.0.0.1:1"] {
        let response = alice
            .http
            .post(app.api("/rooms"))
            .header(ORIGIN, origin)
            .json(&json!({ "name": "Lobby" }))
            .send()
            .await
            .expect("POST");
        expect_problem(response, StatusCode::FORBIDDEN).await;
    }
    let rooms: Value = alice
        .get("/api/v1/rooms?scope=all")
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(rooms, json!([]), "no room was created");

    let response = app
        .client()
        .http
        .post(app.api("/users"))
        .header(ORIGIN, "http://evil.example")
        .json(&json!({ "username": "mallory", "password": PASSWORD }))
        .send()
        .await
        .expect("POST");
    expect_problem(response, StatusCode::FORBIDDEN).await;
    assert_eq!(
        register_as(&app.client(), "mallory", PASSWORD)
            .await
            .status(),
        StatusCode::CREATED,
        "no account was created"
    );
}

#[tokio::test]
async fn another_site_cannot_log_you_in() {
    let app = spawn_app().await;
    app.user("mallory").await;
    let victim = app.client();

    let response = victim
        .http
        .post(app.api("/session"))
        .header(ORIGIN, "http://evil.example")
        .json(&json!({ "username": "mallory", "password": PASSWORD }))
        .send()
        .await
        .expect("POST");

    assert!(session_cookie(&response).is_none());
    expect_problem(response, StatusCode::FORBIDDEN).await;
    assert_eq!(whoami(&victim).await, None);
}

#[tokio::test]
async fn another_site_cannot_log_you_out() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let response = alice
        .http
        .delete(app.api("/session"))
        .header(ORIGIN, "http://evil.example")
        .send()
        .await
        .expect("DELETE");

    expect_problem(response, StatusCode::FORBIDDEN).await;
    assert_eq!(whoami(&alice).await, Some("alice".to_owned()));
}

#[tokio::test]
async fn a_referer_from_another_site_is_refused() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let response = alice
        .http
        .post(app.api("/rooms"))
        .header(REFERER, "http://evil.example/innocent-page")
        .json(&json!({ "name": "Lobby" }))
        .send()
        .await
        .expect("POST");
    expect_problem(response, StatusCode::FORBIDDEN).await;

    let response = alice
        .http
        .post(app.api("/rooms"))
        .header(REFERER, app.url("/rooms"))
        .json(&json!({ "name": "Lobby" }))
        .send()
        .await
        .expect("POST");
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "a same-site Referer is fine"
    );
}

#[tokio::test]
async fn same_origin_requests_and_requests_without_an_origin_are_accepted() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let response = alice
        .http
        .post(app.api("/rooms"))
        .header(ORIGIN, format!("http://{}", app.addr))
        .json(&json!({ "name": "Same site" }))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::CREATED);

    let response = alice.create_room("No origin").await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn reading_is_allowed_whatever_the_origin() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let response = alice
        .http
        .get(app.api("/session"))
        .header(ORIGIN, "http://evil.example")
        .send()
        .await
        .expect("GET");

    assert_eq!(response.status(), StatusCode::OK);
}

// ---- the API's plumbing ------------------------------------------------------------

#[tokio::test]
async fn an_unknown_api_route_is_a_404_problem() {
    let app = spawn_app().await;
    let client = app.client();

    for path in ["/api/v1/nothing-here", "/api/v2/rooms", "/api/elsewhere"] {
        let body = expect_problem(client.get(path).await, StatusCode::NOT_FOUND).await;
        assert_eq!(body["status"], 404, "{path}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = spawn_app().await;

    let response = app.client().get("/api/v1/openapi.json").await;

    assert_eq!(response.status(), StatusCode::OK);
    let spec: Value = response.json().await.expect("valid JSON");
    let version = spec["openapi"].as_str().expect("an openapi version");
    assert!(version.starts_with('3'), "{version}");
    let paths = spec["paths"].as_object().expect("paths");
    let expected = [
        ("/users", "post"),
        ("/session", "post"),
        ("/session", "get"),
        ("/session", "delete"),
        ("/rooms", "get"),
        ("/rooms", "post"),
        ("/rooms/{name}/members", "post"),
        ("/rooms/{name}/messages", "get"),
        ("/rooms/{name}/messages", "post"),
    ];
    for (path, method) in expected {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn the_api_docs_page_answers() {
    let app = spawn_app().await;

    let response = app.client().get("/api/docs").await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.expect("a page");
    assert!(page.to_lowercase().contains("swagger"), "a docs UI");
}

#[tokio::test]
async fn healthz_answers_200_once_the_database_does() {
    let app = spawn_app().await;

    let response = app.client().get("/healthz").await;

    assert_eq!(response.status(), StatusCode::OK);
}

// ---- helpers -----------------------------------------------------------------------

async fn log_in(client: &User, username: &str, password: &str) -> Response {
    client
        .http
        .post(client.api("/session"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("log in")
}

async fn log_out(client: &User) -> Response {
    client
        .http
        .delete(client.api("/session"))
        .send()
        .await
        .expect("log out")
}

/// Who `client` is logged in as, by `GET /api/v1/session`.
async fn whoami(client: &User) -> Option<String> {
    username_of(client.get("/api/v1/session").await).await
}

/// Who a bare session id is logged in as, asked by a fresh client sending it by hand.
async fn whoami_with_cookie(app: &TestApp, session_id: &str) -> Option<String> {
    let response = app
        .client()
        .http
        .get(app.api("/session"))
        .header(COOKIE, format!("hearth_session={session_id}"))
        .send()
        .await
        .expect("GET");
    username_of(response).await
}

async fn username_of(response: Response) -> Option<String> {
    if response.status() == StatusCode::UNAUTHORIZED {
        return None;
    }
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON");
    Some(body["username"].as_str().expect("a username").to_owned())
}

/// The session id in `client`'s cookie jar.
fn current_cookie(client: &User) -> String {
    let header = client.cookie().expect("a cookie");
    let header = header.to_str().expect("ASCII");
    header
        .split("; ")
        .find_map(|pair| pair.strip_prefix("hearth_session="))
        .expect("a hearth_session cookie")
        .to_owned()
}

/// The `Set-Cookie` header for the session, if the response sets one.
fn session_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("hearth_session="))
        .map(str::to_owned)
}

/// `hearth_session=abc; HttpOnly` → `abc`.
fn cookie_value(set_cookie: &str) -> &str {
    let pair = set_cookie.split(';').next().unwrap_or_default();
    pair.split_once('=').map_or("", |(_, value)| value)
}

/// A `Set-Cookie` header's attributes, lowercased: `["httponly", "samesite=lax", …]`.
fn cookie_attributes(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_lowercase())
        .collect()
}

fn retry_after_header(response: &Response) -> Option<u64> {
    response
        .headers()
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

fn retry_after(response: &Response) -> u64 {
    retry_after_header(response).expect("a Retry-After header in seconds")
}

/// Checks that `response` is an RFC 9457 problem (content type, `title`, `status`,
/// `detail`) and returns its status and body.
pub async fn problem(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/problem+json"),
        "{status} came as {content_type:?}"
    );
    let body: Value = response.json().await.expect("a JSON problem");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert!(
        body["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    (status, body)
}

/// Checks that `response` is a problem with `expected` status; returns its body.
pub async fn expect_problem(response: Response, expected: StatusCode) -> Value {
    let (status, body) = problem(response).await;
    assert_eq!(status, expected, "{body}");
    body
}
