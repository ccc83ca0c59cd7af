//! What someone searches for: one to ten terms, each of 2 or more characters, split at
//! spaces except inside "double quotes" (a phrase, matched as written). Whatever else
//! the query holds (`*`, `-`, `:`, `OR`, `NEAR`, …) is text to find, never syntax.

use time::{Date, macros::format_description};

use super::{Code, ValidationError, is_refused_control};

/// The fewest characters a term may have, and the most terms a query may have.
pub const MIN_TERM_CHARS: usize = 2;
pub const MAX_TERMS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerms(Vec<String>);

impl SearchTerms {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        // No message holds one (text refuses them), and PostgreSQL cannot even be
        // asked about a NUL.
        if raw.contains(is_refused_control) {
            return Err(ValidationError::new("q", Code::ControlChar));
        }
        let mut terms = Vec::new();
        let mut rest = raw.trim();
        while !rest.is_empty() {
            let (term, after) = match rest.strip_prefix('"') {
                // A phrase runs to the next quote (or to the end, if it is never closed).
                Some(inner) => match inner.find('"') {
                    Some(end) => (&inner[..end], &inner[end + 1..]),
                    None => (inner, ""),
                },
                None => {
                    let end = rest.find(|c: char| c.is_whitespace() || c == '"');
                    let end = end.unwrap_or(rest.len());
                    (&rest[..end], &rest[end..])
                }
            };
            let term = term.trim();
            if !term.is_empty() {
                if term.chars().count() < MIN_TERM_CHARS {
                    return Err(ValidationError::naming("q", Code::SearchTermTooShort, term));
                }
                if !terms.iter().any(|t| t == term) {
                    terms.push(term.to_owned());
                }
            }
            rest = after.trim_start();
        }
        if terms.is_empty() {
            return Err(ValidationError::new("q", Code::SearchEmpty));
        }
        if terms.len() > MAX_TERMS {
            return Err(ValidationError::new("q", Code::SearchTooManyTerms));
        }
        Ok(Self(terms))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// Whether two characters are the same ignoring case: equal, or equal once each is
/// lowercased (`D`/`d`, `Σ`/`σ`; characters without case only match themselves), the
/// final sigma included (`ς` is `σ` at the end of a word: `ΟΔΟΣ` is `οδος`).
fn same_ignoring_case(a: char, b: char) -> bool {
    if a == b {
        return true;
    }
    // Two ASCII letters: the same answer without Unicode's tables (a search compares
    // every character of every result with a term's first, and most are ASCII).
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(&b);
    }
    a.to_lowercase()
        .map(final_sigma_as_sigma)
        .eq(b.to_lowercase().map(final_sigma_as_sigma))
}

/// Which characters case folding makes one beyond lowercasing, as far as search goes:
/// Greek's final sigma. (A database index cannot be trusted with them: see
/// `store::search`.)
pub fn is_sigma(c: char) -> bool {
    matches!(c, 'σ' | 'ς' | 'Σ')
}

fn final_sigma_as_sigma(c: char) -> char {
    if c == 'ς' { 'σ' } else { c }
}

/// Where `term` starts in `text` (both as characters), ignoring case: the one rule for
/// what a search term matches, used to check results and to mark them in snippets.
pub fn occurrences<'a>(text: &'a [char], term: &'a [char]) -> impl Iterator<Item = usize> + 'a {
    let starts = if term.is_empty() {
        0
    } else {
        (text.len() + 1).saturating_sub(term.len())
    };
    (0..starts).filter(move |&start| {
        text[start..start + term.len()]
            .iter()
            .zip(term)
            .all(|(&a, &b)| same_ignoring_case(a, b))
    })
}

/// Whether `text` holds every one of `terms` (each as characters, split once for
/// many texts), ignoring case (see `occurrences`).
pub fn holds_every(text: &str, terms: &[Vec<char>]) -> bool {
    let text: Vec<char> = text.chars().collect();
    terms
        .iter()
        .all(|term| occurrences(&text, term).next().is_some())
}

