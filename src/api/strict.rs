//! Strict reading of JSON fields. poem-openapi reads a JSON number or boolean where a
//! string is expected (`{"username": 42}` would be the name "42"); these readers take
//! only the field's own type, and name the field when they refuse, so the client gets
//! a 422 that says which field was wrong (see `problem::problem_response`). Every
//! field a request body takes is read by one of them.

use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult};
use serde_json::Value;

/// Marks a refusal as ours, with the field's name after it, for `problem_response`.
pub const WRONG_FIELD: &str = "wrong field: ";

fn refuse<T: poem_openapi::types::Type>(field: &str, what: &str) -> ParseError<T> {
    ParseError::custom(format!("{WRONG_FIELD}{field}: {what}"))
}

fn required_string(field: &str, value: Option<Value>) -> ParseResult<String> {
    match value {
        Some(Value::String(text)) => Ok(text),
        None | Some(Value::Null) => Err(refuse(field, "is required")),
        Some(_) => Err(refuse(field, "must be a string")),
    }
}

fn optional_string(field: &str, value: Option<Value>) -> ParseResult<Option<String>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(refuse(field, "must be a string")),
    }
}

macro_rules! string_fields {
    ($($name:ident),* $(,)?) => {$(
        pub fn $name(value: Option<Value>) -> ParseResult<String> {
            required_string(stringify!($name), value)
        }
    )*};
}

macro_rules! optional_string_fields {
    ($($name:ident),* $(,)?) => {$(
        pub fn $name(value: Option<Value>) -> ParseResult<Option<String>> {
            optional_string(stringify!($name), value)
        }
    )*};
}

string_fields!(
    username,
    password,
    name,
    text,
    current_password,
    new_password,
    token,
    role,
    mode
);
string_fields!(notify, endpoint, p256dh, auth);
optional_string_fields!(client_id, invite, url);

/// An object field (`T`'s own fields are read by their own readers).
pub fn object<T: ParseFromJSON>(field: &str, value: Option<Value>) -> ParseResult<T> {
    match value {
        Some(value @ Value::Object(_)) => {
            T::parse_from_json(Some(value)).map_err(ParseError::propagate)
        }
        None | Some(Value::Null) => Err(refuse(field, "is required")),
        Some(_) => Err(refuse(field, "must be an object")),
    }
}

/// `users`: a list of strings.
pub fn users(value: Option<Value>) -> ParseResult<Vec<String>> {
    let wrong = || refuse("users", "must be a list of strings");
    match value {
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Ok(text),
                _ => Err(wrong()),
            })
            .collect(),
        None | Some(Value::Null) => Err(refuse("users", "is required")),
        Some(_) => Err(wrong()),
    }
}

/// `active`: true or false.
pub fn active(value: Option<Value>) -> ParseResult<bool> {
    match value {
        Some(Value::Bool(yes)) => Ok(yes),
        None | Some(Value::Null) => Err(refuse("active", "is required")),
        Some(_) => Err(refuse("active", "must be true or false")),
    }
}

fn optional_integer(field: &str, value: Option<Value>) -> ParseResult<Option<i64>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
        Some(_) => Err(refuse(field, "must be a whole number")),
    }
}

macro_rules! optional_integer_fields {
    ($($name:ident),* $(,)?) => {$(
        pub fn $name(value: Option<Value>) -> ParseResult<Option<i64>> {
            optional_integer(stringify!($name), value)
        }
    )*};
}

optional_integer_fields!(hours, uses);

/// The field a strict reader refused and what was wrong with it, from a payload
/// error's reason.
pub fn refused_field(reason: &str) -> Option<(&str, &str)> {
    let rest = &reason[reason.find(WRONG_FIELD)? + WRONG_FIELD.len()..];
    let (field, what) = rest.split_once(": ")?;
    let what = what
        .split(['(', ')', '"', '\n'])
        .next()
        .unwrap_or(what)
        .trim();
    (!field.is_empty()).then_some((field, what))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_strings_are_strings() {
        assert_eq!(username(Some(json!("ann"))).unwrap(), "ann");
        for wrong in [json!(42), json!(true), json!(["a"]), json!({"a": 1})] {
            let err = username(Some(wrong)).unwrap_err().into_message();
            assert_eq!(
                refused_field(&err).map(|(f, _)| f),
                Some("username"),
                "{err}"
            );
        }
        let err = users(Some(json!(["ann", 7]))).unwrap_err().into_message();
        assert_eq!(
            refused_field(&err),
            Some(("users", "must be a list of strings"))
        );
        assert_eq!(users(Some(json!(["ann"]))).unwrap(), ["ann"]);
        assert!(active(Some(json!("yes"))).is_err());
        assert_eq!(hours(Some(json!(24))).unwrap(), Some(24));
        assert!(hours(Some(json!("24"))).is_err());
        assert!(uses(Some(json!(1.5))).is_err());
        assert!(username(None).is_err());
        assert_eq!(client_id(None).unwrap(), None);
        assert!(client_id(Some(json!(7))).is_err());
    }
}
