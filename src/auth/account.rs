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

/// Ends every session of `user_id` and closes all their sockets (bot tokens' too).
async fn end_all(accounts: Accounts<'_>, user_id: i64) -> AppResult<()> {
    accounts.sessions.end(user_id, None, None).await?;
    accounts.sockets.revoke_all(user_id);
    Ok(())
}

/// 409 `last_admin` if `row` is the last active admin, whom an action would remove.
async fn keep_an_admin(db: &Db, row: &UserRow) -> AppResult<()> {
    if row.role == "admin" && !row.deactivated && store::users::active_admins(db).await? <= 1 {
        return Err(AppError::Conflict(Code::LastAdmin));
    }
    Ok(())
}

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
    keep_an_admin(accounts.db, &row).await?;
    end_all(accounts, user.id).await?;
    store::users::delete(accounts.db, user.id).await?;
    Ok(())
}

/// Proof that an admin acts: what every admin action takes, so the rule (an admin
/// now, with an active account, asked of the database: a promotion, demotion or
/// deactivation counts at once) is checked in one place and cannot be forgotten. The
/// command line is the operator's, and acts as one.
#[derive(Debug, Clone, Copy)]
pub struct Admin {
    /// Their account; none for the command line.
    id: Option<i64>,
}

impl Admin {
    /// `user`, as an admin; 403 `not_an_admin` for anyone else.
    pub async fn check(db: &Db, user: &CurrentUser) -> AppResult<Self> {
        match is_admin(db, user.id).await? {
            true => Ok(Self { id: Some(user.id) }),
            false => Err(AppError::Forbidden(Code::NotAnAdmin)),
        }
    }

    /// The operator at the command line (`hearth admin …`).
    pub(crate) fn operator() -> Self {
        Self { id: None }
    }

    /// Their account, to note as what they made (none for the command line).
    pub fn id(&self) -> Option<i64> {
        self.id
    }
}

pub async fn is_admin(db: &Db, user_id: i64) -> AppResult<bool> {
    Ok(store::users::active_role(db, user_id).await?.as_deref() == Some("admin"))
}

/// Every account that was not deleted, by name.
pub async fn accounts(db: &Db, _: &Admin) -> AppResult<Vec<store::users::AccountRow>> {
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
pub async fn set_role(db: &Db, _: &Admin, username: &str, role: &str) -> AppResult<UserRow> {
    if !matches!(role, "admin" | "member") {
        return Err(ValidationError::new("role", Code::BadRole).into());
    }
    let row = find(db, username).await?;
    if row.role == "bot" {
        return Err(ValidationError::new("role", Code::BadRole).into());
    }
    if role != "admin" {
        keep_an_admin(db, &row).await?;
    }
    store::users::set_role(db, row.id, role).await?;
    Ok(UserRow {
        role: role.to_owned(),
        ..row
    })
}

/// Deactivates (`active` false) or reactivates `username`. Deactivating ends every
/// session of theirs and closes their sockets on every node; they cannot log in until
/// reactivated. The last active admin cannot be deactivated (409 `last_admin`).
pub async fn set_active(
    accounts: Accounts<'_>,
    _: &Admin,
    username: &str,
    active: bool,
) -> AppResult<()> {
    let db = accounts.db;
    let row = find(db, username).await?;
    if !active {
        keep_an_admin(db, &row).await?;
    }
    store::users::set_active(db, row.id, active).await?;
    if !active {
        end_all(accounts, row.id).await?;
    }
    Ok(())
}

/// A one-time link for `username` to set a new password, valid for
/// `RESET_LINK_TTL`: the token (to put in `/reset/{token}`) and when it expires.
pub async fn reset_link(db: &Db, _: &Admin, username: &str) -> AppResult<(String, i64)> {
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
    end_all(accounts, user_id).await?;
    let row = store::users::find_by_id(accounts.db, user_id)
        .await?
        .ok_or(AppError::NotFound(Code::NoSuchResetLink))?;
    if row.deactivated {
        return Err(AppError::Forbidden(Code::AccountDeactivated));
    }
    Ok(User::from(row))
}
