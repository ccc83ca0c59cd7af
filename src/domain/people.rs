//! Direct rooms' people, and how a room notifies its members.

use super::{Code, ValidationError, names::fold_case};

/// The most people a direct room holds besides the one who starts it.
pub const MAX_DIRECT_OTHERS: usize = 7;

/// Who a direct room is with (besides whoever asks): 1 to 7 people, each named once,
/// never the asker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectPeople(Vec<String>);

impl DirectPeople {
    /// The asker may name themselves too (they are in it anyway), but not alone, and
    /// nobody twice (the asker included).
    pub fn parse(asker: &str, names: &[String]) -> Result<Self, ValidationError> {
        let asker = fold_case(asker);
        let named: Vec<String> = names.iter().map(|n| n.trim().to_owned()).collect();
        let mut seen: Vec<String> = Vec::with_capacity(named.len());
        for name in &named {
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

/// What deleted people are called, wherever their messages, reactions and direct
/// rooms show (a name, the same in every language).
pub const DELETED_NAME: &str = "deleted user";

/// Marks a deleted person in a direct room's name (`#` and their id), which no
/// username can be: their name is free again, and a direct room with whoever takes it
/// next is another room, with another name.
const DELETED: char = '#';

/// A direct room's name once the person named `username` (id `id`) is deleted; None
/// when they are not in it.
pub fn direct_name_without(name: &str, username: &str, id: i64) -> Option<String> {
    let gone = fold_case(username);
    let people = direct_people_as_named(name);
    if !people.iter().any(|p| fold_case(p) == gone) {
        return None;
    }
    let marked = format!("{DELETED}{id}");
    let renamed: Vec<&str> = people
        .iter()
        .map(|p| {
            if fold_case(p) == gone {
                marked.as_str()
            } else {
                p.as_str()
            }
        })
        .collect();
    Some(format!("{DIRECT}{}", renamed.join(",")))
}

fn direct_people_as_named(name: &str) -> Vec<String> {
    match name.strip_prefix(DIRECT) {
        Some(list) => list.split(',').map(str::to_owned).collect(),
        None => Vec::new(),
    }
}

/// A direct room's people, from its name (a deleted person as `DELETED_NAME`);
/// nothing for a group room's.
pub fn direct_people(name: &str) -> Vec<String> {
    direct_people_as_named(name)
        .into_iter()
        .map(|p| {
            if p.starts_with(DELETED) {
                DELETED_NAME.to_owned()
            } else {
                p
            }
        })
        .collect()
}

/// What a room is called for `viewer`: a group room by its name, a direct room by the
/// other people's names.
pub fn room_title(name: &str, viewer: &str) -> String {
    if is_direct_name(name) {
        direct_title(name, viewer)
    } else {
        name.to_owned()
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
        assert_eq!(code(&["ann", "ann"]), Code::DirectDuplicate);
        assert_eq!(code(&["bob", "Bob"]), Code::DirectDuplicate);
        assert_eq!(code(&["ann", "bob", "ANN"]), Code::DirectDuplicate);
        // Naming yourself among others is harmless: you are in it anyway.
        let with_me = DirectPeople::parse("ann", &names(&["bob", "Ann"])).unwrap();
        assert_eq!(with_me.names(), ["bob"]);
    }

    #[test]
    fn a_deleted_person_is_marked_in_a_direct_rooms_name() {
        let name = direct_name(["ann", "Bob", "cy"]);
        let renamed = direct_name_without(&name, "bob", 17).unwrap();
        assert_eq!(renamed, "@ann,#17,cy");
        assert_eq!(direct_people(&renamed), ["ann", DELETED_NAME, "cy"]);
        assert_eq!(direct_title(&renamed, "ann"), "deleted user, cy");
        assert_eq!(direct_name_without(&name, "dee", 18), None);
        // Another "bob" later makes another room, with the old room's old name.
        assert_ne!(renamed, direct_name(["ann", "bob", "cy"]));
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
