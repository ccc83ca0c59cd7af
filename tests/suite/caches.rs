//! What the page path keeps in memory (sessions on a node alone, each room's newest
//! page) never serves stale authority: a logged-out session is refused on the very
//! next request, a member who left cannot read the kept page, and an edit, a delete
//! or a reaction is never served old; a membership kept for posting ends with the
//! membership; and a sidebar kept in memory changes with everything it shows.

use reqwest::{Method, StatusCode, header::COOKIE};
use serde_json::json;

use crate::{
    helpers::*,
    live_pages::{
        badge, badge_text, eventually, is_bold, live_page, mention_badge, room_id, sidebar,
    },
};

/// A request carrying exactly `cookie`, as a second tab or a stolen copy would.
async fn get_with_cookie(
    app: &TestApp,
    cookie: &reqwest::header::HeaderValue,
    path: &str,
) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(path))
        .header(COOKIE, cookie.clone())
        .send()
        .await
        .expect("GET with a cookie")
}

#[tokio::test]
async fn a_logged_out_session_is_refused_on_the_next_request_however_warm_it_was() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    assert_eq!(ann.create_room("Den").await.status(), StatusCode::CREATED);
    let cookie = ann.cookie().expect("a session cookie");
    // Warm: the session has been read many times, concurrently.
    let warm = (0..20).map(|_| get_with_cookie(&app, &cookie, "/api/v1/session"));
    for response in futures_util::future::join_all(warm).await {
        assert_eq!(response.status(), StatusCode::OK);
    }

    let response = ann.log_out().await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let api = get_with_cookie(&app, &cookie, "/api/v1/session").await;
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    let page = get_with_cookie(&app, &cookie, "/rooms/Den").await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER, "sent to log in");
    assert!(
        page.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login"),
        "{:?}",
        page.headers()
    );
}

#[tokio::test]
async fn a_logout_racing_requests_is_not_undone_by_a_read_that_began_before_it() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let cookie = ann.cookie().expect("a session cookie");
    // Reads in flight on both sides of the logout.
    let readers: Vec<_> = (0..40)
        .map(|_| {
            let (app_url, cookie) = (app.url("/api/v1/session"), cookie.clone());
            tokio::spawn(async move {
                reqwest::Client::new()
                    .get(app_url)
                    .header(COOKIE, cookie)
                    .send()
                    .await
                    .map(|r| r.status())
            })
        })
        .collect();
    let response = ann.log_out().await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for reader in readers {
        let _ = reader.await;
    }
    for _ in 0..5 {
        let api = get_with_cookie(&app, &cookie, "/api/v1/session").await;
        assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_member_who_left_cannot_read_the_kept_page_and_others_still_can() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    assert_eq!(ann.create_room("Den").await.status(), StatusCode::CREATED);
    bob.join_room("Den").await;
    ann.say("Den", "the-secret-plan").await;
    // Both pages read (and keep) the room's newest page.
    for user in [&ann, &bob] {
        let html = user.get("/rooms/Den").await.text().await.unwrap();
        assert!(html.contains("the-secret-plan"));
    }

    assert_eq!(bob.leave_room("Den").await.status(), StatusCode::NO_CONTENT);
    let response = bob.get("/rooms/Den").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "the preview");
    let html = response.text().await.unwrap();
    assert!(!html.contains("the-secret-plan"), "{html}");
    let more = bob.get("/rooms/Den/messages?before=999999").await;
    assert_eq!(more.status(), StatusCode::FORBIDDEN);
    let html = ann.get("/rooms/Den").await.text().await.unwrap();
    assert!(html.contains("the-secret-plan"));
}

