//! What one person's sockets hear, on every node: the hub keeps a channel of these per
//! person, and the relay carries them to the other nodes. Its own module, so that
//! neither of those two needs the other for it.

use serde::{Deserialize, Serialize};

/// What one person's sockets hear, on every node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UserEvent {
    /// This login ended: its sockets close with 1008.
    Revoke { login: String },
    /// Every login of theirs ended (the account was deactivated or deleted): all
    /// their sockets close with 1008.
    RevokeAll,
    /// They joined (or created, or were brought into) a room: their open pages list it
    /// and start counting its unread.
    Joined {
        room_id: i64,
        last_seq: i64,
        name: String,
        direct: bool,
    },
    /// They read a room in some tab: their other pages clear its badge.
    Read { room_id: i64 },
    /// They left a room: their sockets on it close, and it leaves their pages.
    Left { room_id: i64 },
    /// They changed how a room notifies them (`all`, `mentions` or `none`).
    Notify { room_id: i64, notify: String },
    /// A room of theirs was renamed.
    Renamed { room_id: i64, name: String },
    /// They turned showing that they are typing on or off: their open sockets follow.
    SharesTyping { shares: bool },
}
