//! Items 1 and 2: parallel guessing, the per-client limit on logins and registrations,
//! and a lockout that cannot be used to lock the owner out.

use futures_util::future::join_all;

use super::*;

/// The statuses of `guesses` logins as `alice`, all sent at once.
async fn all_at_once(client: &User, guesses: &[String]) -> Vec<StatusCode> {
    join_all(
        guesses
            .iter()
            .map(|password| async move { log_in_as(client, "alice", password).await.status() }),
    )
    .await
}

fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[tokio::test]
async fn sixty_parallel_wrong_guesses_get_only_ten_password_checks_and_the_rest_429() {
    let app = spawn_app().await;
    app.user("alice").await;
    let attacker = app.client();

    let guesses: Vec<String> = (0..60).map(|n| format!("guess number {n}")).collect();
    let statuses = all_at_once(&attacker, &guesses).await;

    assert_eq!(
        count(&statuses, StatusCode::UNAUTHORIZED),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        count(&statuses, StatusCode::TOO_MANY_REQUESTS),
        50,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_right_guess_among_parallel_wrong_ones_lets_no_more_guesses_in() {
    let app = spawn_app().await;
    app.user("alice").await;
    let attacker = app.client();

    let mut guesses: Vec<String> = (0..24).map(|n| format!("guess number {n}")).collect();
    guesses.insert(12, PASSWORD.to_owned());
    let burst = all_at_once(&attacker, &guesses).await;
    // And the guessing goes on afterwards, one at a time.
    let mut later = Vec::new();
    for n in 0..20 {
        later.push(
            log_in_as(&attacker, "alice", &format!("later guess {n}"))
                .await
                .status(),
        );
    }

    let wrong = count(&burst, StatusCode::UNAUTHORIZED) + count(&later, StatusCode::UNAUTHORIZED);
    assert!(count(&burst, StatusCode::OK) <= 1, "{burst:?}");
    assert!(
        wrong <= 10,
        "at most ten wrong passwords are ever checked in the window, success or not: \
         burst {burst:?}, later {later:?}"
    );
    assert!(
        count(&burst, StatusCode::TOO_MANY_REQUESTS) >= 14,
        "{burst:?}"
    );
    assert_eq!(
        later.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "the lock holds after the burst"
    );
}

#[tokio::test]
async fn a_locked_username_still_lets_its_owner_in_from_an_address_that_has_not_failed() {
    let app = spawn_behind_proxy(|_| {}).await;
    app.user("alice").await;
    let attacker = client_via_proxy(app.addr, "203.0.113.66");
    for n in 0..10 {
        let response = log_in_as(&attacker, "alice", &format!("guess number {n}")).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "guess {n}");
    }
    let locked = log_in_as(&attacker, "alice", "guess number 10").await;
    assert!(retry_after(&locked).is_some(), "{locked:?}");
    problem(locked, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(
        log_in_as(&attacker, "alice", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the failing address stays locked out, even with the right password"
    );

    // Alice, at home, has not been failing: her right password works.
    let alice = client_via_proxy(app.addr, "198.51.100.7");
    let response = log_in_as(&alice, "alice", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        alice.get("/api/v1/session").await.status(),
        StatusCode::OK,
        "and she is logged in"
    );

    // Another address gets one wrong guess before it is locked out too.
    let second = client_via_proxy(app.addr, "192.0.2.44");
    assert_eq!(
        log_in_as(&second, "alice", "one more guess").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        log_in_as(&second, "alice", "and another").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn one_address_may_post_ten_logins_in_three_minutes_through_pages_and_api_alike() {
    let app = spawn_behind_proxy(|c| c.auth_attempts = 10).await;
    app.user("alice").await;
    let client = client_via_proxy(app.addr, "203.0.113.9");

    // Different usernames: this is the per-address limit, not the per-username one.
    for n in 0..5 {
        let response = log_in_as(&client, &format!("nobody{n}"), "whatever-pass").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "API {n}");
        let ghost = format!("ghost{n}");
        let form = [("username", ghost.as_str()), ("password", "whatever-pass")];
        let response = post_form(&client, "/login", &form).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "page {n}");
    }

    let api = log_in_as(&client, "alice", PASSWORD).await;
    let wait = retry_after(&api).expect("Retry-After");
    assert!((1..=180).contains(&wait), "{wait}");
    problem(api, StatusCode::TOO_MANY_REQUESTS).await;
    let page = post_form(
        &client,
        "/login",
        &[("username", "alice"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&page).is_some());
    assert!(page.text().await.unwrap_or_default().contains("Try again"));

    // Another address is not affected.
    let other = client_via_proxy(app.addr, "198.51.100.20");
    assert_eq!(
        log_in_as(&other, "alice", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn one_address_may_register_only_so_many_accounts() {
    let app = spawn_behind_proxy(|c| c.auth_attempts = 3).await;
    let client = client_via_proxy(app.addr, "203.0.113.10");
    for n in 0..3 {
        let response = register_as(
            &client_via_proxy(app.addr, "203.0.113.10"),
            &format!("sock{n}"),
            PASSWORD,
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED, "account {n}");
    }

    let api = register_as(&client, "sock3", PASSWORD).await;
    assert!(retry_after(&api).is_some());
    problem(api, StatusCode::TOO_MANY_REQUESTS).await;
    let page = post_form(
        &client,
        "/register",
        &[("username", "sock4"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&page).is_some());

    let elsewhere = client_via_proxy(app.addr, "198.51.100.30");
    assert_eq!(
        register_as(&elsewhere, "sock5", PASSWORD).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_forwarded_for_header_from_an_untrusted_peer_changes_nothing() {
    // No trusted proxy: whatever a client claims, it is counted as itself.
    let app = spawn_app_with(|c| c.auth_attempts = 2).await;
    for n in 0..2 {
        let claims = client_via_proxy(app.addr, &format!("198.51.100.{n}"));
        let response = log_in_as(&claims, "nobody", "whatever-pass").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let claims = client_via_proxy(app.addr, "198.51.100.99");
    assert_eq!(
        log_in_as(&claims, "nobody", "whatever-pass").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}
