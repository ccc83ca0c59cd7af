//! Usernames and room names: Unicode letters welcome, unique ignoring case, never a
//! control character, and (for usernames) never a mix of scripts that could pass
//! for someone else's name.

use unicode_width::UnicodeWidthStr;

use super::{Code, ValidationError, is_refused_control, scripts};

/// A username's length: 3–32 characters, or 2 that take at least 3 display columns.
pub const MIN_USERNAME_CHARS: usize = 2;
pub const MAX_USERNAME_CHARS: usize = 32;
pub const MIN_USERNAME_COLUMNS: usize = 3;

/// A username: 3–32 characters of Unicode letters, digits and `_ . -`, or 2 that are
/// at least 3 display columns wide (so a two-character Chinese, Japanese or Korean
/// name such as `小明`, whose characters are each two columns wide, is welcome, while
/// `ab` is not; and three characters are always enough, whatever their width: Thai
/// `กิต` or Devanagari `कुल` hold a vowel sign of no width of its own), in one script
/// (or Latin beside Chinese, Japanese or Korean).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// A new username, by every rule.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let name = Self::existing(raw)?;
        if scripts::mixes_scripts(name.as_str()) {
            return Err(ValidationError::new("username", Code::UsernameMixedScripts));
        }
        Ok(name)
    }

    /// A username as typed to log in: the rules every account has always met, so an
    /// account made before a newer rule can still log in.
    pub fn existing(raw: &str) -> Result<Self, ValidationError> {
        if raw.contains(is_refused_control) {
            return Err(ValidationError::new("username", Code::ControlChar));
        }
        let name = raw.trim();
        let count = name.chars().count();
        let wide_enough =
            count > MIN_USERNAME_CHARS || UnicodeWidthStr::width(name) >= MIN_USERNAME_COLUMNS;
        if !(MIN_USERNAME_CHARS..=MAX_USERNAME_CHARS).contains(&count) || !wide_enough {
            return Err(ValidationError::new("username", Code::UsernameLength));
        }
        if name.contains(char::is_whitespace) {
            return Err(ValidationError::new("username", Code::UsernameSpace));
        }
        if let Some(bad) = name.chars().find(|c| !is_name_char(*c)) {
            return Err(ValidationError::naming("username", Code::UsernameChar, bad));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form that must be unique: "Alice" and "alice" are one user.
    pub fn key(&self) -> String {
        fold_case(&self.0)
    }
}

/// A room name: 1–64 characters after trimming, of Unicode letters, digits, space and `_ . -`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomName(String);

impl RoomName {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if raw.contains(is_refused_control) {
            return Err(ValidationError::new("name", Code::ControlChar));
        }
        let name = raw.trim();
        let count = name.chars().count();
        if !(1..=64).contains(&count) {
            return Err(ValidationError::new("name", Code::RoomNameLength));
        }
        if name.chars().all(|c| c == '.') {
            // "." and ".." would be resolved away in every URL that names the room.
            return Err(ValidationError::new("name", Code::RoomNameDots));
        }
        if let Some(bad) = name.chars().find(|c| !(is_name_char(*c) || *c == ' ')) {
            return Err(ValidationError::naming("name", Code::RoomNameChar, bad));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form that must be unique, and the one a URL is looked up by.
    pub fn key(&self) -> String {
        fold_case(&self.0)
    }
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Unicode lowercase: `str::to_lowercase` handles scripts SQLite's NOCASE does not.
pub(crate) fn fold_case(s: &str) -> String {
    s.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_accept_unicode_letters_digits_and_punctuation() {
        for ok in [
            "bob",
            "alice_1",
            "a.b-c",
            "张伟明",
            "Ærøskøbing",
            "abc",
            &"x".repeat(32),
        ] {
            assert_eq!(Username::parse(ok).unwrap().as_str(), ok, "{ok}");
        }
    }

    #[test]
    fn usernames_refuse_wrong_lengths_and_symbols() {
        for bad in [
            "",
            "ab",
            "  ab ",
            &"x".repeat(33),
            "bob smith",
            "bob!",
            "<script>",
            "a/b",
            "😀😀😀",
        ] {
            let err = Username::parse(bad).unwrap_err();
            assert_eq!(err.field, "username", "{bad}");
        }
    }

    #[test]
    fn username_length_counts_characters_not_bytes() {
        // 32 Chinese characters are 96 bytes but only 32 characters.
        assert!(Username::parse(&"张".repeat(32)).is_ok());
        assert!(Username::parse(&"张".repeat(33)).is_err());
    }

    #[test]
    fn two_character_names_are_welcome_where_each_character_is_wide() {
        for ok in ["小明", "张伟", "민수", "たけ", "a张", "abc"] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
        // Three characters are enough, however narrow: a vowel sign has no width.
        for ok in ["กิต", "कुल", "नमन"] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
            assert!(Username::existing(ok).is_ok(), "{ok} logs in");
        }
        for short in ["ab", "é1", "张", "a", "ab "] {
            let err = Username::parse(short).unwrap_err();
            assert_eq!(err.code, Code::UsernameLength, "{short}");
        }
    }

    #[test]
    fn usernames_compare_case_insensitively_beyond_ascii() {
        let a = Username::parse("ÄRGER").unwrap();
        let b = Username::parse("ärger").unwrap();
        assert_eq!(a.key(), b.key());
        assert_eq!(a.as_str(), "ÄRGER", "the display form keeps its case");
    }

    #[test]
    fn control_characters_are_refused_by_name() {
        for bad in ["bob\0", "\0\0\0", "b\u{1b}[31mob", "bo\u{7f}b"] {
            assert_eq!(
                Username::parse(bad).unwrap_err().code,
                Code::ControlChar,
                "{bad:?}"
            );
            assert_eq!(
                RoomName::parse(bad).unwrap_err().code,
                Code::ControlChar,
                "{bad:?}"
            );
        }
        // A tab or newline is whitespace, refused as such.
        assert_eq!(
            Username::parse("tab\there").unwrap_err().code,
            Code::UsernameSpace
        );
    }

    #[test]
    fn usernames_mixing_scripts_are_refused() {
        for bad in ["\u{430}dmin", "pаypal", "Ελλάδαx", "abcабв", "あ한글"] {
            let err = Username::parse(bad).unwrap_err();
            assert_eq!(err.code, Code::UsernameMixedScripts, "{bad:?}");
        }
        for ok in [
            "admin",
            "администратор",
            "張伟明",
            "山田たろう",
            "ヤマダ太郎",
            "김철수",
            "한국漢字",
            "Ελλάδα_2",
            "Tom张伟",
            "user-1.2_x",
        ] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn an_existing_mixed_script_account_can_still_log_in() {
        assert!(Username::existing("\u{430}dmin").is_ok());
    }

    #[test]
    fn room_names_are_trimmed_and_may_contain_spaces() {
        let name = RoomName::parse("  Team 茶水间 ☕  ");
        assert!(name.is_err(), "an emoji is not a letter or digit");
        let name = RoomName::parse("  Team 茶水间  ").unwrap();
        assert_eq!(name.as_str(), "Team 茶水间");
        assert_eq!(name.key(), "team 茶水间");
    }

    #[test]
    fn room_names_refuse_empty_long_and_symbols() {
        for bad in ["", "   ", &"r".repeat(65), "a/b", "a?b", "<b>", "a\nb"] {
            assert_eq!(RoomName::parse(bad).unwrap_err().field, "name", "{bad:?}");
        }
        assert!(RoomName::parse(&"r".repeat(64)).is_ok());
        for dots in [".", "..", "..."] {
            assert!(
                RoomName::parse(dots).is_err(),
                "{dots} cannot be addressed in a URL"
            );
        }
        assert!(RoomName::parse("v1.2").is_ok());
        assert!(RoomName::parse(&"房".repeat(64)).is_ok());
    }
}
