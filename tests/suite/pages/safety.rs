//! Escaping, Unicode names in URLs, security headers, cached assets and cross-site refusal.

use reqwest::header::CACHE_CONTROL;

use super::*;

#[tokio::test]
async fn a_script_is_never_a_username_or_room_name_and_is_escaped_in_messages() {
    let app = spawn_app().await;
    let script = "<script>alert(1)</script>";
    let browser = app.client();
    let fields = [("username", script), ("password", PASSWORD)];
    let (status, html) = page(submit(&browser, "/register", &fields).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_escaped_script(&html);

    let alice = app.user("alice").await;
    let (status, html) = page(htmx_submit(&alice, "/rooms", &[("name", script)]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_escaped_script(&html);
    assert!(joined_rooms(&alice).await.is_empty());

    alice.create_room("Porch").await;
    alice.say("Porch", script).await;
    let (_, html) = page(alice.get("/rooms/Porch").await).await;
    assert_escaped_script(&html);
    // A rejected message is put back in the box, escaped too.
    let too_long = format!("{script}{}", "x".repeat(4000));
    let fields = [("text", too_long.as_str())];
    let (status, html) = page(htmx_submit(&alice, "/rooms/Porch/messages", &fields).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_escaped_script(&html);
}

#[tokio::test]
async fn chinese_room_names_and_emoji_work_in_links_forms_and_pages() {
    let app = spawn_app().await;
    let alice = app.user("张伟明").await;
    let added = htmx_submit(&alice, "/rooms", &[("name", "茶水间")]).await;
    assert_eq!(added.status(), StatusCode::OK);
    let link = header(&added, "HX-Redirect");
    assert_eq!(link, format!("/rooms/{}", encode("茶水间")));
    let (status, html) = page(alice.get(&link).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>茶水间</h1>"));

    let action = format!("/rooms/{}/messages", encode("茶水间"));
    let sent = submit(&alice, &action, &[("text", "你好，世界 🌏🎉")]).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let (status, html) = page(alice.get(&location(&sent)).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("你好，世界 🌏🎉") && html.contains("张伟明"));
    assert_eq!(texts_in(&alice, "茶水间").await, ["你好，世界 🌏🎉"]);

    // Without JavaScript, creating one redirects to a URL that opens it.
    let created = submit(&alice, "/rooms", &[("name", "Team 茶水间")]).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let (status, html) = page(alice.get(&location(&created)).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>Team 茶水间</h1>"));
}

// ---- headers, assets and cross-site requests -----------------------------------------

fn assert_security_headers(response: &Response, what: &str) {
    let csp = header(response, "Content-Security-Policy");
    let script_src = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .unwrap_or_else(|| panic!("{what}: CSP with script-src, got {csp:?}"));
    assert_eq!(script_src, "script-src 'self'", "{what}");
    assert_eq!(
        header(response, "X-Content-Type-Options"),
        "nosniff",
        "{what}"
    );
    let referrer = header(response, "Referrer-Policy");
    assert!(
        !referrer.is_empty() && referrer != "unsafe-url",
        "{what}: {referrer:?}"
    );
}

#[tokio::test]
async fn every_page_and_fragment_carries_the_security_headers() {
    let app = spawn_app().await;
    let browser = app.client();
    let alice = app.user("alice").await;
    alice.create_room("Porch").await;
    let responses = [
        ("/ logged out", browser.get("/").await),
        ("the login page", browser.get("/login").await),
        ("the register page", browser.get("/register").await),
        (
            "a failed login",
            submit(&browser, "/login", &[("username", "x")]).await,
        ),
        ("your rooms", alice.get("/rooms").await),
        ("a room", alice.get("/rooms/Porch").await),
        ("a missing room", alice.get("/rooms/Nowhere").await),
        (
            "the create dialog",
            htmx_get(&alice, "/dialogs/create-room").await,
        ),
        ("the stylesheet", alice.get("/assets/app.css").await),
    ];
    for (what, response) in &responses {
        assert_security_headers(response, what);
    }
}

#[tokio::test]
async fn pages_load_only_versioned_assets_which_are_cached_for_long() {
    let app = spawn_app().await;
    let browser = app.client();
    let (_, html) = page(browser.get("/login").await).await;
    // script-src 'self' forbids inline script: every script is a file.
    let scripts = html.matches("<script").count();
    assert!(scripts > 0);
    let mut assets: Vec<&str> = attr_values(&html, "src");
    assert_eq!(assets.len(), scripts, "every <script> has a src");
    assets.extend(
        attr_values(&html, "href")
            .into_iter()
            .filter(|h| h.ends_with(".css") || h.contains(".css?")),
    );
    assert!(
        assets.iter().any(|a| a.contains("htmx")),
        "htmx is vendored"
    );

    for asset in assets {
        assert!(
            asset.starts_with("/assets/") && asset.contains("?v="),
            "{asset}"
        );
        let response = browser.get(asset).await;
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
        let cache = header(&response, CACHE_CONTROL.as_str());
        assert!(max_age(&cache) >= 30 * 24 * 3600, "{asset}: {cache}");
        let kind = header(&response, CONTENT_TYPE.as_str());
        let expected = if asset.contains(".css") {
            "text/css"
        } else {
            "javascript"
        };
        assert!(kind.contains(expected), "{asset} is {kind}");

        // A stale version is not cached for long, so a new release shows at once.
        let (path, _) = asset.split_once("?v=").expect("versioned");
        let stale = browser.get(&format!("{path}?v=0123456789abcdef")).await;
        assert!(
            max_age(&header(&stale, CACHE_CONTROL.as_str())) <= 24 * 3600,
            "{path}"
        );
    }
    assert_eq!(
        browser.get("/assets/nope.js").await.status(),
        StatusCode::NOT_FOUND
    );
}

fn max_age(cache_control: &str) -> u64 {
    cache_control
        .split(',')
        .find_map(|d| d.trim().strip_prefix("max-age="))
        .and_then(|secs| secs.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let from = |origin: &str, path: &str, fields: &[(&str, &str)]| {
        form_request(&alice, path, fields)
            .header("Origin", origin)
            .send()
    };
    let evil = "http://evil.example";
    let made = from(evil, "/rooms", &[("name", "Phished")])
        .await
        .expect("POST");
    assert_eq!(made.status(), StatusCode::FORBIDDEN);
    let out = from(evil, "/logout", &[]).await.expect("POST");
    assert_eq!(out.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        logged_in_as(&alice).await.as_deref(),
        Some("alice"),
        "still logged in"
    );

    // A browser that sends only a Referer is judged by that.
    let referred = form_request(&alice, "/rooms", &[("name", "Phished")])
        .header("Referer", "http://evil.example/page")
        .send()
        .await
        .expect("POST");
    assert_eq!(referred.status(), StatusCode::FORBIDDEN);

    let browser = app.client();
    let fields = [("username", "alice"), ("password", PASSWORD)];
    let login = form_request(&browser, "/login", &fields)
        .header("Origin", evil)
        .send()
        .await
        .expect("POST");
    assert_eq!(login.status(), StatusCode::FORBIDDEN);
    assert_eq!(logged_in_as(&browser).await, None);
    assert!(joined_rooms(&alice).await.is_empty(), "no room was made");
}
