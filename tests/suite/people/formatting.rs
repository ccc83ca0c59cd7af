//! Markdown, rendered when a message is stored: the usual formatting, and nothing an
//! attacker could make into markup, through the API, the sockets and the page.

use super::*;

/// Each hostile text, and what its rendering must never contain.
const CORPUS: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<svg onload=alert(1)>",
    "<!-- a comment --><b>b</b>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "![x](javascript:alert(1))",
    "![x](https://evil.example/track.png)",
    "[x](https://a.example/\"onmouseover=\"alert(1))",
    "https://a.example/\"onmouseover=\"alert(1)",
    "https://a.example/<script>alert(1)</script>",
    "<https://a.example/\"><script>alert(1)</script>>",
    "**<script>alert(1)</script>**",
    "`<script>` and ```\n<script>alert(1)</script>\n```",
    "> <img src=x onerror=alert(1)>",
    "- [x](javascript:alert(1))\n- <b>two</b>",
    "*****************************************************a",
    "[[[[[[[[[[[[[[[[[[[[x](javascript:alert(1))]]]]]]]]]]]]]]]]]]]]",
];

/// The first tag in `html` an attacker could have put there, if any. comrak escapes
/// every `<` of text, so each `<` left opens a real tag: it must be one Markdown makes,
/// with no attribute but a link's `rel`, `target` and web or mail `href`, and a code
/// block's language class.
fn dangerous(html: &str) -> Option<String> {
    const TAGS: &[&str] = &[
        "p",
        "strong",
        "em",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "br",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
    ];
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        let Some(end) = rest[at..].find('>') else {
            return Some(rest[at..].to_owned());
        };
        let tag = &rest[at + 1..at + end];
        rest = &rest[at + end + 1..];
        let tag = tag.trim_start_matches('/').trim_end_matches('/').trim();
        let (name, attributes) = tag.split_once(' ').unwrap_or((tag, ""));
        if !TAGS.contains(&name) {
            return Some(tag.to_owned());
        }
        for attribute in attributes.split("\" ").filter(|a| !a.trim().is_empty()) {
            let (key, value) = attribute
                .trim()
                .split_once("=\"")
                .unwrap_or((attribute, ""));
            let fine = match (name, key) {
                ("a", "rel") => value == "noopener nofollow ugc",
                ("a", "target") => value == "_blank",
                ("a", "href") => ["http://", "https://", "mailto:"]
                    .iter()
                    .any(|s| value.starts_with(s)),
                ("code", "class") => value.starts_with("language-"),
                ("ol", "start") => value.chars().all(|c| c.is_ascii_digit()),
                _ => false,
            };
            if !fine {
                return Some(tag.to_owned());
            }
        }
    }
    None
}

#[tokio::test]
async fn no_hostile_text_becomes_markup_in_the_api_the_sockets_or_the_page() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    assert_eq!(ann.create_room("Den").await.status(), StatusCode::CREATED);
    bob.join_room("Den").await;
    let mut bobs = bob.ws("/api/v1/rooms/Den/ws").await;
    let mut bobs_page = crate::live_pages::live_page(&bob, "Den").await;

    for text in CORPUS {
        let response = ann.post_message("Den", text).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{text}");
        let stored: Value = response.json().await.unwrap();
        assert_eq!(stored["text"], *text, "the source is kept as written");
        let html = stored["html"].as_str().unwrap();
        assert_eq!(dangerous(html), None, "{text} became {html}");
        let frame = next_message(&mut bobs, WAIT).await;
        assert_eq!(frame["html"], stored["html"], "the socket says the same");
        // The page shows exactly that HTML, inside the message's text.
        let fragment = next_text(&mut bobs_page, WAIT).await;
        let shown = format!("<div class=\"text\">{html}</div>");
        assert!(fragment.contains(&shown), "{text}: {fragment}");
    }
    let page = bob.get("/rooms/Den").await.text().await.unwrap();
    let shown: Vec<&str> = page
        .split("<div class=\"text\">")
        .skip(1)
        .map(|t| t.split_once("</div>").unwrap().0)
        .collect();
    assert_eq!(shown.len(), CORPUS.len());
    for html in shown {
        assert_eq!(dangerous(html), None, "{html}");
    }
    // An edit is rendered again, just as carefully.
    let id = ann.say("Den", "fine").await;
    let edited: Value = ann
        .edit_message(id, "<script>alert(1)</script> [x](javascript:alert(1))")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        dangerous(edited["html"].as_str().unwrap()),
        None,
        "{edited}"
    );
}

#[tokio::test]
async fn the_usual_formatting_is_rendered_and_links_open_safely() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    assert_eq!(ann.create_room("Den").await.status(), StatusCode::CREATED);
    let html = |text: &'static str| {
        let ann = &ann;
        async move {
            let stored: Value = ann.post_message("Den", text).await.json().await.unwrap();
            stored["html"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(
        html("**bold** _it_ ~~gone~~ `code`").await,
        "<p><strong>bold</strong> <em>it</em> <del>gone</del> <code>code</code></p>"
    );
    assert!(
        html("```\nfn main() {}\n```")
            .await
            .contains("<pre><code>fn main() {}\n</code></pre>")
    );
    assert!(html("> quoted").await.contains("<blockquote>"));
    assert!(
        html("- one\n- two")
            .await
            .contains("<ul>\n<li>one</li>\n<li>two</li>\n</ul>")
    );
    assert!(html("1. one\n2. two").await.contains("<ol>"));
    assert!(
        html("这是**我想做的事。**所以")
            .await
            .contains("<strong>我想做的事。</strong>")
    );
    let link = html("see https://example.com/a?b=1&c=2").await;
    assert!(link.contains(r#"<a rel="noopener nofollow ugc" target="_blank" href="https://example.com/a?b=1&amp;c=2">"#), "{link}");
    let mail = html("[write](mailto:ann@example.com)").await;
    assert!(mail.contains(r#"href="mailto:ann@example.com""#), "{mail}");
    // A message from before Markdown (no stored HTML) is rendered when read.
    let id = ann.say("Den", "**old**").await;
    app.run_sql(&format!("UPDATE messages SET html = '' WHERE id = {id}"))
        .await;
    let read = message(&ann, "Den", id).await;
    assert_eq!(read["html"], "<p><strong>old</strong></p>");
}
