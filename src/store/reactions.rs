//! A message's reactions as every reader sees them: each emoji once, in the order it
//! was first used, with who reacted. Stored on the message row as JSON (rebuilt from
//! the `reactions` table whenever they change), so reading a message needs no join.

use serde::{Deserialize, Serialize};

/// One emoji under a message and the people who reacted with it, in the order they did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub emoji: String,
    pub users: Vec<String>,
    /// The same people's ids, so each reader's stylesheet can mark their own.
    pub ids: Vec<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Reactions(pub Vec<Reaction>);

impl Reactions {
    /// Groups `(emoji, username, user_id)` rows, given in the order they were added.
    pub fn from_rows(rows: impl IntoIterator<Item = (String, String, i64)>) -> Self {
        let mut list: Vec<Reaction> = Vec::new();
        for (emoji, user, id) in rows {
            match list.iter_mut().find(|r| r.emoji == emoji) {
                Some(r) => {
                    r.users.push(user);
                    r.ids.push(id);
                }
                None => list.push(Reaction {
                    emoji,
                    users: vec![user],
                    ids: vec![id],
                }),
            }
        }
        Reactions(list)
    }

    /// Groups rows like `from_rows`, but an emoji `before` showed keeps its place while
    /// anyone still reacts with it (its first user taking theirs back does not move
    /// it); emoji new to the message come after, in the order they were added.
    pub fn from_rows_after(
        before: &Reactions,
        rows: impl IntoIterator<Item = (String, String, i64)>,
    ) -> Self {
        let mut list = Self::from_rows(rows).0;
        let place = |r: &Reaction| before.0.iter().position(|b| b.emoji == r.emoji);
        // A stable sort: emoji new to the message all sort last, in the order added.
        list.sort_by_key(|r| place(r).unwrap_or(usize::MAX));
        Reactions(list)
    }

    /// The stored form (what `decode` reads back).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("reactions always serialise")
    }

    /// Reads the stored form; anything unreadable counts as no reactions.
    pub fn parse(json: Option<&str>) -> Self {
        match json {
            None | Some("[]") | Some("") => Reactions::default(),
            Some(text) => serde_json::from_str(text).unwrap_or_default(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Reaction> {
        self.0.iter()
    }
}

super::json_column!(Reactions);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_group_by_emoji_in_the_order_each_was_first_used() {
        let rows = [
            ("👍".to_owned(), "ann".to_owned(), 1),
            ("🎉".to_owned(), "bob".to_owned(), 2),
            ("👍".to_owned(), "bob".to_owned(), 2),
        ];
        let reactions = Reactions::from_rows(rows);
        assert_eq!(reactions.0.len(), 2);
        assert_eq!(reactions.0[0].emoji, "👍");
        assert_eq!(reactions.0[0].users, ["ann", "bob"]);
        assert_eq!(reactions.0[1].emoji, "🎉");
        assert_eq!(Reactions::parse(Some(&reactions.to_json())), reactions);
    }

    #[test]
    fn an_emoji_keeps_its_place_while_anyone_still_reacts_with_it() {
        let row = |emoji: &str, user: &str, id| (emoji.to_owned(), user.to_owned(), id);
        let before = Reactions::from_rows([
            row("👍", "ann", 1),
            row("🎉", "bob", 2),
            row("👍", "cyd", 3),
        ]);
        // ann takes her 👍 back, and dee adds 👀.
        let after = Reactions::from_rows_after(
            &before,
            [
                row("🎉", "bob", 2),
                row("👍", "cyd", 3),
                row("👀", "dee", 4),
            ],
        );
        let order: Vec<&str> = after.iter().map(|r| r.emoji.as_str()).collect();
        assert_eq!(order, ["👍", "🎉", "👀"]);
    }
}
