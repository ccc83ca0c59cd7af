//! Passwords, message text and client ids.

use super::{Code, ValidationError, is_refused_control, passwords};

/// The shortest new password, in characters, and the longest password, in bytes.
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Passwords chosen before the minimum was counted in characters were 8 bytes or
/// more: they still log in.
const MIN_OLD_PASSWORD_BYTES: usize = 8;

/// A password as typed: 8 characters (a new one) and at most 1024 bytes. Only ever
/// hashed, never stored or logged.
pub struct Password(String);

impl Password {
    /// A password as typed to log in: any that could ever have been chosen.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if !(MIN_OLD_PASSWORD_BYTES..=MAX_PASSWORD_BYTES).contains(&raw.len()) {
            return Err(ValidationError::new("password", Code::PasswordLength));
        }
        Ok(Self(raw.to_owned()))
    }

    /// A new password: 8 characters or more (OWASP counts characters, not bytes),
    /// and not on the list of common passwords.
    pub fn choose(raw: &str) -> Result<Self, ValidationError> {
        let password = Self::parse(raw)?;
        if raw.chars().count() < MIN_PASSWORD_CHARS {
            return Err(ValidationError::new("password", Code::PasswordLength));
        }
        if passwords::is_common(raw) {
            return Err(ValidationError::new("password", Code::PasswordCommon));
        }
        Ok(password)
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// The longest message, in characters after trimming.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// A message's text: 1–4000 characters after trimming. Inner newlines and tabs are
/// kept (a browser's `\r\n` becomes `\n`); other control characters are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageText(String);

impl MessageText {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let normalized;
        let raw = if raw.contains('\r') {
            normalized = raw.replace("\r\n", "\n").replace('\r', "\n");
            normalized.as_str()
        } else {
            raw
        };
        if raw.contains(is_refused_control) {
            return Err(ValidationError::new("text", Code::ControlChar));
        }
        let text = raw.trim();
        if text.is_empty() {
            return Err(ValidationError::new("text", Code::MessageEmpty));
        }
        if text.chars().count() > MAX_MESSAGE_CHARS {
            return Err(ValidationError::new("text", Code::MessageTooLong));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A sender's own id for a message, so a retried send is stored once: 1–64 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientId(String);

impl ClientId {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let count = raw.chars().count();
        if !(1..=64).contains(&count) {
            return Err(ValidationError::new("client_id", Code::ClientIdLength));
        }
        Ok(Self(raw.to_owned()))
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
    fn a_new_password_is_8_characters_and_at_most_1024_bytes() {
        assert!(Password::choose("1234567").is_err());
        assert!(Password::choose("x1234567").is_ok());
        assert!(Password::choose(&"p".repeat(1024)).is_ok());
        assert!(Password::choose(&"p".repeat(1025)).is_err());
        // Characters, not bytes: three Chinese characters (9 bytes) are too few.
        assert!(Password::choose("密码密").is_err());
        assert!(Password::choose("我的密码很长很长").is_ok());
        assert_eq!(
            Password::choose("密码密").unwrap_err().code,
            Code::PasswordLength
        );
        // One chosen when 8 bytes were enough still logs in.
        assert!(Password::parse("密码密").is_ok());
        assert!(Password::parse("密码").is_err());
    }

    #[test]
    fn a_password_never_shows_in_debug_output() {
        let p = Password::parse("hunter2hunter2").unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    #[test]
    fn message_text_is_trimmed_and_keeps_inner_newlines() {
        let t = MessageText::parse("  hello\nworld  ").unwrap();
        assert_eq!(t.as_str(), "hello\nworld");
    }

    #[test]
    fn message_text_keeps_newlines_and_tabs_but_no_other_control_characters() {
        let t = MessageText::parse("a\r\nb\rc\td").unwrap();
        assert_eq!(t.as_str(), "a\nb\nc\td");
        for bad in [
            "nul\0",
            "bell\u{7}",
            "esc\u{1b}[2J",
            "del\u{7f}",
            "c1\u{85}",
        ] {
            assert_eq!(
                MessageText::parse(bad).unwrap_err().code,
                Code::ControlChar,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn new_passwords_may_not_be_common() {
        assert_eq!(
            Password::choose("password1").unwrap_err().code,
            Code::PasswordCommon
        );
        assert_eq!(
            Password::choose("short").unwrap_err().code,
            Code::PasswordLength
        );
        assert!(Password::choose("correct horse battery").is_ok());
        assert!(
            Password::parse("password1").is_ok(),
            "old passwords still log in"
        );
    }

    #[test]
    fn message_text_refuses_empty_and_too_long() {
        assert!(MessageText::parse("").is_err());
        assert!(MessageText::parse(" \n\t ").is_err());
        assert!(MessageText::parse(&"字".repeat(4000)).is_ok());
        assert!(MessageText::parse(&"字".repeat(4001)).is_err());
        assert!(MessageText::parse(&format!("  {}  ", "a".repeat(4000))).is_ok());
        assert!(MessageText::parse(&"😀".repeat(4000)).is_ok());
    }

    #[test]
    fn client_ids_are_one_to_sixty_four_characters() {
        assert!(ClientId::parse("").is_err());
        assert!(ClientId::parse(&"c".repeat(64)).is_ok());
        assert!(ClientId::parse(&"c".repeat(65)).is_err());
    }
}
