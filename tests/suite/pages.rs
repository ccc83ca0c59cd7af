//! The HTML pages, as a browser without JavaScript sees them and as htmx (which sends
//! `HX-Request: true`) sees them: forms, redirects, dialogs, fragments, escaping, headers.

mod accounts;
mod messages;
mod room;
mod safety;
mod sidebar;

use reqwest::{
    Response, StatusCode,
    header::{CONTENT_TYPE, LOCATION},
};
use serde_json::Value;

use crate::helpers::*;

// ---- what a browser does -------------------------------------------------------------

/// A form POST naming no origin yet.
fn form_request(user: &User, path: &str, fields: &[(&str, &str)]) -> reqwest::RequestBuilder {
    user.http
        .post(format!("http://{}{}", user.addr, path))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_body(fields))
}

/// A form POST from one of Hearth's own pages: browsers name the page's origin.
fn form_post(user: &User, path: &str, fields: &[(&str, &str)]) -> reqwest::RequestBuilder {
    form_request(user, path, fields).header("Origin", format!("http://{}", user.addr))
}

pub(crate) async fn submit(user: &User, path: &str, fields: &[(&str, &str)]) -> Response {
    form_post(user, path, fields).send().await.expect("POST")
}

/// The same form, submitted by htmx.
pub(crate) async fn htmx_submit(user: &User, path: &str, fields: &[(&str, &str)]) -> Response {
    form_post(user, path, fields)
        .header("HX-Request", "true")
        .send()
        .await
        .expect("htmx POST")
}

pub(crate) async fn htmx_get(user: &User, path: &str) -> Response {
    user.http
        .get(format!("http://{}{}", user.addr, path))
        .header("HX-Request", "true")
        .send()
        .await
        .expect("htmx GET")
}

/// Status and body of a page, checking it is HTML.
pub(crate) async fn page(response: Response) -> (StatusCode, String) {
    let status = response.status();
    let content_type = header(&response, CONTENT_TYPE.as_str());
    assert!(
        content_type.starts_with("text/html"),
        "{status} is {content_type}"
    );
    (status, response.text().await.expect("a body"))
}

fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("an ASCII header").to_owned())
        .unwrap_or_default()
}

fn location(response: &Response) -> String {
    header(response, LOCATION.as_str())
}

/// Asserts a `303 See Other` to `to`.
fn assert_redirect(response: &Response, to: &str) {
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "a redirect to {to}"
    );
    assert_eq!(location(response), to);
}

async fn logged_in_as(user: &User) -> Option<String> {
    let response = user.get("/api/v1/session").await;
    if response.status() != StatusCode::OK {
        return None;
    }
    let body: Value = response.json().await.expect("json");
    body["username"].as_str().map(str::to_owned)
}

async fn texts_in(user: &User, room: &str) -> Vec<String> {
    let response = user
        .get(&format!("/api/v1/rooms/{}/messages", encode(room)))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let messages: Vec<Value> = response.json().await.expect("json");
    messages
        .iter()
        .map(|m| m["text"].as_str().expect("text").to_owned())
        .collect()
}

async fn joined_rooms(user: &User) -> Vec<String> {
    let rooms: Vec<Value> = user
        .get("/api/v1/rooms?scope=joined")
        .await
        .json()
        .await
        .expect("json");
    rooms
        .iter()
        .map(|r| r["name"].as_str().expect("a name").to_owned())
        .collect()
}

// ---- reading HTML ------------------------------------------------------------------

/// Every value of `attr="…"` in `html`.
pub(crate) fn attr_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!(" {attr}=\"");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

/// The first tag opening with `open` (such as `<textarea`) whose attributes contain `has`.
pub(crate) fn find_tag<'a>(html: &'a str, open: &str, has: &str) -> Option<&'a str> {
    html.match_indices(open).find_map(|(at, _)| {
        let tag = &html[at..at + html[at..].find('>')? + 1];
        tag.contains(has).then_some(tag)
    })
}

/// Whether a `<label>` with this text names an `<input>` by its id.
pub(crate) fn has_labelled_input(html: &str, label: &str) -> bool {
    attr_values(html, "for").into_iter().any(|id| {
        html.contains(&format!("for=\"{id}\">{label}</label>"))
            && find_tag(html, "<input", &format!("id=\"{id}\"")).is_some()
    })
}

pub(crate) fn has_button(html: &str, text: &str) -> bool {
    html.contains(&format!(">{text}</button>"))
}

/// Where "Load earlier" fetches from, if the page has the button.
pub(crate) fn load_earlier(html: &str) -> Option<String> {
    let url = attr_values(html, "hx-get")
        .into_iter()
        .find(|url| url.contains("before="))?;
    assert!(has_button(html, "Load earlier"), "the button is labelled");
    Some(url.to_owned())
}

pub(crate) fn numbered(n: usize) -> String {
    format!("message {n:03}")
}

/// Asserts the page shows exactly messages `shown` (and none of `hidden`), oldest first.
pub(crate) fn assert_shows_in_order(
    html: &str,
    shown: std::ops::RangeInclusive<usize>,
    total: usize,
) {
    let mut previous = 0;
    for n in 1..=total {
        let at = html.find(&numbered(n));
        if shown.contains(&n) {
            let at = at.unwrap_or_else(|| panic!("{} is shown", numbered(n)));
            assert!(
                at > previous,
                "{} comes after the one before it",
                numbered(n)
            );
            previous = at;
        } else {
            assert!(at.is_none(), "{} is not shown here", numbered(n));
        }
    }
}

fn assert_no_raw_script(html: &str) {
    assert!(
        !html.contains("<script>alert"),
        "a raw <script> got through"
    );
}

fn assert_escaped_script(html: &str) {
    assert!(
        html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"),
        "the <script> text is shown, escaped"
    );
    assert_no_raw_script(html);
}
