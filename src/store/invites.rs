//! Invitations: codes an admin hands out, each good for some registrations until it
//! expires or is revoked. Only each code's digest is kept.

use super::{Db, StoreError, StoreResult, now_ms, on_pool, on_writer, unique_is_duplicate};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InviteRow {
    pub id: i64,
    /// Who made it (none: the command line).
    pub created_by: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub max_uses: i64,
    pub uses: i64,
    pub revoked: bool,
}

macro_rules! select_invites {
    ($tail:literal) => {
        concat!(
            "SELECT i.id, u.username AS created_by, i.created_at, i.expires_at, i.max_uses,
                    i.uses, (i.revoked_at IS NOT NULL) AS revoked
               FROM invites i LEFT JOIN users u ON u.id = i.created_by ",
            $tail
        )
    };
}

pub async fn insert(
    db: &Db,
    code_hash: &str,
    created_by: Option<i64>,
    expires_at: i64,
    max_uses: i64,
) -> StoreResult<i64> {
    Ok(on_writer!(db, |pool| sqlx::query_scalar(
        "INSERT INTO invites (code_hash, created_by, created_at, expires_at, max_uses)
         VALUES ($1, $2, $3, $4, $5) RETURNING id"
    )
    .bind(code_hash)
    .bind(created_by)
    .bind(now_ms())
    .bind(expires_at)
    .bind(max_uses)
    .fetch_one(pool)
    .await)?)
}

/// Invitations not yet expired, used up or revoked, newest first.
pub async fn open(db: &Db) -> StoreResult<Vec<InviteRow>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(select_invites!(
        "WHERE i.revoked_at IS NULL AND i.expires_at > $1 AND i.uses < i.max_uses
         ORDER BY i.id DESC"
    ))
    .bind(now_ms())
    .fetch_all(pool)
    .await)?)
}

pub async fn find(db: &Db, code_hash: &str) -> StoreResult<Option<InviteRow>> {
    Ok(on_pool!(db, |pool| sqlx::query_as(select_invites!(
        "WHERE i.code_hash = $1"
    ))
    .bind(code_hash)
    .fetch_optional(pool)
    .await)?)
}

/// Revokes an invitation; whether there was one.
pub async fn revoke(db: &Db, id: i64) -> StoreResult<bool> {
    let done = on_writer!(db, |pool| sqlx::query(
        "UPDATE invites SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL"
    )
    .bind(id)
    .bind(now_ms())
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done > 0)
}

/// Why an invited registration did not happen.
#[derive(Debug)]
pub enum NotJoined {
    /// The code is unknown, expired, used up or revoked: ask `find` which.
    Invite,
    Store(StoreError),
}

impl From<sqlx::Error> for NotJoined {
    fn from(err: sqlx::Error) -> Self {
        Self::Store(err.into())
    }
}

/// Takes one use of the invitation and creates the account, in one transaction: a
/// refused name uses nothing up, and two people cannot share the last use. Returns the
/// new user's id and role.
pub async fn register(
    db: &Db,
    code_hash: &str,
    username: &str,
    key: &str,
    password_hash: &str,
) -> Result<(i64, String), NotJoined> {
    let now = now_ms();
    on_writer!(db, |pool| {
        let mut tx = pool.begin().await?;
        let used: Option<i64> = sqlx::query_scalar(
            "UPDATE invites SET uses = uses + 1
              WHERE code_hash = $1 AND revoked_at IS NULL AND expires_at > $2
                AND uses < max_uses
              RETURNING id",
        )
        .bind(code_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        if used.is_none() {
            return Err(NotJoined::Invite);
        }
        let user = sqlx::query_as(
            "INSERT INTO users (username, username_key, password_hash, created_at, role)
             VALUES ($1, $2, $3, $4, 'member') RETURNING id, role",
        )
        .bind(username)
        .bind(key)
        .bind(password_hash)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|err| NotJoined::Store(unique_is_duplicate(err)))?;
        tx.commit().await?;
        Ok(user)
    })
}
