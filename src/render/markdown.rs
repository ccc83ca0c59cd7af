//! A message's Markdown, rendered once when it is stored (and again when it is
//! edited): bold, italic, strikethrough, code, code blocks, quotes, lists, links and
//! bare web addresses, with emphasis that works beside Chinese punctuation. Never
//! untrusted HTML: comrak escapes raw HTML (`render.escape`, and `unsafe` stays off),
//! links keep only the http, https and mailto schemes (anything else is shown as its
//! text), images are shown as their text, and every link opens with
//! `rel="noopener nofollow ugc"`. Also finds the `@names` a message mentions, outside
//! code.

use comrak::{
    Arena, Options, format_html,
    nodes::{AstNode, NodeValue},
    parse_document,
};

use super::LINK_REL;

/// A message's text as HTML, and the names it mentions (as written, without `@`, in
/// order, once each).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    pub mentions: Vec<String>,
}

fn options() -> Options<'static> {
    let mut options = Options::default();
    options.extension.strikethrough = true;
    options.extension.autolink = true;
    options.extension.cjk_friendly_emphasis = true;
    // Raw HTML is shown as the text it is.
    options.render.escape = true;
    options.render.r#unsafe = false;
    // A line break in a chat message is a line break.
    options.render.hardbreaks = true;
    options
}

/// Renders `text` (at most a few thousand characters, already checked).
pub fn render(text: &str) -> Rendered {
    let arena = Arena::new();
    let options = options();
    let root = parse_document(&arena, text, &options);
    let mut mentions = Vec::new();
    // Collected first: detaching while walking would cut the walk short.
    let nodes: Vec<&AstNode> = root.descendants().collect();
    for node in nodes {
        let unsafe_link = match &node.data.borrow().value {
            NodeValue::Link(link) => !allowed(&link.url),
            NodeValue::Image(_) => true,
            NodeValue::Text(text) => {
                if !inside_link(node) {
                    find_mentions(text, &mut mentions);
                }
                false
            }
            _ => false,
        };
        if unsafe_link {
            // The link (or image) goes; what it said stays, as text.
            for child in node.children().collect::<Vec<_>>() {
                node.insert_before(child);
            }
            node.detach();
        }
    }
    let mut html = String::with_capacity(text.len() + 32);
    if format_html(root, &options, &mut html).is_err() {
        html.clear();
        super::escape_into(&mut html, text);
    }
    // The newline after the last block would show in a message's text.
    html.truncate(html.trim_end().len());
    // comrak escapes every attribute and text, so `<a href="` only ever opens a link.
    let html = html.replace(
        "<a href=\"",
        &format!("<a rel=\"{LINK_REL}\" target=\"_blank\" href=\""),
    );
    Rendered { html, mentions }
}

fn inside_link<'a>(node: &'a AstNode<'a>) -> bool {
    node.ancestors()
        .skip(1)
        .any(|a| matches!(a.data.borrow().value, NodeValue::Link(_)))
}

/// Only web and mail addresses become links.
fn allowed(url: &str) -> bool {
    let url = url.trim_start().to_ascii_lowercase();
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| url.starts_with(scheme))
}

/// Characters a username may hold (see `domain::Username`).
fn name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Every `@name` in a piece of text: `@` not glued to a word before it (so an e-mail
/// address is not a mention), then name characters.
fn find_mentions(text: &str, found: &mut Vec<String>) {
    let mut previous: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c == '@' && !previous.is_some_and(name_char) {
            let start = at + 1;
            let mut end = start;
            while let Some(&(i, next)) = chars.peek() {
                if !name_char(next) {
                    break;
                }
                end = i + next.len_utf8();
                chars.next();
            }
            let name = &text[start..end];
            if !name.is_empty() && !found.iter().any(|f| f == name) {
                found.push(name.to_owned());
            }
            previous = text[..end].chars().next_back();
            continue;
        }
        previous = Some(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(text: &str) -> String {
        render(text).html
    }

    #[test]
    fn markdown_renders_the_usual_things() {
        assert_eq!(
            html("**bold** and *it*"),
            "<p><strong>bold</strong> and <em>it</em></p>"
        );
        assert!(html("~~gone~~").contains("<del>gone</del>"));
        assert!(html("`x < y`").contains("<code>x &lt; y</code>"));
        assert!(html("```\nfn main() {}\n```").contains("<pre><code>fn main() {}\n</code></pre>"));
        assert!(html("> said").contains("<blockquote>"));
        assert!(html("- a\n- b").contains("<ul>\n<li>a</li>\n<li>b</li>\n</ul>"));
        assert!(html("1. a\n2. b").contains("<ol>"));
        assert!(html("line one\nline two").contains("line one<br />\nline two"));
    }

    #[test]
    fn emphasis_works_beside_chinese_punctuation() {
        assert!(html("这是**我想做的事。**所以").contains("<strong>我想做的事。</strong>"));
    }

    #[test]
    fn links_are_web_or_mail_and_open_safely() {
        let out = html("see https://example.org/a?b=1 and [docs](https://docs.rs)");
        assert!(out.contains(r#"<a rel="noopener nofollow ugc" target="_blank" href="https://example.org/a?b=1">"#), "{out}");
        assert!(out.contains(r#"href="https://docs.rs">docs</a>"#), "{out}");
        assert!(html("[mail](mailto:a@b.example)").contains("href=\"mailto:a@b.example\""));
    }

    #[test]
    fn raw_html_and_dangerous_links_never_become_markup() {
        for evil in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](  javascript:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "[x](vbscript:msgbox(1))",
            "![x](javascript:alert(1))",
            "![x](https://evil.example/a.png)",
            "<javascript:alert(1)>",
            "[x][r]\n\n[r]: javascript:alert(1)",
            "<a href=\"https://evil.example\">x</a>",
            "[x](/relative)",
        ] {
            let out = html(evil);
            assert!(!out.contains("<script"), "{evil} → {out}");
            assert!(!out.contains("<img"), "{evil} → {out}");
            assert!(
                !out.contains("javascript:alert") || !out.contains("href"),
                "{evil} → {out}"
            );
            assert!(
                !out.contains("href=\"data:") && !out.contains("href=\"vbscript:"),
                "{evil} → {out}"
            );
            assert!(!out.contains("href=\"/relative"), "{evil} → {out}");
            assert!(!out.contains("<a href"), "{evil} → {out}");
        }
    }

    #[test]
    fn an_autolink_with_quotes_or_angle_brackets_stays_inside_its_attribute() {
        let out = html("https://example.org/\"onmouseover=alert(1)\" and https://x.example/<b>");
        assert!(!out.contains("\" onmouseover"), "{out}");
        assert!(!out.contains("<b>"), "{out}");
    }

    #[test]
    fn mentions_are_found_outside_code_and_email_addresses() {
        let found = render(
            "hi @ann and @Bob_1, mail bob@example.org, `@carl` and\n```\n@dan\n```\n@ann again @",
        );
        assert_eq!(found.mentions, ["ann", "Bob_1"]);
        assert_eq!(render("@张伟，你好").mentions, ["张伟"]);
        assert_eq!(render("(@ann)").mentions, ["ann"]);
    }
}
