//! People: finding someone by name (to start a direct room, or to mention them), the
//! messages that mention you, and whether others see you typing. Direct rooms
//! themselves, and notification levels, are rooms (see [`crate::rooms`]).

use crate::{
    auth::CurrentUser,
    domain::fold_case,
    error::AppResult,
    files::{Files, Received},
    rooms::Room,
    store::{self, Db, messages::MessageRow, rooms::Member},
};

/// Sets `user`'s avatar from an uploaded image (cropped square, 256 px), or removes it
/// with `None`; the picture it replaces leaves the store. Returns the new key.
pub async fn set_avatar(
    db: &Db,
    files: &Files,
    user: &CurrentUser,
    image: Option<Received>,
) -> AppResult<Option<String>> {
    let key = match image {
        Some(image) => Some(files.keep_avatar(image).await?),
        None => None,
    };
    let old = store::files::avatar(db, user.id).await?;
    store::files::set_avatar(db, user.id, key.as_deref()).await?;
    if let Some(old) = old {
        files.remove_avatar(&old).await;
    }
    Ok(key)
}

/// How many names an autocomplete list offers.
pub const SUGGESTIONS: usize = 8;
/// The most mentions one call lists.
pub const MAX_MENTIONS_PAGE: i64 = 200;

/// Usernames starting with `prefix` (ignoring case), other than the asker's: whom a
/// direct room can be started with.
pub async fn named_like(db: &Db, user: &CurrentUser, prefix: &str) -> AppResult<Vec<String>> {
    let prefix = prefix.trim().trim_start_matches('@');
    if prefix.is_empty() {
        return Ok(Vec::new());
    }
    let mut names = store::users::named_like(db, prefix, SUGGESTIONS as i64 + 1).await?;
    let me = fold_case(&user.username);
    names.retain(|n| fold_case(n) != me);
    names.truncate(SUGGESTIONS);
    Ok(names)
}

/// Members of `room` whose name starts with `prefix` (all of them for an empty one),
/// other than the asker: whom a message there can mention (deactivated ones marked).
pub async fn mentionable(
    db: &Db,
    user: &CurrentUser,
    room: &Room,
    prefix: &str,
) -> AppResult<Vec<Member>> {
    let prefix = fold_case(prefix.trim().trim_start_matches('@'));
    let members = store::rooms::members(db, room.id).await?;
    Ok(members
        .into_iter()
        .filter(|m| m.id != user.id && fold_case(&m.username).starts_with(&prefix))
        .take(SUGGESTIONS)
        .collect())
}

/// Messages that mention `user`, in rooms they are still in, newest first: at most
/// `limit` (default 50, at most 200), older than `before_id`.
pub async fn mentions_of(
    db: &Db,
    user: &CurrentUser,
    before_id: Option<i64>,
    limit: Option<i64>,
) -> AppResult<Vec<MessageRow>> {
    let limit = limit.unwrap_or(50).clamp(1, MAX_MENTIONS_PAGE);
    Ok(store::mentions::of_user(db, user.id, before_id, limit).await?)
}

/// Whether others see "… is typing" when `user_id` types.
pub async fn shares_typing(db: &Db, user_id: i64) -> AppResult<bool> {
    Ok(store::users::shares_typing(db, user_id).await?)
}

pub async fn set_shares_typing(db: &Db, user: &CurrentUser, shares: bool) -> AppResult<()> {
    Ok(store::users::set_shares_typing(db, user.id, shares).await?)
}
