//! Full-text search over the messages of the rooms someone is in, newest first, a page
//! at a time (keyset on the message id). A message matches when it contains every
//! term, ignoring case, as a substring, in any script.
//!
//! - SQLite: FTS5's trigram index (`messages_fts`, which folds case) finds the
//!   messages holding every trigram of every term of 3 or more characters; the MATCH
//!   string is built here, each trigram quoted (so nothing a person types is FTS
//!   syntax). Holding every trigram is not holding the term, so each candidate is
//!   then checked here for each such term (`domain::holds_every`), a page's
//!   worth of candidates at a time, until the page is full: one matcher rule for
//!   results and snippets, and nothing compiled per search. Terms of 2 characters
//!   (`用户`) cannot be looked up in a trigram index: SQLite checks them itself with
//!   `REGEXP` (an escaped, case-insensitive pattern: Unicode case, not only ASCII)
//!   over the candidates the other terms, the membership and the filters leave, so a
//!   rare short term never drags every message out of the database.
//! - PostgreSQL: `ILIKE` per term, which pg_trgm's GIN index answers for 3 or more
//!   characters.
//!
//! Every value a person typed is bound as a parameter; only the shape of the
//! statement (which filters, how many terms) varies.

use sqlx::AssertSqlSafe;

use crate::domain::{holds_every, is_sigma};

use super::{
    Db, StoreResult,
    messages::{MessageRow, message_columns},
};

/// What to search for and where. `terms` are already checked (`domain::SearchTerms`).
#[derive(Debug, Clone, Default)]
pub struct Search<'a> {
    pub user_id: i64,
    pub terms: &'a [String],
    pub room_id: Option<i64>,
    pub sender_id: Option<i64>,
    /// Sent at or after (Unix ms).
    pub since_ms: Option<i64>,
    /// Sent before (Unix ms).
    pub until_ms: Option<i64>,
    /// Only messages older than this id (the previous page's last).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Terms this short are matched by scanning, not by the trigram index.
const INDEXED_CHARS: usize = 3;
/// A long term's candidates are found by its first this-many covering trigrams (every
/// candidate is checked for the whole term anyway).
const MAX_TRIGRAMS: usize = 24;

/// The most trigram candidates read at once while filling a page.
const MAX_CANDIDATES: i64 = 2000;

/// One bound value.
enum Param {
    Int(i64),
    Text(String),
}

/// The columns of a `MessageRow` (see `store::messages`).
const COLUMNS: &str = message_columns!();

/// Messages matching `search`, newest first.
pub async fn search(db: &Db, search: &Search<'_>) -> StoreResult<Vec<MessageRow>> {
    let rows = match db {
        Db::Sqlite(sqlite) => {
            let pool = &sqlite.readers;
            // The terms the index looked up by trigrams, each checked whole here.
            let indexed: Vec<Vec<char>> = indexed_terms(search.terms)
                .iter()
                .map(|t| t.chars().collect())
                .collect();
            let mut found = Vec::new();
            let mut chunk = search.clone();
            loop {
                let (sql, params) = sqlite_statement(&chunk);
                let mut query = sqlx::query_as(AssertSqlSafe(sql));
                for param in params {
                    query = match param {
                        Param::Int(v) => query.bind(v),
                        Param::Text(v) => query.bind(v),
                    };
                }
                let candidates: Vec<MessageRow> = query.fetch_all(pool).await?;
                let more = candidates.len() as i64 == chunk.limit;
                for row in candidates {
                    chunk.before_id = Some(row.id);
                    if holds_every(&row.text, &indexed) {
                        found.push(row);
                        if found.len() as i64 == search.limit {
                            return Ok(found);
                        }
                    }
                }
                if !more {
                    break found;
                }
                // Few of them matched: read more at a time, so a rare phrase of common
                // words does not take a round trip per page of candidates.
                chunk.limit = (chunk.limit * 4).min(MAX_CANDIDATES);
            }
        }
        Db::Postgres(pool) => {
            let (sql, params) = postgres_statement(search);
            // Planned for these very terms every time: a generic plan cannot see that a
            // rare term's trigrams make the index the fast way in, and scans every
            // message instead (20 s where 1 ms would do). Connections plan generically
            // (`Db::connect`), so the search asks for its own plan in a transaction,
            // begun and set in one round trip.
            let mut tx = pool
                .begin_with("BEGIN; SET LOCAL plan_cache_mode = force_custom_plan")
                .await?;
            let mut query = sqlx::query_as(AssertSqlSafe(sql)).persistent(false);
            for param in params {
                query = match param {
                    Param::Int(v) => query.bind(v),
                    Param::Text(v) => query.bind(v),
                };
            }
            let rows = query.fetch_all(&mut *tx).await?;
            tx.commit().await?;
            rows
        }
    };
    Ok(rows)
}

/// Builds a statement with numbered placeholders (`$1`, `$2`, … on both backends).
struct Statement {
    sql: String,
    params: Vec<Param>,
}

