//! Input: control characters, mixed-script usernames, common passwords.

use super::*;

#[tokio::test]
async fn control_characters_are_refused_in_text_room_names_and_usernames() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    alice.create_room("hall").await;

    for text in [
        "nul \u{0} inside",
        "escape \u{1b}[2J",
        "bell\u{7}",
        "del\u{7f}",
    ] {
        let response = alice.post_message("hall", text).await;
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["code"], "control_char", "{text:?}");
        assert_eq!(body["field"], "text");
    }
    // Newlines and tabs are text.
    let response = alice.post_message("hall", "line one\n\tline two").await;
    assert_eq!(response.status(), StatusCode::CREATED);

    let response = alice.create_room("bad\u{0}room").await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["code"], "control_char");
    assert_eq!(body["field"], "name");

    let response = register_as(&app.client(), "bob\u{0}", PASSWORD).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["code"], "control_char");
    assert_eq!(body["field"], "username");

    // The page composer says so in the reader's language.
    let page = form_request(&alice, "/rooms/hall/messages", &[("text", "nul \u{0}")])
        .header("accept-language", "zh-CN")
        .send()
        .await
        .expect("POST");
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().await.unwrap_or_default().contains("控制字符"));
}

#[tokio::test]
async fn usernames_mixing_scripts_are_refused_but_japanese_and_korean_names_are_fine() {
    let app = spawn_app().await;
    for lookalike in ["\u{430}dmin", "p\u{430}ypal", "g\u{3bf}\u{3bf}gle"] {
        let response = register_as(&app.client(), lookalike, PASSWORD).await;
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["code"], "username_mixed_scripts", "{lookalike}");
    }
    for name in ["山田たろう", "한국漢字", "admin_2", "Tom张伟"] {
        let response = register_as(&app.client(), name, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{name}");
    }
}

#[tokio::test]
async fn common_and_short_passwords_are_refused_for_new_accounts() {
    let app = spawn_app().await;
    for (n, common) in ["12345678", "password1", "Qwertyuiop", "iloveyou"]
        .iter()
        .enumerate()
    {
        let response = register_as(&app.client(), &format!("user{n}"), common).await;
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["code"], "password_common", "{common}");
        assert_eq!(body["field"], "password");
    }
    let response = register_as(&app.client(), "shorty", "short").await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["code"], "password_length");

    let page = post_form(
        &app.client(),
        "/register",
        &[("username", "pageuser"), ("password", "password1")],
    )
    .await;
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().await.unwrap_or_default().contains("too common"));
}
