//! Mixed-script detection for names, after Unicode's UTS #39 ("Highly Restrictive"):
//! a name's letters must all belong to one script, except that Latin may stand beside
//! Chinese, Japanese or Korean, and those writing systems may combine the scripts they
//! are written in (Han with Hiragana and Katakana; Han with Hangul; Han with Bopomofo).
//! Digits, `_`, `.` and `-` belong to no script. So `аdmin` (a Cyrillic `а`) cannot
//! pass for `admin`.

use unicode_script::{Script, UnicodeScript};

/// A script, or a writing system that combines several (UTS #39's Jpan, Kore, Hanb).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writing {
    Script(Script),
    Japanese,
    Korean,
    Chinese,
}

impl Writing {
    fn is_cjk(self) -> bool {
        matches!(self, Writing::Japanese | Writing::Korean | Writing::Chinese)
    }
}

/// The writing systems a character may belong to; None for script-neutral ones.
fn writings(c: char) -> Option<Vec<Writing>> {
    let extension = c.script_extension();
    if extension.is_common() || extension.is_inherited() {
        return None;
    }
    let mut out = Vec::new();
    for script in extension.iter() {
        match script {
            Script::Han => out.extend([Writing::Japanese, Writing::Korean, Writing::Chinese]),
            Script::Hiragana | Script::Katakana => out.push(Writing::Japanese),
            Script::Hangul => out.push(Writing::Korean),
            Script::Bopomofo => out.push(Writing::Chinese),
            other => out.push(Writing::Script(other)),
        }
    }
    Some(out)
}

/// The writing systems every character (ignoring neutral ones) shares: None when there
/// are no such characters, an empty list when they share none.
fn resolve(chars: impl Iterator<Item = char>) -> Option<Vec<Writing>> {
    chars.filter_map(writings).reduce(|mut shared, these| {
        shared.retain(|w| these.contains(w));
        shared
    })
}

fn is_latin(c: char) -> bool {
    c.script() == Script::Latin
}

/// Whether `name` mixes scripts in a way a reader could be fooled by.
pub fn mixes_scripts(name: &str) -> bool {
    let single = resolve(name.chars());
    if single.is_none_or(|shared| !shared.is_empty()) {
        return false;
    }
    // Latin beside one CJK writing system ("Tom张伟") is common and not confusable.
    match resolve(name.chars().filter(|c| !is_latin(*c))) {
        Some(rest) => !rest.iter().any(|w| w.is_cjk()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_script_is_never_mixed() {
        for name in [
            "admin",
            "Ærøskøbing",
            "админ",
            "张伟",
            "たろう",
            "김철수",
            "123",
            "_.-",
        ] {
            assert!(!mixes_scripts(name), "{name}");
        }
    }

    #[test]
    fn cjk_writing_systems_combine_their_scripts() {
        for name in [
            "山田たろう",
            "カタカナ漢字",
            "한국漢字",
            "ㄅㄆ漢",
            "Tom张伟",
            "abc山田たろう",
        ] {
            assert!(!mixes_scripts(name), "{name}");
        }
        for name in ["たろう김", "ㄅたろう"] {
            assert!(mixes_scripts(name), "{name}");
        }
    }

    #[test]
    fn lookalikes_from_two_scripts_are_mixed() {
        for name in ["\u{430}dmin", "gοοgle", "админa", "張abcд"] {
            assert!(mixes_scripts(name), "{name}");
        }
    }
}
