//! How Hearth shows things, once for every surface: a message or event as a JSON
//! object (the API and the JSON socket) and as an HTML fragment (pages and the page
//! socket), times as RFC 3339, avatars' initials and colours. Below `live`, `web` and
//! `api`, so none of them needs another for what they all show.

pub mod html;
pub mod json;
pub mod markdown;
pub mod snippet;

/// What a link in someone's message may do: open without access to this page
/// (`noopener`), and vouch for nothing (`nofollow ugc`: user-generated content).
pub const LINK_REL: &str = "noopener nofollow ugc";

/// Appends `text` to `html` with every character that means something in HTML escaped.
pub fn escape_into(html: &mut String, text: &str) {
    escape_chars_into(html, text.chars());
}

/// `escape_into` for characters one at a time (a snippet's pieces, cut by character).
pub fn escape_chars_into(html: &mut String, chars: impl IntoIterator<Item = char>) {
    for c in chars {
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

use crate::store::files::Attachment;
use time::{OffsetDateTime, format_description::well_known::Rfc3339, macros::format_description};

/// A message's HTML: as stored, or (for a message stored before Markdown, whose HTML
/// is empty) rendered now.
pub fn message_html<'a>(text: &str, html: &'a str) -> std::borrow::Cow<'a, str> {
    if html.is_empty() && !text.is_empty() {
        std::borrow::Cow::Owned(markdown::render(text).html)
    } else {
        std::borrow::Cow::Borrowed(html)
    }
}

/// Unix milliseconds as RFC 3339 UTC with milliseconds: `2026-11-26T09:05:03.123Z`.
pub fn rfc3339(ms: i64) -> String {
    datetime(ms).format(&Rfc3339).unwrap_or_default()
}

/// `HH:MM` in UTC; the page's script shows it in the viewer's own time zone.
pub fn clock(ms: i64) -> String {
    datetime(ms)
        .format(format_description!("[hour]:[minute]"))
        .unwrap_or_default()
}

/// `YYYY-MM-DD HH:MM` in UTC, for a time far from the messages around it (a search
/// result); the page's script shows it in the viewer's own time zone and words.
pub fn day_and_clock(ms: i64) -> String {
    datetime(ms)
        .format(format_description!("[year]-[month]-[day] [hour]:[minute]"))
        .unwrap_or_default()
}

fn datetime(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Up to two letters for an avatar: "ann_lee" → "AL", "张伟" → "张".
pub fn initials(name: &str) -> String {
    let mut parts = name.split(['_', '.', '-']).filter(|p| !p.is_empty());
    let first = parts.next().and_then(|p| p.chars().next());
    let second = parts.next().and_then(|p| p.chars().next());
    first
        .into_iter()
        .chain(second.filter(|c| c.is_ascii_alphabetic()))
        .flat_map(char::to_uppercase)
        .collect()
}

/// One of twelve avatar colours, always the same for a name.
pub fn hue(name: &str) -> u32 {
    (fnv1a(name.to_lowercase().as_bytes()) % 12) as u32
}

/// FNV-1a: a small hash that is stable across builds (for colours and asset versions).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A path segment, percent-encoded: room names in URLs.
pub fn encode_segment(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// What a file name keeps unencoded in its URL: RFC 3986's unreserved characters.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Where a message's file is downloaded: `/files/<id>/<name>`, the name encoded.
pub fn file_url(a: &Attachment) -> String {
    let name = percent_encoding::utf8_percent_encode(&a.name, UNRESERVED);
    format!("/files/{}/{name}", a.id)
}

/// Where a file's thumbnail is, if it has one: `/thumbnails/<id>.jpg`.
pub fn thumbnail_url(a: &Attachment) -> Option<String> {
    a.thumbnail.then(|| format!("/thumbnails/{}.jpg", a.id))
}

/// Where an avatar is: `/avatars/<key>.jpg` (a new key for every new picture, so it
/// may be cached for good).
pub fn avatar_url(key: &str) -> String {
    format!("/avatars/{key}.jpg")
}

/// A size in bytes as people read it: "512 B", "1.5 KB", "25 MB" (powers of 1024).
pub fn file_size(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut size = bytes as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    if size < 10.0 {
        format!("{size:.1} {}", UNITS[unit])
    } else {
        format!("{size:.0} {}", UNITS[unit])
    }
}

/// `/rooms/<name>` with the name percent-encoded.
pub fn room_path(name: &str) -> String {
    format!("/rooms/{}", encode_segment(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_764_151_503_123), "2025-11-26T10:05:03.123Z");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(file_size(512), "512 B");
        assert_eq!(file_size(1536), "1.5 KB");
        assert_eq!(file_size(25 * 1024 * 1024), "25 MB");
    }

    #[test]
    fn initials_take_up_to_two_parts() {
        assert_eq!(initials("ann_lee"), "AL");
        assert_eq!(initials("bob"), "B");
        assert_eq!(initials("张伟"), "张");
        assert_eq!(initials("émile.zola"), "ÉZ");
    }

    #[test]
    fn a_name_always_gets_the_same_hue() {
        assert_eq!(hue("Alice"), hue("alice"));
        assert!(hue("alice") < 12);
    }
}
