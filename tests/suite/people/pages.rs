//! The people controls on the pages: "New message", `@` suggestions, the notification
//! select's form, "Leave room", and the settings page.

use super::*;
use crate::pages::{htmx_get, htmx_submit, submit};

#[tokio::test]
async fn new_message_suggests_people_and_opens_the_room_or_says_why_not() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    for name in ["bob", "bobby", "Boris", "张伟"] {
        app.user(name).await;
    }
    let dialog = htmx_get(&ann, "/dialogs/new-message")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        dialog.contains(r#"role="combobox""#) && dialog.contains(r#"aria-controls="people-list""#),
        "{dialog}"
    );

    let list = |q: &'static str| {
        let ann = &ann;
        async move {
            let html = htmx_get(ann, &format!("/people?users={}", encode(q)))
                .await
                .text()
                .await
                .unwrap();
            html.split("data-name=\"")
                .skip(1)
                .map(|s| s.split('"').next().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list("bo").await, ["bob", "bobby", "Boris"]);
    assert_eq!(
        list("bob, bo").await,
        ["bobby", "Boris"],
        "not those already picked"
    );
    assert_eq!(list("张").await, ["张伟"]);
    assert_eq!(list("an").await, Vec::<String>::new(), "never yourself");
    assert_eq!(
        list("%").await,
        Vec::<String>::new(),
        "a wildcard is just a character"
    );
    assert_eq!(list("_").await, Vec::<String>::new());
    assert_eq!(list("").await, Vec::<String>::new());

    // Starting it: htmx goes to the room.
    let opened = htmx_submit(&ann, "/direct", &[("users", "bob, 张伟")]).await;
    assert_eq!(opened.status(), StatusCode::OK);
    let to = opened.headers()["HX-Redirect"].to_str().unwrap().to_owned();
    assert_eq!(to, format!("/rooms/{}", encode("@ann,bob,张伟")));
    assert_eq!(ann.get(&to).await.status(), StatusCode::OK);
    // Without script, a 303 there.
    let plain = submit(&ann, "/direct", &[("users", "@bob")]).await;
    assert_eq!(plain.status(), StatusCode::SEE_OTHER);

    // Refused: the dialog again, with the reason, in the reader's language.
    for (users, status, words) in [
        ("nobody", StatusCode::NOT_FOUND, "nobody with that username"),
        (
            "ann",
            StatusCode::UNPROCESSABLE_ENTITY,
            "you are in it already",
        ),
        ("", StatusCode::UNPROCESSABLE_ENTITY, "1 to 7"),
        (
            "<script>alert(1)</script>",
            StatusCode::NOT_FOUND,
            "nobody with that username",
        ),
    ] {
        let refused = htmx_submit(&ann, "/direct", &[("users", users)]).await;
        assert_eq!(refused.status(), status, "{users}");
        let html = refused.text().await.unwrap();
        assert!(html.contains(r#"role="alert""#), "{html}");
        assert!(
            html.to_lowercase().contains(&words.to_lowercase()),
            "{users}: {html}"
        );
        assert!(!html.contains("<script>alert"), "escaped: {html}");
    }
}

#[tokio::test]
async fn mention_suggestions_are_the_rooms_other_members_for_members_only() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let bea = app.user("Bea").await;
    let eve = app.user("eve").await;
    assert_eq!(ann.create_room("Den").await.status(), StatusCode::CREATED);
    bob.join_room("Den").await;
    bea.join_room("Den").await;

    let names = |html: String| -> Vec<String> {
        html.split("data-name=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_owned())
            .collect()
    };
    let all = htmx_get(&ann, "/rooms/Den/mentionable?q=")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        all.contains(r#"role="listbox""#) && all.contains(r#"role="option""#),
        "{all}"
    );
    assert_eq!(names(all), ["Bea", "bob"]);
    let b = htmx_get(&ann, "/rooms/Den/mentionable?q=BO")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(names(b), ["bob"]);
    let none = htmx_get(
        &ann,
        &format!("/rooms/Den/mentionable?q={}", encode("\"><script>")),
    )
    .await;
    assert_eq!(none.status(), StatusCode::OK);
    let none = none.text().await.unwrap();
    assert!(
        none.contains(" hidden") && !none.contains("<script>"),
        "{none}"
    );
    assert_eq!(
        htmx_get(&eve, "/rooms/Den/mentionable?q=").await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn leave_asks_first_then_goes_to_the_readers_rooms() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    assert_eq!(ann.create_room("Den").await.status(), StatusCode::CREATED);
    bob.join_room("Den").await;
    let page = bob.get("/rooms/Den").await.text().await.unwrap();
    assert!(page.contains(r#"hx-get="/dialogs/leave/Den""#), "{page}");

    let dialog = htmx_get(&bob, "/dialogs/leave/Den")
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("Leave Den?"), "{dialog}");
    assert!(dialog.contains(r#"action="/rooms/Den/leave""#), "{dialog}");
    let left = htmx_submit(&bob, "/rooms/Den/leave", &[]).await;
    assert_eq!(left.headers()["HX-Redirect"], "/rooms");
    assert_eq!(
        bob.get("/api/v1/rooms/Den/messages").await.status(),
        StatusCode::FORBIDDEN
    );
    // Again, or somewhere unknown: refused.
    assert_eq!(
        submit(&bob, "/rooms/Den/leave", &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        submit(&bob, "/rooms/Nowhere/leave", &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        htmx_get(&bob, "/dialogs/leave/Den").await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_new_pages_speak_chinese_too() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let _bob = app.user("bob").await;
    assert_eq!(ann.create_room("Den").await.status(), StatusCode::CREATED);
    let zh = |path: &'static str| {
        let ann = &ann;
        async move {
            ann.http
                .get(format!("http://{}{path}", ann.addr))
                .header("Accept-Language", "zh-CN")
                .header("HX-Request", "true")
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    assert!(zh("/dialogs/new-message").await.contains("新私信"));
    assert!(zh("/dialogs/leave/Den").await.contains("退出 Den？"));
    let room = zh("/rooms/Den").await;
    assert!(
        room.contains("仅提及我的消息") && room.contains("私信"),
        "{room}"
    );
    assert!(
        room.contains("正在输入"),
        "the typing words, for the page to use"
    );
    assert!(zh("/settings").await.contains("让别人看到我正在输入"));
}