impl Statement {
    fn new(head: &str) -> Self {
        Self {
            sql: head.to_owned(),
            params: Vec::new(),
        }
    }

    /// Appends `clause`, with `$` standing for the next parameter.
    fn push(&mut self, clause: &str, param: Param) {
        self.params.push(param);
        let placeholder = format!("${}", self.params.len());
        self.sql.push_str(&clause.replacen('$', &placeholder, 1));
    }

    fn filters(&mut self, search: &Search<'_>) {
        if let Some(room_id) = search.room_id {
            self.push(" AND m.room_id = $", Param::Int(room_id));
        }
        if let Some(sender_id) = search.sender_id {
            self.push(" AND m.sender_id = $", Param::Int(sender_id));
        }
        if let Some(since) = search.since_ms {
            self.push(" AND m.sent_at >= $", Param::Int(since));
        }
        if let Some(until) = search.until_ms {
            self.push(" AND m.sent_at < $", Param::Int(until));
        }
    }

    fn finish(mut self, order_by: &str, limit: i64) -> (String, Vec<Param>) {
        self.sql.push_str(order_by);
        self.push(" LIMIT $", Param::Int(limit));
        (self.sql, self.params)
    }
}

/// The terms long enough for the trigram index.
fn indexed_terms(terms: &[String]) -> Vec<&String> {
    terms
        .iter()
        .filter(|t| t.chars().count() >= INDEXED_CHARS)
        .collect()
}

/// SQLite's planner is told the join order (`CROSS JOIN` fixes it): newest messages
/// first, from the index or the table, each then checked for membership, so a page of
/// results stops as soon as it is full. Left to itself, SQLite 3.51 started from the
/// searcher's rooms and sorted every candidate: 3 s for a common word in 100,000
/// messages, against 1 ms.
fn sqlite_statement(search: &Search<'_>) -> (String, Vec<Param>) {
    let indexed = indexed_terms(search.terms);
    let scanned = search.terms.iter().filter(|t| !indexed.contains(t));
    let mut st;
    let order_by;
    if indexed.is_empty() {
        // Only short terms: scan the searcher's rooms' messages, newest first.
        st = Statement::new(&format!(
            "SELECT {COLUMNS} FROM messages m
               CROSS JOIN memberships mb ON mb.room_id = m.room_id
               JOIN users u ON u.id = m.sender_id JOIN rooms r ON r.id = m.room_id
              WHERE m.deleted_at IS NULL"
        ));
        order_by = " ORDER BY m.id DESC";
    } else {
        // Driven by the index, newest first: FTS5 returns rowids in descending order.
        st = Statement::new(&format!(
            "SELECT {COLUMNS} FROM messages_fts f
               CROSS JOIN messages m ON m.id = f.rowid
               CROSS JOIN memberships mb ON mb.room_id = m.room_id
               JOIN users u ON u.id = m.sender_id JOIN rooms r ON r.id = m.room_id
              WHERE m.deleted_at IS NULL"
        ));
        st.push(
            " AND f.messages_fts MATCH $",
            Param::Text(match_string(&indexed)),
        );
        order_by = " ORDER BY f.rowid DESC";
    }
    st.push(" AND mb.user_id = $", Param::Int(search.user_id));
    if let Some(before) = search.before_id {
        let column = if indexed.is_empty() {
            "m.id"
        } else {
            "f.rowid"
        };
        st.push(&format!(" AND {column} < $"), Param::Int(before));
    }
    for term in scanned {
        st.push(" AND m.text REGEXP $", Param::Text(contains_pattern(term)));
    }
    st.filters(search);
    st.finish(order_by, search.limit)
}

fn postgres_statement(search: &Search<'_>) -> (String, Vec<Param>) {
    let mut st = Statement::new(&format!(
        "SELECT {COLUMNS} FROM messages m
           JOIN memberships mb ON mb.room_id = m.room_id
           JOIN users u ON u.id = m.sender_id JOIN rooms r ON r.id = m.room_id
          WHERE m.deleted_at IS NULL"
    ));
    st.push(" AND mb.user_id = $", Param::Int(search.user_id));
    if let Some(before) = search.before_id {
        st.push(" AND m.id < $", Param::Int(before));
    }
    for term in search.terms {
        // ILIKE lowercases, which holds `ς` and `σ` apart: a term with a sigma is a
        // case-insensitive pattern (which pg_trgm's index answers too) instead.
        if term.chars().any(is_sigma) {
            st.push(" AND m.text ~* $", Param::Text(sigma_pattern(term)));
        } else {
            st.push(
                " AND m.text ILIKE $ ESCAPE '\\'",
                Param::Text(like_pattern(term)),
            );
        }
    }
    st.filters(search);
    st.finish(" ORDER BY m.id DESC", search.limit)
}

