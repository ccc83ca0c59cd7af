//! A search result's snippet: the part of the message around the first match, with
//! every match wrapped in `<mark>`. Built from the text itself: each piece escaped,
//! then marked; the database's highlight functions (which do not escape) are never
//! used.

use super::escape_chars_into;
use crate::domain::occurrences;

/// The longest snippet, in characters, before it is cut around the first match.
const SNIPPET_CHARS: usize = 220;
/// How much text to keep before the first match when cutting.
const LEAD_CHARS: usize = 60;

/// `text`, escaped, with each case-insensitive occurrence of any term marked.
pub fn snippet_html(text: &str, terms: &[String]) -> String {
    let chars: Vec<char> = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let marked = matches(&chars, terms);
    let (from, to) = window(chars.len(), marked.first().map(|r| r.0));
    let mut html = String::with_capacity(text.len() + 32);
    if from > 0 {
        html.push('…');
    }
    let mut at = from;
    for &(start, end) in marked.iter().filter(|(s, e)| *e > from && *s < to) {
        let (start, end) = (start.max(from), end.min(to));
        push_chars(&mut html, &chars[at..start]);
        html.push_str("<mark>");
        push_chars(&mut html, &chars[start..end]);
        html.push_str("</mark>");
        at = end;
    }
    push_chars(&mut html, &chars[at..to]);
    if to < chars.len() {
        html.push('…');
    }
    html
}

fn push_chars(html: &mut String, chars: &[char]) {
    escape_chars_into(html, chars.iter().copied());
}

/// Where each term occurs (char ranges), merged where they overlap, in order.
fn matches(text: &[char], terms: &[String]) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    for term in terms {
        let term: Vec<char> = term.chars().collect();
        ranges.extend(occurrences(text, &term).map(|start| (start, start + term.len())));
    }
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// The part of a text of `len` characters to show, given where the first match is.
fn window(len: usize, first: Option<usize>) -> (usize, usize) {
    if len <= SNIPPET_CHARS {
        return (0, len);
    }
    let from = first.map_or(0, |f| f.saturating_sub(LEAD_CHARS));
    let from = from.min(len - SNIPPET_CHARS);
    (from, from + SNIPPET_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn matches_are_marked_in_any_case_and_script() {
        assert_eq!(
            snippet_html("We Deployed it", &terms(&["deploy"])),
            "We <mark>Deploy</mark>ed it"
        );
        assert_eq!(
            snippet_html("我们讨论数据库迁移", &terms(&["数据库", "迁移"])),
            "我们讨论<mark>数据库迁移</mark>"
        );
    }

    #[test]
    fn the_text_is_escaped_before_it_is_marked() {
        let html = snippet_html(
            r#"<script>alert("x")</script> mark"#,
            &terms(&["script", "<mark>"]),
        );
        assert_eq!(
            html,
            "&lt;<mark>script</mark>&gt;alert(&quot;x&quot;)&lt;/<mark>script</mark>&gt; mark"
        );
        // A term that looks like markup is only ever text.
        let html = snippet_html("a <b> c", &terms(&["<b>"]));
        assert_eq!(html, "a <mark>&lt;b&gt;</mark> c");
    }

    #[test]
    fn a_long_text_is_cut_around_the_first_match() {
        let text = format!("{} needle {}", "x".repeat(500), "y".repeat(500));
        let html = snippet_html(&text, &terms(&["needle"]));
        assert!(html.starts_with('…') && html.ends_with('…'), "{html}");
        assert!(html.contains("<mark>needle</mark>"));
        assert!(html.chars().count() < 260);
    }
}
