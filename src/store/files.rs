//! Files attached to messages, and avatars. The bytes live in the file store
//! (`files`); the database keeps what readers show (on the message row, as JSON, so
//! reading a message needs no join) and finds a file's message by its id.

use serde::{Deserialize, Serialize};

use super::{Db, StoreResult, json_column, on_pool, on_writer};

/// A file attached to a message, as every reader sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Random, and the key of its bytes in the file store.
    pub id: String,
    /// The name it was uploaded with (its last path part).
    pub name: String,
    pub size: i64,
    /// Decided by sniffing its first bytes, never by its name or the client's word.
    pub content_type: String,
    /// Images only (as shown, after EXIF orientation); none when it could not be read.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Whether a JPEG thumbnail was made.
    pub thumbnail: bool,
}

/// A message's attachment, if it has one: stored as JSON text, '' for none. (Boxed:
/// most messages have none, and every event carries a message row.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Attached(pub Option<Box<Attachment>>);

impl Attached {
    /// The stored form ('' for none).
    pub fn to_json(&self) -> String {
        match &self.0 {
            Some(a) => serde_json::to_string(a).expect("attachments always serialise"),
            None => String::new(),
        }
    }

    /// Reads the stored form; anything unreadable counts as none.
    pub fn parse(json: Option<&str>) -> Self {
        Attached(json.and_then(|j| serde_json::from_str(j).ok()))
    }
}

json_column!(Attached);

/// The room of the message a file is attached to, and the attachment, unless there is
/// no such file or its message was deleted.
pub async fn find(db: &Db, file_id: &str) -> StoreResult<Option<(i64, Attachment)>> {
    let row: Option<(i64, Attached)> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT room_id, attachment FROM messages WHERE file_id = $1 AND deleted_at IS NULL"
    )
    .bind(file_id)
    .fetch_optional(pool)
    .await)?;
    Ok(row.and_then(|(room, attached)| attached.0.map(|a| (room, *a))))
}

/// Sets (or, with `None`, removes) a person's avatar.
pub async fn set_avatar(db: &Db, user_id: i64, key: Option<&str>) -> StoreResult<()> {
    on_writer!(db, |pool| sqlx::query(
        "UPDATE users SET avatar = $2 WHERE id = $1"
    )
    .bind(user_id)
    .bind(key)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// A person's avatar key, by user id.
pub async fn avatar(db: &Db, user_id: i64) -> StoreResult<Option<String>> {
    let key: Option<Option<String>> = on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT avatar FROM users WHERE id = $1"
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await)?;
    Ok(key.flatten())
}
