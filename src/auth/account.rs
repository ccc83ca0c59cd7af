//! One's own account (its password, its sessions, deleting it), and what an admin does
//! to accounts: roles, deactivation, reset links. Whenever logins end here, their
//! sockets are closed on every node through [`Revoke`], which the live hub implements.

use std::time::Duration;

use super::{Accounts, CurrentUser, User, token};
use crate::{
    domain::{Password, Username},
    error::{AppError, AppResult, Code, ValidationError},
    store::{self, Db, now_ms, sessions::SessionRow, users::UserRow},
};

/// Whoever holds open sockets: told when a login ends, so that login's sockets close.
pub trait Revoke: Send + Sync {
    /// One login ended.
    fn revoke(&self, user_id: i64, login: String);
    /// Every login of theirs ended (bearer tokens' too): the account was deactivated
    /// or deleted.
    fn revoke_all(&self, user_id: i64);
}

/// How long a reset link works.
pub const RESET_LINK_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// Ends sessions of `user_id` (see `SessionStore::end`) and closes their sockets.
async fn end_sessions(
    accounts: Accounts<'_>,
    user_id: i64,
    only: Option<&str>,
    except: Option<&str>,
) -> AppResult<usize> {
    let ended = accounts.sessions.end(user_id, only, except).await?;
    let count = ended.len();
    for login in ended {
        accounts.sockets.revoke(user_id, login);
    }
    Ok(count)
}

