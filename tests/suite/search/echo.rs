//! What the `/search` page echoes back (the query in the title and the box, the
//! filters in their fields, the next page's link) is escaped: markup typed into `q`,
//! `from`, `after` or `before` comes back as text, never as markup, and the page
//! answers as it would for any other odd input.

use super::*;
use crate::pages::{attr_values, find_tag, htmx_get, page};

/// Markup a search box or a crafted link might carry.
const CORPUS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'><svg onload=alert(1)>",
    "</title><script>alert(1)</script>",
    "</textarea></select><b>bold</b>",
    "\" autofocus onfocus=\"alert(1)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "javascript:alert(1)",
];

/// Text as the browser reads it back from the escapes askama and the snippet use.
fn decode(html: &str) -> String {
    html.replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// Every tag's name and attribute names, read as a browser would: quoted values are
/// skipped whole, so an escaped `onerror=` inside one is no attribute.
fn tags(html: &str) -> Vec<(String, Vec<String>)> {
    let bytes = html.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' || !bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
            continue;
        }
        i += 1;
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
            i += 1;
        }
        let name = html[start..i].to_ascii_lowercase();
        let mut attributes = Vec::new();
        loop {
            while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
                i += 1;
            }
            if i >= bytes.len() || bytes[i] == b'>' {
                i += 1;
                break;
            }
            let start = i;
            while i < bytes.len()
                && !bytes[i].is_ascii_whitespace()
                && !matches!(bytes[i], b'=' | b'>')
            {
                i += 1;
            }
            attributes.push(html[start..i].to_ascii_lowercase());
            if bytes.get(i) == Some(&b'=') {
                i += 1;
                match bytes.get(i) {
                    Some(&quote @ (b'"' | b'\'')) => {
                        i += 1;
                        while i < bytes.len() && bytes[i] != quote {
                            i += 1;
                        }
                        i += 1;
                    }
                    _ => {
                        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>'
                        {
                            i += 1;
                        }
                    }
                }
            }
        }
        found.push((name, attributes));
    }
    found
}

/// No markup from the input: the page's own `<script>`s all load a file, no tag the
/// corpus would open is there, and no tag has an event handler or a stray attribute.
fn assert_no_markup_from_input(html: &str, context: &str) {
    for (name, attributes) in tags(html) {
        assert!(
            !["img", "svg", "b", "iframe"].contains(&name.as_str()),
            "{context}: a <{name}> in {html}"
        );
        if name == "script" {
            assert_eq!(
                attributes,
                ["src", "defer"],
                "{context}: a script of the page's own"
            );
        }
        for attribute in &attributes {
            assert!(
                !attribute.starts_with("on")
                    && !attribute.contains('"')
                    && !attribute.contains('<'),
                "{context}: <{name} {attribute}> in {html}"
            );
        }
        let autofocus = attributes.iter().filter(|a| *a == "autofocus").count();
        assert!(autofocus <= 1, "{context}: <{name}> {attributes:?}");
    }
    // Nor anything that only looks like a tag once the page is read.
    assert!(!html.contains("<script>"), "{context}");
}

/// The value of the input with this id, as the browser reads it.
fn input_value(html: &str, id: &str) -> String {
    let tag = find_tag(html, "<input", &format!("id=\"{id}\"")).expect("the input");
    decode(attr_values(tag, "value").first().copied().unwrap_or(""))
}

#[tokio::test]
async fn markup_in_the_query_and_the_filters_comes_back_escaped() {
    let app = spawn_app().await;
    let (alice, _) = alice_says(&app, "Kitchen", &["soup for everyone"]).await;

    for payload in CORPUS {
        for field in ["q", "from", "after", "before"] {
            let q = if field == "q" { payload } else { "soup" };
            let mut pairs = vec![("q", q)];
            if field != "q" {
                pairs.push((field, payload));
            }
            let path = format!("/search?{}", query(&pairs));
            let context = format!("{field}={payload:?}");
            let (status, html) = page(alice.get(&path).await).await;
            // Sensible answers: found nothing (a name or words that are not there),
            // or refused as a bad date; never a server error.
            let expected = match field {
                "after" | "before" => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::OK,
            };
            assert_eq!(status, expected, "{context}");
            assert_no_markup_from_input(&html, &context);
            // Echoed back as the very text typed, in its field.
            assert_eq!(
                input_value(&html, &format!("search-{field}")),
                *payload,
                "{context}"
            );
            assert_eq!(input_value(&html, "search-q"), q, "{context}");
            if field == "q" {
                let title = html
                    .split_once("<title>")
                    .and_then(|(_, rest)| rest.split_once("</title>"))
                    .expect("a title")
                    .0;
                assert_eq!(
                    decode(title),
                    format!("{payload} · Search · Hearth"),
                    "{context}"
                );
                assert!(html.contains("No messages match."), "{context}");
            } else if status == StatusCode::OK {
                assert!(html.contains("No messages match."), "{context}");
            } else {
                let error = find_tag(&html, "<p", "id=\"search-error\"").expect("the reason");
                assert!(error.contains("role=\"alert\""), "{context}");
            }
            // htmx asks for the results alone: nothing from the input there either.
            let (hx_status, fragment) = page(htmx_get(&alice, &path).await).await;
            assert_eq!(hx_status, expected, "{context} with htmx");
            assert_no_markup_from_input(&fragment, &context);
        }
    }
}

#[tokio::test]
async fn markup_that_is_found_is_marked_as_text_and_the_next_page_link_carries_it_encoded() {
    let app = spawn_app_with(|config| config.message_burst = 1000.0).await;
    let payload = "<script>alert(1)</script>";
    let texts: Vec<String> = (1..=21).map(|n| format!("{payload} number {n}")).collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let (alice, _) = alice_says(&app, "Kitchen", &texts).await;

    let path = format!(
        "/search?{}",
        query(&[("q", payload), ("from", "alice"), ("after", "2000-01-01")])
    );
    let (status, html) = page(alice.get(&path).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_no_markup_from_input(&html, "a page of matches");
    assert!(
        html.contains("<mark>&lt;script&gt;alert(1)&lt;/script&gt;</mark>"),
        "the match is marked, as text: {html}"
    );
    let more = find_tag(&html, "<a", "/search?").expect("More results");
    let href = decode(attr_values(more, "href")[0]);
    assert!(
        !href.contains('<') && !href.contains('>') && !href.contains('"'),
        "{href}"
    );
    assert!(
        href.contains("q=%3Cscript%3Ealert%281%29%3C%2Fscript%3E"),
        "{href}"
    );
    // Following it finds the last one, and echoes the query as text again.
    let (status, next) = page(alice.get(&href).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_no_markup_from_input(&next, "the next page");
    assert_eq!(input_value(&next, "search-q"), payload);
    assert_eq!(next.matches("<li class=\"result\">").count(), 1);
}
