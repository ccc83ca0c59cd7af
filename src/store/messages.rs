//! Messages: the rows every reader wants, and the history reads. (Writes are events:
//! see `store::events`.)

use super::{
    Db, StoreResult,
    files::{Attached, Attachment},
    mentions::Mentions,
    on_pool,
    reactions::Reactions,
};

/// A stored message with its room's and sender's names, as every reader wants it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct MessageRow {
    pub id: i64,
    pub room_id: i64,
    /// The seq of the event that created it: increasing within the room, with gaps
    /// where other events (edits, deletes, reactions) took a number.
    pub seq: i64,
    pub room: String,
    pub sender_id: i64,
    pub sender: String,
    /// Empty once deleted.
    pub text: String,
    pub client_id: Option<String>,
    pub sent_at: i64,
    pub edited_at: Option<i64>,
    pub deleted: bool,
    pub reactions: Reactions,
    /// The text rendered from Markdown when it was stored ('' for rows stored before
    /// Markdown: render them when read).
    pub html: String,
    /// Members of the room the text mentions.
    pub mentions: Mentions,
    /// The file it carries, if any (gone once deleted).
    pub attachment: Attached,
    /// The sender's avatar key, if they have one.
    pub avatar: Option<String>,
}

/// A message about to be stored. The names ride along so the stored row can be
/// returned without a join.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub room_id: i64,
    pub room: String,
    pub sender_id: i64,
    pub sender: String,
    pub text: String,
    /// The text rendered from Markdown.
    pub html: String,
    /// The names it mentions (as written), to be matched against the room's members
    /// when it is stored.
    pub mention_names: Vec<String>,
    pub client_id: Option<String>,
    /// A file already in the file store.
    pub attachment: Option<Box<Attachment>>,
}

/// What storing one message did.
#[derive(Debug, Clone)]
pub enum Stored {
    /// A new row.
    New(MessageRow),
    /// The sender retried a `client_id` seen in the last day: the original.
    Duplicate(MessageRow),
}

/// How long a `client_id` protects against a retried send: a day, as long as a page
/// left open overnight may keep an unsent message before sending it again. (The
/// lookup is by the `(sender_id, client_id)` index: the window costs nothing.)
pub const CLIENT_ID_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// The columns of a `MessageRow`, from `messages m`, `users u` (the sender) and `rooms r`.
macro_rules! message_columns {
    () => {
        "m.id, m.room_id, m.seq, r.name AS room, m.sender_id, u.username AS sender,
         m.text, m.client_id, m.sent_at, m.edited_at,
         (m.deleted_at IS NOT NULL) AS deleted, m.reactions, m.html, m.mentions,
         m.attachment, u.avatar"
    };
}
pub(crate) use message_columns;

/// A message read with its room's and sender's names, then `$tail` (the conditions).
macro_rules! select_messages {
    ($tail:literal) => {
        concat!(
            "SELECT ",
            $crate::store::messages::message_columns!(),
            " FROM messages m JOIN users u ON u.id = m.sender_id JOIN rooms r ON r.id = m.room_id ",
            $tail
        )
    };
}
pub(crate) use select_messages;

