//! A room as a stream of events: a message created, edited or deleted, or its reactions
//! changed. Each event takes its room's next `seq` under the room's row lock, so
//! within a room commit order is seq order (and, for messages, id order) on every
//! database and every node. `commit` writes a batch of them in one transaction (group
//! commit); `range` reads them back for catch-up and gap filling.

use serde::{Deserialize, Serialize};

use super::{
    BeginWrite, Db, StoreResult,
    files::Attached,
    mentions::{Mention, Mentions},
    messages::{
        CLIENT_ID_WINDOW_MS, MessageRow, NewMessage, Stored, message_columns, select_messages,
    },
    now_ms, on_pool, on_writer,
    reactions::{Reaction, Reactions},
};

/// One event of a room, as stored, relayed between nodes and rendered for sockets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub room_id: i64,
    pub room: String,
    pub seq: i64,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Message(MessageRow),
    Edit {
        id: i64,
        text: String,
        /// The new text rendered ('' for edits stored before Markdown).
        html: String,
        mentions: Vec<Mention>,
        edited_at: i64,
    },
    Delete {
        id: i64,
    },
    Reactions {
        id: i64,
        reactions: Vec<Reaction>,
    },
}

impl Event {
    /// The message the event is about.
    pub fn message_id(&self) -> i64 {
        match &self.kind {
            EventKind::Message(m) => m.id,
            EventKind::Edit { id, .. }
            | EventKind::Delete { id }
            | EventKind::Reactions { id, .. } => *id,
        }
    }
}

/// A change to an existing message, asked for by `actor_id`.
#[derive(Debug, Clone)]
pub struct Change {
    pub room_id: i64,
    pub message_id: i64,
    pub actor_id: i64,
    /// The actor is an admin: they may delete anyone's message.
    pub admin: bool,
    pub what: ChangeKind,
}

#[derive(Debug, Clone)]
pub enum ChangeKind {
    /// New text, its HTML, and the names it mentions (matched to members when stored).
    Edit {
        text: String,
        html: String,
        mention_names: Vec<String>,
    },
    Delete,
    React {
        emoji: String,
        add: bool,
    },
}

/// One write the batch takes.
#[derive(Debug, Clone)]
pub enum Write {
    Message(NewMessage),
    Change(Change),
}

impl Write {
    fn room_id(&self) -> i64 {
        match self {
            Write::Message(m) => m.room_id,
            Write::Change(c) => c.room_id,
        }
    }
}

/// Why a change was not made (decided under the room's lock, so it is current).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such message in the room, or it was deleted.
    NoSuchMessage,
    /// Only the sender may edit or delete it.
    NotTheAuthor,
}

/// What one write did.
#[derive(Debug, Clone)]
pub enum Written {
    Message(Stored),
    /// The message after the change; `event` is `None` when nothing changed (a reaction
    /// added twice, or removed when it was not there).
    Changed {
        message: MessageRow,
        event: Option<Box<Event>>,
    },
    Refused(Refusal),
}

impl Written {
    /// The event this write committed, if it committed one.
    pub fn event(&self) -> Option<Event> {
        match self {
            Written::Message(Stored::New(m)) => Some(Event {
                room_id: m.room_id,
                room: m.room.clone(),
                seq: m.seq,
                kind: EventKind::Message(m.clone()),
            }),
            Written::Changed { event, .. } => event.as_deref().cloned(),
            _ => None,
        }
    }

    /// The room and seq of the event this write committed, if it committed one.
    pub fn committed(&self) -> Option<(i64, i64)> {
        match self {
            Written::Message(Stored::New(m)) => Some((m.room_id, m.seq)),
            Written::Changed {
                event: Some(event), ..
            } => Some((event.room_id, event.seq)),
            _ => None,
        }
    }
}

