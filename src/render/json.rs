//! The JSON every client reads, written once: the message object (in API answers and
//! socket frames alike) and the event objects of a room's stream. Each type derives
//! both poem-openapi's `Object` (for the documented API) and serde's `Serialize` (for
//! socket frames); a test checks the two write the same JSON.

use poem_openapi::{Object, Union};
use serde::Serialize;

use super::{file_url, message_html, rfc3339, thumbnail_url};
use crate::store::{
    events::{Event, EventKind},
    files::Attachment,
    mentions::Mention,
    messages::MessageRow,
    reactions::Reaction,
};

/// A message, as the API and the sockets show it.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
#[oai(rename = "Message")]
pub struct MessageOut {
    /// Ids only increase, in the order messages were stored.
    pub id: i64,
    /// The seq of the event that created the message. Seqs increase within a room in
    /// commit order, but a message's may skip numbers: other events take them too.
    pub seq: i64,
    pub room: String,
    pub sender: String,
    /// The text as written (Markdown); empty once deleted.
    pub text: String,
    /// The text rendered to HTML: safe to show as it is (no raw HTML, only http, https
    /// and mailto links).
    pub html: String,
    /// RFC 3339, UTC.
    pub sent_at: String,
    /// The sender's own id for the message, when it gave one.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// When it was last edited (RFC 3339, UTC), or null.
    pub edited_at: Option<String>,
    /// A deleted message keeps its place as a tombstone: text empty, no reactions.
    pub deleted: bool,
    /// Each emoji once, in the order it was first used, with who reacted.
    pub reactions: Vec<ReactionOut>,
    /// Members of the room the text mentions (`@name`, outside code).
    pub mentions: Vec<String>,
    /// The file it carries, or null (always null once deleted).
    pub attachment: Option<Box<AttachmentOut>>,
}

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
#[oai(rename = "Attachment")]
pub struct AttachmentOut {
    pub id: String,
    /// The name it was uploaded with.
    pub name: String,
    /// In bytes.
    pub size: i64,
    /// Decided from the file's first bytes, never from its name.
    pub content_type: String,
    /// `/files/{id}/{name}`: members of the room only.
    pub url: String,
    /// A JPEG that fits 800×600, for PNG, JPEG, GIF and WebP images that could be read.
    pub thumbnail_url: Option<String>,
    /// An image's size (upright), or null.
    pub width: Option<u32>,
    pub height: Option<u32>,
}

impl From<&Attachment> for AttachmentOut {
    fn from(a: &Attachment) -> Self {
        Self {
            id: a.id.clone(),
            name: a.name.clone(),
            size: a.size,
            content_type: a.content_type.clone(),
            url: file_url(a),
            thumbnail_url: thumbnail_url(a),
            width: a.width,
            height: a.height,
        }
    }
}

impl From<&MessageRow> for MessageOut {
    fn from(m: &MessageRow) -> Self {
        Self {
            id: m.id,
            seq: m.seq,
            room: m.room.clone(),
            sender: m.sender.clone(),
            text: m.text.clone(),
            html: message_html(&m.text, &m.html).into_owned(),
            sent_at: rfc3339(m.sent_at),
            client_id: m.client_id.clone(),
            edited_at: m.edited_at.map(rfc3339),
            deleted: m.deleted,
            reactions: reactions(&m.reactions.0),
            mentions: m.mentions.names(),
            attachment: m.attachment.0.as_deref().map(|a| Box::new(a.into())),
        }
    }
}

fn names(mentions: &[Mention]) -> Vec<String> {
    mentions.iter().map(|m| m.name.clone()).collect()
}

#[derive(Debug, Clone, PartialEq, Object, Serialize)]
#[oai(rename = "Reaction")]
pub struct ReactionOut {
    /// One emoji (one grapheme cluster).
    pub emoji: String,
    /// Who reacted with it, in the order they did.
    pub users: Vec<String>,
}

pub fn reactions(list: &[Reaction]) -> Vec<ReactionOut> {
    list.iter()
        .map(|r| ReactionOut {
            emoji: r.emoji.clone(),
            users: r.users.clone(),
        })
        .collect()
}

/// A message's text was replaced.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
#[oai(rename = "EditEvent")]
pub struct EditOut {
    pub seq: i64,
    pub room: String,
    pub id: i64,
    pub text: String,
    pub html: String,
    pub mentions: Vec<String>,
    pub edited_at: String,
}

/// A message was deleted: show it no more.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
#[oai(rename = "DeleteEvent")]
pub struct DeleteOut {
    pub seq: i64,
    pub room: String,
    pub id: i64,
}

