//! What the pages show: the template structs and the small view helpers they call.

use askama::Template;
use time::{OffsetDateTime, format_description::well_known::Rfc3339, macros::format_description};

use super::{i18n::Text, linkify::linkify};
use crate::store::{messages::MessageRow, rooms::RoomSummary};

/// Unix milliseconds as RFC 3339 UTC with milliseconds: `2026-11-26T09:05:03.123Z`.
pub fn rfc3339(ms: i64) -> String {
    datetime(ms).format(&Rfc3339).unwrap_or_default()
}

fn datetime(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A message as pages show it. Only facts every viewer shares, and no words of the
/// interface: whether it is "mine" is decided by each viewer's own stylesheet
/// (`/me.css`), and day headings and grouping by the page's script in the viewer's
/// time zone, so one rendering serves every recipient in every language.
pub struct MessageView<'a> {
    m: &'a MessageRow,
}

impl<'a> MessageView<'a> {
    pub fn new(m: &'a MessageRow) -> Self {
        Self { m }
    }
    pub fn id(&self) -> i64 {
        self.m.id
    }
    pub fn sender_id(&self) -> i64 {
        self.m.sender_id
    }
    pub fn sender(&self) -> &str {
        &self.m.sender
    }
    pub fn text(&self) -> &str {
        &self.m.text
    }
    /// The text as HTML: escaped, with `http(s)://` addresses as links.
    pub fn text_html(&self) -> String {
        linkify(&self.m.text)
    }
    pub fn iso(&self) -> String {
        rfc3339(self.m.sent_at)
    }
    /// `HH:MM` in UTC; the page's script shows it in the viewer's own time zone.
    pub fn clock(&self) -> String {
        datetime(self.m.sent_at)
            .format(format_description!("[hour]:[minute]"))
            .unwrap_or_default()
    }
    pub fn initials(&self) -> String {
        initials(&self.m.sender)
    }
    pub fn hue(&self) -> u32 {
        hue(&self.m.sender)
    }
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

/// One of twelve avatar colours, always the same for a name (FNV-1a: stable across builds).
pub fn hue(name: &str) -> u32 {
    let hash = name
        .to_lowercase()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
        });
    (hash % 12) as u32
}

#[derive(Template)]
#[template(path = "pages/login.html")]
pub struct LoginPage<'a> {
    pub t: &'static Text,
    pub username: &'a str,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/register.html")]
pub struct RegisterPage<'a> {
    pub t: &'static Text,
    pub username: &'a str,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/error.html")]
pub struct ErrorPage<'a> {
    pub t: &'static Text,
    pub title: &'a str,
    pub detail: &'a str,
}

/// An error inside whatever htmx was swapping.
#[derive(Template)]
#[template(
    source = r#"<p class="error" role="alert">{{ detail }}</p>"#,
    ext = "html"
)]
pub struct InlineError<'a> {
    pub detail: &'a str,
}

#[derive(Template)]
#[template(path = "pages/rooms.html")]
pub struct RoomsPage<'a> {
    pub t: &'static Text,
    pub username: &'a str,
    pub rooms: &'a [RoomSummary],
    pub current_room_id: i64,
}

#[derive(Template)]
#[template(path = "pages/room.html")]
pub struct RoomPage<'a> {
    pub t: &'static Text,
    pub username: &'a str,
    pub rooms: &'a [RoomSummary],
    pub current_room_id: i64,
    pub room_name: &'a str,
    pub members: i64,
    pub online: usize,
    pub messages: Vec<MessageView<'a>>,
    /// Set when there are older messages: the id "Load earlier" reads before.
    pub earlier_before: Option<i64>,
    /// The newest message shown: the page's socket resumes after it.
    pub last_id: i64,
    pub composer: String,
}

#[derive(Template)]
#[template(path = "partials/history.html")]
pub struct HistoryFragment<'a> {
    pub t: &'static Text,
    pub room_name: &'a str,
    pub messages: Vec<MessageView<'a>>,
    pub earlier_before: Option<i64>,
}

#[derive(Template)]
#[template(path = "partials/composer.html")]
pub struct Composer<'a> {
    pub t: &'static Text,
    pub room_name: &'a str,
    pub text: &'a str,
    pub client_id: String,
    pub error: Option<String>,
    pub focus: bool,
}

impl<'a> Composer<'a> {
    /// An empty composer with a fresh `client_id`, so a double submit stores once.
    pub fn empty(t: &'static Text, room_name: &'a str, focus: bool) -> Self {
        Self {
            t,
            room_name,
            text: "",
            client_id: format!("{:032x}", rand::random::<u128>()),
            error: None,
            focus,
        }
    }
}

#[derive(Template)]
#[template(path = "partials/dialog_create.html")]
pub struct CreateDialog<'a> {
    pub t: &'static Text,
    pub name: &'a str,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "partials/dialog_join.html")]
pub struct JoinDialog<'a> {
    pub t: &'static Text,
    pub rooms: &'a [RoomSummary],
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "partials/room_added.html")]
pub struct RoomAdded<'a> {
    pub t: &'static Text,
    pub room_id: i64,
    pub room_name: &'a str,
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