/// Matches the names a text mentions (as written) against the room's members, records
/// each member mentioned (never the writer), and stores the list on the message.
/// A name also matches without trailing `.`, `-` or `_` ("thanks @ann.").
macro_rules! mentions_of {
    ($tx:ident, $room_id:expr, $writer:expr, $message_id:expr, $names:expr) => {{
        let mut found: Vec<Mention> = Vec::new();
        for name in $names.iter() {
            let trimmed = name.trim_end_matches(['.', '-', '_']);
            for candidate in [name.as_str(), trimmed] {
                if candidate.is_empty() {
                    continue;
                }
                let member: Option<(i64, String)> = sqlx::query_as(
                    "SELECT u.id, u.username FROM users u
                       JOIN memberships mb ON mb.user_id = u.id AND mb.room_id = $1
                      WHERE u.username_key = $2",
                )
                .bind($room_id)
                .bind(crate::domain::fold_case(candidate))
                .fetch_optional(&mut *$tx)
                .await?;
                if let Some((id, name)) = member {
                    if id != $writer && !found.iter().any(|m| m.id == id) {
                        found.push(Mention { id, name });
                    }
                    break;
                }
            }
        }
        for mention in &found {
            sqlx::query(
                "INSERT INTO mentions (user_id, message_id, room_id) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id, message_id) DO NOTHING",
            )
            .bind(mention.id)
            .bind($message_id)
            .bind($room_id)
            .execute(&mut *$tx)
            .await?;
        }
        let mentions = Mentions(found);
        if !mentions.0.is_empty() {
            sqlx::query("UPDATE messages SET mentions = $2 WHERE id = $1")
                .bind($message_id)
                .bind(mentions.to_json())
                .execute(&mut *$tx)
                .await?;
        }
        mentions
    }};
}

const NEXT_SEQ: &str = "UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq";
/// Takes the room's row lock without using a seq: checks made after it cannot be
/// overtaken by another writer before this transaction commits. A transaction that
/// changes a room's memberships takes this lock (or writes the room's row) first, as
/// the message writer does (the room's seq, then the sender's read marker): the other
/// order deadlocks on PostgreSQL with a post in flight.
pub(super) const LOCK_ROOM: &str = "UPDATE rooms SET last_seq = last_seq WHERE id = $1";
const ADD_CHANGE: &str = "INSERT INTO message_changes (room_id, seq, kind, message_id, body, at)
    VALUES ($1, $2, $3, $4, $5, $6)";

/// PostgreSQL: a run of messages with no names to match, to one room, stored with one
/// statement: each `client_id` looked up (a retry answers the message it first stored
/// instead of storing another), the room's seq range taken at once for the rest, the
/// rows inserted from arrays in order (so their ids rise with their seqs), and each
/// sender's read marker moved past their newest. One round trip for the run, where it
/// was two a message. Answers, by the place of each message in the run (from 1): a new
/// row's id, seq and sender's avatar, or a retried message's earlier id (no seq).
const STORE_RUN_PG: &str = "WITH input AS (
        SELECT * FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                             $8::text[])
            WITH ORDINALITY AS t(sender_id, text, html, file_id, attachment, client_id, ord)),
    earlier AS (
        SELECT i.ord, (SELECT m.id FROM messages m
                        WHERE m.sender_id = i.sender_id AND m.client_id = i.client_id
                          AND m.room_id = $1 AND m.sent_at > $9
                        ORDER BY m.id DESC LIMIT 1) AS id
          FROM input i WHERE i.client_id IS NOT NULL),
    fresh AS (
        SELECT i.*, row_number() OVER (ORDER BY i.ord) AS n FROM input i
         WHERE NOT EXISTS (SELECT 1 FROM earlier e WHERE e.ord = i.ord AND e.id IS NOT NULL)),
    counted AS (SELECT count(*) AS k FROM fresh),
    next AS (
        UPDATE rooms SET last_seq = last_seq + counted.k,
                         message_count = message_count + counted.k
          FROM counted WHERE id = $1
        RETURNING last_seq - counted.k AS base, message_count - counted.k AS ord_base),
    stored AS (
        INSERT INTO messages
            (room_id, seq, ord, sender_id, text, html, client_id, sent_at, file_id, attachment)
        SELECT $1, next.base + fresh.n, next.ord_base + fresh.n, fresh.sender_id,
               fresh.text, fresh.html, fresh.client_id, $7, fresh.file_id, fresh.attachment
          FROM next CROSS JOIN fresh ORDER BY fresh.n
        RETURNING id, seq, ord, sender_id),
    read_own AS (
        UPDATE memberships SET last_read_id = mine.newest, read_ord = mine.newest_ord
          FROM (SELECT sender_id, MAX(id) AS newest, MAX(ord) AS newest_ord
                  FROM stored GROUP BY sender_id) mine
         WHERE memberships.room_id = $1 AND memberships.user_id = mine.sender_id
           AND memberships.last_read_id < mine.newest)
    SELECT fresh.ord, stored.id, stored.seq, u.avatar
      FROM stored CROSS JOIN next
      JOIN fresh ON stored.seq = next.base + fresh.n
      JOIN users u ON u.id = stored.sender_id
    UNION ALL
    SELECT e.ord, e.id, NULL, NULL FROM earlier e WHERE e.id IS NOT NULL
    ORDER BY 1";