#[tokio::test]
async fn an_edit_a_delete_or_a_reaction_is_never_served_old_from_the_kept_page() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    assert_eq!(ann.create_room("Den").await.status(), StatusCode::CREATED);
    bob.join_room("Den").await;
    let id = ann.say("Den", "first-wording").await;
    assert!(page(&bob).await.contains("first-wording"));

    assert_eq!(
        ann.edit_message(id, "second-wording").await.status(),
        StatusCode::OK
    );
    for html in [page(&bob).await, page(&ann).await] {
        assert!(html.contains("second-wording"), "the edit shows");
        assert!(!html.contains("first-wording"), "the old text is gone");
    }

    assert_eq!(bob.react(id, "🎉").await.status(), StatusCode::OK);
    assert!(page(&ann).await.contains("🎉"), "the reaction shows");

    assert_eq!(
        ann.delete_message(id).await.status(),
        StatusCode::NO_CONTENT
    );
    for html in [page(&bob).await, page(&ann).await] {
        assert!(!html.contains("second-wording"), "deleted: {html}");
        assert!(!html.contains("🎉"), "its reactions went with it");
    }

    // A message from someone else, between two views, shows at once.
    let _ = page(&bob).await;
    bob.say("Den", "fresh-news").await;
    assert!(page(&ann).await.contains("fresh-news"));
}

/// The room page as `user` sees it now.
async fn page(user: &User) -> String {
    user.get("/rooms/Den").await.text().await.unwrap()
}

/// Asserts that `response` is a problem with this status and code.
async fn refused(response: reqwest::Response, status: StatusCode, code: &str) {
    let (got, problem) = answer(response).await;
    assert_eq!((got, problem["code"].as_str()), (status, Some(code)));
}

/// The texts of a room's newest messages, as `user` reads them.
async fn texts(user: &User, room: &str) -> Vec<String> {
    let response = user
        .get(&format!("/api/v1/rooms/{}/messages", encode(room)))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "reading {room}");
    let messages: Vec<serde_json::Value> = response.json().await.unwrap();
    messages
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_post_from_a_kept_membership_is_refused_the_moment_it_ends() {
    let app = spawn_app().await;
    let ada = app.user("ada").await; // the first account: an admin
    let bob = app.user("bob").await;
    for room in ["Den", "Loft", "Attic"] {
        assert_eq!(ada.create_room(room).await.status(), StatusCode::CREATED);
        assert_eq!(bob.join_room(room).await.status(), StatusCode::CREATED);
        // Warm: Bob has posted there, so his membership is kept.
        bob.say(room, "warm").await;
        bob.say(room, "warmer").await;
    }

    // He leaves one.
    assert_eq!(bob.leave_room("Den").await.status(), StatusCode::NO_CONTENT);
    refused(
        bob.post_message("Den", "after leaving").await,
        StatusCode::FORBIDDEN,
        "not_a_member",
    )
    .await;
    // An admin takes him out of another.
    let remove = format!("/rooms/{}/members/bob", encode("Loft"));
    assert_eq!(
        ada.call(Method::DELETE, &remove, None).await.status(),
        StatusCode::NO_CONTENT
    );
    refused(
        bob.post_message("Loft", "after removal").await,
        StatusCode::FORBIDDEN,
        "not_a_member",
    )
    .await;
    // An admin renames the third: the old name is no room, the new one takes his post.
    let renamed = ada
        .call(Method::PATCH, "/rooms/Attic", Some(json!({"name": "地窖"})))
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    refused(
        bob.post_message("Attic", "to the old name").await,
        StatusCode::NOT_FOUND,
        "no_such_room",
    )
    .await;
    bob.say("地窖", "under the new name").await;
    // And deletes it.
    let deleted = ada
        .call(Method::DELETE, &format!("/rooms/{}", encode("地窖")), None)
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    refused(
        bob.post_message("地窖", "after deletion").await,
        StatusCode::NOT_FOUND,
        "no_such_room",
    )
    .await;

    // Nothing refused was stored.
    assert_eq!(texts(&ada, "Den").await, ["warm", "warmer"]);
    assert_eq!(texts(&ada, "Loft").await, ["warm", "warmer"]);
}