/// A message's reactions changed: here they all are now.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
#[oai(rename = "ReactionsEvent")]
pub struct ReactionsOut {
    pub seq: i64,
    pub room: String,
    pub id: i64,
    pub reactions: Vec<ReactionOut>,
}

/// One event of a room's stream, told apart by `type`.
#[derive(Debug, Clone, PartialEq, Union, Serialize)]
#[oai(discriminator_name = "type", one_of)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventOut {
    #[oai(mapping = "message")]
    Message(MessageOut),
    #[oai(mapping = "edit")]
    Edit(EditOut),
    #[oai(mapping = "delete")]
    Delete(DeleteOut),
    #[oai(mapping = "reactions")]
    Reactions(ReactionsOut),
}

impl From<&Event> for EventOut {
    fn from(e: &Event) -> Self {
        let (seq, room) = (e.seq, e.room.clone());
        match &e.kind {
            EventKind::Message(m) => EventOut::Message(m.into()),
            EventKind::Edit {
                id,
                text,
                html,
                mentions,
                edited_at,
            } => EventOut::Edit(EditOut {
                seq,
                room,
                id: *id,
                text: text.clone(),
                html: message_html(text, html).into_owned(),
                mentions: names(mentions),
                edited_at: rfc3339(*edited_at),
            }),
            EventKind::Delete { id } => EventOut::Delete(DeleteOut { seq, room, id: *id }),
            EventKind::Reactions { id, reactions: r } => EventOut::Reactions(ReactionsOut {
                seq,
                room,
                id: *id,
                reactions: reactions(r),
            }),
        }
    }
}

/// The frame a socket sends for an event.
pub fn event_frame(event: &Event) -> String {
    serde_json::to_string(&EventOut::from(event)).expect("an event always serialises")
}

/// The frame for a message alone (a retried `client_id` gets its original back).
pub fn message_frame(message: &MessageRow) -> String {
    serde_json::to_string(&EventOut::Message(message.into())).expect("a message always serialises")
}

/// `{"type":"error","code":…,"error":…}`: a frame the server could not take.
pub fn error_frame(code: &str, error: &str) -> String {
    serde_json::json!({ "type": "error", "code": code, "error": error }).to_string()
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ToJSON;

    use super::*;
    use crate::store::reactions::Reactions;

    fn message() -> MessageRow {
        MessageRow {
            id: 7,
            room_id: 1,
            seq: 12,
            room: "茶水间".into(),
            sender_id: 3,
            sender: "ann".into(),
            text: "hi \"there\" <b>".into(),
            client_id: None,
            sent_at: 1_764_151_503_123,
            edited_at: Some(1_764_151_600_000),
            deleted: false,
            reactions: Reactions(vec![Reaction {
                emoji: "👍".into(),
                users: vec!["bob".into()],
                ids: vec![4],
            }]),
            html: String::new(),
            mentions: Default::default(),
            attachment: Default::default(),
            avatar: None,
        }
    }

    #[test]
    fn frames_and_api_answers_are_the_same_json() {
        let m = message();
        let events = [
            Event {
                room_id: 1,
                room: m.room.clone(),
                seq: 12,
                kind: EventKind::Message(m.clone()),
            },
            Event {
                room_id: 1,
                room: m.room.clone(),
                seq: 13,
                kind: EventKind::Edit {
                    id: 7,
                    text: "new".into(),
                    html: "<p>new</p>\n".into(),
                    mentions: Vec::new(),
                    edited_at: 5,
                },
            },
            Event {
                room_id: 1,
                room: m.room.clone(),
                seq: 14,
                kind: EventKind::Delete { id: 7 },
            },
            Event {
                room_id: 1,
                room: m.room.clone(),
                seq: 15,
                kind: EventKind::Reactions {
                    id: 7,
                    reactions: m.reactions.0.clone(),
                },
            },
        ];
        for event in &events {
            let frame: serde_json::Value = serde_json::from_str(&event_frame(event)).unwrap();
            assert_eq!(frame, EventOut::from(event).to_json().unwrap(), "{frame}");
            assert_eq!(frame["room"], "茶水间");
        }
        let frame: serde_json::Value = serde_json::from_str(&event_frame(&events[0])).unwrap();
        assert_eq!(frame["type"], "message");
        assert_eq!(frame["edited_at"], "2025-11-26T10:06:40Z");
        assert_eq!(frame["reactions"][0]["users"][0], "bob");
        assert!(frame.get("client_id").is_none());
        assert!(
            frame["reactions"][0].get("ids").is_none(),
            "ids stay inside"
        );
    }
}
