//! What the pages show: the template structs and the small view helpers they call.

use askama::Template;

use crate::{i18n::Text, render::html::MessageView, store::rooms::RoomSummary};

/// A refused form's error and where it goes: next to `username`, `password`, under
/// `both` (for a login that failed as a whole), or atop the `form`.
pub struct FormError {
    pub text: String,
    pub at: &'static str,
}

impl FormError {
    /// Whether `field` is one the error is about (for `aria-invalid`).
    pub fn marks(&self, field: &str) -> bool {
        self.at == field || self.at == "both"
    }
}

#[derive(Template)]
#[template(path = "pages/login.html")]
pub struct LoginPage<'a> {
    pub t: &'static Text,
    pub username: &'a str,
    /// The local page to go to after logging in, if one was asked for.
    pub next: &'a str,
    /// Just logged out: say so.
    pub signed_out: bool,
    pub error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "pages/register.html")]
pub struct RegisterPage<'a> {
    pub t: &'static Text,
    /// `/register`, or `/join/{code}` for an invitation.
    pub action: &'a str,
    pub username: &'a str,
    pub error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "pages/reset.html")]
pub struct ResetPage<'a> {
    pub t: &'static Text,
    pub action: &'a str,
    /// Whose password is set.
    pub username: &'a str,
    pub error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "pages/error.html")]
pub struct ErrorPage<'a> {
    pub t: &'static Text,
    pub title: &'a str,
    pub detail: &'a str,
}

/// An error for a logged-in reader, inside the app's shell.
#[derive(Template)]
#[template(path = "pages/error_shell.html")]
pub struct ErrorInShell<'a> {
    pub t: &'static Text,
    pub username: &'a str,
    /// The reader's avatar key, for the sidebar.
    pub avatar: Option<&'a str>,
    pub rooms: &'a [RoomSummary],
    pub current_room_id: i64,
    pub title: &'a str,
    pub detail: &'a str,
}

/// A room the reader is not in (yet): its name, its size, and a Join button.
#[derive(Template)]
#[template(path = "pages/room_preview.html")]
pub struct RoomPreview<'a> {
    pub t: &'static Text,
    pub username: &'a str,
    /// The reader's avatar key, for the sidebar.
    pub avatar: Option<&'a str>,
    pub rooms: &'a [RoomSummary],
    pub current_room_id: i64,
    pub room_name: &'a str,
    pub members: i64,
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
    /// The reader's avatar key, for the sidebar.
    pub avatar: Option<&'a str>,
    pub rooms: &'a [RoomSummary],
    pub current_room_id: i64,
}

#[derive(Template)]
#[template(path = "pages/room.html")]
pub struct RoomPage<'a> {
    pub t: &'static Text,
    pub username: &'a str,
    /// The reader's avatar key, for the sidebar.
    pub avatar: Option<&'a str>,
    pub rooms: &'a [RoomSummary],
    pub current_room_id: i64,
    pub room_name: &'a str,
    /// The room's name, or a direct room's other people.
    pub title: &'a str,
    /// The reader's notification level here: `all`, `mentions` or `none`.
    pub notify: &'a str,
    pub members: i64,
    pub online: usize,
    pub messages: Vec<MessageView<'a>>,
    /// Set when there are older messages: the id "Load earlier" reads before.
    pub earlier_before: Option<i64>,
    /// Set when there are newer messages than shown: the id "Load later" reads after.
    pub later_after: Option<i64>,
    /// The message a permalink points at, highlighted.
    pub target: Option<i64>,
    /// The first unread message, where the "New" divider goes, and how many are unread.
    pub new_from: Option<i64>,
    pub new_count: i64,
    /// The room's seq the page shows everything up to: its socket resumes after it.
    pub room_seq: i64,
    pub composer: String,
    /// The reader's user id, for their script (Up-arrow edits their last message).
    pub user_id: i64,
}

#[derive(Template)]
#[template(path = "partials/history.html")]
pub struct HistoryFragment<'a> {
    pub t: &'static Text,
    pub room_name: &'a str,
    pub messages: Vec<MessageView<'a>>,
    pub earlier_before: Option<i64>,
}

/// `/search`: the form, and the results when there are any.
#[derive(Template)]
#[template(path = "pages/search.html")]
pub struct SearchPage<'a> {
    pub t: &'static Text,
    pub username: &'a str,
    /// The reader's avatar key, for the sidebar.
    pub avatar: Option<&'a str>,
    pub rooms: &'a [RoomSummary],
    pub current_room_id: i64,
    pub q: &'a str,
    pub room: &'a str,
    pub from: &'a str,
    pub after: &'a str,
    pub before: &'a str,
    pub error: Option<String>,
    pub results: Option<SearchResults<'a>>,
}

impl SearchPage<'_> {
    /// Whether the room filter lists direct rooms (under a heading of their own).
    pub fn has_direct_rooms(&self) -> bool {
        self.rooms.iter().any(|r| r.kind == "direct")
    }
}

