//! A message's text as HTML: everything escaped, and `http(s)://` addresses made
//! into links. Only those two schemes ever become an `href`, so a `javascript:` or
//! `data:` address stays plain text; an address ends at whitespace or at any
//! character that could close an attribute or open a tag.

use std::fmt::Write;

/// What a link in someone's message may do: open without access to this page
/// (`noopener`), and vouch for nothing (`nofollow ugc`: user-generated content).
pub const LINK_REL: &str = "noopener nofollow ugc";

/// The message text, escaped, with web addresses as links.
pub fn linkify(text: &str) -> String {
    let mut html = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some((start, end)) = next_url(rest) {
        escape_into(&mut html, &rest[..start]);
        let url = &rest[start..end];
        html.push_str("<a href=\"");
        escape_into(&mut html, url);
        let _ = write!(html, "\" rel=\"{LINK_REL}\" target=\"_blank\">");
        escape_into(&mut html, url);
        html.push_str("</a>");
        rest = &rest[end..];
    }
    escape_into(&mut html, rest);
    html
}

/// Where the next `http://` or `https://` address in `text` starts and ends.
fn next_url(text: &str) -> Option<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find("http") {
        let start = from + found;
        from = start + 4;
        let after_scheme = ["https://", "http://"]
            .iter()
            .find(|scheme| lower[start..].starts_with(*scheme))
            .map(|scheme| start + scheme.len());
        let Some(after_scheme) = after_scheme else {
            continue;
        };
        // "xhttp://" is not an address; "(http://" and "看http://" are.
        let glued = text[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        if glued {
            continue;
        }
        let end = after_scheme + url_len(&text[after_scheme..]);
        if end > after_scheme {
            return Some((start, end));
        }
        from = after_scheme;
    }
    None
}

/// How many bytes of `rest` (just after the scheme) belong to the address.
fn url_len(rest: &str) -> usize {
    let mut len = rest
        .char_indices()
        .find(|(_, c)| !is_url_char(*c))
        .map_or(rest.len(), |(at, _)| at);
    // Punctuation that ends a sentence is not part of the address, nor is a closing
    // bracket whose opening one is outside it: "(see https://x.org/a)." → x.org/a.
    loop {
        let url = &rest[..len];
        let Some(last) = url.chars().next_back() else {
            break;
        };
        let unbalanced =
            |open, close| last == close && url.matches(open).count() < url.matches(close).count();
        let trailing = matches!(last, '.' | ',' | ':' | ';' | '!' | '?' | '*' | '_' | '~')
            || unbalanced('(', ')')
            || unbalanced('[', ']');
        if !trailing {
            break;
        }
        len -= last.len_utf8();
    }
    len
}

/// Characters an address may carry: printable ASCII except those that delimit HTML or
/// quote text, plus letters and digits of any script (`https://zh.wikipedia.org/wiki/茶`).
/// CJK punctuation such as "，" or "。" ends it.
fn is_url_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_graphic()
            && !matches!(
                c,
                '<' | '>' | '"' | '\'' | '`' | '{' | '}' | '|' | '\\' | '^'
            )
    } else {
        c.is_alphanumeric()
    }
}

/// Appends `text` to `html` with every character that means something in HTML escaped.
pub fn escape_into(html: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            c => html.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(url: &str) -> String {
        format!(r#"<a href="{url}" rel="noopener nofollow ugc" target="_blank">{url}</a>"#)
    }

    #[test]
    fn plain_text_is_escaped() {
        assert_eq!(
            linkify(r#"<script>alert("hi") & 'bye'</script>"#),
            "&lt;script&gt;alert(&quot;hi&quot;) &amp; &#39;bye&#39;&lt;/script&gt;"
        );
        assert_eq!(
            linkify("你好，世界 🌏\nline two"),
            "你好，世界 🌏\nline two"
        );
    }

    #[test]
    fn web_addresses_become_links() {
        assert_eq!(
            linkify("see https://example.org/a?b=1&c=2#d now"),
            format!("see {} now", link("https://example.org/a?b=1&amp;c=2#d"))
        );
        assert_eq!(linkify("HTTP://X.ORG"), link("HTTP://X.ORG"));
        assert_eq!(
            linkify("http://a.org and http://b.org"),
            format!("{} and {}", link("http://a.org"), link("http://b.org"))
        );
    }

    #[test]
    fn other_schemes_never_become_links() {
        for text in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(document.cookie)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "ftp://example.org",
            "xhttp://example.org",
            "javascripthttp://example.org",
        ] {
            assert!(!linkify(text).contains("<a "), "{text}");
        }
        // An address inside a javascript: URL links only the http part, as http.
        assert_eq!(
            linkify("javascript:http://x.org"),
            format!("javascript:{}", link("http://x.org"))
        );
    }

    #[test]
    fn quotes_and_angle_brackets_end_an_address_and_are_escaped() {
        assert_eq!(
            linkify(r#"https://x.org/"onmouseover="alert(1)"#),
            format!("{}&quot;onmouseover=&quot;alert(1)", link("https://x.org/"))
        );
        assert_eq!(
            linkify("https://x.org/<script>alert(1)</script>"),
            format!(
                "{}&lt;script&gt;alert(1)&lt;/script&gt;",
                link("https://x.org/")
            )
        );
        assert_eq!(
            linkify("https://x.org/'onclick='alert(1)'"),
            format!("{}&#39;onclick=&#39;alert(1)&#39;", link("https://x.org/"))
        );
        assert_eq!(linkify("https://"), "https://");
        assert_eq!(linkify("https://\"><b>"), "https://&quot;&gt;&lt;b&gt;");
    }

    #[test]
    fn sentence_punctuation_and_unmatched_brackets_stay_outside() {
        assert_eq!(
            linkify("(see https://x.org/a)."),
            format!("(see {}).", link("https://x.org/a"))
        );
        assert_eq!(
            linkify("https://en.wikipedia.org/wiki/Rust_(language)!"),
            format!("{}!", link("https://en.wikipedia.org/wiki/Rust_(language)"))
        );
        assert_eq!(
            linkify("看这个：https://zh.wikipedia.org/wiki/茶，很好。"),
            format!(
                "看这个：{}，很好。",
                link("https://zh.wikipedia.org/wiki/茶")
            )
        );
    }
}