/// Up to `limit` messages of a room with `after < id < before`, deleted ones included.
/// Without `after` these are the newest before `before`; with it, the oldest after
/// `after`. Either way, oldest first.
pub async fn page(
    db: &Db,
    room_id: i64,
    after: Option<i64>,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<MessageRow>> {
    const NEWEST: &str = select_messages!(
        "WHERE m.room_id = $1 AND m.id > $2 AND m.id < $3 ORDER BY m.id DESC LIMIT $4"
    );
    const OLDEST: &str = select_messages!(
        "WHERE m.room_id = $1 AND m.id > $2 AND m.id < $3 ORDER BY m.id ASC LIMIT $4"
    );
    let sql = if after.is_some() { OLDEST } else { NEWEST };
    let mut rows: Vec<MessageRow> = on_pool!(db, |pool| sqlx::query_as(sql)
        .bind(room_id)
        .bind(after.unwrap_or(0))
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(pool)
        .await)?;
    if after.is_none() {
        rows.reverse();
    }
    Ok(rows)
}

/// Messages of a room on both sides of the message id `split`, oldest first: up to
/// `before` of those with `id <= split`, and after them the ones with `id > split` to
/// make `limit` in all. Read in one statement: each side reads one more than it may
/// keep, so the window also says whether anything lies beyond either end.
pub async fn window(
    db: &Db,
    room_id: i64,
    split: i64,
    before: i64,
    limit: i64,
) -> StoreResult<Window> {
    const SQL: &str = concat!(
        "SELECT * FROM (",
        select_messages!("WHERE m.room_id = $1 AND m.id <= $2 ORDER BY m.id DESC LIMIT $3"),
        ") earlier UNION ALL SELECT * FROM (",
        select_messages!("WHERE m.room_id = $1 AND m.id > $2 ORDER BY m.id ASC LIMIT $4"),
        ") later"
    );
    let mut rows: Vec<MessageRow> = on_pool!(db, |pool| sqlx::query_as(SQL)
        .bind(room_id)
        .bind(split)
        .bind(before + 1)
        // When fewer lie before, more come after.
        .bind(limit + 1)
        .fetch_all(pool)
        .await)?;
    rows.sort_unstable_by_key(|m| m.id);
    let mut newer = rows.split_off(rows.partition_point(|m| m.id <= split));
    // `rows` now holds those up to `split`: keep the newest `before` of them.
    let earlier = rows.len() as i64 > before;
    rows.drain(..rows.len().saturating_sub(before as usize));
    let after = (limit as usize).saturating_sub(rows.len());
    let later = newer.len() > after;
    newer.truncate(after);
    rows.append(&mut newer);
    Ok(Window {
        rows,
        earlier,
        later,
    })
}

/// What `window` read.
#[derive(Debug)]
pub struct Window {
    /// Oldest first.
    pub rows: Vec<MessageRow>,
    /// Whether older messages exist than the first of `rows`.
    pub earlier: bool,
    /// Whether newer messages exist than the last of `rows`.
    pub later: bool,
}

/// A room's newest messages before `before` (oldest first), and the room's `last_seq`
/// read in the same statement: the page then shows exactly the events up to that seq,
/// and its socket resumes after it. With no messages at all, the seq is 0.
pub async fn newest_with_seq(
    db: &Db,
    room_id: i64,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<(Vec<MessageRow>, i64)> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        message: MessageRow,
        room_seq: i64,
    }
    const SQL: &str = concat!(
        "SELECT ",
        message_columns!(),
        ", r.last_seq AS room_seq
           FROM messages m JOIN users u ON u.id = m.sender_id JOIN rooms r ON r.id = m.room_id
          WHERE m.room_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3"
    );
    let rows: Vec<Row> = on_pool!(db, |pool| sqlx::query_as(SQL)
        .bind(room_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(pool)
        .await)?;
    let seq = rows.first().map_or(0, |r| r.room_seq);
    Ok((rows.into_iter().rev().map(|r| r.message).collect(), seq))
}

/// One message, deleted or not.
pub async fn find(db: &Db, id: i64) -> StoreResult<Option<MessageRow>> {
    const SQL: &str = select_messages!("WHERE m.id = $1");
    Ok(on_pool!(db, |pool| sqlx::query_as(SQL)
        .bind(id)
        .fetch_optional(pool)
        .await)?)
}

/// The seq just before the first message of the room with an id above `after_id`
/// (so replaying events after it starts with that message), or `None` when there is
/// no such message.
pub async fn seq_before_id(db: &Db, room_id: i64, after_id: i64) -> StoreResult<Option<i64>> {
    let seq: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT seq FROM messages WHERE room_id = $1 AND id > $2 ORDER BY id LIMIT 1"
    )
    .bind(room_id)
    .bind(after_id)
    .fetch_optional(pool)
    .await)?;
    Ok(seq.map(|s| s - 1))
}

/// An earlier version of an edited message.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EditRow {
    pub text: String,
    /// When this version was replaced by the next.
    pub edited_at: i64,
}

/// Every earlier version of a message, oldest first.
pub async fn edits(db: &Db, message_id: i64) -> StoreResult<Vec<EditRow>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(
        "SELECT text, edited_at FROM message_edits WHERE message_id = $1 ORDER BY id"
    )
    .bind(message_id)
    .fetch_all(pool)
    .await)?)
}