#[tokio::test]
async fn a_leave_racing_posts_is_not_undone_by_a_read_that_began_before_it() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    assert_eq!(ann.create_room("Den").await.status(), StatusCode::CREATED);
    assert_eq!(bob.join_room("Den").await.status(), StatusCode::CREATED);
    // Posts in flight on both sides of the leave, each reading the membership.
    let bob = &bob;
    let posts = futures_util::future::join_all((0..40).map(|i| async move {
        bob.post_message("Den", &format!("racing {i}"))
            .await
            .status()
    }));
    let (posted, left) = tokio::join!(posts, bob.leave_room("Den"));
    assert_eq!(left.status(), StatusCode::NO_CONTENT);
    for status in posted {
        assert!(
            status == StatusCode::CREATED || status == StatusCode::FORBIDDEN,
            "{status}"
        );
    }
    for _ in 0..5 {
        refused(
            bob.post_message("Den", "after leaving").await,
            StatusCode::FORBIDDEN,
            "not_a_member",
        )
        .await;
    }
    assert!(
        !texts(&ann, "Den")
            .await
            .contains(&"after leaving".to_owned()),
        "a refused post was stored"
    );
}

/// Whether `html`'s sidebar lists the room called `name`.
fn lists(html: &str, name: &str) -> bool {
    html.contains(&format!(r#"<a href="/rooms/{}""#, encode(name)))
}

/// `user`'s sidebar, read `times` times in a row: the same each time.
async fn warm_sidebar(user: &User, times: usize) -> String {
    let first = sidebar(user).await;
    for _ in 1..times {
        assert_eq!(sidebar(user).await, first, "a sidebar changed by itself");
    }
    first
}

#[tokio::test]
async fn a_kept_sidebar_shows_every_change_on_the_very_next_page() {
    let app = spawn_app().await;
    let ada = app.user("ada").await; // the first account: an admin
    let bob = app.user("bob").await;
    for room in ["Den", "Attic"] {
        assert_eq!(ada.create_room(room).await.status(), StatusCode::CREATED);
        bob.join_counting_all(room).await;
    }
    let (den, attic) = (room_id(&bob, "Den").await, room_id(&bob, "Attic").await);
    let html = warm_sidebar(&bob, 3).await;
    assert_eq!((badge(&html, den), badge(&html, attic)), (None, None));

    // A message in one room: its count, at once (no waiting for anything live).
    ada.say("Attic", "news").await;
    let html = warm_sidebar(&bob, 3).await;
    assert_eq!((badge(&html, den), badge(&html, attic)), (None, Some(1)));
    // A mention in the other.
    ada.say("Den", "over to you @bob").await;
    let html = warm_sidebar(&bob, 2).await;
    assert_eq!(mention_badge(&html, den).as_deref(), Some("@1"));
    // Bob counts everything there: the count, and the "@1" beside it.
    assert_eq!(badge(&html, den), Some(1));
    // An edit moves nothing unread, and the room's page shows it.
    let id = ada.say("Den", "first take").await;
    let _ = warm_sidebar(&bob, 2).await;
    assert_eq!(
        ada.edit_message(id, "second take").await.status(),
        StatusCode::OK
    );
    let page = bob.get("/rooms/Den").await.text().await.unwrap();
    assert!(page.contains("second take") && !page.contains("first take"));
    assert_eq!(
        mention_badge(&sidebar(&bob).await, den).as_deref(),
        Some("@1")
    );
    assert!(is_bold(&sidebar(&bob).await, den));

    // Bob reads Attic (his page's socket says so): its badge goes, and stays gone.
    let mut socket = live_page(&bob, "Attic").await;
    send_json(&mut socket, json!({ "read": i64::MAX })).await;
    eventually(&bob, |html| badge(html, attic).is_none()).await;
    let html = warm_sidebar(&bob, 2).await;
    assert_eq!(mention_badge(&html, den).as_deref(), Some("@1"));
    assert_eq!(badge(&html, attic), None);
    // He writes there: his own message is never unread to him.
    bob.say("Attic", "my reply").await;
    assert_eq!(badge(&sidebar(&bob).await, attic), None);
    // He mutes Den: no count for it any more.
    assert_eq!(bob.set_notify("Den", "none").await.status(), StatusCode::OK);
    let html = sidebar(&bob).await;
    assert_eq!(badge_text(&html, den), None);
    assert_eq!(mention_badge(&html, den), None);
    assert!(!is_bold(&html, den));

    // Someone joins Den: its page counts them.
    let page = bob.get("/rooms/Den").await.text().await.unwrap();
    assert!(page.contains("2 members"), "{page}");
    let cyd = app.user("cyd").await;
    assert_eq!(cyd.join_room("Den").await.status(), StatusCode::CREATED);
    let page = bob.get("/rooms/Den").await.text().await.unwrap();
    assert!(page.contains("3 members"), "{page}");

    // An admin renames Attic, then takes Bob out of it.
    let renamed = ada
        .call(Method::PATCH, "/rooms/Attic", Some(json!({"name": "阁楼"})))
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let html = warm_sidebar(&bob, 2).await;
    assert!(lists(&html, "阁楼") && !lists(&html, "Attic"), "{html}");
    let remove = format!("/rooms/{}/members/bob", encode("阁楼"));
    assert_eq!(
        ada.call(Method::DELETE, &remove, None).await.status(),
        StatusCode::NO_CONTENT
    );
    let html = sidebar(&bob).await;
    assert!(!lists(&html, "阁楼") && lists(&html, "Den"), "{html}");
    let response = bob.get(&format!("/rooms/{}", encode("阁楼"))).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "the preview");
    assert!(!response.text().await.unwrap().contains("my reply"));

    // He leaves Den; a direct room with Ada appears, in his sidebar and in hers.
    assert_eq!(bob.leave_room("Den").await.status(), StatusCode::NO_CONTENT);
    assert!(!lists(&sidebar(&bob).await, "Den"));
    assert!(!warm_sidebar(&ada, 2).await.contains(r#"title="bob""#));
    assert_eq!(
        bob.open_direct(&["ada"]).await.status(),
        StatusCode::CREATED
    );
    let html = sidebar(&bob).await;
    assert!(
        html.contains(r#"title="ada""#),
        "the direct room, titled by Ada: {html}"
    );
    let html = sidebar(&ada).await;
    assert!(
        html.contains(r#"title="bob""#),
        "the direct room in Ada's, titled by Bob: {html}"
    );
    // Opening it again changes nothing; a room she makes shows in hers at once.
    assert_eq!(bob.open_direct(&["ada"]).await.status(), StatusCode::OK);
    assert_eq!(warm_sidebar(&ada, 2).await, html);
    assert_eq!(
        ada.create_room("Cellar").await.status(),
        StatusCode::CREATED
    );
    assert!(lists(&sidebar(&ada).await, "Cellar"), "her new room");
}

#[tokio::test]
async fn a_sidebar_read_while_messages_land_never_keeps_an_old_count() {
    let app = spawn_app_with(|config| config.message_burst = 1000.0).await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    assert_eq!(ada.create_room("Den").await.status(), StatusCode::CREATED);
    bob.join_counting_all("Den").await;
    let den = room_id(&bob, "Den").await;
    // Sidebars read on both sides of each post.
    let bob = &bob;
    let readers = futures_util::future::join_all((0..60).map(|_| sidebar(bob)));
    let posts = async {
        for n in 0..30 {
            ada.say("Den", &format!("racing {n}")).await;
        }
    };
    let _ = tokio::join!(readers, posts);
    for _ in 0..5 {
        assert_eq!(badge(&sidebar(bob).await, den), Some(30));
    }
}
