//! The common-password list new passwords are checked against (OWASP ASVS 2.1.7, NIST
//! SP 800-63B: refuse passwords from lists of ones known to be common).
//!
//! `common-passwords.txt` is Django's list (django 5.2.19 on PyPI,
//! `django/contrib/auth/common-passwords.txt.gz`, BSD-3-Clause, © Django Software
//! Foundation and contributors): the 20,000 most common passwords compiled by Royce
//! Williams, lowercased and deduplicated. Here it is unzipped, trailing whitespace
//! removed, and sorted bytewise, so it can be searched where it lies in the binary.

use std::sync::OnceLock;

const LIST: &str = include_str!("common-passwords.txt");

fn list() -> &'static [&'static str] {
    static LINES: OnceLock<Vec<&'static str>> = OnceLock::new();
    LINES.get_or_init(|| LIST.lines().collect())
}

/// Whether `password` (compared lowercased and trimmed, as the list is) is common.
pub fn is_common(password: &str) -> bool {
    let folded = password.trim().to_lowercase();
    list().binary_search(&folded.as_str()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_and_whole() {
        let list = list();
        assert!(list.len() > 19_000, "{}", list.len());
        assert!(list.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
    }

    #[test]
    fn common_passwords_are_found_in_any_case() {
        for common in [
            "password",
            "12345678",
            "Password1",
            " qwertyuiop ",
            "iloveyou",
        ] {
            assert!(is_common(common), "{common}");
        }
        for rare in ["correct horse battery", "load-test-password", "密码密码"] {
            assert!(!is_common(rare), "{rare}");
        }
    }
}
