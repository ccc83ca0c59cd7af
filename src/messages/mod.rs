//! Sending and changing messages, and reading them. Every write, from a page, the API
//! or a socket, takes the same path: this module checks it (the value, who may, the
//! sender's rate) and hands it to the single `writer`, which commits it as the room's
//! next event and then publishes it once to the live hub.

mod rate;
mod recent;
pub mod search;
mod writer;

pub use rate::RateLimiter;
pub use recent::{Recent, RecentPage};
pub use writer::{NewMessages, Offered, Pending, WeakWriter, Writer};

use std::sync::Arc;

use crate::{
    auth::CurrentUser,
    domain::{ClientId, Emoji, MessageText},
    error::{AppError, AppResult, Code},
    files::{Files, Received},
    render::markdown,
    rooms::{Room, Target},
    store::{
        self, Db,
        events::{Change, ChangeKind, Refusal, Write, Written},
        files::Attachment,
        messages::{EditRow, MessageRow, NewMessage, Stored},
    },
};

/// A page of history holds at most this many messages.
pub const MAX_PAGE: i64 = 200;
pub const DEFAULT_PAGE: i64 = 50;

/// What every write needs: the database (for the checks), the writer, the rate limit,
/// and the file store (a message's file goes with it).
#[derive(Clone, Copy)]
pub struct Outbox<'a> {
    pub db: &'a Db,
    pub writer: &'a Writer,
    pub limiter: &'a RateLimiter,
    pub files: &'a Arc<Files>,
}

/// Stores a message from `sender` (already known to be a member of `room`).
/// Returns the stored message; a retried `client_id` returns the original instead.
pub async fn send(
    outbox: Outbox<'_>,
    room: &Target,
    sender: &CurrentUser,
    text: &str,
    client_id: Option<&str>,
) -> AppResult<Stored> {
    let write = prepare(outbox.limiter, room, sender, text, client_id)?;
    store_message(outbox.writer, write).await
}

async fn store_message(writer: &Writer, write: Write) -> AppResult<Stored> {
    match writer.submit(write).await?.outcome().await? {
        Written::Message(stored) => Ok(stored),
        other => Err(AppError::internal(anyhow::anyhow!(
            "a message write came back as {other:?}"
        ))),
    }
}

/// Stores a message carrying a file, with optional text (its caption). The file goes
/// to the store first; if the message is then not stored (or a retried `client_id`
/// finds the original), the file is deleted again, so nothing is left behind. That
/// runs in a task of its own: a client that goes away mid-way cannot cut it between
/// the file kept and its message stored (which would leave the file behind), nor an
/// S3 upload between its parts (which would leave it unfinished).
pub async fn send_file(
    outbox: Outbox<'_>,
    room: &Target,
    sender: &CurrentUser,
    text: &str,
    client_id: Option<&str>,
    file: Received,
) -> AppResult<Stored> {
    let mut write = new_message(outbox.limiter, room, sender, text, client_id, true)?;
    let (files, writer) = (Arc::clone(outbox.files), outbox.writer.clone());
    let keeping = tokio::spawn(async move {
        let attachment = files.keep(file).await?;
        write.attachment = Some(Box::new(attachment.clone()));
        let stored = store_message(&writer, Write::Message(write)).await;
        if !matches!(stored, Ok(Stored::New(_))) {
            files.remove(&attachment).await;
        }
        stored
    });
    keeping.await.map_err(AppError::internal)?
}

/// Everything `send` checks before storing: the text, the client id and the sender's
/// rate. Sockets call this and then `Writer::submit`, so one socket can have many
/// messages on their way to the database at once, still in the order sent.
pub fn prepare(
    limiter: &RateLimiter,
    room: &Target,
    sender: &CurrentUser,
    text: &str,
    client_id: Option<&str>,
) -> AppResult<Write> {
    let message = new_message(limiter, room, sender, text, client_id, false)?;
    Ok(Write::Message(message))
}

/// A message checked and rendered; with `caption` its text may be empty (a file alone).
fn new_message(
    limiter: &RateLimiter,
    room: &Target,
    sender: &CurrentUser,
    text: &str,
    client_id: Option<&str>,
    caption: bool,
) -> AppResult<NewMessage> {
    let text = if caption && text.trim().is_empty() {
        None
    } else {
        Some(MessageText::parse(text)?)
    };
    let client_id = client_id.map(ClientId::parse).transpose()?;
    limiter.check(sender.id)?;
    let (text, rendered) = match text {
        Some(text) => {
            let rendered = markdown::render(text.as_str());
            (text.into_string(), rendered)
        }
        None => (String::new(), markdown::Rendered::default()),
    };
    Ok(NewMessage {
        room_id: room.id,
        room: room.name.clone(),
        sender_id: sender.id,
        sender: sender.username.clone(),
        text,
        html: rendered.html,
        mention_names: rendered.mentions,
        client_id: client_id.map(ClientId::into_string),
        attachment: None,
    })
}