/// Whether a message can go in a run: one to `room_id` with no names to match, and (on
/// SQLite, whose run has no lookup) no `client_id`.
fn is_plain(write: &Write, room_id: i64, client_ids: bool) -> Option<&NewMessage> {
    match write {
        Write::Message(m)
            if m.room_id == room_id
                && (client_ids || m.client_id.is_none())
                && m.mention_names.is_empty() =>
        {
            Some(m)
        }
        _ => None,
    }
}

/// The messages from the start of `order` that make a run to `room_id`, each
/// `(sender, client_id)` once (a retry of one in the same run waits for the next, so
/// that it meets the first).
fn run_from<'a>(
    batch: &'a [Write],
    order: &[usize],
    room_id: i64,
    client_ids: bool,
) -> Vec<&'a NewMessage> {
    let mut seen: Vec<(i64, &str)> = Vec::new();
    order
        .iter()
        .map_while(|&j| {
            let m = is_plain(&batch[j], room_id, client_ids)?;
            if let Some(client_id) = &m.client_id {
                let key = (m.sender_id, client_id.as_str());
                if seen.contains(&key) {
                    return None;
                }
                seen.push(key);
            }
            Some(m)
        })
        .collect()
}

/// What storing one message of a run did.
enum RunStored {
    /// A new row: its id, seq and sender's avatar.
    New(i64, i64, Option<String>),
    /// A retried `client_id`: the message it first stored.
    Earlier(i64),
}

/// Stores a run of messages to one room (see `STORE_RUN_PG`). Returns what became of
/// each, in order.
trait StoreRun {
    async fn store_run(
        &mut self,
        room_id: i64,
        run: &[&NewMessage],
        now: i64,
    ) -> Result<Vec<RunStored>, sqlx::Error>;
}

impl StoreRun for sqlx::PgConnection {
    async fn store_run(
        &mut self,
        room_id: i64,
        run: &[&NewMessage],
        now: i64,
    ) -> Result<Vec<RunStored>, sqlx::Error> {
        let senders: Vec<i64> = run.iter().map(|m| m.sender_id).collect();
        let client_ids: Vec<Option<&str>> = run.iter().map(|m| m.client_id.as_deref()).collect();
        let texts: Vec<&str> = run.iter().map(|m| m.text.as_str()).collect();
        let htmls: Vec<&str> = run.iter().map(|m| m.html.as_str()).collect();
        let files: Vec<Option<&str>> = run
            .iter()
            .map(|m| m.attachment.as_ref().map(|a| a.id.as_str()))
            .collect();
        let attachments: Vec<String> = run
            .iter()
            .map(|m| Attached(m.attachment.clone()).to_json())
            .collect();
        let rows: Vec<(i64, i64, Option<i64>, Option<String>)> = sqlx::query_as(STORE_RUN_PG)
            .bind(room_id)
            .bind(&senders)
            .bind(&texts)
            .bind(&htmls)
            .bind(&files)
            .bind(&attachments)
            .bind(now)
            .bind(&client_ids)
            .bind(now - CLIENT_ID_WINDOW_MS)
            .fetch_all(self)
            .await?;
        // One row for each message, by its place in the run (the caller checks that
        // none is missing).
        if !rows
            .iter()
            .enumerate()
            .all(|(at, row)| row.0 == at as i64 + 1)
        {
            return Err(sqlx::Error::RowNotFound);
        }
        Ok(rows
            .into_iter()
            .map(|(_, id, seq, avatar)| match seq {
                Some(seq) => RunStored::New(id, seq, avatar),
                None => RunStored::Earlier(id),
            })
            .collect())
    }
}

