//! Who you are: registering, logging in and out, and the session that remembers it.

mod csrf;
mod password;
mod session;
mod throttle;

pub use csrf::{SameOriginOnly, is_same_origin};
pub use password::Passwords;
pub use session::{CurrentUser, SessionStore, cookie_config, end_session, start_session};

use crate::{
    domain::{Password, Username},
    error::{AppError, AppResult, Code},
    store::{self, Db, StoreError},
};

/// A user as the rest of the app knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
}

/// Creates an account. The password is hashed with argon2id before anything is stored.
pub async fn register(
    db: &Db,
    passwords: &Passwords,
    username: &str,
    password: &str,
) -> AppResult<User> {
    let username = Username::parse(username)?;
    let password = Password::parse(password)?;
    let hash = passwords.hash(password).await?;
    match store::users::insert(db, username.as_str(), &username.key(), &hash).await {
        Ok(id) => Ok(User {
            id,
            username: username.as_str().to_owned(),
        }),
        Err(StoreError::Duplicate) => Err(AppError::Conflict(Code::UsernameTaken)),
        Err(err) => Err(err.into()),
    }
}

/// Checks a username and password. Unknown users cost as much time as wrong
/// passwords, and ten failures in fifteen minutes lock the username for a while.
pub async fn log_in(
    db: &Db,
    passwords: &Passwords,
    username: &str,
    password: &str,
) -> AppResult<User> {
    let username = Username::parse(username).map_err(|_| AppError::BadCredentials)?;
    let password = Password::parse(password).map_err(|_| AppError::BadCredentials)?;
    let key = username.key();
    throttle::check(db, &key).await?;
    let row = store::users::find_by_key(db, &key).await?;
    let stored_hash = row.as_ref().map(|r| r.password_hash.clone());
    let matches = passwords.verify(password, stored_hash).await?;
    match row {
        Some(row) if matches => {
            throttle::forgive(db, &key).await?;
            Ok(User {
                id: row.id,
                username: row.username,
            })
        }
        _ => {
            throttle::record_failure(db, &key).await?;
            Err(AppError::BadCredentials)
        }
    }
}
