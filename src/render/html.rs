//! How messages and events look in a page. Live fragments are rendered once per event
//! for every reader, so they hold only facts every viewer shares and no interface
//! words: whose message it is and whose reactions are pressed are marked by each
//! viewer's own stylesheet (`/me.css`) and script, and labels come from the page, in
//! the reader's language (`aria-labelledby`, `data-*` on the log).

use askama::Template;

use super::{
    avatar_url, clock, file_size, file_url, hue, initials, message_html, rfc3339, thumbnail_url,
};
use crate::domain::{Notify, Shown, shown_as};
use crate::files::thumbnail_size;
use crate::store::{
    events::{Event, EventKind},
    files::Attachment,
    mentions::Mention,
    messages::MessageRow,
    reactions::Reaction,
    rooms::{RoomSummary, UNREAD_CAP},
};

/// A message as pages show it.
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
    pub fn deleted(&self) -> bool {
        self.m.deleted
    }
    pub fn sender_id(&self) -> i64 {
        self.m.sender_id
    }
    pub fn sender(&self) -> &str {
        &self.m.sender
    }
    pub fn iso(&self) -> String {
        rfc3339(self.m.sent_at)
    }
    pub fn clock(&self) -> String {
        clock(self.m.sent_at)
    }
    pub fn initials(&self) -> String {
        initials(&self.m.sender)
    }
    pub fn hue(&self) -> u32 {
        hue(&self.m.sender)
    }
    /// The sender's picture, if they have one (else their initials show).
    pub fn avatar_url(&self) -> Option<String> {
        self.m.avatar.as_deref().map(avatar_url)
    }
    pub fn attachment(&self) -> Option<AttachmentView<'a>> {
        self.m.attachment.0.as_deref().map(|a| AttachmentView {
            a,
            text: &self.m.text,
        })
    }
    pub fn content(&self) -> ContentView<'a> {
        ContentView {
            id: self.m.id,
            text: &self.m.text,
            html: &self.m.html,
            mentions: &self.m.mentions.0,
            edited_at: self.m.edited_at,
        }
    }
    pub fn reactions(&self) -> ReactionsView<'a> {
        ReactionsView {
            id: self.m.id,
            list: &self.m.reactions.0,
        }
    }
}

/// A message's file: an image's thumbnail (linking to the image), a video or audio
/// player, or a chip with the name and size. No interface words, like every fragment.
pub struct AttachmentView<'a> {
    a: &'a Attachment,
    text: &'a str,
}

/// The longest `alt` text taken from a message.
const MAX_ALT_CHARS: usize = 200;

impl AttachmentView<'_> {
    pub fn url(&self) -> String {
        file_url(self.a)
    }
    pub fn name(&self) -> &str {
        &self.a.name
    }
    pub fn size(&self) -> String {
        file_size(self.a.size)
    }
    /// An image shown by its thumbnail (one that could not be read is a plain file).
    pub fn thumbnail_url(&self) -> Option<String> {
        thumbnail_url(self.a)
    }
    /// The thumbnail's size, so the page does not jump when it loads.
    pub fn thumbnail_size(&self) -> (u32, u32) {
        thumbnail_size(self.a.width.unwrap_or(1), self.a.height.unwrap_or(1))
    }
    pub fn is_video(&self) -> bool {
        shown_as(&self.a.content_type) == Shown::Video
    }
    pub fn is_audio(&self) -> bool {
        shown_as(&self.a.content_type) == Shown::Audio
    }
    /// What the image shows, in words: the message's text, or else the file's name.
    pub fn alt(&self) -> String {
        let text = self.text.trim();
        if text.is_empty() {
            return self.a.name.clone();
        }
        text.chars().take(MAX_ALT_CHARS).collect()
    }
}

fn ids(ids: impl Iterator<Item = i64>) -> String {
    ids.map(|id| id.to_string()).collect::<Vec<_>>().join(" ")
}

