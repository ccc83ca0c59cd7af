//! One's own account: changing the password (other sessions end, their sockets close),
//! seeing and ending sessions, deleting the account (messages stay, by "deleted user").

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, answer, close_code, register_as, spawn_app, try_log_in};

const NEW_PASSWORD: &str = "a brand new passphrase";

#[tokio::test]
async fn changing_the_password_ends_every_other_session_and_closes_its_sockets() {
    let app = spawn_app().await;
    let here = app.user("ann").await;
    assert_eq!(here.create_room("den").await.status(), StatusCode::CREATED);
    let phone = app.client().log_in("ann").await;
    let mut phone_ws = phone.ws("/api/v1/rooms/den/ws").await;
    let mut phone_page = phone.ws("/ws").await;

    // The wrong current password, or a weak new one: 422 on that field, nothing changes.
    let (status, body) = answer(
        here.call(
            Method::PUT,
            "/account/password",
            Some(json!({"current_password": "not my password", "new_password": NEW_PASSWORD})),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "wrong_password");
    assert_eq!(body["field"], "current_password");
    let (status, body) = answer(
        here.call(
            Method::PUT,
            "/account/password",
            Some(json!({"current_password": PASSWORD, "new_password": "password"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "new_password");
    assert_eq!(phone.get("/api/v1/session").await.status(), StatusCode::OK);

    let changed = here
        .call(
            Method::PUT,
            "/account/password",
            Some(json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    assert_eq!(close_code(&mut phone_ws, 5).await, Some(1008));
    assert_eq!(close_code(&mut phone_page, 5).await, Some(1008));
    assert_eq!(
        phone.get("/api/v1/session").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(here.get("/api/v1/session").await.status(), StatusCode::OK);

    let old = register_as(&app.client(), "ann", PASSWORD).await;
    assert_eq!(old.status(), StatusCode::CONFLICT, "the name stays taken");
    assert_eq!(
        try_log_in(&app, "ann", PASSWORD).await.1,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        try_log_in(&app, "ann", NEW_PASSWORD).await.1,
        StatusCode::OK
    );
}

#[tokio::test]
async fn sessions_list_their_browser_and_any_one_can_be_logged_out() {
    let app = spawn_app().await;
    let here = app.user("bob").await;
    let other = {
        let user = app.client();
        let response = user
            .http
            .post(user.api("/session"))
            .header("user-agent", "Firefox on a <b>phone</b>")
            .json(&json!({"username": "bob", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        user
    };
    let mut other_ws = other.ws("/ws").await;
    let list: Vec<Value> = here
        .get("/api/v1/account/sessions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    let phone = list
        .iter()
        .find(|s| s["user_agent"] == "Firefox on a <b>phone</b>")
        .expect("the other browser is named by its User-Agent");
    assert_eq!(phone["current"], false);
    assert!(phone["last_seen_at"].is_string());

    // Another person cannot end it; an unknown id is a 404.
    let stranger = app.user("cyd").await;
    let path = format!("/account/sessions/{}", phone["id"].as_str().unwrap());
    let (status, body) = answer(stranger.call(Method::DELETE, &path, None).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "no_such_session");
    assert_eq!(other.get("/api/v1/session").await.status(), StatusCode::OK);

    assert_eq!(
        here.call(Method::DELETE, &path, None).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(close_code(&mut other_ws, 5).await, Some(1008));
    assert_eq!(
        other.get("/api/v1/session").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        here.call(Method::DELETE, &path, None).await.status(),
        StatusCode::NOT_FOUND,
        "twice"
    );
    let list: Vec<Value> = here
        .get("/api/v1/account/sessions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
}

#[tokio::test]
async fn deleting_an_account_keeps_its_messages_as_deleted_user_and_frees_the_name() {
    let app = spawn_app().await;
    let admin = app.user("ada").await;
    let dee = app.user("dee").await;
    assert_eq!(
        admin.create_room("hall").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(dee.join_room("hall").await.status(), StatusCode::CREATED);
    let said = dee.say("hall", "goodbye, all").await;
    let mut ws = dee.ws("/api/v1/rooms/hall/ws").await;

    let (status, body) = answer(
        dee.call(
            Method::DELETE,
            "/account",
            Some(json!({"password": "wrong one"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "wrong_password");

    assert_eq!(dee.delete_account().await.status(), StatusCode::NO_CONTENT);
    assert_eq!(close_code(&mut ws, 5).await, Some(1008));
    assert_eq!(
        dee.get("/api/v1/session").await.status(),
        StatusCode::UNAUTHORIZED
    );

    let history: Vec<Value> = admin
        .get("/api/v1/rooms/hall/messages")
        .await
        .json()
        .await
        .unwrap();
    let kept = history
        .iter()
        .find(|m| m["id"] == said)
        .expect("the message stays");
    assert_eq!(kept["sender"], "deleted user");
    assert_eq!(kept["text"], "goodbye, all");
    let rooms: Vec<Value> = admin.get("/api/v1/rooms").await.json().await.unwrap();
    let hall = rooms.iter().find(|r| r["name"] == "hall").unwrap();
    assert_eq!(hall["members"], 1, "{hall}");

    // The name is free; the old password opens nothing.
    assert_eq!(
        try_log_in(&app, "dee", PASSWORD).await.1,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        register_as(&app.client(), "dee", PASSWORD).await.status(),
        StatusCode::CREATED
    );

    // The last admin cannot go.
    let (status, body) = answer(admin.delete_account().await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "last_admin");
}

#[tokio::test]
async fn a_session_changed_while_it_is_ended_stays_ended() {
    let app = spawn_app().await;
    let here = app.user("gil").await;
    let stolen = app.client().log_in("gil").await;
    // A slow avatar upload on the other session: its answer changes the session.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let boundary = "hearthboundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
    );
    let mut tail = crate::files::png(16, 16);
    tail.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let body = reqwest::Body::wrap_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    let upload = tokio::spawn({
        let request = stolen
            .http
            .put(stolen.api("/users/me/avatar"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        async move { request.send().await.unwrap().status() }
    });
    tx.send(Ok(head.into_bytes())).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    // Meanwhile the owner changes the password: the other session ends.
    let changed = here
        .call(
            Method::PUT,
            "/account/password",
            Some(json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    tx.send(Ok(tail)).await.unwrap();
    drop(tx);
    let _ = upload.await.unwrap();
    assert_eq!(
        stolen.get("/api/v1/session").await.status(),
        StatusCode::UNAUTHORIZED,
        "the upload's answer did not bring the session back"
    );
    let list: Vec<Value> = here
        .get("/api/v1/account/sessions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
}

#[tokio::test]
async fn a_freed_name_can_be_messaged_directly_again() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    assert_eq!(
        ann.open_direct(&["bob"]).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(bob.delete_account().await.status(), StatusCode::NO_CONTENT);
    // ann keeps the old room, with its history, under a name the API lists.
    let joined: Vec<Value> = ann
        .get("/api/v1/rooms?scope=joined")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(joined.len(), 1, "{joined:?}");
    assert_eq!(joined[0]["members"], json!(["ann", "deleted user"]));
    let old_name = joined[0]["name"].as_str().unwrap().to_owned();
    let old_path = format!(
        "/api/v1/rooms/{}/messages",
        crate::helpers::encode(&old_name)
    );
    assert_eq!(ann.get(&old_path).await.status(), StatusCode::OK);
    let page = ann
        .get(&format!("/rooms/{}", crate::helpers::encode(&old_name)))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("deleted user"));

    // Whoever takes the name next is someone else, in another room.
    let _new_bob = app.user("bob").await;
    let (status, room) = answer(ann.open_direct(&["bob"]).await).await;
    assert_eq!(status, StatusCode::CREATED, "{room}");
    assert_eq!(room["members"], json!(["ann", "bob"]));
    assert_ne!(room["name"], json!(old_name));
    assert_eq!(ann.get(&old_path).await.status(), StatusCode::OK);

    // Someone who had left a direct room before going frees its name too.
    let cy = app.user("cyd").await;
    assert_eq!(
        ann.open_direct(&["cyd"]).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        cy.leave_room("@ann,cyd").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(cy.delete_account().await.status(), StatusCode::NO_CONTENT);
    let _new_cy = app.user("cyd").await;
    let (status, room) = answer(ann.open_direct(&["cyd"]).await).await;
    assert_eq!(status, StatusCode::CREATED, "{room}");
    assert_eq!(room["members"], json!(["ann", "cyd"]));
}

#[tokio::test]
async fn a_deactivated_admin_whose_session_escaped_cannot_act() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let eve = app.user("eve").await;
    let promoted = ada
        .call(
            Method::PUT,
            "/admin/users/eve/role",
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(promoted.status(), StatusCode::NO_CONTENT);
    // A session from before sessions knew their user (as after an upgrade).
    app.run_sql("UPDATE sessions SET user_id = NULL").await;
    let off = ada
        .call(
            Method::PUT,
            "/admin/users/eve/active",
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(off.status(), StatusCode::NO_CONTENT);
    let (status, problem) = answer(eve.call(Method::GET, "/admin/users", None).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(problem["code"], "not_an_admin");
}
