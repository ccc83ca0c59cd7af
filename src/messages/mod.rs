//! Sending and reading messages. Every message, from a page, the API or a socket,
//! takes the same path: `send` parses it, checks the sender's rate, and hands it to the
//! single `writer`, which commits it and then publishes it once to the live hub.

mod rate;
mod writer;

pub use rate::RateLimiter;
pub use writer::{Pending, Writer};

use crate::{
    auth::CurrentUser,
    domain::{ClientId, MessageText},
    error::{AppError, AppResult},
    rooms::Room,
    store::{
        self, Db,
        messages::{MessageRow, NewMessage, Stored},
    },
};

/// A page of history holds at most this many messages.
pub const MAX_PAGE: i64 = 200;
pub const DEFAULT_PAGE: i64 = 50;

/// Stores a message from `sender` (already known to be a member of `room`).
/// Returns the stored message; a retried `client_id` returns the original instead.
pub async fn send(
    writer: &Writer,
    limiter: &RateLimiter,
    room: &Room,
    sender: &CurrentUser,
    text: &str,
    client_id: Option<&str>,
) -> AppResult<Stored> {
    let message = prepare(limiter, room, sender, text, client_id)?;
    writer.submit(message).await?.outcome().await
}

/// Everything `send` checks before storing: the text, the client id and the sender's
/// rate. Sockets call this and then `Writer::submit`, so one socket can have many
/// messages on their way to the database at once, still in the order sent.
pub fn prepare(
    limiter: &RateLimiter,
    room: &Room,
    sender: &CurrentUser,
    text: &str,
    client_id: Option<&str>,
) -> AppResult<NewMessage> {
    let text = MessageText::parse(text)?;
    let client_id = client_id.map(ClientId::parse).transpose()?;
    limiter.check(sender.id)?;
    Ok(NewMessage {
        room_id: room.id,
        room: room.name.clone(),
        sender_id: sender.id,
        sender: sender.username.clone(),
        text: text.into_string(),
        client_id: client_id.map(ClientId::into_string),
    })
}

/// Which part of a room's history to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct HistoryQuery {
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

/// A page of a room's history, oldest first.
pub async fn history(db: &Db, room: &Room, query: HistoryQuery) -> AppResult<Vec<MessageRow>> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::Invalid(crate::domain::ValidationError::new(
            "limit",
            format!("limit must be between 1 and {MAX_PAGE}."),
        )));
    }
    Ok(store::messages::page(db, room.id, query.after, query.before, limit).await?)
}