/// A message's text and its "(edited)" mark: what an edit replaces.
pub struct ContentView<'a> {
    id: i64,
    text: &'a str,
    html: &'a str,
    mentions: &'a [Mention],
    edited_at: Option<i64>,
}

impl ContentView<'_> {
    pub fn id(&self) -> i64 {
        self.id
    }
    /// The text as HTML: its Markdown, rendered safely when it was stored.
    pub fn text_html(&self) -> String {
        message_html(self.text, self.html).into_owned()
    }
    /// Who the text mentions, as a token list each viewer's stylesheet matches their
    /// own id against (`[data-mentions~="7"]`): one rendering highlights it for them.
    pub fn mention_ids(&self) -> String {
        ids(self.mentions.iter().map(|m| m.id))
    }
    pub fn edited_iso(&self) -> Option<String> {
        self.edited_at.map(rfc3339)
    }
}

/// A message's row of reaction buttons.
pub struct ReactionsView<'a> {
    id: i64,
    list: &'a [Reaction],
}

impl ReactionsView<'_> {
    pub fn id(&self) -> i64 {
        self.id
    }
    pub fn items(&self) -> impl Iterator<Item = ReactionButton<'_>> {
        self.list.iter().map(|r| ReactionButton { r })
    }
}

pub struct ReactionButton<'a> {
    r: &'a Reaction,
}

impl ReactionButton<'_> {
    pub fn emoji(&self) -> &str {
        &self.r.emoji
    }
    pub fn count(&self) -> usize {
        self.r.users.len()
    }
    /// The button's accessible name: the emoji, how many, and who (no words needed).
    pub fn label(&self) -> String {
        format!(
            "{} {}: {}",
            self.r.emoji,
            self.count(),
            self.r.users.join(", ")
        )
    }
    /// Who reacted, as a token list each viewer's stylesheet and script match their
    /// own id against (`[data-uids~="7"]`).
    pub fn uids(&self) -> String {
        ids(self.r.ids.iter().copied())
    }
    /// A stable, id-safe key for the emoji, so focus can follow a button across updates.
    pub fn key(&self) -> String {
        self.r
            .emoji
            .chars()
            .map(|c| format!("{:x}", c as u32))
            .collect::<Vec<_>>()
            .join("-")
    }
}

/// The page fragment for one event: the message appended, its content or reactions
/// replaced, or the message removed; and the page's resume point moved to the event.
pub fn event_html(event: &Event) -> String {
    let fragment = match &event.kind {
        EventKind::Message(m) => EventFragment {
            seq: event.seq,
            created: (!m.deleted).then(|| MessageView::new(m)),
            ..EventFragment::at(event.seq)
        }
        .render(),
        EventKind::Edit {
            id,
            text,
            html,
            mentions,
            edited_at,
        } => EventFragment {
            edited: Some(ContentView {
                id: *id,
                text,
                html,
                mentions,
                edited_at: Some(*edited_at),
            }),
            ..EventFragment::at(event.seq)
        }
        .render(),
        EventKind::Delete { id } => EventFragment {
            deleted: Some(*id),
            ..EventFragment::at(event.seq)
        }
        .render(),
        EventKind::Reactions { id, reactions } => EventFragment {
            reacted: Some(ReactionsView {
                id: *id,
                list: reactions,
            }),
            ..EventFragment::at(event.seq)
        }
        .render(),
    };
    fragment.unwrap_or_else(|err| {
        tracing::error!(%err, "rendering an event fragment failed");
        String::new()
    })
}

#[derive(Template)]
#[template(path = "partials/event.html")]
struct EventFragment<'a> {
    seq: i64,
    created: Option<MessageView<'a>>,
    edited: Option<ContentView<'a>>,
    deleted: Option<i64>,
    reacted: Option<ReactionsView<'a>>,
}

impl EventFragment<'_> {
    fn at(seq: i64) -> Self {
        Self {
            seq,
            created: None,
            edited: None,
            deleted: None,
            reacted: None,
        }
    }
}