/// A message `user` may see and act on: it exists and is not deleted (404), and they
/// are a member of its room now (403).
pub async fn find_visible(db: &Db, user: &CurrentUser, id: i64) -> AppResult<MessageRow> {
    let message = existing(db, id).await?;
    check_member(db, user, &message).await?;
    Ok(message)
}

/// A message `user` wrote and may still change: visible to them (404, 403), and
/// theirs (403).
pub async fn find_own(db: &Db, user: &CurrentUser, id: i64) -> AppResult<MessageRow> {
    let message = find_visible(db, user, id).await?;
    check_author(user, &message)?;
    Ok(message)
}

/// The message, unless there is none or it was deleted (404).
async fn existing(db: &Db, id: i64) -> AppResult<MessageRow> {
    store::messages::find(db, id)
        .await?
        .filter(|m| !m.deleted)
        .ok_or(AppError::NotFound(Code::NoSuchMessage))
}

/// 403 unless `user` is a member of the message's room now.
async fn check_member(db: &Db, user: &CurrentUser, message: &MessageRow) -> AppResult<()> {
    if !store::rooms::is_member(db, message.room_id, user.id).await? {
        return Err(AppError::Forbidden(Code::NotAMember));
    }
    Ok(())
}

/// 403 unless `user` wrote it.
fn check_author(user: &CurrentUser, message: &MessageRow) -> AppResult<()> {
    if message.sender_id != user.id {
        return Err(AppError::Forbidden(Code::NotTheAuthor));
    }
    Ok(())
}

/// Replaces the text of `user`'s own message; the earlier version is kept.
pub async fn edit(
    outbox: Outbox<'_>,
    user: &CurrentUser,
    id: i64,
    text: &str,
) -> AppResult<MessageRow> {
    let message = find_own(outbox.db, user, id).await?;
    let text = MessageText::parse(text)?;
    let rendered = markdown::render(text.as_str());
    let edit = ChangeKind::Edit {
        text: text.into_string(),
        html: rendered.html,
        mention_names: rendered.mentions,
    };
    change(outbox, user, &message, edit).await
}

/// Deletes a message, leaving a tombstone: `user`'s own, or, for an admin, anyone's in
/// any room. Its file (and thumbnail) go from the store once the delete is committed.
/// Returns the message as it was.
pub async fn delete(outbox: Outbox<'_>, user: &CurrentUser, id: i64) -> AppResult<MessageRow> {
    let (message, admin) = find_deletable(outbox.db, user, id).await?;
    change_as(outbox, user, &message, ChangeKind::Delete, admin).await?;
    if let Some(attachment) = &message.attachment.0 {
        outbox.files.remove(attachment).await;
    }
    Ok(message)
}

/// The file `file_id` and the room it was sent in, for `user`: 404 when there is no
/// such file (or its message was deleted), 403 when they are not a member of its room
/// now. Asked on every download.
pub async fn find_file(db: &Db, user: &CurrentUser, file_id: &str) -> AppResult<Attachment> {
    let (room_id, attachment) = store::files::find(db, file_id)
        .await?
        .ok_or(AppError::NotFound(Code::NoSuchFile))?;
    if !store::rooms::is_member(db, room_id, user.id).await? {
        return Err(AppError::Forbidden(Code::NotAMember));
    }
    Ok(attachment)
}

/// Adds (or, with `add` false, removes) `user`'s reaction. Doing it twice is the same
/// as once. Returns the message as it is afterwards.
pub async fn react(
    outbox: Outbox<'_>,
    user: &CurrentUser,
    id: i64,
    emoji: &str,
    add: bool,
) -> AppResult<MessageRow> {
    let message = find_visible(outbox.db, user, id).await?;
    let emoji = Emoji::parse(emoji)?.into_string();
    change(outbox, user, &message, ChangeKind::React { emoji, add }).await
}

/// Presses a reaction button: adds `user`'s reaction, or takes it back if it is there.
pub async fn toggle_reaction(
    outbox: Outbox<'_>,
    user: &CurrentUser,
    id: i64,
    emoji: &str,
) -> AppResult<MessageRow> {
    let message = find_visible(outbox.db, user, id).await?;
    let emoji = Emoji::parse(emoji)?.into_string();
    let mine = message
        .reactions
        .iter()
        .any(|r| r.emoji == emoji && r.ids.contains(&user.id));
    let what = ChangeKind::React { emoji, add: !mine };
    change(outbox, user, &message, what).await
}

/// Every earlier version of a message `user` may see, oldest first.
pub async fn edits(db: &Db, user: &CurrentUser, id: i64) -> AppResult<Vec<EditRow>> {
    find_visible(db, user, id).await?;
    Ok(store::messages::edits(db, id).await?)
}

