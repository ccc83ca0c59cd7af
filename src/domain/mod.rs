//! Validated values. Each type checks its rule once, when it is parsed, so code that
//! holds a `RoomName` never has to ask whether it is valid. Pages and the API both
//! parse through these types: one place per rule.

mod emoji;
mod files;
mod names;
mod passwords;
mod people;
mod scripts;
mod search;
mod text;

pub use emoji::Emoji;
pub use files::{FileName, MAX_FILE_NAME_BYTES, SNIFF_BYTES, Shown, Sniffed, shown_as, sniff};
pub(crate) use names::fold_case;
pub use names::{RoomName, Username};
pub use people::{
    DELETED_NAME, DirectPeople, MAX_DIRECT_OTHERS, Notify, direct_name, direct_name_without,
    direct_people, direct_title, is_direct_name, room_title,
};
pub use search::{
    MAX_TERMS, MIN_TERM_CHARS, SearchTerms, holds_every, is_sigma, occurrences, parse_day,
};
pub use text::{
    ClientId, MAX_MESSAGE_CHARS, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, MessageText, Password,
};

pub use crate::error::{Code, ValidationError};

/// Control characters (C0, DEL, C1) have no place in names or text; tab and newline
/// are the exceptions text may hold.
pub(crate) fn is_refused_control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}