/// "ann is typing": a JSON frame, and a page fragment with no words (the page says
/// it, in its reader's language, and forgets it after a few seconds).
#[derive(Debug)]
pub struct Typing {
    pub user_id: i64,
    pub json: String,
    pub html: String,
}

impl Typing {
    pub fn new(room: &str, user_id: i64, user: &str) -> Self {
        let json = serde_json::json!({ "type": "typing", "room": room, "user": user }).to_string();
        let html = TypingFragment { user_id, user }
            .render()
            .unwrap_or_default();
        Self {
            user_id,
            json,
            html,
        }
    }
}

#[derive(Template)]
#[template(
    source = r#"<div hx-swap-oob="beforeend:#typing"><span class="typer" data-uid="{{ user_id }}" data-name="{{ user }}"></span></div>"#,
    ext = "html"
)]
struct TypingFragment<'a> {
    user_id: i64,
    user: &'a str,
}

/// How many members are online in a room, as a page fragment.
#[derive(Debug)]
pub struct Presence {
    pub online: usize,
    pub html: String,
}

impl Presence {
    pub fn new(online: usize) -> Self {
        let html = OnlineCount { online }.render().unwrap_or_default();
        Self { online, html }
    }
}

#[derive(Template)]
#[template(path = "partials/online.html")]
struct OnlineCount {
    online: usize,
}

/// What a room's sidebar entry says about what is unread, by the reader's level: a
/// count of everything (`all`), a separate "@N" badge for mentions (`all` and
/// `mentions`), and a bold name whenever anything from others is unread (not for
/// `none`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unread {
    pub room_id: i64,
    /// Messages from others after the read marker (capped at `UNREAD_CAP`).
    pub unread: i64,
    /// Of those, the ones that mention the reader.
    pub mentioned: i64,
    pub notify: Notify,
}

/// A count as a badge says it: "99+" from the cap on.
fn capped(n: i64) -> String {
    if n >= UNREAD_CAP {
        format!("{}+", UNREAD_CAP - 1)
    } else {
        n.to_string()
    }
}

impl Unread {
    pub fn of(room: &RoomSummary) -> Self {
        let direct = room.kind == "direct";
        Self {
            room_id: room.id,
            unread: room.unread,
            mentioned: room.mentioned,
            notify: room
                .notify
                .as_deref()
                .and_then(|n| Notify::parse(n).ok())
                .unwrap_or(Notify::default_for(direct)),
        }
    }

    /// What the count badge shows ("" hides it): every unread message, at `all` only.
    /// At `mentions` the "@N" badge alone says what counts.
    pub fn text(&self) -> String {
        match self.notify {
            Notify::All if self.unread > 0 => capped(self.unread),
            _ => String::new(),
        }
    }

    /// The number the "@" badge shows beside the count ("" hides it): unread
    /// messages that mention the reader, at `all` and `mentions`.
    pub fn mention_text(&self) -> String {
        if self.mentions_me() {
            capped(self.mentioned)
        } else {
            String::new()
        }
    }

    /// Whether the room's name is bold.
    pub fn bold(&self) -> bool {
        self.notify != Notify::Nothing && self.unread > 0
    }

    pub fn mentions_me(&self) -> bool {
        self.notify != Notify::Nothing && self.mentioned > 0
    }

    /// Both badges (the count and the "@"), swapped in out of band.
    pub fn badge_html(&self) -> String {
        UnreadBadge {
            b: *self,
            oob: true,
        }
        .render()
        .unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "partials/unread.html")]
struct UnreadBadge {
    b: Unread,
    oob: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::reactions::Reactions;

    fn message(text: &str) -> MessageRow {
        MessageRow {
            id: 5,
            room_id: 1,
            seq: 9,
            room: "r".into(),
            sender_id: 3,
            sender: "ann".into(),
            text: text.into(),
            client_id: None,
            sent_at: 0,
            edited_at: None,
            deleted: false,
            reactions: Reactions::default(),
            html: String::new(),
            mentions: Default::default(),
            attachment: Default::default(),
            avatar: None,
        }
    }

