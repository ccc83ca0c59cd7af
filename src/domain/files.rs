//! Uploaded files: their names, and what their first bytes say they are.

use super::{Code, ValidationError};

/// The longest file name, in bytes.
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// An uploaded file's name: the last part of what the client sent (a browser may send
/// a path), without control characters, at most 255 bytes. A file sent with no name
/// is called "file".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    pub fn parse(raw: Option<&str>) -> Result<Self, ValidationError> {
        let raw = raw.unwrap_or_default();
        let last = raw.rsplit(['/', '\\']).next().unwrap_or_default().trim();
        if last.len() > MAX_FILE_NAME_BYTES {
            return Err(ValidationError::new("file", Code::FileNameTooLong));
        }
        if last.chars().any(char::is_control) {
            return Err(ValidationError::new("file", Code::ControlChar));
        }
        let name = match last {
            "" | "." | ".." => "file",
            name => name,
        };
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// What a file is, as far as showing it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// PNG, JPEG, GIF or WebP: shown inline, with a thumbnail.
    Image,
    /// MP4 or WebM, with the browser's controls.
    Video,
    /// MP3 or Ogg, with the browser's controls.
    Audio,
    /// Anything else: a chip with its name and size, downloaded, never shown inline.
    File,
}

/// The type a file's first bytes say it is (`infer`), and how it may be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    pub content_type: &'static str,
    pub shown: Shown,
}

/// How many first bytes `sniff` wants to see.
pub const SNIFF_BYTES: usize = 8192;

/// Decides a file's type from its first bytes alone: never from its name or the
/// type the client claimed. Only a short list of media is ever served inline;
/// everything else (HTML and SVG included) is `application/octet-stream` unless
/// `infer` knows it, and is always downloaded.
pub fn sniff(head: &[u8]) -> Sniffed {
    let Some(kind) = infer::get(head) else {
        return Sniffed {
            content_type: "application/octet-stream",
            shown: Shown::File,
        };
    };
    let content_type = match kind.mime_type() {
        // An Ogg file of Opus (a voice note): `infer` names the codec, browsers the
        // container, and play it as that.
        "audio/opus" => "audio/ogg",
        other => other,
    };
    let shown = shown_as(content_type);
    Sniffed {
        content_type,
        shown,
    }
}

/// How a file of a sniffed type is shown.
pub fn shown_as(content_type: &str) -> Shown {
    match content_type {
        "image/png" | "image/jpeg" | "image/gif" | "image/webp" => Shown::Image,
        "video/mp4" | "video/webm" => Shown::Video,
        "audio/mpeg" | "audio/ogg" => Shown::Audio,
        _ => Shown::File,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ogg_voice_note_plays_inline() {
        let mut opus = b"OggS".to_vec();
        opus.extend_from_slice(&[0; 24]);
        opus.extend_from_slice(b"OpusHead");
        opus.extend_from_slice(&[1, 2, 0, 0, 0x80, 0xbb, 0, 0, 0, 0, 0]);
        let sniffed = sniff(&opus);
        assert_eq!(sniffed.content_type, "audio/ogg");
        assert_eq!(sniffed.shown, Shown::Audio);
    }

    #[test]
    fn a_name_is_its_last_path_part() {
        let name = |raw| FileName::parse(Some(raw)).unwrap().into_string();
        assert_eq!(name("C:\\Users\\ann\\shot.png"), "shot.png");
        assert_eq!(name("../../etc/passwd"), "passwd");
        assert_eq!(name("报告 2026.pdf"), "报告 2026.pdf");
        assert_eq!(FileName::parse(None).unwrap().into_string(), "file");
        assert_eq!(name("dir/.."), "file");
    }

    #[test]
    fn long_names_and_control_characters_are_refused() {
        let long = "é".repeat(128) + ".txt";
        assert_eq!(
            FileName::parse(Some(&long)).unwrap_err().code,
            Code::FileNameTooLong
        );
        let exact = "a".repeat(MAX_FILE_NAME_BYTES);
        assert!(FileName::parse(Some(&exact)).is_ok());
        assert_eq!(
            FileName::parse(Some("a\u{0}b")).unwrap_err().code,
            Code::ControlChar
        );
    }

    #[test]
    fn the_first_bytes_decide_and_only_media_are_inline() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(
            sniff(png),
            Sniffed {
                content_type: "image/png",
                shown: Shown::Image
            }
        );
        let html = b"<!DOCTYPE html><script>alert(1)</script>";
        assert_eq!(sniff(html).shown, Shown::File);
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        assert_eq!(sniff(svg).shown, Shown::File);
        assert_eq!(
            sniff(b"just some text").content_type,
            "application/octet-stream"
        );
        assert_eq!(sniff(b"%PDF-1.7\n").shown, Shown::File);
    }
}
