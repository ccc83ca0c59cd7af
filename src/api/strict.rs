//! Strict reading of JSON fields. poem-openapi reads a JSON number or boolean where a
//! string is expected (`{"username": 42}` would be the name "42"); these readers take
//! only strings, and name the field when they refuse, so the client gets a 422 that
//! says which field was wrong (see `problem::problem_response`).

use poem_openapi::types::{ParseError, ParseResult};
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
optional_string_fields!(client_id, invite);

/// The field a strict reader refused, from a payload error's reason.
pub fn refused_field(reason: &str) -> Option<&str> {
    let rest = &reason[reason.find(WRONG_FIELD)? + WRONG_FIELD.len()..];
    rest.split(':').next().filter(|f| !f.is_empty())
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
            assert_eq!(refused_field(&err), Some("username"), "{err}");
        }
        assert!(username(None).is_err());
        assert_eq!(client_id(None).unwrap(), None);
        assert!(client_id(Some(json!(7))).is_err());
    }
}
