//! Messages: the group-commit insert and the history reads.

use super::{Db, StoreResult, on_pool};

/// A stored message with its room's and sender's names, as every reader wants it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct MessageRow {
    pub id: i64,
    pub room_id: i64,
    /// 1, 2, 3… within the room, in commit order: a jump means a message was missed.
    pub seq: i64,
    pub room: String,
    pub sender_id: i64,
    pub sender: String,
    pub text: String,
    pub client_id: Option<String>,
    pub sent_at: i64,
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
    pub client_id: Option<String>,
}

/// What storing one message did.
#[derive(Debug, Clone)]
pub enum Stored {
    /// A new row.
    New(MessageRow),
    /// The sender retried a `client_id` seen in the last ten minutes: the original.
    Duplicate(MessageRow),
}

/// How long a `client_id` protects against a retried send.
pub const CLIENT_ID_WINDOW_MS: i64 = 10 * 60 * 1000;

/// Stores `batch` in one transaction (group commit: one disk sync for many messages) and
/// returns one outcome per message, in the batch's order.
///
/// Each new message first bumps its room's `last_seq`, which takes the room's row lock
/// until commit. Inserts into one room are therefore serialised across every writer
/// on every node: within a room, commit order is seq order and id order, so a reader
/// resuming "after id N" can never miss a message that commits later with a smaller
/// id. Rooms are locked in id order (a stable sort keeps each room's messages in
/// submission order), so two nodes' batches cannot deadlock.
pub async fn insert_batch(db: &Db, batch: &[NewMessage]) -> StoreResult<Vec<Stored>> {
    const FIND_RETRY: &str = "SELECT id, seq, text, sent_at FROM messages
        WHERE sender_id = $1 AND client_id = $2 AND room_id = $3 AND sent_at > $4
        ORDER BY id DESC LIMIT 1";
    const NEXT_SEQ: &str =
        "UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq";
    const INSERT: &str = "INSERT INTO messages (room_id, seq, sender_id, text, client_id, sent_at)
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    let now = super::now_ms();
    let mut order: Vec<usize> = (0..batch.len()).collect();
    order.sort_by_key(|&i| batch[i].room_id);
    on_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        let mut out: Vec<Option<Stored>> = vec![None; batch.len()];
        for &i in &order {
            let m = &batch[i];
            let row = |id, seq, text, sent_at| MessageRow {
                id,
                room_id: m.room_id,
                seq,
                room: m.room.clone(),
                sender_id: m.sender_id,
                sender: m.sender.clone(),
                text,
                client_id: m.client_id.clone(),
                sent_at,
            };
            if let Some(client_id) = &m.client_id {
                let earlier: Option<(i64, i64, String, i64)> = sqlx::query_as(FIND_RETRY)
                    .bind(m.sender_id)
                    .bind(client_id)
                    .bind(m.room_id)
                    .bind(now - CLIENT_ID_WINDOW_MS)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some((id, seq, text, sent_at)) = earlier {
                    out[i] = Some(Stored::Duplicate(row(id, seq, text, sent_at)));
                    continue;
                }
            }
            let seq: i64 = sqlx::query_scalar(NEXT_SEQ)
                .bind(m.room_id)
                .fetch_one(&mut *tx)
                .await?;
            let id: i64 = sqlx::query_scalar(INSERT)
                .bind(m.room_id)
                .bind(seq)
                .bind(m.sender_id)
                .bind(&m.text)
                .bind(&m.client_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            out[i] = Some(Stored::New(row(id, seq, m.text.clone(), now)));
        }
        tx.commit().await?;
        Ok(out.into_iter().flatten().collect())
    })
}

/// A message read with its room's and sender's names, then `$tail` (the conditions).
macro_rules! select_messages {
    ($tail:literal) => {
        concat!(
            "SELECT m.id, m.room_id, m.seq, r.name AS room, m.sender_id, u.username AS sender,
                    m.text, m.client_id, m.sent_at
               FROM messages m JOIN users u ON u.id = m.sender_id JOIN rooms r ON r.id = m.room_id ",
            $tail
        )
    };
}

/// Up to `limit` messages of a room with `after < id < before`. Without `after` these are
/// the newest before `before`; with it, the oldest after `after`. Either way, oldest first.
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

/// Messages of a room with `after_seq < seq < before_seq`, in seq order: what a node
/// missed when its feed of committed messages jumped.
pub async fn seq_range(
    db: &Db,
    room_id: i64,
    after_seq: i64,
    before_seq: i64,
) -> StoreResult<Vec<MessageRow>> {
    const SQL: &str =
        select_messages!("WHERE m.room_id = $1 AND m.seq > $2 AND m.seq < $3 ORDER BY m.seq");
    Ok(on_pool!(db, |pool| sqlx::query_as(SQL)
        .bind(room_id)
        .bind(after_seq)
        .bind(before_seq)
        .fetch_all(pool)
        .await)?)
}