/// A day, `YYYY-MM-DD`, as searches filter by (in UTC).
pub fn parse_day(field: &'static str, raw: &str) -> Result<Date, ValidationError> {
    Date::parse(raw.trim(), format_description!("[year]-[month]-[day]"))
        .map_err(|_| ValidationError::naming(field, Code::BadDate, raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(q: &str) -> Vec<String> {
        SearchTerms::parse(q).unwrap().0
    }

    #[test]
    fn terms_split_at_spaces_and_phrases_stay_whole() {
        assert_eq!(terms("deploy 数据库"), ["deploy", "数据库"]);
        assert_eq!(terms(r#""release notes" v2"#), ["release notes", "v2"]);
        assert_eq!(terms("  用户   迁移 "), ["用户", "迁移"]);
        assert_eq!(terms(r#"ab"cd ef"gh"#), ["ab", "cd ef", "gh"]);
        assert_eq!(terms("deploy Deploy deploy"), ["deploy", "Deploy"]);
    }

    #[test]
    fn search_syntax_is_only_text() {
        for q in [
            "NEAR(a b)",
            "foo OR bar",
            "-deploy",
            "a:b",
            "x* y*",
            "\"unclosed phrase",
            "!!",
        ] {
            assert!(SearchTerms::parse(q).is_ok(), "{q}");
        }
        assert_eq!(terms("\"unclosed phrase"), ["unclosed phrase"]);
        assert_eq!(terms("foo OR bar"), ["foo", "OR", "bar"]);
    }

    #[test]
    fn empty_short_and_too_many_are_refused() {
        assert_eq!(SearchTerms::parse("").unwrap_err().code, Code::SearchEmpty);
        assert_eq!(
            SearchTerms::parse(" \"\" ").unwrap_err().code,
            Code::SearchEmpty
        );
        assert_eq!(
            SearchTerms::parse("a").unwrap_err().code,
            Code::SearchTermTooShort
        );
        assert_eq!(
            SearchTerms::parse("ok x").unwrap_err().code,
            Code::SearchTermTooShort
        );
        let eleven = "aa bb cc dd ee ff gg hh ii jj kk";
        assert_eq!(
            SearchTerms::parse(eleven).unwrap_err().code,
            Code::SearchTooManyTerms
        );
        assert_eq!(
            SearchTerms::parse("ab\u{0}cd").unwrap_err().code,
            Code::ControlChar
        );
        assert!(
            SearchTerms::parse("ab\tcd\nef").is_ok(),
            "tab and newline part terms"
        );
        assert!(
            SearchTerms::parse("用户").is_ok(),
            "two Chinese characters are a word"
        );
    }

    #[test]
    fn a_term_is_found_ignoring_case_in_any_script() {
        let holds = |text: &str, term: &str| holds_every(text, &[term.chars().collect()]);
        assert!(holds("Deployed on Friday", "deploy"));
        assert!(holds("we DEPLOY", "Deploy"));
        assert!(holds("我们讨论数据库迁移", "数据库"));
        assert!(holds("ΟΔΟΣ", "οδοσ"));
        assert!(holds("ΟΔΟΣ", "οδος"), "a final sigma is a sigma");
        assert!(holds("η οδος", "ΟΔΟΣ"));
        assert!(holds("οδοσ", "ΟΔΟς"));
        assert!(holds("Ünïcode", "üNÏ"));
        // The Kelvin sign lowercases to an ASCII `k`: one side ASCII is not both.
        assert!(holds("5 \u{212A}elvin", "kelvin"));
        assert!(!holds("a-b", "a_b"));
        assert!(!holds("cab, bca and abc", "abcab"));
        assert!(!holds("ab", "abc"));
        assert!(!holds("anything", ""));
        let both = ["deploy".chars().collect(), "数据".chars().collect()];
        assert!(holds_every("Deployed 数据库", &both));
        assert!(!holds_every("Deployed 数字", &both));
        let text: Vec<char> = "Go, go, GO".chars().collect();
        let term: Vec<char> = "go".chars().collect();
        assert_eq!(occurrences(&text, &term).collect::<Vec<_>>(), vec![0, 4, 8]);
    }

    #[test]
    fn days_are_year_month_day() {
        assert!(parse_day("before", "2026-11-30").is_ok());
        assert_eq!(
            parse_day("after", "30/11/2026").unwrap_err().code,
            Code::BadDate
        );
        assert_eq!(parse_day("after", "2026-02-30").unwrap_err().field, "after");
    }
}