/// SQLite: the same run in three statements (it has no data-modifying CTEs), the
/// rows unpacked from one JSON array. Each statement is a hop to the connection's
/// thread and back, so three a run rather than three a message.
///
/// `$2` messages take the room's next seqs and its next places in the message count
/// (their `ord`: unread counts are `message_count - read_ord`); answers the seq and
/// the place just before them. A single message takes them the same way.
const NEXT_SEQS_SQLITE: &str = "UPDATE rooms
    SET last_seq = last_seq + $2, message_count = message_count + $2
    WHERE id = $1 RETURNING last_seq - $2, message_count - $2";
const INSERT_RUN_SQLITE: &str = "INSERT INTO messages
        (room_id, seq, ord, sender_id, text, html, client_id, sent_at, file_id, attachment)
    SELECT $1, $2 + j.key + 1, $5 + j.key + 1, j.value ->> 0, j.value ->> 1, j.value ->> 2,
           NULL, $3, j.value ->> 3, j.value ->> 4
      FROM json_each($4) j ORDER BY j.key
    RETURNING id, seq, (SELECT avatar FROM users WHERE users.id = messages.sender_id)";
/// Each sender's marker past their newest message of the run (its seqs follow `$2`).
const READ_OWN_RUN_SQLITE: &str = "UPDATE memberships
       SET last_read_id = mine.newest, read_ord = mine.newest_ord
      FROM (SELECT sender_id, MAX(id) AS newest, MAX(ord) AS newest_ord FROM messages
             WHERE room_id = $1 AND seq > $2 AND seq <= $2 + $3 GROUP BY sender_id) mine
     WHERE memberships.room_id = $1 AND memberships.user_id = mine.sender_id
       AND memberships.last_read_id < mine.newest";

impl StoreRun for sqlx::SqliteConnection {
    async fn store_run(
        &mut self,
        room_id: i64,
        run: &[&NewMessage],
        now: i64,
    ) -> Result<Vec<RunStored>, sqlx::Error> {
        let rows: Vec<_> = run
            .iter()
            .map(|m| {
                let file = m.attachment.as_ref().map(|a| a.id.as_str());
                let attachment = Attached(m.attachment.clone()).to_json();
                (
                    m.sender_id,
                    m.text.as_str(),
                    m.html.as_str(),
                    file,
                    attachment,
                )
            })
            .collect();
        let rows = serde_json::to_string(&rows).map_err(|e| sqlx::Error::Encode(e.into()))?;
        let (base, ord_base): (i64, i64) = sqlx::query_as(NEXT_SEQS_SQLITE)
            .bind(room_id)
            .bind(run.len() as i64)
            .fetch_one(&mut *self)
            .await?;
        let mut stored: Vec<(i64, i64, Option<String>)> = sqlx::query_as(INSERT_RUN_SQLITE)
            .bind(room_id)
            .bind(base)
            .bind(now)
            .bind(rows)
            .bind(ord_base)
            .fetch_all(&mut *self)
            .await?;
        // RETURNING promises no order.
        stored.sort_unstable_by_key(|&(_, seq, _)| seq);
        sqlx::query(READ_OWN_RUN_SQLITE)
            .bind(room_id)
            .bind(base)
            .bind(run.len() as i64)
            .execute(&mut *self)
            .await?;
        Ok(stored
            .into_iter()
            .map(|(id, seq, avatar)| RunStored::New(id, seq, avatar))
            .collect())
    }
}

/// The row a newly stored message reads as.
fn new_row(
    m: &NewMessage,
    id: i64,
    seq: i64,
    avatar: Option<String>,
    now: i64,
    mentions: Mentions,
) -> MessageRow {
    MessageRow {
        id,
        room_id: m.room_id,
        seq,
        room: m.room.clone(),
        sender_id: m.sender_id,
        sender: m.sender.clone(),
        text: m.text.clone(),
        client_id: m.client_id.clone(),
        sent_at: now,
        edited_at: None,
        deleted: false,
        reactions: Reactions::default(),
        html: m.html.clone(),
        mentions,
        attachment: Attached(m.attachment.clone()),
        avatar,
    }
}