/// An FTS5 MATCH string for the messages holding the trigrams that cover each term
/// (`covering_trigrams`): each a quoted string (any `"` inside doubled), joined by
/// AND. (With `detail=none` the index knows which messages hold a trigram, not where,
/// so it cannot match a phrase; the candidates are checked for the whole term after.)
fn match_string(terms: &[&String]) -> String {
    let mut trigrams: Vec<String> = Vec::new();
    for term in terms {
        for trigram in covering_trigrams(&term.to_lowercase()) {
            if !trigrams.contains(&trigram) {
                trigrams.push(trigram);
            }
        }
    }
    trigrams
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The trigrams that start every third character of `term`, and its last one: each
/// character of the term is in one of them, up to `MAX_TRIGRAMS`. The overlapping
/// trigrams between them would find hardly fewer candidates (every candidate is checked
/// for the whole term anyway), and each costs FTS5 a walk of its lists.
fn covering_trigrams(term: &str) -> Vec<String> {
    let chars: Vec<char> = term.chars().collect();
    let Some(last) = chars.len().checked_sub(INDEXED_CHARS) else {
        return Vec::new();
    };
    let mut starts: Vec<usize> = (0..=last).step_by(INDEXED_CHARS).collect();
    if starts.last() != Some(&last) {
        starts.push(last);
    }
    starts
        .iter()
        .map(|&at| &chars[at..at + INDEXED_CHARS])
        // FTS5 folds case by lowercasing, so it holds `ς` and `σ` apart: a trigram
        // with a sigma could miss a match. The check after finds the term anyway.
        .filter(|trigram| !trigram.iter().any(|&c| is_sigma(c)))
        .take(MAX_TRIGRAMS)
        .map(|trigram| trigram.iter().collect())
        .collect()
}

/// A `REGEXP` pattern that finds `term` as written, ignoring case (Unicode's).
fn contains_pattern(term: &str) -> String {
    format!("(?i){}", regex_escape(term))
}

/// `term` with every character that means something in a regular expression escaped.
fn regex_escape(term: &str) -> String {
    let mut escaped = String::with_capacity(term.len() + 4);
    for c in term.chars() {
        if "\\.+*?()|[]{}^$#&-~ ".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// A PostgreSQL pattern (`~*`) for `term` as written, where any sigma matches any.
fn sigma_pattern(term: &str) -> String {
    regex_escape(term).replace(is_sigma, "[σςΣ]")
}

/// `%term%` for LIKE/ILIKE, with `\`, `%` and `_` in the term escaped.
fn like_pattern(term: &str) -> String {
    let mut pattern = String::with_capacity(term.len() + 2);
    pattern.push('%');
    for c in term.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_syntax_in_terms_is_quoted_away() {
        let terms = ["NEAR(a".to_owned(), "\"hi\"".to_owned(), "x*y".to_owned()];
        let refs: Vec<&String> = terms.iter().collect();
        assert_eq!(
            match_string(&refs),
            r#""nea" AND "r(a" AND """hi" AND "hi""" AND "x*y""#
        );
    }

    #[test]
    fn every_character_of_a_term_is_in_one_of_its_trigrams() {
        assert_eq!(covering_trigrams("scenario"), ["sce", "nar", "rio"]);
        assert_eq!(covering_trigrams("数据迁移"), ["数据迁", "据迁移"]);
        assert_eq!(covering_trigrams("abcdef"), ["abc", "def"]);
        assert_eq!(covering_trigrams("abc"), ["abc"]);
        assert!(covering_trigrams("ab").is_empty());
        let long = "x".repeat(300);
        assert_eq!(covering_trigrams(&long).len(), MAX_TRIGRAMS);
    }

    #[test]
    fn regex_syntax_in_terms_is_escaped() {
        assert_eq!(contains_pattern("a.b*(c)"), r"(?i)a\.b\*\(c\)");
        assert_eq!(contains_pattern("用户"), "(?i)用户");
        let re = regex::Regex::new(&contains_pattern("ärger [x]")).expect("a valid pattern");
        assert!(re.is_match("Großer ÄRGER [X] heute"));
        assert!(!re.is_match("ärger x"));
        // A sigma, any of the three, stands for all three on PostgreSQL.
        assert_eq!(sigma_pattern("ΟΔΟΣ.ς"), r"ΟΔΟ[σςΣ]\.[σςΣ]");
    }

    #[test]
    fn like_wildcards_in_terms_are_literal() {
        assert_eq!(like_pattern("50%"), "%50\\%%");
        assert_eq!(like_pattern("a_b\\"), "%a\\_b\\\\%");
        assert_eq!(like_pattern("用户"), "%用户%");
    }

    #[test]
    fn every_value_is_a_parameter() {
        let terms = ["'); DROP TABLE messages;--".to_owned(), "ab".to_owned()];
        let search = Search {
            user_id: 1,
            terms: &terms,
            room_id: Some(2),
            limit: 21,
            ..Search::default()
        };
        for (sql, params) in [sqlite_statement(&search), postgres_statement(&search)] {
            assert!(!sql.contains("DROP"), "{sql}");
            assert!(!sql.contains("ab%"), "{sql}");
            assert_eq!(params.len(), sql.matches('$').count(), "{sql}");
        }
    }
}