/// A page of results (and the "More results" button that appends the next).
#[derive(Template)]
#[template(path = "partials/search_results.html")]
pub struct SearchResults<'a> {
    pub t: &'static Text,
    /// The searcher: a direct room is called by the other people's names.
    pub viewer: &'a str,
    pub items: Vec<SearchItem<'a>>,
    pub more_url: Option<String>,
    /// The next page of a search already shown: only the items and the next button.
    pub appending: bool,
    /// A search that could not be run, said where the results would be.
    pub error: Option<String>,
}

/// One result: where, who, when, and the snippet.
pub struct SearchItem<'a> {
    pub m: &'a crate::store::messages::MessageRow,
    pub snippet: String,
}

impl<'a> SearchItem<'a> {
    pub fn new(m: &'a crate::store::messages::MessageRow, terms: &[String]) -> Self {
        Self {
            m,
            snippet: crate::render::snippet::snippet_html(&m.text, terms),
        }
    }
    pub fn room_path(&self) -> String {
        crate::render::room_path(&self.m.room)
    }
    /// The room as the sidebar calls it: a direct room by the others' names.
    pub fn room_title(&self, viewer: &str) -> String {
        crate::domain::room_title(&self.m.room, viewer)
    }
    pub fn permalink(&self) -> String {
        format!("{}/messages/{}", self.room_path(), self.m.id)
    }
    pub fn iso(&self) -> String {
        crate::render::rfc3339(self.m.sent_at)
    }
    /// The day too: results come from any day, with no day headings between them.
    pub fn when(&self) -> String {
        crate::render::day_and_clock(self.m.sent_at)
    }
}

/// "Load later": newer messages, and the next "Load later" if there are more.
#[derive(Template)]
#[template(path = "partials/history_later.html")]
pub struct LaterFragment<'a> {
    pub t: &'static Text,
    pub room_name: &'a str,
    pub messages: Vec<MessageView<'a>>,
    pub later_after: Option<i64>,
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
    /// "Message {room}", with a long room name cut short so the hint fits one line.
    pub fn placeholder(&self) -> String {
        crate::i18n::fill(self.t.message_placeholder, shortened(self.room_name))
    }

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

/// A name cut to fit the composer's placeholder: 24 columns, where a Chinese, Japanese
/// or Korean character takes two (so a long Chinese name does not wrap the box on a
/// phone), ending with "…" when cut.
fn shortened(name: &str) -> String {
    use unicode_width::UnicodeWidthChar;
    const COLUMNS: usize = 24;
    if unicode_width::UnicodeWidthStr::width(name) <= COLUMNS {
        return name.to_owned();
    }
    let mut short = String::new();
    let mut used = 0;
    for c in name.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > COLUMNS - 1 {
            break;
        }
        used += w;
        short.push(c);
    }
    short.push('…');
    short
}

#[cfg(test)]
mod placeholder_tests {
    use super::shortened;

    #[test]
    fn a_long_name_is_cut_by_its_width() {
        assert_eq!(shortened("Lobby"), "Lobby");
        assert_eq!(shortened(&"a".repeat(24)), "a".repeat(24));
        assert_eq!(shortened(&"a".repeat(30)), format!("{}…", "a".repeat(23)));
        // Two columns each: 11 characters and the ellipsis.
        assert_eq!(shortened(&"中".repeat(19)), format!("{}…", "中".repeat(11)));
        assert_eq!(shortened(&"中".repeat(12)), "中".repeat(12));
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

/// The actions of one message: a menu (htmx) or, without JavaScript, a page.
#[derive(Template)]
#[template(path = "partials/message_menu.html")]
pub struct MessageMenu<'a> {
    pub t: &'static Text,
    pub id: i64,
    pub mine: bool,
    /// Theirs, or they are an admin.
    pub can_delete: bool,
    pub common: &'a [&'static str],
    /// The message's permalink, for "Copy link".
    pub permalink: String,
}

#[derive(Template)]
#[template(path = "pages/message_actions.html")]
pub struct MessageActionsPage<'a> {
    pub t: &'static Text,
    pub username: &'a str,
    /// The reader's avatar key, for the sidebar.
    pub avatar: Option<&'a str>,
    pub rooms: &'a [RoomSummary],
    pub current_room_id: i64,
    pub room_name: &'a str,
    pub message: MessageView<'a>,
    pub mine: bool,
    pub can_delete: bool,
    pub common: &'a [&'static str],
    pub permalink: String,
    pub edit_text: &'a str,
    pub error: Option<String>,
    /// Shows the delete confirmation instead of the actions.
    pub confirm_delete: bool,
}

/// The edit form that replaces a message's text in place (htmx).
#[derive(Template)]
#[template(path = "partials/edit_form.html")]
pub struct EditForm<'a> {
    pub t: &'static Text,
    pub id: i64,
    pub text: &'a str,
    pub error: Option<String>,
}

