//! What admins do: every admin route refuses members; registration modes and
//! invitations (expired, used up, revoked); deactivation; reset links (used twice,
//! expired); renaming and deleting rooms and removing members, seen live.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, User, answer, close_code, encode, next_json, register_as, spawn_app,
    try_log_in,
};

async fn register_with(app: &TestApp, name: &str, invite: Option<&str>) -> (StatusCode, Value) {
    let user = app.client();
    let mut body = json!({"username": name, "password": PASSWORD});
    if let Some(code) = invite {
        body["invite"] = json!(code);
    }
    answer(user.call(Method::POST, "/users", Some(body)).await).await
}

#[tokio::test]
async fn every_admin_route_and_action_refuses_members() {
    let app = spawn_app().await;
    let admin = app.user("ada").await;
    let member = app.user("bea").await;
    assert_eq!(
        admin.create_room("lobby").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        member.join_room("lobby").await.status(),
        StatusCode::CREATED
    );
    let calls: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::GET, "/admin/users", None),
        (
            Method::PUT,
            "/admin/users/bea/role",
            Some(json!({"role": "admin"})),
        ),
        (
            Method::PUT,
            "/admin/users/ada/active",
            Some(json!({"active": false})),
        ),
        (Method::POST, "/admin/users/ada/reset-link", None),
        (Method::GET, "/admin/registration", None),
        (
            Method::PUT,
            "/admin/registration",
            Some(json!({"mode": "open"})),
        ),
        (Method::GET, "/admin/invites", None),
        (Method::POST, "/admin/invites", Some(json!({}))),
        (Method::DELETE, "/admin/invites/1", None),
        (
            Method::PATCH,
            "/rooms/lobby",
            Some(json!({"name": "mine now"})),
        ),
        (Method::DELETE, "/rooms/lobby", None),
        (Method::DELETE, "/rooms/lobby/members/ada", None),
    ];
    for (method, path, body) in calls {
        let (status, problem) = answer(member.call(method.clone(), path, body).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(problem["code"], "not_an_admin", "{method} {path}");
    }
    // Nothing happened.
    let rooms: Vec<Value> = admin.get("/api/v1/rooms").await.json().await.unwrap();
    assert_eq!(rooms[0]["name"], "lobby");
    assert_eq!(rooms[0]["members"], 2);
    let (status, me) = answer(member.call(Method::GET, "/session", None).await).await;
    assert_eq!(
        (status, me["role"].as_str()),
        (StatusCode::OK, Some("member"))
    );

    // Promoted, the same member may.
    let promoted = admin
        .call(
            Method::PUT,
            "/admin/users/bea/role",
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(promoted.status(), StatusCode::NO_CONTENT);
    let (status, list) = answer(member.call(Method::GET, "/admin/users", None).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 2);
    let (status, problem) = answer(
        admin
            .call(
                Method::PUT,
                "/admin/users/bea/role",
                Some(json!({"role": "bot"})),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["code"], "bad_role");
}

#[tokio::test]
async fn registration_modes_and_invitations_expired_used_up_and_revoked() {
    let app = spawn_app().await;
    let admin = app.user("ada").await;
    let set_mode = |mode: &'static str| {
        admin.call(
            Method::PUT,
            "/admin/registration",
            Some(json!({"mode": mode})),
        )
    };
    let (status, problem) = answer(set_mode("sometimes").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["code"], "bad_registration");
    assert_eq!(set_mode("invite").await.status(), StatusCode::OK);
    let (_, mode) = answer(admin.call(Method::GET, "/admin/registration", None).await).await;
    assert_eq!(mode["mode"], "invite");

    // Without an invitation: 403.
    let (status, problem) = register_with(&app, "walkin", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(problem["code"], "registration_closed");

    // An invitation for two: two register, the third is refused.
    let (status, made) = answer(
        admin
            .call(
                Method::POST,
                "/admin/invites",
                Some(json!({"hours": 2, "uses": 2})),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let code = made["code"].as_str().unwrap().to_owned();
    assert_eq!(made["url"], format!("/join/{code}"));
    assert_eq!(
        register_with(&app, "guest1", Some(&code)).await.0,
        StatusCode::CREATED
    );
    // A refused name uses nothing up.
    assert_eq!(
        register_with(&app, "guest1", Some(&code)).await.0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        register_with(&app, "guest2", Some(&code)).await.0,
        StatusCode::CREATED
    );
    let (status, problem) = register_with(&app, "guest3", Some(&code)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(problem["code"], "invite_used_up");
    // Used up, it no longer lists; the page says why.
    let (_, open) = answer(admin.call(Method::GET, "/admin/invites", None).await).await;
    assert_eq!(open, json!([]));
    let page = app.client().get(&format!("/join/{code}")).await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(page.text().await.unwrap().contains("used as many times"));

    // Revoked.
    let (_, made) = answer(
        admin
            .call(Method::POST, "/admin/invites", Some(json!({})))
            .await,
    )
    .await;
    let revoked = made["code"].as_str().unwrap().to_owned();
    let id = made["invite"]["id"].as_i64().unwrap();
    assert_eq!(made["invite"]["max_uses"], 1);
    let path = format!("/admin/invites/{id}");
    assert_eq!(
        admin.call(Method::DELETE, &path, None).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        admin.call(Method::DELETE, &path, None).await.status(),
        StatusCode::NOT_FOUND
    );
    let (status, problem) = register_with(&app, "guest4", Some(&revoked)).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("invite_revoked"))
    );

    // Expired.
    let (_, made) = answer(
        admin
            .call(Method::POST, "/admin/invites", Some(json!({})))
            .await,
    )
    .await;
    let expired = made["code"].as_str().unwrap().to_owned();
    app.run_sql("UPDATE invites SET expires_at = 1").await;
    let (status, problem) = register_with(&app, "guest5", Some(&expired)).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("invite_expired"))
    );

    // Unknown, and out of range.
    let (status, problem) = register_with(&app, "guest6", Some("no-such-code")).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_such_invite"))
    );
    assert_eq!(
        app.client().get("/join/no-such-code").await.status(),
        StatusCode::NOT_FOUND
    );
    for bad in [
        json!({"hours": 0}),
        json!({"hours": 721}),
        json!({"uses": 0}),
        json!({"uses": 1001}),
    ] {
        let (status, problem) = answer(
            admin
                .call(Method::POST, "/admin/invites", Some(bad.clone()))
                .await,
        )
        .await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_invite")),
            "{bad}"
        );
    }

    // Closed: nobody, invitation or not.
    let (_, made) = answer(
        admin
            .call(Method::POST, "/admin/invites", Some(json!({})))
            .await,
    )
    .await;
    let fresh = made["code"].as_str().unwrap().to_owned();
    assert_eq!(set_mode("closed").await.status(), StatusCode::OK);
    let (status, problem) = register_with(&app, "guest7", Some(&fresh)).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("registration_closed"))
    );
    // Open again: anyone.
    assert_eq!(set_mode("open").await.status(), StatusCode::OK);
    assert_eq!(
        register_as(&app.client(), "walkin", PASSWORD)
            .await
            .status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_deactivated_account_is_logged_out_everywhere_and_refused_until_reactivated() {
    let app = spawn_app().await;
    let admin = app.user("ada").await;
    let spammer = app.user("spam").await;
    assert_eq!(
        spammer.create_room("ads").await.status(),
        StatusCode::CREATED
    );
    let mut ws = spammer.ws("/api/v1/rooms/ads/ws").await;
    let mut page = spammer.ws("/ws").await;

    let off = admin
        .call(
            Method::PUT,
            "/admin/users/spam/active",
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(off.status(), StatusCode::NO_CONTENT);
    assert_eq!(close_code(&mut ws, 5).await, Some(1008));
    assert_eq!(close_code(&mut page, 5).await, Some(1008));
    assert_eq!(
        spammer.get("/api/v1/session").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (_, status, problem) = try_log_in(&app, "spam", PASSWORD).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("account_deactivated"))
    );
    // A wrong password still says only that.
    let (_, status, _) = try_log_in(&app, "spam", "not the password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, list) = answer(admin.call(Method::GET, "/admin/users", None).await).await;
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "spam")
        .unwrap()
        .clone();
    assert_eq!(row["deactivated"], true);

    // The last active admin cannot be deactivated (or demoted).
    let (status, problem) = answer(
        admin
            .call(
                Method::PUT,
                "/admin/users/ada/active",
                Some(json!({"active": false})),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("last_admin"))
    );
    let (status, _) = answer(
        admin
            .call(
                Method::PUT,
                "/admin/users/ada/role",
                Some(json!({"role": "member"})),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let on = admin
        .call(
            Method::PUT,
            "/admin/users/spam/active",
            Some(json!({"active": true})),
        )
        .await;
    assert_eq!(on.status(), StatusCode::NO_CONTENT);
    let (_, status, _) = try_log_in(&app, "spam", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let (status, problem) = answer(
        admin
            .call(
                Method::PUT,
                "/admin/users/nobody/active",
                Some(json!({"active": false})),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_such_user"))
    );
}

async fn reset_link(admin: &User, username: &str) -> String {
    let path = format!("/admin/users/{username}/reset-link");
    let (status, made) = answer(admin.call(Method::POST, &path, None).await).await;
    assert_eq!(status, StatusCode::CREATED);
    let url = made["url"].as_str().unwrap();
    url.strip_prefix("/reset/")
        .expect("a reset path")
        .to_owned()
}

#[tokio::test]
async fn a_reset_link_sets_a_password_once_ends_every_session_and_expires() {
    let app = spawn_app().await;
    let admin = app.user("ada").await;
    let forgetful = app.user("fay").await;
    let mut ws = forgetful.ws("/ws").await;
    let token = reset_link(&admin, "fay").await;

    // The page shows whose it is; the link is in no URL but its own.
    let page = app.client().get(&format!("/reset/{token}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("fay"));

    let browser = app.client();
    let weak = browser
        .call(
            Method::POST,
            "/password-resets",
            Some(json!({"token": token, "password": "password"})),
        )
        .await;
    assert_eq!(
        weak.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a weak password uses nothing up"
    );
    let (status, me) = answer(
        browser
            .call(
                Method::POST,
                "/password-resets",
                Some(json!({"token": token, "password": "a fresh start 2026"})),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "fay");
    assert_eq!(
        browser.get("/api/v1/session").await.status(),
        StatusCode::OK,
        "logged in"
    );
    assert_eq!(close_code(&mut ws, 5).await, Some(1008));
    assert_eq!(
        forgetful.get("/api/v1/session").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        try_log_in(&app, "fay", "a fresh start 2026").await.1,
        StatusCode::OK
    );
    assert_eq!(
        try_log_in(&app, "fay", PASSWORD).await.1,
        StatusCode::UNAUTHORIZED
    );

    // Twice: refused, and the page says so.
    let (status, problem) = answer(
        app.client()
            .call(
                Method::POST,
                "/password-resets",
                Some(json!({"token": token, "password": "someone else's now"})),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("reset_link_used"))
    );
    let page = app.client().get(&format!("/reset/{token}")).await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        try_log_in(&app, "fay", "someone else's now").await.1,
        StatusCode::UNAUTHORIZED
    );

    // Expired.
    let late = reset_link(&admin, "fay").await;
    app.run_sql("UPDATE password_resets SET expires_at = 1 WHERE used_at IS NULL")
        .await;
    let (status, problem) = answer(
        app.client()
            .call(
                Method::POST,
                "/password-resets",
                Some(json!({"token": late, "password": "too late for this"})),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("reset_link_expired"))
    );
    let (status, problem) = answer(
        app.client()
            .call(
                Method::POST,
                "/password-resets",
                Some(json!({"token": "made-up", "password": "too late for this"})),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_such_reset_link"))
    );
}

#[tokio::test]
async fn admins_rename_and_delete_rooms_and_remove_members_live() {
    let app = spawn_app().await;
    let admin = app.user("ada").await;
    let bea = app.user("bea").await;
    let cy = app.user("cyd").await;
    assert_eq!(
        bea.create_room("old name").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(cy.join_room("old name").await.status(), StatusCode::CREATED);
    let mut bea_ws = bea
        .ws(&format!("/api/v1/rooms/{}/ws", encode("old name")))
        .await;
    let mut cy_ws = cy
        .ws(&format!("/api/v1/rooms/{}/ws", encode("old name")))
        .await;

    let (status, room) = answer(
        admin
            .call(
                Method::PATCH,
                &format!("/rooms/{}", encode("old name")),
                Some(json!({"name": "新名字"})),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(room["name"], "新名字");
    let frame = loop {
        let frame = next_json(&mut bea_ws, 5).await;
        if frame["type"] == "renamed" {
            break frame;
        }
    };
    assert_eq!(frame["room"], "新名字");
    assert_eq!(
        bea.get(&format!("/api/v1/rooms/{}/messages", encode("old name")))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let said = bea.say("新名字", "still here").await;
    assert!(said > 0);
    assert_eq!(
        admin.create_room("taken").await.status(),
        StatusCode::CREATED
    );
    let (status, problem) = answer(
        admin
            .call(
                Method::PATCH,
                &format!("/rooms/{}", encode("新名字")),
                Some(json!({"name": "TAKEN"})),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("room_exists"))
    );

    // Removing a member closes their socket on it, and takes it off their list.
    let remove = format!("/rooms/{}/members/cyd", encode("新名字"));
    assert_eq!(
        admin.call(Method::DELETE, &remove, None).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(close_code(&mut cy_ws, 5).await, Some(1008));
    let rooms: Vec<Value> = cy.get("/api/v1/rooms").await.json().await.unwrap();
    assert!(rooms.is_empty(), "{rooms:?}");
    let (status, problem) = answer(admin.call(Method::DELETE, &remove, None).await).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_a_member"))
    );

    // Deleting the room: every member's socket closes, and the name is free.
    let room_path = format!("/rooms/{}", encode("新名字"));
    assert_eq!(
        admin.call(Method::DELETE, &room_path, None).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(close_code(&mut bea_ws, 5).await, Some(1008));
    assert_eq!(
        admin.call(Method::DELETE, &room_path, None).await.status(),
        StatusCode::NOT_FOUND
    );
    let all: Vec<Value> = bea
        .get("/api/v1/rooms?scope=all")
        .await
        .json()
        .await
        .unwrap();
    assert!(all.iter().all(|r| r["name"] != "新名字"), "{all:?}");
    assert_eq!(
        bea.create_room("新名字").await.status(),
        StatusCode::CREATED
    );

    // Direct rooms are their people's alone.
    let direct: Value = bea.open_direct(&["cyd"]).await.json().await.unwrap();
    let direct_path = format!("/rooms/{}", encode(direct["name"].as_str().unwrap()));
    let (status, problem) = answer(admin.call(Method::DELETE, &direct_path, None).await).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("direct_room"))
    );
}

/// A form post as a browser makes it (same origin), whatever the answer.
async fn submit(user: &User, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    user.http
        .post(user.url(path))
        .header("origin", user.url(""))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::helpers::form_body(form))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_admin_and_account_pages_work_without_javascript_and_escape_what_people_typed() {
    let app = spawn_app().await;
    let admin = app.user("ada").await;
    let member = app.user("bea").await;
    assert_eq!(
        admin.create_room("lounge").await.status(),
        StatusCode::CREATED
    );

    // Members get a 403 page, and no admin form works for them.
    let page = member.get("/admin").await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Only an admin can do that.")
    );
    let refused = submit(&member, "/admin/registration", &[("mode", "closed")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = submit(
        &member,
        "/admin/people/active",
        &[("username", "ada"), ("to", "off")],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(try_log_in(&app, "ada", PASSWORD).await.1, StatusCode::OK);

    // The admin's forms: registration, an invitation shown once, a bot, a webhook.
    let saved = submit(&admin, "/admin/registration", &[("mode", "invite")]).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let (_, mode) = answer(admin.call(Method::GET, "/admin/registration", None).await).await;
    assert_eq!(mode["mode"], "invite");
    let made = submit(&admin, "/admin/invites", &[("hours", "24"), ("uses", "3")]).await;
    assert_eq!(made.status(), StatusCode::OK);
    let html = made.text().await.unwrap();
    let link = regex::Regex::new(r#"value="(http://[^"]+/join/[A-Za-z0-9_-]{43})""#)
        .unwrap()
        .captures(&html)
        .expect("the new link is shown")[1]
        .to_owned();
    let code = link.rsplit('/').next().unwrap();
    assert_eq!(
        register_with(&app, "guest", Some(code)).await.0,
        StatusCode::CREATED
    );
    let again = admin.get("/admin").await.text().await.unwrap();
    assert!(!again.contains(code), "the link is shown once");
    assert!(again.contains("1 / 3"));
    let bad = submit(
        &admin,
        "/admin/invites",
        &[("hours", "9999"), ("uses", "1")],
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let bot = submit(&admin, "/admin/bots", &[("name", "<script>x")]).await;
    assert_eq!(
        bot.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a bot's name is a username"
    );
    let bot = submit(&admin, "/admin/bots", &[("name", "notifier")]).await;
    assert_eq!(bot.status(), StatusCode::OK);
    let evil = r#"https://example.com/"><script>alert(1)</script>"#;
    let hooked = submit(
        &admin,
        "/admin/bots/webhook",
        &[("name", "notifier"), ("url", evil)],
    )
    .await;
    assert_eq!(hooked.status(), StatusCode::OK);
    let html = admin.get("/admin").await.text().await.unwrap();
    assert!(!html.contains("<script>alert(1)"), "the URL is escaped");
    assert!(
        html.contains("&lt;script&gt;alert(1)") || html.contains("&#60;script"),
        "{html}"
    );

    // Rooms: renamed, a member removed, deleted, from the page.
    assert_eq!(
        member.join_room("lounge").await.status(),
        StatusCode::CREATED
    );
    let renamed = submit(
        &admin,
        "/admin/rooms/rename",
        &[("room", "lounge"), ("name", "salon")],
    )
    .await;
    assert_eq!(renamed.status(), StatusCode::SEE_OTHER);
    let removed = submit(
        &admin,
        "/admin/rooms/remove-member",
        &[("room", "salon"), ("username", "bea")],
    )
    .await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    assert!(
        member
            .get("/api/v1/rooms")
            .await
            .json::<Vec<Value>>()
            .await
            .unwrap()
            .is_empty()
    );
    let missing = submit(
        &admin,
        "/admin/rooms/remove-member",
        &[("room", "salon"), ("username", "nobody")],
    )
    .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let deleted = submit(&admin, "/admin/rooms/delete", &[("room", "salon")]).await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        admin.get("/rooms/salon").await.status(),
        StatusCode::NOT_FOUND
    );

    // People: deactivated from the page, shown as such.
    let off = submit(
        &admin,
        "/admin/people/active",
        &[("username", "bea"), ("to", "off")],
    )
    .await;
    assert_eq!(off.status(), StatusCode::SEE_OTHER);
    let html = admin.get("/admin").await.text().await.unwrap();
    assert!(html.contains("Deactivated"));

    // The account page lists sessions by their browser, escaped.
    let agent_login = app.client();
    let response = agent_login
        .http
        .post(agent_login.api("/session"))
        .header("user-agent", "<img src=x onerror=alert(1)>")
        .json(&json!({"username": "ada", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = admin.get("/account").await.text().await.unwrap();
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;") || html.contains("&#60;img"),
        "{html}"
    );
    assert!(!html.contains("<img src=x"));
    let wrong = submit(
        &admin,
        "/account/password",
        &[
            ("current_password", "nope nope"),
            ("new_password", "another fine passphrase"),
        ],
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Your current password is not right.")
    );
}

#[tokio::test]
async fn hearth_admin_reset_link_prints_a_link_that_works_once() {
    let app = spawn_app().await;
    let _admin = app.user("ada").await;
    let _fay = app.user("fay").await;
    let mut config = hearth::Config::for_tests(app.database_url.clone());
    config.public_url = Some("https://chat.example.org/".into());
    let link = hearth::ops::reset_link(&config, "FAY")
        .await
        .expect("a link");
    let token = link
        .strip_prefix("https://chat.example.org/reset/")
        .expect("the public address, then the path");
    let body = json!({"token": token, "password": "a fresh start 2026"});
    let used = app
        .client()
        .call(Method::POST, "/password-resets", Some(body.clone()))
        .await;
    assert_eq!(used.status(), StatusCode::OK);
    let again = app
        .client()
        .call(Method::POST, "/password-resets", Some(body))
        .await;
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
    assert!(hearth::ops::reset_link(&config, "nobody").await.is_err());
}

#[tokio::test]
async fn a_deactivated_member_is_marked_in_the_mention_list() {
    let app = spawn_app().await;
    let admin = app.user("ada").await;
    let cy = app.user("cyd").await;
    assert_eq!(admin.create_room("den").await.status(), StatusCode::CREATED);
    assert_eq!(cy.join_room("den").await.status(), StatusCode::CREATED);
    let list = admin
        .get("/rooms/den/mentionable?q=c")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("@cyd") && !list.contains("Deactivated"),
        "{list}"
    );
    let off = admin
        .call(
            Method::PUT,
            "/admin/users/cyd/active",
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(off.status(), StatusCode::NO_CONTENT);
    let list = admin
        .get("/rooms/den/mentionable?q=c")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        list.contains(r#"data-name="cyd""#) && list.contains("(Deactivated)"),
        "{list}"
    );
}
