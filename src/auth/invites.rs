//! Invitations: an admin makes a code (shown once, as the link `/join/{code}`) good for
//! a number of registrations until it expires or is revoked.

use super::{Admin, token};
use crate::{
    error::{AppError, AppResult, Code, ValidationError},
    store::{self, Db, invites::InviteRow, now_ms},
};

/// How long an invitation may last, in hours, and for how many people.
pub const MAX_INVITE_HOURS: i64 = 30 * 24;
pub const MAX_INVITE_USES: i64 = 1000;
/// What an invitation gets when the admin does not say.
pub const DEFAULT_INVITE_HOURS: i64 = 7 * 24;
pub const DEFAULT_INVITE_USES: i64 = 1;

/// Makes an invitation lasting `hours`, for `uses` people (422 `bad_invite` outside
/// 1 hour–30 days and 1–1000 people). Returns the code and the invitation.
pub async fn create(
    db: &Db,
    admin: &Admin,
    hours: i64,
    uses: i64,
) -> AppResult<(String, InviteRow)> {
    if !(1..=MAX_INVITE_HOURS).contains(&hours) {
        return Err(ValidationError::new("hours", Code::BadInvite).into());
    }
    if !(1..=MAX_INVITE_USES).contains(&uses) {
        return Err(ValidationError::new("uses", Code::BadInvite).into());
    }
    let code = token::new_secret();
    let digest = token::digest(&code);
    let expires_at = now_ms() + hours * 3_600_000;
    store::invites::insert(db, &digest, admin.id(), expires_at, uses).await?;
    let invite = store::invites::find(db, &digest)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a new invitation vanished")))?;
    Ok((code, invite))
}

/// Invitations that can still be used.
pub async fn open(db: &Db, _: &Admin) -> AppResult<Vec<InviteRow>> {
    Ok(store::invites::open(db).await?)
}

/// Revokes an invitation (404 `no_such_invite`).
pub async fn revoke(db: &Db, _: &Admin, id: i64) -> AppResult<()> {
    match store::invites::revoke(db, id).await? {
        true => Ok(()),
        false => Err(AppError::NotFound(Code::NoSuchInvite)),
    }
}

/// The invitation `code` names, if it can still be used; else why not: 404
/// `no_such_invite`, or 403 `invite_revoked`, `invite_expired` or `invite_used_up`.
pub async fn check(db: &Db, code: &str) -> AppResult<InviteRow> {
    let invite = store::invites::find(db, &token::digest(code))
        .await?
        .ok_or(AppError::NotFound(Code::NoSuchInvite))?;
    if invite.revoked {
        return Err(AppError::Forbidden(Code::InviteRevoked));
    }
    if invite.expires_at <= now_ms() {
        return Err(AppError::Forbidden(Code::InviteExpired));
    }
    if invite.uses >= invite.max_uses {
        return Err(AppError::Forbidden(Code::InviteUsedUp));
    }
    Ok(invite)
}
