//! Messages: the group-commit insert and the history reads.

use super::{Db, StoreResult, on_pool};

/// A stored message with its room's and sender's names, as every reader wants it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub room_id: i64,
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

/// Stores `batch` in one transaction (group commit: one fsync for many messages) and
/// returns one outcome per message, in order. Ids come from the database and grow in
/// commit order because only one writer calls this at a time (see `messages::writer`).
pub async fn insert_batch(db: &Db, batch: &[NewMessage]) -> StoreResult<Vec<Stored>> {
    const FIND_RETRY: &str = "SELECT id, text, sent_at FROM messages
        WHERE sender_id = $1 AND client_id = $2 AND room_id = $3 AND sent_at > $4
        ORDER BY id DESC LIMIT 1";
    const INSERT: &str = "INSERT INTO messages (room_id, sender_id, text, client_id, sent_at)
        VALUES ($1, $2, $3, $4, $5) RETURNING id";
    let now = super::now_ms();
    on_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        let mut out = Vec::with_capacity(batch.len());
        for m in batch {
            let row = |id, text, sent_at| MessageRow {
                id,
                room_id: m.room_id,
                room: m.room.clone(),
                sender_id: m.sender_id,
                sender: m.sender.clone(),
                text,
                client_id: m.client_id.clone(),
                sent_at,
            };
            if let Some(client_id) = &m.client_id {
                let earlier: Option<(i64, String, i64)> = sqlx::query_as(FIND_RETRY)
                    .bind(m.sender_id)
                    .bind(client_id)
                    .bind(m.room_id)
                    .bind(now - CLIENT_ID_WINDOW_MS)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some((id, text, sent_at)) = earlier {
                    out.push(Stored::Duplicate(row(id, text, sent_at)));
                    continue;
                }
            }
            let id: i64 = sqlx::query_scalar(INSERT)
                .bind(m.room_id)
                .bind(m.sender_id)
                .bind(&m.text)
                .bind(&m.client_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            out.push(Stored::New(row(id, m.text.clone(), now)));
        }
        tx.commit().await?;
        Ok(out)
    })
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
    const NEWEST: &str =
        "SELECT m.id, m.room_id, r.name AS room, m.sender_id, u.username AS sender,
               m.text, m.client_id, m.sent_at
          FROM messages m JOIN users u ON u.id = m.sender_id JOIN rooms r ON r.id = m.room_id
         WHERE m.room_id = $1 AND m.id > $2 AND m.id < $3
         ORDER BY m.id DESC LIMIT $4";
    const OLDEST: &str =
        "SELECT m.id, m.room_id, r.name AS room, m.sender_id, u.username AS sender,
               m.text, m.client_id, m.sent_at
          FROM messages m JOIN users u ON u.id = m.sender_id JOIN rooms r ON r.id = m.room_id
         WHERE m.room_id = $1 AND m.id > $2 AND m.id < $3
         ORDER BY m.id ASC LIMIT $4";
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
