//! Whom a message mentions: kept on the message row as JSON (so reading a message needs
//! no join) and in the `mentions` table (for "messages that mention me" and the "@"
//! badges).

use serde::{Deserialize, Serialize};

use super::{
    Db, StoreResult,
    messages::{MessageRow, message_columns},
    on_pool,
};

/// Someone a message mentions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Mentions(pub Vec<Mention>);

impl Mentions {
    /// The stored form (what `decode` reads back).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("mentions always serialise")
    }

    /// Reads the stored form; anything unreadable counts as no mentions.
    pub fn parse(json: Option<&str>) -> Self {
        match json {
            None | Some("[]") | Some("") => Mentions::default(),
            Some(text) => serde_json::from_str(text).unwrap_or_default(),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Mention> {
        self.0.iter()
    }

    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|m| m.name.clone()).collect()
    }

    pub fn includes(&self, user_id: i64) -> bool {
        self.0.iter().any(|m| m.id == user_id)
    }
}

super::json_column!(Mentions);

/// Messages that mention `user_id`, in rooms they are still in, newest first, older
/// than `before_id`.
pub async fn of_user(
    db: &Db,
    user_id: i64,
    before_id: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<MessageRow>> {
    const SQL: &str = concat!(
        "SELECT ",
        message_columns!(),
        " FROM mentions x
           JOIN messages m ON m.id = x.message_id
           JOIN memberships mb ON mb.room_id = x.room_id AND mb.user_id = x.user_id
           JOIN users u ON u.id = m.sender_id JOIN rooms r ON r.id = m.room_id
          WHERE x.user_id = $1 AND x.message_id < $2 AND m.deleted_at IS NULL
          ORDER BY x.message_id DESC LIMIT $3"
    );
    Ok(on_pool!(db, |pool| sqlx::query_as(SQL)
        .bind(user_id)
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(pool)
        .await)?)
}
