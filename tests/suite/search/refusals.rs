//! Searches that cannot be made: each answered with a problem (`code`, and for 422 the
//! `field`), and none of them showing a word of any message.

use super::*;
use crate::api_auth::expect_problem;

/// A search's query parameters.
type Pairs<'a> = &'a [(&'a str, &'a str)];

#[tokio::test]
async fn a_search_breaking_a_rule_is_422_naming_the_field_and_what_is_wrong() {
    let app = spawn_app().await;
    let (alice, _) = alice_says(&app, "Rules", &["something to find"]).await;
    let eleven = "aa bb cc dd ee ff gg hh ii jj kk";
    let cases: &[(Pairs, &str, &str)] = &[
        (&[("q", "")], "q", "search_empty"),
        (&[], "q", "search_empty"),
        (&[("q", "   ")], "q", "search_empty"),
        (&[("q", "\"\"")], "q", "search_empty"),
        (&[("q", "\"   \"")], "q", "search_empty"),
        (&[("q", "a")], "q", "search_term_too_short"),
        (&[("q", "字")], "q", "search_term_too_short"),
        (&[("q", "something x")], "q", "search_term_too_short"),
        (&[("q", "\"a\" something")], "q", "search_term_too_short"),
        (&[("q", eleven)], "q", "search_too_many_terms"),
        (&[("q", "ab\u{0}cd")], "q", "control_char"),
        (&[("q", "\u{0}\u{0}")], "q", "control_char"),
        (&[("q", "soup\u{7f}")], "q", "control_char"),
        (
            &[("q", "something"), ("after", "2026-13-01")],
            "after",
            "bad_date",
        ),
        (
            &[("q", "something"), ("after", "2026-02-30")],
            "after",
            "bad_date",
        ),
        (
            &[("q", "something"), ("after", "30/01/2026")],
            "after",
            "bad_date",
        ),
        (
            &[("q", "something"), ("before", "yesterday")],
            "before",
            "bad_date",
        ),
        (
            &[("q", "something"), ("before", "2026-1-5")],
            "before",
            "bad_date",
        ),
        (
            &[("q", "something"), ("before", "2026-01-05T00:00:00Z")],
            "before",
            "bad_date",
        ),
        (
            &[("q", "something"), ("limit", "0")],
            "limit",
            "limit_range",
        ),
        (
            &[("q", "something"), ("limit", "51")],
            "limit",
            "limit_range",
        ),
        (
            &[("q", "something"), ("limit", "-1")],
            "limit",
            "limit_range",
        ),
    ];
    for (pairs, field, code) in cases {
        let body = expect_problem(
            search_response(&alice, pairs).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(body["field"], *field, "{pairs:?}: {body}");
        assert_eq!(body["code"], *code, "{pairs:?}: {body}");
    }
    // Ten terms, the most, and the edges of the limit, are fine.
    let ten = "aa bb cc dd ee ff gg hh ii jj";
    assert_eq!(found(&alice, ten).await, Vec::<String>::new());
    for limit in ["1", "50"] {
        search(&alice, &[("q", "something"), ("limit", limit)]).await;
    }
    // The same term twice is one term: eleven words, ten different, are fine.
    assert_eq!(
        found(&alice, &format!("{ten} aa")).await,
        Vec::<String>::new()
    );
    // A limit that is no number is a malformed request.
    let body = expect_problem(
        search_response(&alice, &[("q", "something"), ("limit", "ten")]).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["code"], "bad_query", "{body}");
}

#[tokio::test]
async fn searching_without_a_session_is_401() {
    let app = spawn_app().await;
    alice_says(&app, "Lobby", &["nobody may read this"]).await;
    let stranger = app.client();
    for pairs in [
        vec![("q", "nobody")],
        vec![("q", "")],
        vec![("q", "nobody"), ("room", "Lobby")],
    ] {
        let body = expect_problem(
            search_response(&stranger, &pairs).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_eq!(body["code"], "not_logged_in", "{body}");
        assert!(!body.to_string().contains("read this"), "{body}");
    }
}

#[tokio::test]
async fn an_unknown_room_is_404_and_a_room_you_are_not_in_is_403() {
    let app = spawn_app().await;
    let (alice, _) = alice_says(&app, "Mine", &["plans for mine"]).await;
    let bob = app.user("bob").await;
    bob.create_room("Theirs").await;
    bob.say("Theirs", "plans for theirs").await;

    let body = expect_problem(
        search_response(&alice, &[("q", "plans"), ("room", "Nowhere")]).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(body["code"], "no_such_room", "{body}");
    let body = expect_problem(
        search_response(&alice, &[("q", "plans"), ("room", "Theirs")]).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(body["code"], "not_a_member", "{body}");
    assert!(!body.to_string().contains("plans for"), "{body}");
    // Before the room is looked at, the query itself must be one.
    let body = expect_problem(
        search_response(&alice, &[("q", "x"), ("room", "Theirs")]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["field"], "q", "{body}");
}
