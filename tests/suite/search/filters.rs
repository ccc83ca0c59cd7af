//! Where a search looks: one room, one sender, a span of days (UTC), only the rooms
//! the searcher is in now; and what it finds after an edit or a delete.

use super::*;
use crate::api_messages::edited;

/// alice and bob, both in Kitchen and Garden, each saying "plan" in both.
async fn two_rooms_two_people(app: &TestApp) -> (User, User) {
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    for room in ["Kitchen", "Garden"] {
        alice.create_room(room).await;
        bob.join_room(room).await;
    }
    alice.say("Kitchen", "alice plans the kitchen").await;
    bob.say("Kitchen", "bob plans the kitchen").await;
    alice.say("Garden", "alice plans the garden").await;
    bob.say("Garden", "bob plans the garden").await;
    alice.say("Garden", "nothing to do with it").await;
    (alice, bob)
}

#[tokio::test]
async fn the_room_filter_keeps_to_one_room_and_from_keeps_to_one_sender() {
    let app = spawn_app().await;
    let (alice, bob) = two_rooms_two_people(&app).await;

    let everywhere = [
        "bob plans the garden",
        "alice plans the garden",
        "bob plans the kitchen",
        "alice plans the kitchen",
    ];
    assert_eq!(found(&alice, "plans").await, everywhere);
    assert_eq!(
        found(&bob, "plans").await,
        everywhere,
        "the same for every member"
    );
    assert_eq!(
        found_with(&alice, &[("q", "plans"), ("room", "Kitchen")]).await,
        ["bob plans the kitchen", "alice plans the kitchen"]
    );
    // A room is named as a person types it: any case.
    assert_eq!(
        found_with(&alice, &[("q", "plans"), ("room", "garden")]).await,
        ["bob plans the garden", "alice plans the garden"]
    );
    assert_eq!(
        found_with(&alice, &[("q", "plans"), ("from", "bob")]).await,
        ["bob plans the garden", "bob plans the kitchen"]
    );
    assert_eq!(
        found_with(&alice, &[("q", "plans"), ("from", "BOB")]).await,
        ["bob plans the garden", "bob plans the kitchen"]
    );
    assert_eq!(
        found_with(
            &alice,
            &[("q", "plans"), ("room", "Garden"), ("from", "alice")]
        )
        .await,
        ["alice plans the garden"]
    );
    // A sender who does not exist, or could not, has said nothing.
    for nobody in ["carol", "x", "no one", "<script>"] {
        assert_eq!(
            found_with(&alice, &[("q", "plans"), ("from", nobody)]).await,
            Vec::<String>::new(),
            "{nobody}"
        );
    }
    // Empty filters are no filters (what an untouched form sends).
    assert_eq!(
        found_with(&alice, &[("q", "plans"), ("room", ""), ("from", "")]).await,
        everywhere
    );
}

#[tokio::test]
async fn a_sender_named_before_the_mixed_script_rule_can_still_be_searched_for() {
    let app = spawn_app().await;
    let (alice, _bob) = two_rooms_two_people(&app).await;
    // An account from before names had to keep to one script ("b" Latin, "о" Cyrillic).
    let renamed = app
        .run_sql("UPDATE users SET username = 'bоb', username_key = 'bоb' WHERE username = 'bob'")
        .await;
    assert_eq!(renamed, 1);

    assert_eq!(
        found_with(&alice, &[("q", "plans"), ("from", "bоb")]).await,
        ["bob plans the garden", "bob plans the kitchen"]
    );
    assert_eq!(
        found_with(&alice, &[("q", "plans"), ("from", "bob")]).await,
        Vec::<String>::new(),
        "the Latin name is someone else"
    );
}

/// Unix milliseconds of an RFC 3339 time.
fn ms(rfc3339: &str) -> i64 {
    let time = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .expect("a time");
    (time.unix_timestamp_nanos() / 1_000_000) as i64
}