/// A message `user` may delete: their own (as `find_own` says), or, for an admin,
/// anyone's in any room. Says whether it is deleted as an admin. Read once.
pub async fn find_deletable(db: &Db, user: &CurrentUser, id: i64) -> AppResult<(MessageRow, bool)> {
    let message = existing(db, id).await?;
    if message.sender_id != user.id && is_admin(db, user).await? {
        return Ok((message, true));
    }
    check_member(db, user, &message).await?;
    check_author(user, &message)?;
    Ok((message, false))
}

/// Whether `user` may delete `message` (theirs, or they are an admin): what their
/// pages offer.
pub async fn may_delete(db: &Db, user: &CurrentUser, message: &MessageRow) -> AppResult<bool> {
    Ok(message.sender_id == user.id || is_admin(db, user).await?)
}

/// Whether `user` is an admin now (asked of the database: a promotion or demotion
/// counts at once).
pub async fn is_admin(db: &Db, user: &CurrentUser) -> AppResult<bool> {
    crate::auth::is_admin(db, user.id).await
}

async fn change(
    outbox: Outbox<'_>,
    user: &CurrentUser,
    message: &MessageRow,
    what: ChangeKind,
) -> AppResult<MessageRow> {
    change_as(outbox, user, message, what, false).await
}

/// A change by `user`, who acts as an admin when `admin` is set (only a delete uses it).
async fn change_as(
    outbox: Outbox<'_>,
    user: &CurrentUser,
    message: &MessageRow,
    what: ChangeKind,
    admin: bool,
) -> AppResult<MessageRow> {
    outbox.limiter.check(user.id)?;
    let write = Write::Change(Change {
        room_id: message.room_id,
        message_id: message.id,
        actor_id: user.id,
        admin,
        what,
    });
    match outbox.writer.submit(write).await?.outcome().await? {
        Written::Changed { message, .. } => Ok(message),
        // Decided again under the room's lock: the message went meanwhile.
        Written::Refused(Refusal::NoSuchMessage) => Err(AppError::NotFound(Code::NoSuchMessage)),
        Written::Refused(Refusal::NotTheAuthor) => Err(AppError::Forbidden(Code::NotTheAuthor)),
        Written::Message(_) => Err(AppError::internal(anyhow::anyhow!(
            "a change came back as a message"
        ))),
    }
}

/// Which part of a room's history to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct HistoryQuery {
    pub after: Option<i64>,
    pub before: Option<i64>,
    /// Messages around this one (it included), half before and half after.
    pub around: Option<i64>,
    pub limit: Option<i64>,
}

/// A page of a room's history, oldest first, deleted messages as tombstones.
pub async fn history(db: &Db, room: &Room, query: HistoryQuery) -> AppResult<Vec<MessageRow>> {
    let limit = checked_limit(query.limit, DEFAULT_PAGE, MAX_PAGE)?;
    match query.around {
        Some(id) => Ok(around(db, room, id, limit).await?.rows),
        None => Ok(store::messages::page(db, room.id, query.after, query.before, limit).await?),
    }
}

/// Up to `limit` messages of `room` around message `id`, oldest first: the message
/// and the ones before it (half the page), then the ones after, and whether more lie
/// beyond either end. 404 when the room has no such message.
pub async fn around(
    db: &Db,
    room: &Room,
    id: i64,
    limit: i64,
) -> AppResult<store::messages::Window> {
    let window = store::messages::window(db, room.id, id, (limit + 1) / 2, limit).await?;
    if !window.rows.iter().any(|m| m.id == id) {
        return Err(AppError::NotFound(Code::NoSuchMessage));
    }
    Ok(window)
}

/// `limit`, or `default` without one; 422 outside 1..=`max`.
pub fn checked_limit(limit: Option<i64>, default: i64, max: i64) -> AppResult<i64> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(AppError::Invalid(crate::error::ValidationError::naming(
            "limit",
            Code::LimitRange,
            max.to_string(),
        )));
    }
    Ok(limit)
}

/// Events replayed per request at most, and by default.
pub const MAX_EVENTS: i64 = 500;
pub const DEFAULT_EVENTS: i64 = 100;

/// The room's events after `after_seq`, oldest first.
pub async fn events_after(
    db: &Db,
    room: &Room,
    after_seq: i64,
    limit: Option<i64>,
) -> AppResult<Vec<store::events::Event>> {
    // The events route's contract is "up to `limit`, max 500": a larger limit is
    // read as the most there is, not refused. Below 1 there is no sense to read.
    let limit = checked_limit(limit.map(|l| l.min(MAX_EVENTS)), DEFAULT_EVENTS, MAX_EVENTS)?;
    Ok(store::events::range(db, room.id, after_seq, i64::MAX, limit).await?)
}
