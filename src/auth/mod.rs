//! Who you are: registering, logging in and out, and the session that remembers it.

mod account;
pub mod bots;
mod csrf;
pub mod invites;
mod password;
mod session;
mod throttle;
pub mod token;

pub use account::{
    Admin, RESET_LINK_TTL, Revoke, accounts, change_password, check_reset_link, delete_account,
    find as find_account, is_admin, log_out_session, reset_link, reset_password, sessions,
    set_active, set_role,
};
pub use bots::BearerAuth;
pub use csrf::{SameOriginOnly, is_same_origin};
pub use password::Passwords;
pub use session::{
    CurrentUser, Peers, SessionCache, SessionCookie, SessionStore, cookie_config, cookie_name,
    end_session, remember_avatar, start_session,
};
pub use throttle::sweep as sweep_login_attempts;

use std::{net::IpAddr, time::Duration};

use crate::{
    domain::{Password, Username},
    error::{AppError, AppResult, Code},
    limit::KeyedLimit,
    peer::ClientAddr,
    store::{self, Db, StoreError},
};

/// A user as the rest of the app knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    /// Their avatar's key, if they have one.
    pub avatar: Option<String>,
    /// `admin`, `member` or `bot`.
    pub role: String,
}

/// The coarse limits per client address (on this node), whatever username is tried:
/// login attempts and registrations, each `count` per `window` (Campfire's: 10 login
/// POSTs in 3 minutes). They bound how many argon2 hashes one address can make us run.
pub struct ClientLimits {
    logins: KeyedLimit<IpAddr>,
    registrations: KeyedLimit<IpAddr>,
}

impl ClientLimits {
    pub fn new(count: u32, window: Duration) -> Self {
        Self {
            logins: KeyedLimit::new(count, window),
            registrations: KeyedLimit::new(count, window),
        }
    }
}

/// What registering, logging in and changing accounts need, for pages and the API
/// alike.
#[derive(Clone, Copy)]
pub struct Accounts<'a> {
    pub db: &'a Db,
    pub passwords: &'a Passwords,
    pub limits: &'a ClientLimits,
    pub sessions: &'a SessionStore,
    /// Closes the sockets of logins that end.
    pub sockets: &'a dyn Revoke,
}

impl From<store::users::UserRow> for User {
    fn from(row: store::users::UserRow) -> Self {
        Self {
            id: row.id,
            username: row.username,
            avatar: row.avatar,
            role: row.role,
        }
    }
}

/// Who may register: anyone (`open`, a fresh install's default), people with an
/// invitation (`invite`), or nobody (`closed`: invitations included). Kept in the database, so every node agrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    Open,
    Invite,
    Closed,
}

impl Registration {
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "open" => Some(Self::Open),
            "invite" => Some(Self::Invite),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Invite => "invite",
            Self::Closed => "closed",
        }
    }
}

/// Whether a login still stands: a session that has not expired, or a bot's token
/// that is still its bot's current one.
pub async fn login_stands(db: &Db, login: &str) -> Result<bool, StoreError> {
    match bots::bot_login_stands(db, login).await {
        Some(stands) => stands,
        None => store::sessions::login_exists(db, login, store::now_ms()).await,
    }
}

/// The registration mode in force.
pub async fn registration(db: &Db) -> AppResult<Registration> {
    let word = store::settings::get(db, "registration").await?;
    Ok(word
        .as_deref()
        .and_then(Registration::parse)
        .unwrap_or(Registration::Open))
}

/// Sets the registration mode, for every node.
pub async fn set_registration(db: &Db, _: &Admin, mode: Registration) -> AppResult<()> {
    Ok(store::settings::set(db, "registration", mode.as_str()).await?)
}

/// Creates an account, with an invitation's code if the person came through one (it
/// is then used up by one, even while registration is open). The registration mode
/// decides who may (403 `registration_closed`), and a code that cannot be used says
/// why (see `invites::check`). The password is hashed with argon2id before anything
/// is stored. Each registration that passes validation counts against the client's
/// limit.
pub async fn register(
    accounts: Accounts<'_>,
    client: ClientAddr,
    username: &str,
    password: &str,
    invite: Option<&str>,
) -> AppResult<User> {
    let db = accounts.db;
    let mode = registration(db).await?;
    if mode == Registration::Closed || (mode == Registration::Invite && invite.is_none()) {
        return Err(AppError::Forbidden(Code::RegistrationClosed));
    }
    if let Some(code) = invite {
        invites::check(db, code).await?;
    }
    let username = Username::parse(username)?;
    let password = Password::choose(password)?;
    accounts.limits.registrations.check(client.limit_key())?;
    let hash = accounts.passwords.hash(password).await?;
    let (name, key) = (username.as_str(), username.key());
    let inserted = match invite {
        None => store::users::insert(db, name, &key, &hash).await,
        Some(code) => {
            let digest = token::digest(code);
            match store::invites::register(db, &digest, name, &key, &hash).await {
                Ok(user) => Ok(user),
                Err(store::invites::NotJoined::Store(err)) => Err(err),
                // Used up (or revoked) while the hash was made: say which.
                Err(store::invites::NotJoined::Invite) => {
                    invites::check(db, code).await?;
                    return Err(AppError::Forbidden(Code::InviteUsedUp));
                }
            }
        }
    };
    match inserted {
        Ok((id, role)) => Ok(User {
            id,
            username: name.to_owned(),
            avatar: None,
            role,
        }),
        Err(StoreError::Duplicate) => Err(AppError::Conflict(Code::UsernameTaken)),
        Err(err) => Err(err.into()),
    }
}

/// Checks a username and password. Every attempt counts against the client's limit
/// and, before the password is checked, against the username's (see `throttle`).
/// Unknown users cost as much time as wrong passwords.
pub async fn log_in(
    accounts: Accounts<'_>,
    client: ClientAddr,
    username: &str,
    password: &str,
) -> AppResult<User> {
    accounts.limits.logins.check(client.limit_key())?;
    // Accounts made before a naming rule was added can still log in.
    let username = Username::existing(username).map_err(|_| AppError::BadCredentials)?;
    let password = Password::parse(password).map_err(|_| AppError::BadCredentials)?;
    let key = username.key();
    let db = accounts.db;
    let attempt = throttle::begin(db, &key, &client).await?;
    let row = store::users::find_by_key(db, &key).await?;
    let stored_hash = row.as_ref().map(|r| r.password_hash.clone());
    let matches = accounts.passwords.verify(password, stored_hash).await?;
    match row {
        Some(row) if matches => {
            throttle::succeeded(db, attempt).await?;
            // Said only to whoever knows the password.
            if row.deactivated {
                return Err(AppError::Forbidden(Code::AccountDeactivated));
            }
            Ok(User::from(row))
        }
        _ => Err(AppError::BadCredentials),
    }
}
