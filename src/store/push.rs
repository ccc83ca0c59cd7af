//! Web Push: the VAPID key every node signs with, people's subscriptions, and who of a
//! room's members a new message should reach.

use super::{Db, StoreResult, now_ms, on_pool, on_writer};

/// The VAPID private key (base64url), made by `make` if no node has made one yet. Two
/// nodes starting at once agree: the first insert wins and both read it back.
pub async fn vapid_key(db: &Db, make: impl FnOnce() -> String) -> StoreResult<String> {
    on_writer!(db, |pool| sqlx::query(
        "INSERT INTO push_keys (id, private_key, created_at) VALUES (1, $1, $2)
         ON CONFLICT (id) DO NOTHING"
    )
    .bind(make())
    .bind(now_ms())
    .execute(pool)
    .await
    .map(drop))?;
    Ok(on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT private_key FROM push_keys WHERE id = 1"
    )
    .fetch_one(pool)
    .await)?)
}

/// A browser's subscription.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Subscription {
    pub user_id: i64,
    pub endpoint: String,
    /// The browser's P-256 public key and auth secret, base64url.
    pub p256dh: String,
    pub auth: String,
}

/// Saves a subscription (to `user_id`, whoever had the endpoint before). Returns
/// whether it is new.
pub async fn subscribe(db: &Db, s: &Subscription) -> StoreResult<bool> {
    let existed: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM push_subscriptions WHERE endpoint = $1"
    )
    .bind(&s.endpoint)
    .fetch_optional(pool)
    .await)?;
    on_writer!(db, |pool| sqlx::query(
        "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, created_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (endpoint) DO UPDATE
            SET user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth"
    )
    .bind(s.user_id)
    .bind(&s.endpoint)
    .bind(&s.p256dh)
    .bind(&s.auth)
    .bind(now_ms())
    .execute(pool)
    .await
    .map(drop))?;
    Ok(existed.is_none())
}

/// Whether anyone has subscribed at all.
pub async fn any(db: &Db) -> StoreResult<bool> {
    let one: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM push_subscriptions LIMIT 1"
    )
    .fetch_optional(pool)
    .await)?;
    Ok(one.is_some())
}

/// Deletes `user_id`'s subscription at `endpoint`; whether there was one.
pub async fn unsubscribe(db: &Db, user_id: i64, endpoint: &str) -> StoreResult<bool> {
    let done = on_writer!(db, |pool| sqlx::query(
        "DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2"
    )
    .bind(user_id)
    .bind(endpoint)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done > 0)
}

/// Deletes a subscription its push service says is gone (404, 410).
pub async fn forget(db: &Db, endpoint: &str) -> StoreResult<()> {
    on_writer!(db, |pool| sqlx::query(
        "DELETE FROM push_subscriptions WHERE endpoint = $1"
    )
    .bind(endpoint)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// The subscriptions of the members of `message`'s room other than its sender whose
/// notification level asks for it: `all`, or `mentions` when it mentions them. Without
/// a level of their own, direct rooms notify of all, group rooms of mentions.
pub async fn recipients(
    db: &Db,
    room_id: i64,
    sender_id: i64,
    message_id: i64,
) -> StoreResult<Vec<Subscription>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(
        "SELECT s.user_id, s.endpoint, s.p256dh, s.auth
           FROM memberships mb
           JOIN rooms r ON r.id = mb.room_id
           JOIN users u ON u.id = mb.user_id
           JOIN push_subscriptions s ON s.user_id = mb.user_id
          WHERE mb.room_id = $1 AND mb.user_id <> $2 AND u.deactivated_at IS NULL
            AND CASE COALESCE(mb.notify, CASE WHEN r.kind = 'direct' THEN 'all' ELSE 'mentions' END)
                  WHEN 'all' THEN TRUE
                  WHEN 'mentions' THEN EXISTS (
                    SELECT 1 FROM mentions x WHERE x.message_id = $3 AND x.user_id = mb.user_id)
                  ELSE FALSE END
          ORDER BY s.id"
    )
    .bind(room_id)
    .bind(sender_id)
    .bind(message_id)
    .fetch_all(pool)
    .await)?)
}
