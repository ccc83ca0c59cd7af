//! A reaction's emoji: exactly one grapheme cluster that Unicode lists as an emoji,
//! skin tones and ZWJ sequences included.

use unicode_segmentation::UnicodeSegmentation;

use super::{Code, ValidationError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emoji(String);

impl Emoji {
    /// Why a reaction was refused: it is not one emoji.
    pub fn refused() -> ValidationError {
        ValidationError::new("emoji", Code::NotOneEmoji)
    }

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let refused = Self::refused;
        let text = raw.trim();
        let mut clusters = text.graphemes(true);
        let (Some(one), None) = (clusters.next(), clusters.next()) else {
            return Err(refused());
        };
        // Digits, `#` and `*` are listed as the bases of keycaps ("1️⃣"); alone they
        // are text.
        if one.chars().all(|c| c.is_ascii() || c == '\u{fe0f}') {
            return Err(refused());
        }
        // Unicode's list has the fully-qualified form ("❤️"); people and keyboards also
        // send the bare one ("❤"), or add a selector where none belongs ("👍\u{fe0f}").
        // Each is one emoji, stored as Unicode lists it: `emojis` knows every such
        // variant and answers with the fully-qualified form.
        let qualified = format!("{one}\u{fe0f}");
        let listed = [one, one.trim_end_matches('\u{fe0f}'), qualified.as_str()]
            .into_iter()
            .find_map(emojis::get)
            .ok_or_else(refused)?;
        Ok(Self(listed.as_str().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_emoji_of_every_kind_are_accepted() {
        for ok in ["👍", "🎉", "❤️", "👍🏽", "👩‍👩‍👧", "🏳️‍🌈", "🇨🇳", "1️⃣", " 😀 "]
        {
            assert!(Emoji::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn a_bare_heart_is_stored_fully_qualified() {
        assert_eq!(Emoji::parse("❤").unwrap().as_str(), "❤️");
        assert_eq!(Emoji::parse("❤️").unwrap().as_str(), "❤️");
        assert_eq!(Emoji::parse("👍🏽").unwrap().as_str(), "👍🏽");
    }

    #[test]
    fn an_emoji_listed_without_a_selector_is_stored_without_one() {
        for (sent, stored) in [
            ("👍", "👍"),
            ("👍\u{fe0f}", "👍"),
            ("😐", "😐"),
            ("1⃣", "1️⃣"),
        ] {
            assert_eq!(Emoji::parse(sent).unwrap().as_str(), stored, "{sent:?}");
        }
    }

    #[test]
    fn text_two_emoji_and_symbols_are_refused() {
        for bad in [
            "",
            " ",
            "a",
            "ab",
            "👍👍",
            "👍 🎉",
            "1",
            "#",
            "<b>",
            "字",
            "\u{fe0f}",
            ":+1:",
        ] {
            let err = Emoji::parse(bad).unwrap_err();
            assert_eq!(err.code, Code::NotOneEmoji, "{bad:?}");
        }
    }
}
