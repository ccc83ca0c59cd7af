//! Registering, logging in and out through the plain HTML forms (no JavaScript needed).

use reqwest::header::{RETRY_AFTER, SET_COOKIE};

use super::*;

#[tokio::test]
async fn the_front_page_sends_you_to_log_in_or_to_your_rooms() {
    let app = spawn_app().await;
    assert_redirect(&app.client().get("/").await, "/login");
    // Logging in afterwards leads back to the page that was asked for.
    assert_redirect(&app.client().get("/rooms").await, "/login?next=%2Frooms");
    let alice = app.user("alice").await;
    assert_redirect(&alice.get("/").await, "/rooms");
    assert_redirect(&alice.get("/login").await, "/rooms");
}

#[tokio::test]
async fn the_login_page_has_username_password_log_in_and_a_register_link() {
    let app = spawn_app().await;
    let (status, html) = page(app.client().get("/login").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(has_labelled_input(&html, "Username"), "{html}");
    assert!(has_labelled_input(&html, "Password"), "{html}");
    assert!(find_tag(&html, "<input", "type=\"password\"").is_some());
    assert!(has_button(&html, "Log in"));
    assert!(html.contains("href=\"/register\">Register</a>"));

    let (status, html) = page(app.client().get("/register").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(has_labelled_input(&html, "Username") && has_labelled_input(&html, "Password"));
}

#[tokio::test]
async fn registering_through_the_form_logs_you_in_and_lands_on_your_rooms() {
    let app = spawn_app().await;
    let browser = app.client();
    let fields = [("username", "alice"), ("password", PASSWORD)];
    let response = submit(&browser, "/register", &fields).await;
    assert_redirect(&response, "/rooms");
    let cookie = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ASCII").to_owned())
        .find(|c| c.starts_with("hearth_session="))
        .expect("a session cookie");
    let lower = cookie.to_ascii_lowercase();
    assert!(
        lower.contains("httponly") && lower.contains("samesite=lax"),
        "{cookie}"
    );

    let (status, html) = page(browser.get("/rooms").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("alice"));
    assert_eq!(logged_in_as(&browser).await.as_deref(), Some("alice"));
}

#[tokio::test]
async fn a_bad_registration_shows_the_form_again_with_what_is_wrong() {
    let app = spawn_app().await;
    app.user("alice").await;
    let browser = app.client();
    let cases = [
        (
            "ab",
            PASSWORD,
            422,
            "Username must be 3 to 32 characters long (2 are enough in Chinese, Japanese or Korean).",
        ),
        (
            "bob smith",
            PASSWORD,
            422,
            "Spaces are not allowed in usernames.",
        ),
        (
            "bob",
            "short",
            422,
            "Password must be at least 8 characters, and at most 1024 bytes, long.",
        ),
        ("ALICE", PASSWORD, 409, "That username is taken."),
    ];
    for (username, password, status, error) in cases {
        let fields = [("username", username), ("password", password)];
        let (got, html) = page(submit(&browser, "/register", &fields).await).await;
        assert_eq!(got.as_u16(), status, "registering {username:?}");
        assert!(html.contains(error), "{username:?} shows {error:?}");
        assert!(
            html.contains("action=\"/register\""),
            "the form is shown again"
        );
        assert!(
            html.contains(&format!("value=\"{username}\"")),
            "the name is kept"
        );
    }
    assert_eq!(logged_in_as(&browser).await, None);
}

#[tokio::test]
async fn logging_in_through_the_form_works_and_a_wrong_password_says_so() {
    let app = spawn_app().await;
    app.user("bob").await;
    let browser = app.client();

    for (username, password) in [("bob", "wrong password"), ("nobody", PASSWORD)] {
        let fields = [("username", username), ("password", password)];
        let (status, html) = page(submit(&browser, "/login", &fields).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{username}");
        assert!(html.contains("Wrong username or password."), "{html}");
        assert!(
            html.contains(&format!("value=\"{username}\"")),
            "the name is kept"
        );
        assert!(has_button(&html, "Log in"));
        assert_eq!(logged_in_as(&browser).await, None);
    }

    let fields = [("username", "bob"), ("password", PASSWORD)];
    assert_redirect(&submit(&browser, "/login", &fields).await, "/rooms");
    assert_eq!(logged_in_as(&browser).await.as_deref(), Some("bob"));
    let (status, html) = page(browser.get("/rooms").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("bob"));
}

#[tokio::test]
async fn logging_in_again_gives_a_new_session_and_the_old_one_stops_working() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let before = alice.cookie().expect("a cookie");
    let fields = [("username", "alice"), ("password", PASSWORD)];
    assert_redirect(&submit(&alice, "/login", &fields).await, "/rooms");
    let after = alice.cookie().expect("a cookie");
    assert_ne!(before, after, "a new session id at login");

    let replay = app.client();
    let old = replay
        .http
        .get(app.url("/rooms"))
        .header("Cookie", before)
        .send()
        .await
        .expect("GET");
    assert_redirect(&old, "/login?next=%2Frooms");
}

#[tokio::test]
async fn after_ten_wrong_passwords_the_login_form_asks_you_to_wait() {
    let app = spawn_app().await;
    app.user("carol").await;
    let browser = app.client();
    for attempt in 1..=10 {
        let fields = [("username", "carol"), ("password", "not her password")];
        let response = submit(&browser, "/login", &fields).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    let fields = [("username", "carol"), ("password", PASSWORD)];
    let response = submit(&browser, "/login", &fields).await;
    let retry_after: u64 = header(&response, RETRY_AFTER.as_str())
        .parse()
        .expect("Retry-After in seconds");
    assert!(retry_after > 0);
    let (status, html) = page(response).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(html.contains("Too many attempts."), "{html}");
    assert_eq!(logged_in_as(&browser).await, None);
}

#[tokio::test]
async fn logging_out_ends_the_session_even_for_a_replayed_cookie() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let (_, html) = page(alice.get("/rooms").await).await;
    assert!(find_tag(&html, "<form", "action=\"/logout\"").is_some());
    assert!(has_button(&html, "Log out"));
    let cookie = alice.cookie().expect("a session cookie");

    assert_redirect(&submit(&alice, "/logout", &[]).await, "/login?signed_out=1");
    assert_redirect(&alice.get("/rooms").await, "/login?next=%2Frooms");

    let replay = app.client();
    let send_old = |path: &str| {
        replay
            .http
            .get(app.url(path))
            .header("Cookie", cookie.clone())
            .send()
    };
    assert_redirect(
        &send_old("/rooms").await.expect("GET"),
        "/login?next=%2Frooms",
    );
    let api = send_old("/api/v1/session").await.expect("GET");
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);

    // htmx cannot follow a 303 to a full page; it is told where to go instead (and to
    // come back to the page it was on).
    let fragment = htmx_get(&alice, "/dialogs/create-room").await;
    assert_eq!(fragment.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(header(&fragment, "HX-Redirect"), "/login");
    let fragment = alice
        .http
        .get(app.url("/dialogs/create-room"))
        .header("HX-Request", "true")
        .header("HX-Current-URL", app.url("/rooms/Porch?x=1"))
        .send()
        .await
        .expect("htmx GET");
    assert_eq!(
        header(&fragment, "HX-Redirect"),
        "/login?next=%2Frooms%2FPorch%3Fx%3D1"
    );
}
