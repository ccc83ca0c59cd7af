//! Searching the messages of the rooms someone is in now: the rules (terms, filters,
//! membership, paging) once, for the search page and the API alike.

use time::{OffsetDateTime, Time};

use super::checked_limit;
use crate::{
    auth::CurrentUser,
    domain::{SearchTerms, Username, parse_day},
    error::AppResult,
    rooms,
    store::{self, Db, messages::MessageRow, search::Search},
};

/// A page of results holds this many by default, and at most `MAX_RESULTS`.
pub const RESULTS_PAGE: i64 = 20;
pub const MAX_RESULTS: i64 = 50;

/// A search as asked for: every field as typed (all optional but `q`).
#[derive(Debug, Clone, Default)]
pub struct SearchRequest<'a> {
    pub q: &'a str,
    /// One room, by name.
    pub room: Option<&'a str>,
    /// One sender, by username.
    pub from: Option<&'a str>,
    /// Sent before this day (YYYY-MM-DD, UTC).
    pub before: Option<&'a str>,
    /// Sent on or after this day.
    pub after: Option<&'a str>,
    /// The next page: messages older than this id.
    pub before_id: Option<i64>,
    pub limit: Option<i64>,
}

/// One page of results, newest first.
#[derive(Debug)]
pub struct Found {
    pub terms: SearchTerms,
    pub results: Vec<MessageRow>,
    /// Where the next page starts, if there is one.
    pub next_before_id: Option<i64>,
}

/// Messages containing every term, from rooms `user` is a member of now. An unknown
/// room is 404 and one they are not in 403; an unknown sender finds nothing.
pub async fn search(db: &Db, user: &CurrentUser, asked: &SearchRequest<'_>) -> AppResult<Found> {
    let terms = SearchTerms::parse(asked.q)?;
    let limit = checked_limit(asked.limit, RESULTS_PAGE, MAX_RESULTS)?;
    let since_ms = asked.after.map(|d| day_start_ms("after", d)).transpose()?;
    let until_ms = asked
        .before
        .map(|d| day_start_ms("before", d))
        .transpose()?;
    let room_id = match asked.room.filter(|r| !r.trim().is_empty()) {
        Some(name) => Some(rooms::open_as_member(db, user, name).await?.id),
        None => None,
    };
    let sender_id = match asked.from.filter(|f| !f.trim().is_empty()) {
        // Any account that can log in may be searched for, named before or after the
        // rules for new names changed.
        Some(name) => match Username::existing(name) {
            Ok(name) => match store::users::find_by_key(db, &name.key()).await? {
                Some(sender) => Some(sender.id),
                None => return Ok(nothing(terms)),
            },
            Err(_) => return Ok(nothing(terms)),
        },
        None => None,
    };
    let search = Search {
        user_id: user.id,
        terms: terms.as_slice(),
        room_id,
        sender_id,
        since_ms,
        until_ms,
        before_id: asked.before_id,
        limit: limit + 1,
    };
    let mut results = store::search::search(db, &search).await?;
    let more = results.len() as i64 > limit;
    results.truncate(limit as usize);
    let next_before_id = more.then(|| results.last().map(|m| m.id)).flatten();
    Ok(Found {
        terms,
        results,
        next_before_id,
    })
}

fn nothing(terms: SearchTerms) -> Found {
    Found {
        terms,
        results: Vec::new(),
        next_before_id: None,
    }
}

/// The first millisecond of a day, UTC.
fn day_start_ms(field: &'static str, raw: &str) -> AppResult<i64> {
    let day = parse_day(field, raw)?;
    let start = OffsetDateTime::new_utc(day, Time::MIDNIGHT);
    Ok((start.unix_timestamp_nanos() / 1_000_000) as i64)
}