#[tokio::test]
async fn after_and_before_keep_to_whole_days_in_utc_alone_and_with_other_filters() {
    let app = spawn_app().await;
    let (alice, ids) = alice_says(
        &app,
        "Diary",
        &[
            "report one",
            "report two",
            "report three",
            "report four",
            "report five",
        ],
    )
    .await;
    let bob = app.user("bob").await;
    bob.join_room("Diary").await;
    let bobs = bob.say("Diary", "report from bob").await;
    let times = [
        "2026-01-09T23:59:59.999Z",
        "2026-01-10T00:00:00Z",
        "2026-01-11T12:00:00Z",
        "2026-01-11T23:59:59.999Z",
        "2026-01-12T00:00:00Z",
    ];
    for (id, at) in ids
        .iter()
        .zip(times)
        .chain([(&bobs, "2026-01-11T08:00:00+08:00")])
    {
        let sql = format!("UPDATE messages SET sent_at = {} WHERE id = {id}", ms(at));
        assert_eq!(app.run_sql(&sql).await, 1);
    }
    // bob's message was sent at midnight in Shanghai: 2026-01-11T00:00Z, the 11th in UTC.

    let q = ("q", "report");
    assert_eq!(
        found_with(&alice, &[q, ("after", "2026-01-10")]).await,
        [
            "report from bob",
            "report five",
            "report four",
            "report three",
            "report two"
        ],
        "on or after the 10th: from its first millisecond"
    );
    assert_eq!(
        found_with(&alice, &[q, ("before", "2026-01-11")]).await,
        ["report two", "report one"],
        "before the 11th: up to its last millisecond"
    );
    assert_eq!(
        found_with(
            &alice,
            &[q, ("after", "2026-01-11"), ("before", "2026-01-12")]
        )
        .await,
        ["report from bob", "report four", "report three"],
        "the 11th, whole"
    );
    assert_eq!(
        found_with(
            &alice,
            &[q, ("after", "2026-01-11"), ("before", "2026-01-11")]
        )
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        found_with(
            &alice,
            &[q, ("after", "2026-01-12"), ("before", "2026-01-10")]
        )
        .await,
        Vec::<String>::new(),
        "an empty span finds nothing (and is no error)"
    );
    assert_eq!(
        found_with(&alice, &[q, ("after", "2026-01-11"), ("from", "bob")]).await,
        ["report from bob"]
    );
    assert_eq!(
        found_with(
            &alice,
            &[
                q,
                ("after", "2026-01-10"),
                ("before", "2026-01-12"),
                ("from", "alice"),
                ("room", "Diary")
            ],
        )
        .await,
        ["report four", "report three", "report two"]
    );
    assert_eq!(
        found_with(&alice, &[("q", "re"), ("before", "2026-01-10")]).await,
        ["report one"],
        "a short term keeps to the days too"
    );
    assert_eq!(
        found_with(&alice, &[q, ("after", "2026-01-13")]).await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn only_rooms_you_are_in_are_searched_and_joining_one_opens_its_whole_history() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.create_room("Open").await;
    alice.say("Open", "the secret word is open").await;
    bob.create_room("Private").await;
    bob.say("Private", "the secret word is private").await;
    bob.say("Private", "秘密计划").await;

    assert_eq!(found(&alice, "secret").await, ["the secret word is open"]);
    assert_eq!(found(&alice, "秘密").await, Vec::<String>::new());
    assert_eq!(found(&alice, "private").await, Vec::<String>::new());
    assert_eq!(found(&bob, "secret").await, ["the secret word is private"]);

    // Joined later: everything said there before is found too.
    assert_eq!(
        alice.join_room("Private").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        found(&alice, "secret").await,
        ["the secret word is private", "the secret word is open"]
    );
    assert_eq!(found(&alice, "秘密").await, ["秘密计划"]);
    assert_eq!(
        found_with(&alice, &[("q", "secret"), ("room", "Private")]).await,
        ["the secret word is private"]
    );

    // Left again: not searched, and naming it is refused.
    assert_eq!(
        alice.leave_room("Private").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(found(&alice, "secret").await, ["the secret word is open"]);
    assert_eq!(found(&alice, "秘密").await, Vec::<String>::new());
    let refused = search_response(&alice, &[("q", "secret"), ("room", "Private")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_edited_message_is_found_by_its_new_words_only() {
    let app = spawn_app().await;
    let (alice, ids) = alice_says(&app, "Notes", &["lunch at noon", "数据库迁移", "ok go"]).await;
    let (lunch, cjk, short) = (ids[0], ids[1], ids[2]);

    edited(&alice, lunch, "dinner at eight").await;
    edited(&alice, cjk, "用户注册").await;
    edited(&alice, short, "fine then").await;

    assert_eq!(found(&alice, "lunch").await, Vec::<String>::new(), "out");
    assert_eq!(found(&alice, "noon").await, Vec::<String>::new());
    assert_eq!(found(&alice, "dinner").await, ["dinner at eight"], "in");
    assert_eq!(found(&alice, "数据库").await, Vec::<String>::new());
    assert_eq!(found(&alice, "迁移").await, Vec::<String>::new());
    assert_eq!(found(&alice, "注册").await, ["用户注册"]);
    assert_eq!(found(&alice, "ok").await, Vec::<String>::new());
    assert_eq!(found(&alice, "fine").await, ["fine then"]);
    // Edited again, and back to its first words: found by those again.
    edited(&alice, lunch, "breakfast").await;
    edited(&alice, lunch, "lunch at noon").await;
    assert_eq!(found(&alice, "lunch").await, ["lunch at noon"]);
    assert_eq!(found(&alice, "dinner").await, Vec::<String>::new());
    assert_eq!(found(&alice, "breakfast").await, Vec::<String>::new());
    let (results, _) = search(&alice, &[("q", "lunch")]).await;
    assert_eq!(results[0]["id"], lunch, "the same message, in its place");
    assert!(results[0]["edited_at"].is_string(), "{}", results[0]);
}

#[tokio::test]
async fn a_deleted_message_is_never_found_by_any_of_its_words() {
    let app = spawn_app().await;
    let (alice, ids) = alice_says(
        &app,
        "Bin",
        &["delete me soon", "keep me please", "删除这条消息", "xy"],
    )
    .await;
    let bob = app.user("bob").await;
    bob.join_room("Bin").await;
    edited(&alice, ids[0], "delete me now").await;

    for id in [ids[0], ids[2], ids[3]] {
        assert_eq!(
            alice.delete_message(id).await.status(),
            StatusCode::NO_CONTENT
        );
    }

    for who in [&alice, &bob] {
        for q in ["delete", "soon", "now", "删除", "消息", "xy"] {
            assert_eq!(found(who, q).await, Vec::<String>::new(), "{q}");
            assert_eq!(
                found_with(who, &[("q", q), ("room", "Bin"), ("from", "alice")]).await,
                Vec::<String>::new(),
                "{q}"
            );
        }
        assert_eq!(found(who, "keep").await, ["keep me please"]);
    }
    // Nor after a restart (the index is not rebuilt from anything stale).
    let app = app.restart().await;
    let alice = alice.via(&app);
    assert_eq!(found(&alice, "delete").await, Vec::<String>::new());
    assert_eq!(found(&alice, "keep").await, ["keep me please"]);
}
