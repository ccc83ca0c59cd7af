//! Direct rooms' people, and how a room notifies its members.

use super::{Code, ValidationError, names::fold_case};

/// The most people a direct room holds besides the one who starts it.
pub const MAX_DIRECT_OTHERS: usize = 7;

/// Who a direct room is with (besides whoever asks): 1 to 7 people, each named once,
/// never the asker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectPeople(Vec<String>);

impl DirectPeople {
    /// The asker may name themselves too (they are in it anyway), but not alone.
    pub fn parse(asker: &str, names: &[String]) -> Result<Self, ValidationError> {
        let asker = fold_case(asker);
        let named: Vec<String> = names.iter().map(|n| n.trim().to_owned()).collect();
        let names: Vec<String> = named
            .iter()
            .filter(|n| fold_case(n) != asker)
            .cloned()
            .collect();
        if names.is_empty() && !named.is_empty() {
            return Err(ValidationError::new("users", Code::DirectSelf));
        }
        if names.is_empty() || names.len() > MAX_DIRECT_OTHERS {
            return Err(ValidationError::new("users", Code::DirectCount));
        }
        let mut seen: Vec<String> = Vec::with_capacity(names.len());
        for name in &names {
            let key = fold_case(name);
            if seen.contains(&key) {
                return Err(ValidationError::naming(
                    "users",
                    Code::DirectDuplicate,
                    name,
                ));
            }
            seen.push(key);
        }
        Ok(Self(names))
    }

    pub fn names(&self) -> &[String] {
        &self.0
    }
}

/// Which messages of a room count for a member (their badge, their pushes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notify {
    /// Every message: the default in direct rooms.
    All,
    /// Messages that mention them: the default in group rooms.
    Mentions,
    /// None.
    Nothing,
}

impl Notify {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "all" => Ok(Notify::All),
            "mentions" => Ok(Notify::Mentions),
            "none" => Ok(Notify::Nothing),
            other => Err(ValidationError::naming("notify", Code::BadNotify, other)),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Notify::All => "all",
            Notify::Mentions => "mentions",
            Notify::Nothing => "none",
        }
    }

    /// What a room notifies its members of when they have not chosen.
    pub fn default_for(direct: bool) -> Self {
        if direct {
            Notify::All
        } else {
            Notify::Mentions
        }
    }
}

/// What a direct room's name starts with: no group room name may contain it.
const DIRECT: char = '@';

/// A direct room's name: `@` and its people's usernames, ordered ignoring case,
/// joined by commas. One set of people, one name.
pub fn direct_name<'a>(people: impl IntoIterator<Item = &'a str>) -> String {
    let mut names: Vec<&str> = people.into_iter().collect();
    names.sort_by_key(|n| fold_case(n));
    format!("{DIRECT}{}", names.join(","))
}

/// Whether a room's name is a direct room's (`@…`).
pub fn is_direct_name(name: &str) -> bool {
    name.starts_with(DIRECT)
}

/// A direct room's people, from its name; nothing for a group room's.
pub fn direct_people(name: &str) -> Vec<String> {
    match name.strip_prefix(DIRECT) {
        Some(list) => list.split(',').map(str::to_owned).collect(),
        None => Vec::new(),
    }
}

/// What a direct room is called for one of its people: the others' names.
pub fn direct_title(name: &str, viewer: &str) -> String {
    let viewer = fold_case(viewer);
    let others: Vec<String> = direct_people(name)
        .into_iter()
        .filter(|p| fold_case(p) != viewer)
        .collect();
    if others.is_empty() {
        name.trim_start_matches(DIRECT).to_owned()
    } else {
        others.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn one_to_seven_others_each_once_never_yourself_alone() {
        assert!(DirectPeople::parse("ann", &names(&["bob"])).is_ok());
        assert!(
            DirectPeople::parse("ann", &names(&["b1", "b2", "b3", "b4", "b5", "b6", "b7"])).is_ok()
        );
        let code = |list: &[&str]| DirectPeople::parse("ann", &names(list)).unwrap_err().code;
        assert_eq!(code(&[]), Code::DirectCount);
        assert_eq!(
            code(&["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"]),
            Code::DirectCount
        );
        assert_eq!(code(&["ANN"]), Code::DirectSelf);
        assert_eq!(code(&["ann", "ann"]), Code::DirectSelf);
        assert_eq!(code(&["bob", "Bob"]), Code::DirectDuplicate);
        // Naming yourself among others is harmless: you are in it anyway.
        let with_me = DirectPeople::parse("ann", &names(&["bob", "Ann"])).unwrap();
        assert_eq!(with_me.names(), ["bob"]);
    }

    #[test]
    fn a_direct_room_is_titled_by_the_others() {
        assert_eq!(direct_title("@ann,Bob,cyd", "bob"), "ann, cyd");
        assert_eq!(direct_title("@ann,bob", "ann"), "bob");
        assert_eq!(direct_people("@张伟,ann"), ["张伟", "ann"]);
        assert_eq!(direct_name(["bob", "Ann", "张伟"]), "@Ann,bob,张伟");
        assert!(direct_people("Porch").is_empty());
    }

    #[test]
    fn levels_are_all_mentions_or_none() {
        assert_eq!(Notify::parse("all").unwrap(), Notify::All);
        assert_eq!(Notify::parse("none").unwrap().as_str(), "none");
        assert_eq!(Notify::parse("some").unwrap_err().code, Code::BadNotify);
        assert_eq!(Notify::default_for(true), Notify::All);
        assert_eq!(Notify::default_for(false), Notify::Mentions);
    }
}
