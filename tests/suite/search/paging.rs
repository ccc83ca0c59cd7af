//! Results a page at a time, newest first, by `before_id` (the last id of the page
//! before): every match once, none skipped, and `next_before_id` null on the last page.

use std::collections::BTreeSet;

use super::*;

/// Follows `next_before_id` from the first page to the last; returns each page's ids.
async fn every_page(user: &User, pairs: &[(&str, &str)]) -> Vec<Vec<i64>> {
    let mut pages = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let mut asked = pairs.to_vec();
        if let Some(before) = &before {
            asked.push(("before_id", before));
        }
        let (results, next) = search(user, &asked).await;
        let ids = ids(&results);
        if let Some(next) = next {
            assert_eq!(
                Some(&next),
                ids.last(),
                "the next page starts after this one's last"
            );
        }
        pages.push(ids);
        match next {
            Some(next) => before = Some(next.to_string()),
            None => return pages,
        }
        assert!(pages.len() < 20, "paging never ends: {pages:?}");
    }
}

#[tokio::test]
async fn forty_five_matches_come_in_pages_of_twenty_newest_first_with_no_repeat_and_no_gap() {
    let app = spawn_app_with(|config| config.message_burst = 1000.0).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.create_room("Busy").await;
    bob.join_room("Busy").await;
    bob.create_room("Elsewhere").await;
    let mut matching = Vec::new();
    for n in 1..=45 {
        matching.push(alice.say("Busy", &format!("match number {n} 数据")).await);
        if n % 3 == 0 {
            bob.say("Busy", &format!("noise {n}")).await;
            // A room alice is not in, with the same words.
            bob.say("Elsewhere", &format!("match number {n} 数据"))
                .await;
        }
    }
    let newest_first: Vec<i64> = matching.iter().rev().copied().collect();

    // An indexed term, a 2-character one (matched by scanning), and both with filters.
    for pairs in [
        vec![("q", "match"), ("limit", "20")],
        vec![("q", "数据"), ("limit", "20")],
        vec![
            ("q", "number 数据"),
            ("room", "Busy"),
            ("from", "alice"),
            ("limit", "20"),
        ],
    ] {
        let pages = every_page(&alice, &pairs).await;
        let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
        assert_eq!(sizes, [20, 20, 5], "{pairs:?}");
        let all: Vec<i64> = pages.concat();
        assert_eq!(
            all, newest_first,
            "{pairs:?}: every match once, newest first"
        );
        assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), 45);
    }

    // The default page is 20; 50 is the most, and holds them all.
    let (first, next) = search(&alice, &[("q", "match")]).await;
    assert_eq!(ids(&first), newest_first[..20]);
    assert_eq!(next, Some(newest_first[19]));
    let (all, next) = search(&alice, &[("q", "match"), ("limit", "50")]).await;
    assert_eq!(ids(&all), newest_first);
    assert_eq!(next, None);
    // Exactly a page's worth: no empty page after it.
    let (page, next) = search(&alice, &[("q", "match"), ("limit", "45")]).await;
    assert_eq!(page.len(), 45);
    assert_eq!(next, None, "nothing more, so no next page");
    // A page asked for from any id goes on from there.
    let from = newest_first[9].to_string();
    let (page, _) = search(
        &alice,
        &[("q", "match"), ("before_id", &from), ("limit", "3")],
    )
    .await;
    assert_eq!(ids(&page), newest_first[10..13]);
}

#[tokio::test]
async fn messages_arriving_between_pages_neither_repeat_nor_shift_later_pages() {
    let app = spawn_app_with(|config| config.message_burst = 1000.0).await;
    let alice = app.user("alice").await;
    alice.create_room("Live").await;
    let mut matching = Vec::new();
    for n in 1..=25 {
        matching.push(alice.say("Live", &format!("status update {n}")).await);
    }
    let (first, next) = search(&alice, &[("q", "status"), ("limit", "10")]).await;
    let next = next.expect("more").to_string();
    // New matches arrive, and one on the first page is deleted, before page two.
    for n in 26..=30 {
        alice.say("Live", &format!("status update {n}")).await;
    }
    alice.delete_message(ids(&first)[0]).await;
    let (second, _) = search(
        &alice,
        &[("q", "status"), ("limit", "10"), ("before_id", &next)],
    )
    .await;

    let expected: Vec<i64> = matching.iter().rev().skip(10).take(10).copied().collect();
    assert_eq!(ids(&second), expected);
}

/// Holding every trigram of a term is not holding the term: newer messages that hold
/// "abc", "bca" and "cab" apart are never found for "ABCab", and pages still come full
/// when a page's worth of them stands before the matches (each candidate is checked,
/// and the next ones are read until the page is full).
#[tokio::test]
async fn messages_holding_a_terms_pieces_apart_are_skipped_and_pages_stay_full() {
    let app = spawn_app_with(|config| config.message_burst = 1000.0).await;
    let alice = app.user("alice").await;
    alice.create_room("Letters").await;
    let mut matching = Vec::new();
    for n in 1..=25 {
        matching.push(alice.say("Letters", &format!("{n}: xabcaby 数据")).await);
    }
    for n in 1..=30 {
        alice
            .say("Letters", &format!("{n}: cab, bca and abc"))
            .await;
    }
    let pages = every_page(&alice, &[("q", "ABCab"), ("limit", "20")]).await;
    let newest_first: Vec<i64> = matching.iter().rev().copied().collect();
    assert_eq!(
        pages,
        vec![newest_first[..20].to_vec(), newest_first[20..].to_vec()]
    );
    // With a 2-character term too (checked by the database itself).
    let pages = every_page(&alice, &[("q", "abcab 数据"), ("limit", "20")]).await;
    assert_eq!(
        pages,
        vec![newest_first[..20].to_vec(), newest_first[20..].to_vec()]
    );
}
