//! English: the language the code is written in, and the default.

use super::Text;

pub const TEXT: Text = Text {
    lang_tag: "en",
    other_lang: "zh",
    other_lang_tag: "zh-CN",
    other_lang_name: "简体中文",
    language: "Language",

    log_in: "Log in",
    register: "Register",
    username: "Username",
    password: "Password",
    username_hint: "3–32 letters, digits, _ . or -",
    password_hint: "At least 8 characters.",
    new_here: "New here?",
    have_account: "Have an account?",

    skip_to_conversation: "Skip to the conversation",
    rooms: "Rooms",
    show_rooms: "Show rooms",
    join_a_room: "Join a room",
    create_a_room: "Create a room",
    no_rooms_hint: "You are not in any room yet. Create one, or join one someone else made.",
    log_out: "Log out",
    signed_in_as: "Signed in as",
    welcome: "Welcome, {name}",
    welcome_hint: "Pick a room from your list, or start a new one with “Create a room”.",
    unread: "unread",
    you: "(you)",
    name: "Name",
    cancel: "Cancel",
    create: "Create",
    close: "Close",
    nothing_to_join: "There are no rooms to join yet. Create one instead!",
    members_one: "{n} member",
    members_other: "{n} members",

    online: "online",
    connection_lost: "Connection lost. Reconnecting…",
    messages_in: "Messages in {room}",
    empty_room: "No messages yet. Say hello!",
    today: "Today",
    yesterday: "Yesterday",
    message: "Message",
    message_placeholder: "Message {room}",
    composer_hint: "Enter sends · Shift+Enter starts a new line",
    send: "Send",
    load_earlier: "Load earlier",

    back_to_rooms: "Back to your rooms",
};
