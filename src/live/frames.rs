//! How a message looks on the wire, rendered once per message (never per recipient):
//! an HTML fragment for pages (htmx swaps it in out of band) and a JSON frame for
//! integrations. "Mine" styling is done by each page's own stylesheet, not here.

use askama::Template;
use serde::Serialize;

use crate::{store::messages::MessageRow, web::views::MessageView};

/// A committed message, ready to send to any socket.
#[derive(Debug)]
pub struct Delivery {
    pub message: MessageRow,
    /// `{"type":"message",…}` for the JSON WebSocket.
    pub json: String,
    /// The out-of-band fragment for room pages.
    pub html: String,
}

impl Delivery {
    pub fn new(message: MessageRow) -> Self {
        let json = message_json(&message);
        let html = message_html(&message);
        Self {
            message,
            json,
            html,
        }
    }
}

/// The out-of-band page fragment for one message.
pub fn message_html(m: &MessageRow) -> String {
    LiveMessage {
        m: MessageView::new(m),
    }
    .render()
    .unwrap_or_else(|err| {
        tracing::error!(%err, "rendering a message fragment failed");
        String::new()
    })
}

/// The JSON frame for one message.
pub fn message_json(m: &MessageRow) -> String {
    #[derive(Serialize)]
    struct Frame<'a> {
        r#type: &'static str,
        id: i64,
        seq: i64,
        room: &'a str,
        sender: &'a str,
        text: &'a str,
        sent_at: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<&'a str>,
    }
    serde_json::to_string(&Frame {
        r#type: "message",
        id: m.id,
        seq: m.seq,
        room: &m.room,
        sender: &m.sender,
        text: &m.text,
        sent_at: crate::web::views::rfc3339(m.sent_at),
        client_id: m.client_id.as_deref(),
    })
    .expect("a message always serialises")
}

/// `{"type":"error","error":…}`: a frame the server could not take.
pub fn error_json(error: &str) -> String {
    serde_json::json!({ "type": "error", "error": error }).to_string()
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
#[template(path = "partials/message_live.html")]
struct LiveMessage<'a> {
    m: MessageView<'a>,
}

#[derive(Template)]
#[template(path = "partials/online.html")]
struct OnlineCount {
    online: usize,
}

/// The sidebar badge of a room with unread messages, swapped in out of band.
#[derive(Template)]
#[template(path = "partials/unread.html")]
pub struct UnreadBadge {
    pub room_id: i64,
    pub unread: i64,
    pub oob: bool,
}
