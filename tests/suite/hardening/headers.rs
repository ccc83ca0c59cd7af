//! Cookies and headers: the `__Host-` prefix and HSTS over HTTPS, a logout that removes
//! the cookie for the whole site, and the API docs' own policy.

use base64::{Engine, engine::general_purpose::STANDARD};
use reqwest::header::{CONTENT_SECURITY_POLICY, COOKIE, SET_COOKIE, STRICT_TRANSPORT_SECURITY};
use sha2::{Digest, Sha256};

use super::*;

fn set_cookies(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

fn attributes(cookie: &str) -> Vec<String> {
    cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_lowercase())
        .collect()
}

#[tokio::test]
async fn over_https_the_cookie_is_host_only_and_hsts_is_sent() {
    let app = spawn_app_with(|c| c.secure_cookies = true).await;
    let response = register_as(&app.client(), "alice", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        response.headers()[STRICT_TRANSPORT_SECURITY],
        "max-age=31536000"
    );
    let cookies = set_cookies(&response);
    let session = cookies
        .iter()
        .find(|c| c.starts_with("__Host-hearth_session="))
        .unwrap_or_else(|| panic!("a __Host- cookie in {cookies:?}"));
    let attrs = attributes(session);
    assert!(attrs.contains(&"secure".to_owned()), "{session}");
    assert!(attrs.contains(&"path=/".to_owned()), "{session}");

    // Pages too.
    let page = app.client().get("/login").await;
    assert!(page.headers().contains_key(STRICT_TRANSPORT_SECURITY));
}

#[tokio::test]
async fn over_plain_http_there_is_no_hsts_and_no_prefix() {
    let app = spawn_app().await;
    let response = register_as(&app.client(), "alice", PASSWORD).await;
    assert!(!response.headers().contains_key(STRICT_TRANSPORT_SECURITY));
    assert!(
        set_cookies(&response)
            .iter()
            .any(|c| c.starts_with("hearth_session="))
    );
}

/// What `Set-Cookie` a logout sends, for the page form and for the API.
async fn logout_cookies(app: &TestApp, cookie_name: &str) -> Vec<String> {
    let mut removals = Vec::new();
    for (method_is_api, name) in [(true, "api"), (false, "page")] {
        let user = app.client();
        let registered = register_as(&user, &format!("leaver{name}"), PASSWORD).await;
        let session = set_cookies(&registered)
            .into_iter()
            .find_map(|c| {
                c.split(';')
                    .next()
                    .and_then(|pair| pair.strip_prefix(&format!("{cookie_name}=")))
                    .map(str::to_owned)
            })
            .expect("a session cookie");
        // Sent by hand: a cookie jar keeps Secure cookies off plain HTTP.
        let cookie = format!("{cookie_name}={session}");
        let response = if method_is_api {
            user.http
                .delete(app.api("/session"))
                .header(COOKIE, cookie)
                .send()
                .await
        } else {
            user.http
                .post(app.url("/logout"))
                .header(COOKIE, cookie)
                .send()
                .await
        }
        .expect("log out");
        assert!(response.status().is_success() || response.status().is_redirection());
        removals.extend(
            set_cookies(&response)
                .into_iter()
                .filter(|c| c.starts_with(&format!("{cookie_name}="))),
        );
    }
    removals
}

#[tokio::test]
async fn logging_out_removes_the_cookie_for_the_whole_site() {
    let app = spawn_app().await;
    let removals = logout_cookies(&app, "hearth_session").await;
    assert_eq!(removals.len(), 2, "{removals:?}");
    for removal in removals {
        assert!(removal.starts_with("hearth_session=;"), "{removal}");
        let attrs = attributes(&removal);
        assert!(attrs.contains(&"path=/".to_owned()), "{removal}");
        assert!(attrs.contains(&"max-age=0".to_owned()), "{removal}");
    }
}

#[tokio::test]
async fn logging_out_over_https_removes_the_host_cookie_as_browsers_require() {
    let app = spawn_app_with(|c| c.secure_cookies = true).await;
    let removals = logout_cookies(&app, "__Host-hearth_session").await;
    assert_eq!(removals.len(), 2, "{removals:?}");
    for removal in removals {
        let attrs = attributes(&removal);
        assert!(attrs.contains(&"path=/".to_owned()), "{removal}");
        assert!(attrs.contains(&"secure".to_owned()), "{removal}");
        assert!(attrs.contains(&"max-age=0".to_owned()), "{removal}");
    }
}

/// The contents of each inline `<script>` of `html`, read as a browser reads them:
/// a script runs to the first `</script>`, whatever it contains before that.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut scripts = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let Some(open_end) = rest[start..].find('>') else {
            break;
        };
        let body = &rest[start + open_end + 1..];
        let Some(end) = body.find("</script>") else {
            break;
        };
        scripts.push(&body[..end]);
        rest = &body[end..];
    }
    scripts
}

#[tokio::test]
async fn the_api_docs_run_only_their_own_inline_scripts_and_cannot_be_framed() {
    let app = spawn_app().await;
    let response = app.client().get("/api/docs").await;
    assert_eq!(response.status(), StatusCode::OK);
    let policy = response.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("ASCII")
        .to_owned();
    let html = response.text().await.expect("the page");

    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert!(!policy.contains("unsafe-eval"), "{policy}");
    let scripts = inline_scripts(&html);
    assert!(scripts.len() >= 2, "Swagger UI and its start-up script");
    for script in scripts {
        let hash = STANDARD.encode(Sha256::digest(script.as_bytes()));
        assert!(
            policy.contains(&format!("'sha256-{hash}'")),
            "a script is allowed"
        );
    }

    // The rest of the site keeps the strict policy.
    let login = app.client().get("/login").await;
    let site = login.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap_or("");
    assert!(site.contains("script-src 'self'"), "{site}");
}