/// Stores `batch` in one transaction (group commit: one disk sync for many writes) and
/// returns one outcome per write, in the batch's order. The kept sidebars hear of each
/// event it committed (or, if it failed, which might yet have committed, of
/// everything).
///
/// Rooms are locked in id order (a stable sort keeps each room's writes in submission
/// order), so two nodes' batches cannot deadlock.
pub async fn commit(db: &Db, batch: &[Write]) -> StoreResult<Vec<Written>> {
    let outcome = store_batch(db, batch).await;
    super::rooms::events_committed(db, &outcome);
    outcome
}

async fn store_batch(db: &Db, batch: &[Write]) -> StoreResult<Vec<Written>> {
    const FIND_RETRY: &str = "SELECT id FROM messages
        WHERE sender_id = $1 AND client_id = $2 AND room_id = $3 AND sent_at > $4
        ORDER BY id DESC LIMIT 1";
    // Bound in the same order as `STORE_PG`, with the seq and the place last. It answers the
    // sender's avatar too, for the row it hands back.
    const INSERT: &str = "INSERT INTO messages
            (room_id, seq, ord, sender_id, text, html, client_id, sent_at, file_id, attachment)
        VALUES ($1, $9, $10, $2, $3, $4, $5, $6, $7, $8)
        RETURNING id, seq, (SELECT avatar FROM users WHERE id = $2)";
    // Writing in a room reads it: the sender's marker moves past their own message, so
    // their own messages never pile up as "unread" to be counted.
    const READ_OWN: &str = "UPDATE memberships SET last_read_id = $3, read_ord = $4
        WHERE room_id = $1 AND user_id = $2 AND last_read_id < $3";
    // PostgreSQL: the room's next seq, the row and the sender's marker in one round
    // trip (data-modifying CTEs run to completion whether or not they are read).
    // SQLite has no such CTEs: there a message alone takes three statements.
    const STORE_PG: &str = "WITH next AS (
            UPDATE rooms SET last_seq = last_seq + 1, message_count = message_count + 1
             WHERE id = $1 RETURNING last_seq, message_count),
        stored AS (
            INSERT INTO messages
                (room_id, seq, ord, sender_id, text, html, client_id, sent_at, file_id, attachment)
            SELECT $1, next.last_seq, next.message_count, $2, $3, $4, $5, $6, $7, $8 FROM next
            RETURNING id, seq, ord),
        read_own AS (
            UPDATE memberships SET last_read_id = stored.id, read_ord = stored.ord FROM stored
            WHERE memberships.room_id = $1 AND memberships.user_id = $2
              AND memberships.last_read_id < stored.id)
        SELECT stored.id, stored.seq, (SELECT avatar FROM users WHERE id = $2) FROM stored";
    const MESSAGE: &str = select_messages!("WHERE m.id = $1");
    const CURRENT: &str =
        "SELECT sender_id, deleted_at, text FROM messages WHERE id = $1 AND room_id = $2";
    let now = now_ms();
    let postgres = matches!(db, Db::Postgres(_));
    let mut order: Vec<usize> = (0..batch.len()).collect();
    order.sort_by_key(|&i| batch[i].room_id());
    on_writer!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let mut out: Vec<Option<Written>> = vec![None; batch.len()];
        let mut at = 0;
        while at < order.len() {
            let room_id = batch[order[at]].room_id();
            // PostgreSQL takes even one message as a run: its retry lookup then rides
            // in the same round trip.
            let run = run_from(batch, &order[at..], room_id, postgres);
            if run.len() > 1 || (postgres && !run.is_empty()) {
                let stored = (*tx).store_run(room_id, &run, now).await?;
                if stored.len() != run.len() {
                    return Err(sqlx::Error::RowNotFound.into());
                }
                for ((m, stored), &j) in run.iter().zip(stored).zip(&order[at..]) {
                    out[j] = Some(Written::Message(match stored {
                        RunStored::New(id, seq, avatar) => {
                            Stored::New(new_row(m, id, seq, avatar, now, Mentions::default()))
                        }
                        RunStored::Earlier(id) => Stored::Duplicate(
                            sqlx::query_as(MESSAGE).bind(id).fetch_one(&mut *tx).await?,
                        ),
                    }));
                }
                at += run.len();
                continue;
            }
            let i = order[at];
            at += 1;
            let written = match &batch[i] {
                Write::Message(m) => {
                    let earlier: Option<i64> = match &m.client_id {
                        Some(client_id) => {
                            sqlx::query_scalar(FIND_RETRY)
                                .bind(m.sender_id)
                                .bind(client_id)
                                .bind(m.room_id)
                                .bind(now - CLIENT_ID_WINDOW_MS)
                                .fetch_optional(&mut *tx)
                                .await?
                        }
                        None => None,
                    };
                    if let Some(id) = earlier {
                        let row: MessageRow =
                            sqlx::query_as(MESSAGE).bind(id).fetch_one(&mut *tx).await?;
                        Written::Message(Stored::Duplicate(row))
                    } else {
                        let attached = Attached(m.attachment.clone());
                        let store = sqlx::query_as(if postgres { STORE_PG } else { INSERT })
                            .bind(m.room_id)
                            .bind(m.sender_id)
                            .bind(&m.text)
                            .bind(&m.html)
                            .bind(&m.client_id)
                            .bind(now)
                            .bind(m.attachment.as_ref().map(|a| &a.id))
                            .bind(attached.to_json());
                        let (id, seq, avatar): (i64, i64, Option<String>) = if postgres {
                            store.fetch_one(&mut *tx).await?
                        } else {
                            let (before, ord_before): (i64, i64) = sqlx::query_as(NEXT_SEQS_SQLITE)
                                .bind(m.room_id)
                                .bind(1_i64)
                                .fetch_one(&mut *tx)
                                .await?;
                            let (seq, ord) = (before + 1, ord_before + 1);
                            let stored = store.bind(seq).bind(ord).fetch_one(&mut *tx).await?;
                            sqlx::query(READ_OWN)
                                .bind(m.room_id)
                                .bind(m.sender_id)
                                .bind(stored.0)
                                .bind(ord)
                                .execute(&mut *tx)
                                .await?;
                            stored
                        };
                        let mentions =
                            mentions_of!(tx, m.room_id, m.sender_id, id, &m.mention_names);
                        Written::Message(Stored::New(new_row(m, id, seq, avatar, now, mentions)))
                    }
                }
                Write::Change(c) => {
                    sqlx::query(LOCK_ROOM)
                        .bind(c.room_id)
                        .execute(&mut *tx)
                        .await?;
                    let current: Option<(i64, Option<i64>, String)> = sqlx::query_as(CURRENT)
                        .bind(c.message_id)
                        .bind(c.room_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let authored = |sender: i64| sender == c.actor_id;
                    match (current, &c.what) {
                        (None, _) | (Some((_, Some(_), _)), _) => {
                            Written::Refused(Refusal::NoSuchMessage)
                        }
                        (Some((sender, None, _)), ChangeKind::Edit { .. }) if !authored(sender) => {
                            Written::Refused(Refusal::NotTheAuthor)
                        }
                        (Some((sender, None, _)), ChangeKind::Delete)
                            if !authored(sender) && !c.admin =>
                        {
                            Written::Refused(Refusal::NotTheAuthor)
                        }
                        (Some((_, None, old_text)), what) => {
                            // Returns the new seq and the event's kind and body, or None
                            // when the change changed nothing.
                            let change: Option<(i64, &str, Option<String>)> = match what {
                                ChangeKind::Edit {
                                    text,
                                    html,
                                    mention_names,
                                } => {
                                    let seq: i64 = sqlx::query_scalar(NEXT_SEQ)
                                        .bind(c.room_id)
                                        .fetch_one(&mut *tx)
                                        .await?;
                                    sqlx::query(
                                        "INSERT INTO message_edits (message_id, text, edited_at)
                                         VALUES ($1, $2, $3)",
                                    )
                                    .bind(c.message_id)
                                    .bind(&old_text)
                                    .bind(now)
                                    .execute(&mut *tx)
                                    .await?;
                                    sqlx::query(
                                        "UPDATE messages SET text = $2, html = $3, edited_at = $4,
                                                mentions = '[]'
                                         WHERE id = $1",
                                    )
                                    .bind(c.message_id)
                                    .bind(text)
                                    .bind(html)
                                    .bind(now)
                                    .execute(&mut *tx)
                                    .await?;
                                    sqlx::query("DELETE FROM mentions WHERE message_id = $1")
                                        .bind(c.message_id)
                                        .execute(&mut *tx)
                                        .await?;
                                    let mentions = mentions_of!(
                                        tx,
                                        c.room_id,
                                        c.actor_id,
                                        c.message_id,
                                        mention_names
                                    );
                                    let body = EditBody {
                                        text: text.clone(),
                                        html: html.clone(),
                                        mentions: mentions.0,
                                    };
                                    Some((seq, "edit", Some(body.to_json())))
                                }
                                ChangeKind::Delete => {
                                    let seq: i64 = sqlx::query_scalar(NEXT_SEQ)
                                        .bind(c.room_id)
                                        .fetch_one(&mut *tx)
                                        .await?;
                                    // The tombstone keeps id, seq, room and sender; every
                                    // word of it, earlier versions included, goes.
                                    sqlx::query(
                                        "UPDATE messages SET text = '', html = '', mentions = '[]',
                                                deleted_at = $2, edited_at = NULL, reactions = '[]',
                                                file_id = NULL, attachment = ''
                                         WHERE id = $1",
                                    )
                                    .bind(c.message_id)
                                    .bind(now)
                                    .execute(&mut *tx)
                                    .await?;
                                    for sql in [
                                        "DELETE FROM message_edits WHERE message_id = $1",
                                        "DELETE FROM reactions WHERE message_id = $1",
                                        "DELETE FROM mentions WHERE message_id = $1",
                                        "UPDATE message_changes SET body = NULL WHERE message_id = $1",
                                    ] {
                                        sqlx::query(sql)
                                            .bind(c.message_id)
                                            .execute(&mut *tx)
                                            .await?;
                                    }
                                    Some((seq, "delete", None))
                                }
                                ChangeKind::React { emoji, add } => {
                                    let sql = if *add {
                                        "INSERT INTO reactions (message_id, user_id, emoji)
                                         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
                                    } else {
                                        "DELETE FROM reactions
                                         WHERE message_id = $1 AND user_id = $2 AND emoji = $3"
                                    };
                                    let changed = sqlx::query(sql)
                                        .bind(c.message_id)
                                        .bind(c.actor_id)
                                        .bind(emoji)
                                        .execute(&mut *tx)
                                        .await?
                                        .rows_affected();
                                    if changed == 0 {
                                        None
                                    } else {
                                        let seq: i64 = sqlx::query_scalar(NEXT_SEQ)
                                            .bind(c.room_id)
                                            .fetch_one(&mut *tx)
                                            .await?;
                                        let rows: Vec<(String, String, i64)> = sqlx::query_as(
                                            "SELECT r.emoji, u.username, r.user_id
                                               FROM reactions r JOIN users u ON u.id = r.user_id
                                              WHERE r.message_id = $1 ORDER BY r.id",
                                        )
                                        .bind(c.message_id)
                                        .fetch_all(&mut *tx)
                                        .await?;
                                        let before: Reactions = sqlx::query_scalar(
                                            "SELECT reactions FROM messages WHERE id = $1",
                                        )
                                        .bind(c.message_id)
                                        .fetch_one(&mut *tx)
                                        .await?;
                                        let json =
                                            Reactions::from_rows_after(&before, rows).to_json();
                                        sqlx::query(
                                            "UPDATE messages SET reactions = $2 WHERE id = $1",
                                        )
                                        .bind(c.message_id)
                                        .bind(&json)
                                        .execute(&mut *tx)
                                        .await?;
                                        Some((seq, "reactions", Some(json)))
                                    }
                                }
                            };
                            if let Some((seq, kind, body)) = &change {
                                sqlx::query(ADD_CHANGE)
                                    .bind(c.room_id)
                                    .bind(*seq)
                                    .bind(*kind)
                                    .bind(c.message_id)
                                    .bind(body)
                                    .bind(now)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                            let message: MessageRow = sqlx::query_as(MESSAGE)
                                .bind(c.message_id)
                                .fetch_one(&mut *tx)
                                .await?;
                            let event = change.map(|(seq, kind, body)| {
                                Box::new(Event {
                                    room_id: c.room_id,
                                    room: message.room.clone(),
                                    seq,
                                    kind: change_kind(kind, c.message_id, body, now),
                                })
                            });
                            Written::Changed { message, event }
                        }
                    }
                }
            };
            out[i] = Some(written);
        }
        tx.commit().await?;
        Ok(out.into_iter().flatten().collect())
    })
}

