//! The rooms sidebar: its buttons, its links, and the create and join dialogs htmx opens.

use super::*;

#[tokio::test]
async fn your_rooms_page_has_join_and_create_buttons_and_links_to_your_rooms_only() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.create_room("Alpha").await;
    alice.create_room("Beta").await;
    bob.create_room("Gamma").await;

    let (status, html) = page(alice.get("/rooms").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(has_button(&html, "Join a room") && has_button(&html, "Create a room"));
    let links = attr_values(&html, "href");
    assert!(links.contains(&"/rooms/Alpha") && links.contains(&"/rooms/Beta"));
    assert!(!links.contains(&"/rooms/Gamma"), "not a room alice is in");
    let dialogs = attr_values(&html, "hx-get");
    assert!(dialogs.contains(&"/dialogs/create-room") && dialogs.contains(&"/dialogs/join-room"));
}

#[tokio::test]
async fn creating_a_room_in_the_dialog_adds_it_to_the_sidebar() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let (status, dialog) = page(htmx_get(&alice, "/dialogs/create-room").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(dialog.trim_start().starts_with("<dialog"), "{dialog}");
    assert!(has_labelled_input(&dialog, "Name"));
    assert!(find_tag(&dialog, "<input", "name=\"name\"").is_some());

    // With htmx, the dialog takes you into the new room.
    let added = htmx_submit(&alice, "/rooms", &[("name", "Garden")]).await;
    assert_eq!(added.status(), StatusCode::OK);
    assert_eq!(header(&added, "HX-Redirect"), "/rooms/Garden");
    assert_eq!(joined_rooms(&alice).await, ["Garden"]);

    // Without JavaScript, the form takes you to the new room.
    assert_redirect(
        &submit(&alice, "/rooms", &[("name", "Porch")]).await,
        "/rooms/Porch",
    );
    let (_, html) = page(alice.get("/rooms").await).await;
    let links = attr_values(&html, "href");
    assert!(links.contains(&"/rooms/Garden") && links.contains(&"/rooms/Porch"));
}

#[tokio::test]
async fn a_taken_or_invalid_room_name_shows_its_error_in_the_dialog() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    alice.create_room("Garden").await;
    let long = "r".repeat(65);
    let cases = [
        ("garden", 409, "A room with that name already exists."),
        ("a/b", 422, "Room name may contain only letters"),
        ("   ", 422, "Room name must be 1 to 64 characters long."),
        (
            long.as_str(),
            422,
            "Room name must be 1 to 64 characters long.",
        ),
    ];
    for (name, status, error) in cases {
        let (got, dialog) = page(htmx_submit(&alice, "/rooms", &[("name", name)]).await).await;
        assert_eq!(got.as_u16(), status, "creating {name:?}");
        assert!(dialog.contains("<dialog"), "the dialog stays open");
        assert!(dialog.contains(error), "{name:?} shows {error:?}: {dialog}");
        assert!(
            !dialog.contains("hx-swap-oob"),
            "nothing is added to the sidebar"
        );
    }
    assert_eq!(joined_rooms(&alice).await, ["Garden"]);
}

#[tokio::test]
async fn the_join_dialog_lists_rooms_you_are_not_in_and_joining_adds_one() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.create_room("Study").await;
    bob.create_room("Kitchen").await;
    bob.create_room("Attic").await;

    let (status, dialog) = page(htmx_get(&alice, "/dialogs/join-room").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(dialog.contains("<dialog"));
    assert!(dialog.contains("Kitchen") && dialog.contains("Attic"));
    assert!(!dialog.contains("Study"), "alice is already in Study");

    // Joining takes you into the room.
    let added = htmx_submit(&alice, "/rooms/Kitchen/join", &[]).await;
    assert_eq!(added.status(), StatusCode::OK);
    assert_eq!(header(&added, "HX-Redirect"), "/rooms/Kitchen");
    assert_eq!(joined_rooms(&alice).await, ["Kitchen", "Study"]);
    assert_eq!(alice.get("/rooms/Kitchen").await.status(), StatusCode::OK);

    let (_, dialog) = page(htmx_get(&alice, "/dialogs/join-room").await).await;
    assert!(!dialog.contains("Kitchen") && dialog.contains("Attic"));

    let (status, again) = page(htmx_submit(&alice, "/rooms/Kitchen/join", &[]).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(again.contains("<dialog") && again.contains("You are already a member"));
    let (status, gone) = page(htmx_submit(&alice, "/rooms/Cellar/join", &[]).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(gone.contains("There is no room with that name."));

    // Without JavaScript, joining takes you to the room.
    assert_redirect(
        &submit(&alice, "/rooms/Attic/join", &[]).await,
        "/rooms/Attic",
    );
}
