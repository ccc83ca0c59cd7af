//! Bots: accounts with the `bot` role, their bearer tokens (only a digest of each
//! secret is kept) and their outgoing webhooks.

use super::{Db, StoreError, StoreResult, now_ms, on_pool, on_writer, unique_is_duplicate};

/// Creates a bot's account and its row, in one transaction; `StoreError::Duplicate`
/// if the name is taken in any case. Returns its id. Its password can match nothing.
pub async fn insert(
    db: &Db,
    username: &str,
    key: &str,
    created_by: Option<i64>,
) -> StoreResult<i64> {
    let now = now_ms();
    on_writer!(db, |pool| {
        let mut tx = pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, username_key, password_hash, created_at, role)
             VALUES ($1, $2, '!', $3, 'bot') RETURNING id",
        )
        .bind(username)
        .bind(key)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(unique_is_duplicate)?;
        sqlx::query("INSERT INTO bots (user_id, created_by, created_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(created_by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok::<i64, StoreError>(id)
    })
}

/// A bot, as found by name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BotRow {
    pub user_id: i64,
    pub username: String,
    pub avatar: Option<String>,
    pub token_id: Option<String>,
    pub webhook_url: Option<String>,
    pub last_delivery_at: Option<i64>,
    pub last_delivery_status: Option<String>,
    pub deactivated: bool,
}

macro_rules! select_bots {
    ($tail:literal) => {
        concat!(
            "SELECT b.user_id, u.username, u.avatar, b.token_id, b.webhook_url, b.last_delivery_at,
                    b.last_delivery_status, (u.deactivated_at IS NOT NULL) AS deactivated
               FROM bots b JOIN users u ON u.id = b.user_id
              WHERE u.deleted_at IS NULL ",
            $tail
        )
    };
}

pub async fn find_by_key(db: &Db, key: &str) -> StoreResult<Option<BotRow>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(select_bots!(
        "AND u.username_key = $1"
    ))
    .bind(key)
    .fetch_optional(pool)
    .await)?)
}

/// Every bot, by name.
pub async fn list(db: &Db) -> StoreResult<Vec<BotRow>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(select_bots!(
        "ORDER BY u.username_key"
    ))
    .fetch_all(pool)
    .await)?)
}

/// Sets a bot's token (its id and the digest of its secret), or none (revoked).
pub async fn set_token(db: &Db, user_id: i64, token: Option<(&str, &str)>) -> StoreResult<()> {
    let (id, digest) = token.unzip();
    on_writer!(db, |pool| sqlx::query(
        "UPDATE bots SET token_id = $2, token_hash = $3 WHERE user_id = $1"
    )
    .bind(user_id)
    .bind(id)
    .bind(digest)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// The bot a token's id names, with its secret's digest, if the bot can act.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenOwner {
    pub user_id: i64,
    pub username: String,
    pub avatar: Option<String>,
    pub token_hash: String,
}

pub async fn token_owner(db: &Db, token_id: &str) -> StoreResult<Option<TokenOwner>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(
        "SELECT b.user_id, u.username, u.avatar, b.token_hash
           FROM bots b JOIN users u ON u.id = b.user_id
          WHERE b.token_id = $1 AND b.token_hash IS NOT NULL
            AND u.deactivated_at IS NULL AND u.deleted_at IS NULL"
    )
    .bind(token_id)
    .fetch_optional(pool)
    .await)?)
}

/// Sets a bot's outgoing webhook (its URL and signing secret), or none.
pub async fn set_webhook(db: &Db, user_id: i64, hook: Option<(&str, &str)>) -> StoreResult<()> {
    let (url, secret) = hook.unzip();
    on_writer!(db, |pool| sqlx::query(
        "UPDATE bots SET webhook_url = $2, webhook_secret = $3,
                last_delivery_at = NULL, last_delivery_status = NULL
          WHERE user_id = $1"
    )
    .bind(user_id)
    .bind(url)
    .bind(secret)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// Whether any bot has an outgoing webhook.
pub async fn any_webhook(db: &Db) -> StoreResult<bool> {
    let found: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT CAST(1 AS BIGINT) FROM bots WHERE webhook_url IS NOT NULL LIMIT 1"
    )
    .fetch_optional(pool)
    .await)?;
    Ok(found.is_some())
}

/// A bot's outgoing webhook, to call about one message.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Hook {
    pub user_id: i64,
    pub username: String,
    pub avatar: Option<String>,
    pub url: String,
    pub secret: String,
}

/// The webhooks a new message calls: those of active bots it mentions, or that are
/// in the direct room it was sent in. Never for a message a bot sent (so bots cannot
/// set each other off).
pub async fn hooks_for(
    db: &Db,
    room_id: i64,
    message_id: i64,
    sender_id: i64,
) -> StoreResult<Vec<Hook>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(
        "SELECT b.user_id, u.username, u.avatar, b.webhook_url AS url, b.webhook_secret AS secret
           FROM bots b JOIN users u ON u.id = b.user_id
          WHERE b.webhook_url IS NOT NULL AND b.webhook_secret IS NOT NULL
            AND u.deactivated_at IS NULL AND u.deleted_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM bots s WHERE s.user_id = $3)
            AND (EXISTS (SELECT 1 FROM mentions x
                          WHERE x.message_id = $2 AND x.user_id = b.user_id)
                 OR EXISTS (SELECT 1 FROM rooms r JOIN memberships mb ON mb.room_id = r.id
                             WHERE r.id = $1 AND r.kind = 'direct' AND mb.user_id = b.user_id))"
    )
    .bind(room_id)
    .bind(message_id)
    .bind(sender_id)
    .fetch_all(pool)
    .await)?)
}

/// Notes how a bot's last webhook call went.
pub async fn record_delivery(db: &Db, user_id: i64, status: &str) -> StoreResult<()> {
    on_writer!(db, |pool| sqlx::query(
        "UPDATE bots SET last_delivery_at = $2, last_delivery_status = $3 WHERE user_id = $1"
    )
    .bind(user_id)
    .bind(now_ms())
    .bind(status)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}
