//! Validated values. Each type checks its rule once, when it is parsed, so code that
//! holds a `RoomName` never has to ask whether it is valid. Pages and the API both
//! parse through these types: one place per rule.

mod names;
mod text;

pub use names::{RoomName, Username};
pub use text::{ClientId, MessageText, Password};

/// Why a value was refused, worded for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValidationError {
    /// The field the value came from, as the API names it (`username`, `text`, ...).
    pub field: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
