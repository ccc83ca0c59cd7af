//! Validated values. Each type checks its rule once, when it is parsed, so code that
//! holds a `RoomName` never has to ask whether it is valid. Pages and the API both
//! parse through these types: one place per rule.

mod emoji;
mod names;
mod text;

pub use emoji::Emoji;
pub use names::{RoomName, Username};
pub use text::{
    ClientId, MAX_MESSAGE_CHARS, MAX_PASSWORD_BYTES, MIN_PASSWORD_BYTES, MessageText, Password,
};

pub use crate::error::{Code, ValidationError};