/// A message's text and "(edited)" mark, as the edit form's Save or Cancel leaves it.
#[derive(Template)]
#[template(
    source = r#"{% import "partials/macros.html" as ui %}{% call ui::content(m.content(), false) %}{% endcall %}"#,
    ext = "html"
)]
pub struct Content<'a> {
    pub m: MessageView<'a>,
}

#[derive(Template)]
#[template(path = "partials/dialog_delete.html")]
pub struct DeleteDialog {
    pub t: &'static Text,
    pub id: i64,
}

#[derive(Template)]
#[template(path = "partials/dialog_react.html")]
pub struct ReactDialog<'a> {
    pub t: &'static Text,
    pub id: i64,
    pub emoji: &'a str,
    pub error: Option<String>,
}

/// The six reactions offered first.
pub const COMMON_REACTIONS: [&str; 6] = ["👍", "❤️", "😂", "🎉", "😮", "🙏"];

/// "New message": pick people (usernames, separated by commas) for a direct room.
#[derive(Template)]
#[template(path = "partials/dialog_direct.html")]
pub struct DirectDialog<'a> {
    pub t: &'static Text,
    pub users: &'a str,
    pub names: Vec<String>,
    pub error: Option<String>,
}

/// People whose names start with what is being typed, as a listbox.
#[derive(Template)]
#[template(path = "partials/people_list.html")]
pub struct PeopleList {
    pub t: &'static Text,
    pub names: Vec<String>,
}

/// Members a message can mention, as a listbox under the composer.
#[derive(Template)]
#[template(path = "partials/mention_list.html")]
pub struct MentionList {
    pub t: &'static Text,
    pub members: Vec<crate::store::rooms::Member>,
}

/// "Leave {room}?", with Cancel first.
#[derive(Template)]
#[template(path = "partials/dialog_leave.html")]
pub struct LeaveDialog<'a> {
    pub t: &'static Text,
    pub room_name: &'a str,
    pub title: &'a str,
}

#[derive(Template)]
#[template(path = "pages/settings.html")]
pub struct SettingsPage<'a> {
    pub t: &'static Text,
    pub username: &'a str,
    /// The reader's avatar key, for the sidebar.
    pub avatar: Option<&'a str>,
    pub rooms: &'a [RoomSummary],
    pub current_room_id: i64,
    pub shares_typing: bool,
    /// Whether to offer the admin page.
    pub is_admin: bool,
    pub saved: bool,
    /// The avatar changed ("saved"), or why it did not.
    pub avatar_saved: bool,
    pub avatar_error: Option<String>,
}

/// One of the reader's sessions, as the account page lists it.
pub struct SessionView {
    /// Names the session in the form that ends it.
    pub login: String,
    /// The browser that logged in, as it called itself.
    pub device: String,
    pub last_seen: String,
    pub last_seen_iso: String,
    /// The session this page was asked for.
    pub current: bool,
}

impl SessionView {
    pub fn new(row: crate::store::sessions::SessionRow, current_login: &str) -> Self {
        let seen = row.last_seen_at.or(row.created_at).unwrap_or(0);
        Self {
            current: row.login == current_login,
            login: row.login,
            device: row.user_agent.unwrap_or_default(),
            last_seen: crate::render::day_and_clock(seen),
            last_seen_iso: crate::render::rfc3339(seen),
        }
    }
}

#[derive(Template)]
#[template(path = "pages/account.html")]
pub struct AccountPage<'a> {
    pub t: &'static Text,
    pub username: &'a str,
    pub avatar: Option<&'a str>,
    pub rooms: &'a [RoomSummary],
    pub current_room_id: i64,
    pub sessions: &'a [SessionView],
    /// What was just done.
    pub notice: Option<&'static str>,
    /// What was refused, and where: a field, or `password-form` / `delete-form`.
    pub error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "pages/admin.html")]
pub struct AdminPage<'a> {
    pub t: &'static Text,
    pub username: &'a str,
    pub avatar: Option<&'a str>,
    pub rooms: &'a [RoomSummary],
    pub current_room_id: i64,
    /// `open`, `invite` or `closed`.
    pub registration: &'static str,
    pub invites: &'a [crate::store::invites::InviteRow],
    pub accounts: &'a [crate::store::users::AccountRow],
    pub bots: &'a [crate::store::bots::BotRow],
    /// Every group room.
    pub group_rooms: &'a [RoomSummary],
    pub notice: Option<&'static str>,
    /// A link, token or secret to copy now: what it is, and it.
    pub secret: Option<(String, String)>,
    /// What was refused, and in which section's form.
    pub error: Option<FormError>,
}

impl AdminPage<'_> {
    pub fn when(&self, ms: &i64) -> String {
        crate::render::day_and_clock(*ms)
    }

    pub fn iso(&self, ms: &i64) -> String {
        crate::render::rfc3339(*ms)
    }

    /// The words for a role.
    pub fn role(&self, role: &str) -> &'static str {
        match role {
            "admin" => self.t.role_admin,
            "bot" => self.t.role_bot,
            _ => self.t.role_member,
        }
    }
}