    fn event(seq: i64, kind: EventKind) -> Event {
        Event {
            room_id: 1,
            room: "r".into(),
            seq,
            kind,
        }
    }

    #[test]
    fn a_new_message_is_appended_escaped_and_moves_the_resume_point() {
        let html = event_html(&event(9, EventKind::Message(message("<script>x</script>"))));
        assert!(
            html.contains(r#"hx-swap-oob="beforeend:#messages""#),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains(r#"id="resume-seq""#) && html.contains(r#"value="9""#));
    }

    #[test]
    fn an_edit_replaces_only_the_content_and_a_delete_removes_the_message() {
        let edit = event_html(&event(
            10,
            EventKind::Edit {
                id: 5,
                text: "fixed <i>".into(),
                html: String::new(),
                mentions: Vec::new(),
                edited_at: 1000,
            },
        ));
        assert!(edit.contains(r#"id="c-5""#) && edit.contains(r#"hx-swap-oob="true""#));
        assert!(edit.contains("fixed &lt;i&gt;") && edit.contains("data-at="));
        assert!(!edit.contains("beforeend"));
        let delete = event_html(&event(11, EventKind::Delete { id: 5 }));
        assert!(
            delete.contains(r#"id="m-5" hx-swap-oob="delete""#),
            "{delete}"
        );
    }

    #[test]
    fn reactions_name_the_emoji_the_count_and_who() {
        let reactions = vec![Reaction {
            emoji: "👍".into(),
            users: vec!["ann".into(), "<bob>".into()],
            ids: vec![3, 4],
        }];
        let html = event_html(&event(12, EventKind::Reactions { id: 5, reactions }));
        assert!(
            html.contains(r#"aria-label="👍 2: ann, &#60;bob&#62;""#),
            "{html}"
        );
        assert!(html.contains(r#"data-uids="3 4""#), "{html}");
        assert!(html.contains(r#"id="r-5""#));
    }

    #[test]
    fn a_deleted_message_replayed_adds_nothing_but_the_resume_point() {
        let mut m = message("");
        m.deleted = true;
        let html = event_html(&event(9, EventKind::Message(m)));
        assert!(!html.contains("<article"), "{html}");
        assert!(html.contains(r#"id="resume-seq""#));
    }

    #[test]
    fn the_count_and_the_at_badge_follow_the_level() {
        let at = |notify, unread, mentioned| {
            let b = Unread {
                room_id: 7,
                unread,
                mentioned,
                notify,
            };
            (b.text(), b.mention_text(), b.bold())
        };
        let shown = |count: &str, at: &str, bold| (count.to_owned(), at.to_owned(), bold);
        assert_eq!(at(Notify::All, 3, 1), shown("3", "1", true));
        assert_eq!(at(Notify::All, 3, 0), shown("3", "", true));
        assert_eq!(
            at(Notify::All, UNREAD_CAP, UNREAD_CAP),
            shown("99+", "99+", true)
        );
        assert_eq!(at(Notify::Mentions, 3, 1), shown("", "1", true));
        assert_eq!(at(Notify::Mentions, 3, 0), shown("", "", true));
        assert_eq!(at(Notify::Nothing, 3, 1), shown("", "", false));
        assert_eq!(at(Notify::All, 0, 0), shown("", "", false));
        let html = Unread {
            room_id: 7,
            unread: 3,
            mentioned: 1,
            notify: Notify::All,
        }
        .badge_html();
        assert!(
            html.contains(r#"id="unread-7""#) && html.contains(">3</span>"),
            "{html}"
        );
        assert!(
            html.contains(r#"<span aria-hidden="true">@</span>1</span>"#),
            "{html}"
        );
        assert_eq!(html.matches(r#"hx-swap-oob="true""#).count(), 2, "{html}");
    }
}