/// What an edit event stores: the new text, its HTML and whom it mentions, so a
/// replay shows the edit exactly as it was made.
#[derive(Debug, Default, Serialize, Deserialize)]
struct EditBody {
    text: String,
    html: String,
    mentions: Vec<Mention>,
}

impl EditBody {
    fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an edit always serialises")
    }

    /// The stored body: JSON, or (for edits stored before Markdown) the plain text.
    fn parse(body: Option<String>) -> Self {
        match body {
            Some(body) if body.starts_with('{') => serde_json::from_str(&body).unwrap_or_default(),
            Some(text) => EditBody {
                text,
                ..EditBody::default()
            },
            None => EditBody::default(),
        }
    }
}

/// A stored change as an event.
fn change_kind(kind: &str, id: i64, body: Option<String>, at: i64) -> EventKind {
    match kind {
        "edit" => {
            let body = EditBody::parse(body);
            EventKind::Edit {
                id,
                text: body.text,
                html: body.html,
                mentions: body.mentions,
                edited_at: at,
            }
        }
        "reactions" => EventKind::Reactions {
            id,
            reactions: Reactions::parse(body.as_deref()).0,
        },
        _ => EventKind::Delete { id },
    }
}

/// The room's events with `after_seq < seq < before_seq`, oldest first, at most
/// `limit`: catch-up for a socket that was away, and what a node missed when its feed
/// of committed events jumped. A message's creation is read as it is now (a deleted
/// one as its tombstone); the events after it bring every reader to the same state.
pub async fn range(
    db: &Db,
    room_id: i64,
    after_seq: i64,
    before_seq: i64,
    limit: i64,
) -> StoreResult<Vec<Event>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        event_seq: i64,
        kind: String,
        body: Option<String>,
        at: i64,
        #[sqlx(flatten)]
        message: MessageRow,
    }
    const SQL: &str = concat!(
        "SELECT ",
        message_columns!(),
        ", e.event_seq, e.kind, e.body, e.at FROM (
            SELECT seq AS event_seq, 'message' AS kind, id AS message_id, NULL AS body, sent_at AS at
              FROM messages WHERE room_id = $1 AND seq > $2 AND seq < $3
            UNION ALL
            SELECT seq, kind, message_id, body, at
              FROM message_changes WHERE room_id = $1 AND seq > $2 AND seq < $3
         ) e JOIN messages m ON m.id = e.message_id
             JOIN users u ON u.id = m.sender_id JOIN rooms r ON r.id = m.room_id
         ORDER BY e.event_seq LIMIT $4"
    );
    let rows: Vec<Row> = on_pool!(db, |pool| sqlx::query_as(SQL)
        .bind(room_id)
        .bind(after_seq)
        .bind(before_seq)
        .bind(limit)
        .fetch_all(pool)
        .await)?;
    Ok(rows
        .into_iter()
        .map(|row| Event {
            room_id: row.message.room_id,
            room: row.message.room.clone(),
            seq: row.event_seq,
            kind: match row.kind.as_str() {
                "message" => EventKind::Message(row.message),
                kind => change_kind(kind, row.message.id, row.body, row.at),
            },
        })
        .collect())
}