/// Checks `password` against `user_id`'s (422 `wrong_password` on `field`).
async fn confirm_password(
    accounts: Accounts<'_>,
    user_id: i64,
    field: &'static str,
    password: &str,
) -> AppResult<UserRow> {
    let wrong = || AppError::from(ValidationError::new(field, Code::WrongPassword));
    let row = store::users::find_by_id(accounts.db, user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let password = Password::parse(password).map_err(|_| wrong())?;
    let stored = Some(row.password_hash.clone());
    if accounts.passwords.verify(password, stored).await? {
        Ok(row)
    } else {
        Err(wrong())
    }
}

/// A new password, checked as at registration, but named `field`.
fn new_password(field: &'static str, password: &str) -> AppResult<Password> {
    Password::choose(password).map_err(|err| ValidationError::new(field, err.code).into())
}

/// Changes `user`'s password, once they give their current one. Every other session
/// of theirs ends, and its sockets close.
pub async fn change_password(
    accounts: Accounts<'_>,
    user: &CurrentUser,
    current: &str,
    new: &str,
) -> AppResult<()> {
    let new = new_password("new_password", new)?;
    confirm_password(accounts, user.id, "current_password", current).await?;
    let hash = accounts.passwords.hash(new).await?;
    store::users::set_password(accounts.db, user.id, &hash).await?;
    end_sessions(accounts, user.id, None, Some(&user.login)).await?;
    Ok(())
}

/// `user`'s sessions, the most recently used first.
pub async fn sessions(db: &Db, user: &CurrentUser) -> AppResult<Vec<SessionRow>> {
    Ok(store::sessions::of_user(db, user.id, now_ms()).await?)
}

/// Ends one of `user`'s sessions (named by its login), and closes its sockets.
pub async fn log_out_session(
    accounts: Accounts<'_>,
    user: &CurrentUser,
    login: &str,
) -> AppResult<()> {
    match end_sessions(accounts, user.id, Some(login), None).await? {
        0 => Err(AppError::NotFound(Code::NoSuchSession)),
        _ => Ok(()),
    }
}

/// Deletes `user`'s account, once they give their password: see
/// `store::users::delete`. Their sockets close. (Their picture is the caller's to
/// remove first: files are not this module's.)
pub async fn delete_account(
    accounts: Accounts<'_>,
    user: &CurrentUser,
    password: &str,
) -> AppResult<()> {
    let row = confirm_password(accounts, user.id, "password", password).await?;
    if row.role == "admin"
        && !row.deactivated
        && store::users::active_admins(accounts.db).await? <= 1
    {
        return Err(AppError::Conflict(Code::LastAdmin));
    }
    accounts.sessions.end(user.id, None, None).await?;
    store::users::delete(accounts.db, user.id).await?;
    accounts.sockets.revoke_all(user.id);
    Ok(())
}

/// 403 `not_an_admin` unless `user` is an admin now (asked of the database: a
/// promotion or demotion counts at once).
pub async fn require_admin(db: &Db, user: &CurrentUser) -> AppResult<()> {
    match is_admin(db, user.id).await? {
        true => Ok(()),
        false => Err(AppError::Forbidden(Code::NotAnAdmin)),
    }
}

pub async fn is_admin(db: &Db, user_id: i64) -> AppResult<bool> {
    Ok(store::users::active_role(db, user_id).await?.as_deref() == Some("admin"))
}

/// Every account that was not deleted, by name.
pub async fn accounts(db: &Db) -> AppResult<Vec<store::users::AccountRow>> {
    Ok(store::users::accounts(db).await?)
}

/// The account called `username` (404 `no_such_user`).
pub async fn find(db: &Db, username: &str) -> AppResult<UserRow> {
    let key = Username::existing(username)
        .map_err(|_| AppError::NotFound(Code::NoSuchUser))?
        .key();
    store::users::find_by_key(db, &key)
        .await?
        .ok_or(AppError::NotFound(Code::NoSuchUser))
}

/// Makes `username` an admin or a member. The last active admin stays one (409
/// `last_admin`); a bot stays a bot (422 `bad_role`).
pub async fn set_role(db: &Db, username: &str, role: &str) -> AppResult<UserRow> {
    if !matches!(role, "admin" | "member") {
        return Err(ValidationError::new("role", Code::BadRole).into());
    }
    let row = find(db, username).await?;
    if row.role == "bot" {
        return Err(ValidationError::new("role", Code::BadRole).into());
    }
    if row.role == "admin" && role != "admin" && !row.deactivated && last_admin(db).await? {
        return Err(AppError::Conflict(Code::LastAdmin));
    }
    let key = Username::existing(&row.username)?.key();
    store::users::set_role(db, &key, role).await?;
    Ok(UserRow {
        role: role.to_owned(),
        ..row
    })
}

async fn last_admin(db: &Db) -> AppResult<bool> {
    Ok(store::users::active_admins(db).await? <= 1)
}

/// Deactivates (`active` false) or reactivates `username`. Deactivating ends every
/// session of theirs and closes their sockets on every node; they cannot log in until
/// reactivated. The last active admin cannot be deactivated (409 `last_admin`).
pub async fn set_active(accounts: Accounts<'_>, username: &str, active: bool) -> AppResult<()> {
    let db = accounts.db;
    let row = find(db, username).await?;
    if !active && row.role == "admin" && !row.deactivated && last_admin(db).await? {
        return Err(AppError::Conflict(Code::LastAdmin));
    }
    store::users::set_active(db, row.id, active).await?;
    if !active {
        accounts.sessions.end(row.id, None, None).await?;
        accounts.sockets.revoke_all(row.id);
    }
    Ok(())
}

/// A one-time link for `username` to set a new password, valid for
/// `RESET_LINK_TTL`: the token (to put in `/reset/{token}`) and when it expires.
pub async fn reset_link(db: &Db, username: &str) -> AppResult<(String, i64)> {
    let row = find(db, username).await?;
    if row.role == "bot" {
        return Err(AppError::NotFound(Code::NoSuchUser));
    }
    let token = token::new_secret();
    let expires_at = now_ms() + RESET_LINK_TTL.as_millis() as i64;
    store::resets::insert(db, &token::digest(&token), row.id, expires_at).await?;
    Ok((token, expires_at))
}

/// Whose reset link `token` is, if it can still be used (404 `no_such_reset_link`,
/// 403 `reset_link_used` or `reset_link_expired`).
pub async fn check_reset_link(db: &Db, token: &str) -> AppResult<String> {
    let row = store::resets::find(db, &token::digest(token))
        .await?
        .ok_or(AppError::NotFound(Code::NoSuchResetLink))?;
    if row.used {
        return Err(AppError::Forbidden(Code::ResetLinkUsed));
    }
    if row.expires_at <= now_ms() {
        return Err(AppError::Forbidden(Code::ResetLinkExpired));
    }
    Ok(row.username)
}

/// Sets a new password through a reset link, which is then used up. Every session of
/// its owner ends (and its sockets close); the caller logs them in afresh.
pub async fn reset_password(
    accounts: Accounts<'_>,
    token: &str,
    password: &str,
) -> AppResult<User> {
    check_reset_link(accounts.db, token).await?;
    let password = new_password("password", password)?;
    let hash = accounts.passwords.hash(password).await?;
    let digest = token::digest(token);
    let Some(user_id) = store::resets::use_link(accounts.db, &digest, &hash).await? else {
        // Used (or expired) while the hash was made: say which.
        check_reset_link(accounts.db, token).await?;
        return Err(AppError::Forbidden(Code::ResetLinkUsed));
    };
    accounts.sessions.end(user_id, None, None).await?;
    accounts.sockets.revoke_all(user_id);
    let row = store::users::find_by_id(accounts.db, user_id)
        .await?
        .ok_or(AppError::NotFound(Code::NoSuchResetLink))?;
    if row.deactivated {
        return Err(AppError::Forbidden(Code::AccountDeactivated));
    }
    Ok(User::from(row))
}
