//! The pages' WebSockets, opened by htmx's ws extension. On a room page
//! (`/rooms/{name}/ws`) it streams the room's events as HTML fragments htmx swaps in (a
//! new message appended, an edit or reactions replaced in place, a deleted message
//! removed), keeps the "N online" count current, and catches up after a reconnect: on
//! every (re)connect the page sends `{"after_seq": <its seq>}` first. On every other
//! logged-in page (`/ws`) it keeps the sidebar live. Both keep the sidebar current (each
//! room's badge at the reader's notification level; rooms joined, opened with them or
//! left in another tab added or removed) and close with 1008 when the session ends.
//! The page says when its reader has reached the newest message (`{"read": <id>}`),
//! which moves the read marker (opening a room is not reading it), and when they type
//! (`{"typing": true}`, passed on at most every 3 s). A room page whose reader left the
//! room closes with 1008 "left the room", and the page goes to their rooms.

use std::{collections::HashMap, sync::Arc, time::Duration};

use tokio::time::Instant;

use askama::Template;
use poem::{
    IntoResponse, Request, handler,
    web::{Data, Path, websocket::WebSocket},
};
use serde::Deserialize;
use tokio::{
    sync::broadcast::{self, error::RecvError},
    time::timeout,
};
use tokio_stream::{StreamExt, StreamMap, wrappers::BroadcastStream};

use crate::{
    AppState,
    auth::CurrentUser,
    domain::Notify,
    error::AppResult,
    i18n::{Lang, Text},
    live::{
        Control, FloodJudge, RoomEvent, UserEvent,
        hub::UserChannel,
        socket::{self, CatchUpFailed, CloseReason, Gone, Incoming, SessionCheck, Socket},
    },
    metrics, people,
    render::html::{Presence, Unread, event_html},
    rooms::{self, Room},
    store::{
        events::EventKind,
        rooms::{RoomSummary, Scope},
    },
};

/// How long to wait for the page's resume frame before going live without it.
const RESUME_WAIT: Duration = Duration::from_secs(3);

/// `/rooms/{name}/ws`: a room page's socket.
#[handler]
pub async fn room_socket(
    lang: Lang,
    req: &Request,
    Path(name): Path<String>,
    user: CurrentUser,
    ws: WebSocket,
    state: Data<&AppState>,
) -> AppResult<impl IntoResponse> {
    let admitted = socket::admit(req.headers(), &state, &user, &name).await?;
    let joined = rooms::list(&state.db, &user, Scope::Joined).await?;
    let shares_typing = people::shares_typing(&state.db, user.id).await?;
    let state = state.clone();
    let listening = Listening {
        room: Some(admitted.room),
        control: admitted.control,
        user_events: admitted.user_events,
        joined,
        t: lang.text(),
        shares_typing,
    };
    Ok(ws
        .config(socket::config())
        .on_upgrade(move |ws| serve(state, user, listening, Socket::new(ws))))
}

/// `/ws`: the socket of every other logged-in page, for its sidebar.
#[handler]
pub async fn sidebar_socket(
    lang: Lang,
    req: &Request,
    user: CurrentUser,
    ws: WebSocket,
    state: Data<&AppState>,
) -> AppResult<impl IntoResponse> {
    let (control, user_events) = socket::admit_user(req.headers(), &state, &user).await?;
    let joined = rooms::list(&state.db, &user, Scope::Joined).await?;
    let state = state.clone();
    let listening = Listening {
        room: None,
        control,
        user_events,
        joined,
        t: lang.text(),
        shares_typing: false,
    };
    Ok(ws
        .config(socket::config())
        .on_upgrade(move |ws| serve(state, user, listening, Socket::new(ws))))
}

/// What a page's socket listens to.
struct Listening {
    /// The room the page shows, if it shows one.
    room: Option<Room>,
    control: broadcast::Receiver<Control>,
    user_events: UserChannel,
    /// The reader's rooms, with their unread counts when the socket opened.
    joined: Arc<[RoomSummary]>,
    /// The page's words, for the sidebar entries this socket adds.
    t: &'static Text,
    /// Whether others see this reader typing (their setting when the page opened).
    shares_typing: bool,
}

/// Typing frames closer together than this are not passed on.
const TYPING_EVERY: Duration = Duration::from_secs(3);

/// What a page sends: where it resumes from (first), and how far its reader has read.
#[derive(Deserialize)]
struct PageFrame {
    after_seq: Option<serde_json::Value>,
    read: Option<serde_json::Value>,
    typing: Option<serde_json::Value>,
}

/// A number, as JSON or as the string htmx sends form values as.
fn number(value: Option<serde_json::Value>) -> Option<i64> {
    match value? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn parse_resume(text: &str) -> Option<i64> {
    number(serde_json::from_str::<PageFrame>(text).ok()?.after_seq)
}

/// What a page said once it was live: it read up to a message, or its reader is typing.
enum Said {
    Read(i64),
    Typing,
    Nothing,
}

fn parse_page_frame(text: &str) -> Said {
    let Ok(frame) = serde_json::from_str::<PageFrame>(text) else {
        return Said::Nothing;
    };
    if let Some(read) = number(frame.read) {
        Said::Read(read)
    } else if matches!(frame.typing, Some(serde_json::Value::Bool(true))) {
        Said::Typing
    } else {
        Said::Nothing
    }
}

/// The next event of the page's room; never, on a page without one.
async fn next_in_room(
    events: &mut Option<broadcast::Receiver<RoomEvent>>,
) -> Result<RoomEvent, RecvError> {
    match events {
        Some(events) => events.recv().await,
        None => std::future::pending().await,
    }
}

/// A room's entry, added to the end of its list in the sidebar.
#[derive(Template)]
#[template(
    source = r#"{% import "partials/macros.html" as ui %}<ul hx-swap-oob="beforeend:#{{ list }}">{% call ui::room_link(t, room, false, viewer) %}{% endcall %}</ul>"#,
    ext = "html"
)]
struct AddedRoom<'a> {
    t: &'static Text,
    list: &'static str,
    room: &'a RoomSummary,
    viewer: &'a str,
}

/// A room's entry, removed from the sidebar.
#[derive(Template)]
#[template(
    source = r#"<li id="room-{{ room_id }}" hx-swap-oob="delete"></li>"#,
    ext = "html"
)]
struct RemovedRoom {
    room_id: i64,
}

fn added_room(t: &'static Text, viewer: &str, room: &RoomSummary) -> String {
    let list = if room.kind == "direct" {
        "dm-list"
    } else {
        "room-list"
    };
    AddedRoom {
        t,
        list,
        room,
        viewer,
    }
    .render()
    .unwrap_or_default()
}

/// The room open on this page has a new name: the page's script goes there.
#[derive(Template)]
#[template(
    source = r#"<div id="room-moved" hx-swap-oob="innerHTML"><span data-path="{{ path }}"></span></div>"#,
    ext = "html"
)]
struct RoomMoved {
    path: String,
}

/// The summary of a room just joined: nothing unread yet, at the room's default level.
fn just_joined(room_id: i64, last_seq: i64, name: String, direct: bool) -> RoomSummary {
    RoomSummary {
        id: room_id,
        // Only shown, never looked up by name.
        name_key: String::new(),
        name,
        kind: if direct { "direct" } else { "room" }.to_owned(),
        created_at: 0,
        last_seq,
        members: 0,
        unread: 0,
        mentioned: 0,
        last_read_id: 0,
        notify: None,
    }
}

async fn serve(state: AppState, user: CurrentUser, listening: Listening, mut socket: Socket) {
    let Listening {
        room,
        mut control,
        mut user_events,
        joined,
        t,
        mut shares_typing,
    } = listening;
    let hub = &state.hub;
    let current = room.as_ref().map(|r| r.id);
    let mut events = room.as_ref().map(|r| hub.subscribe(r.id, r.last_seq));
    let _gauge = metrics::SocketGauge::open();
    // The page's own room: its badge only ever clears (the reader is in it).
    let mut here = joined
        .iter()
        .find(|r| Some(r.id) == current)
        .map(Unread::of);
    // Frames that do nothing (a read marker already there, typing too often, what is
    // not a page frame at all): a socket sending them without end is closed (1008),
    // as the JSON socket is. Each read that moves the marker is a write: never free.
    let mut flood = FloodJudge::for_socket();
    let mut read_up_to = 0;
    // Other rooms only feed the sidebar's unread badges.
    let mut unread: HashMap<i64, Unread> = HashMap::new();
    let mut elsewhere = StreamMap::new();
    for other in joined.iter().filter(|r| Some(r.id) != current) {
        unread.insert(other.id, Unread::of(other));
        elsewhere.insert(
            other.id,
            BroadcastStream::new(hub.subscribe(other.id, other.last_seq)),
        );
    }
    let _online = room.as_ref().map(|r| hub.enter(r.id, user.id));

    let mut last = 0;
    if let Some(room) = &room {
        // Catch up from where the page is before going live. The browser may answer
        // our first ping before its script sends the resume frame: skip control frames.
        let first_text = timeout(RESUME_WAIT, async {
            loop {
                match socket.receive().await {
                    Ok(Incoming::Nothing) => continue,
                    other => return other,
                }
            }
        });
        let from = match first_text.await {
            Ok(Ok(Incoming::Text(text))) => parse_resume(&text).unwrap_or(room.last_seq),
            Ok(Ok(Incoming::TooBig)) => return socket.close(CloseReason::TooBig).await,
            Ok(Ok(Incoming::Broken(reason))) => return socket.close(reason).await,
            Ok(Err(Gone)) => return,
            _ => room.last_seq,
        };
        last = match socket.catch_up(&state.db, room.id, from, event_html).await {
            Ok(seq) => seq,
            Err(CatchUpFailed::Gone) => return,
            Err(CatchUpFailed::Store(err)) => {
                tracing::error!(%err, "page catch-up failed");
                return socket
                    .close(CloseReason::TryAgain("catch-up failed; retry"))
                    .await;
            }
        };
    }
    // The badges as they are now, read again now that every room is subscribed to: a
    // message committed before this read is in its count, and one after it arrives
    // live (anything live at or below the seq read here is counted already). A
    // reconnecting page may show stale ones.
    let mut counted: HashMap<i64, i64> = HashMap::new();
    match rooms::list(&state.db, &user, Scope::Joined).await {
        Ok(now) => {
            for r in now.iter() {
                if let Some(badge) = unread.get_mut(&r.id) {
                    *badge = Unread::of(r);
                    counted.insert(r.id, r.last_seq);
                }
            }
        }
        Err(err) => tracing::warn!(%err, "re-reading the sidebar's counts failed"),
    }
    let mut opening: Vec<String> = unread.values().map(Unread::badge_html).collect();
    if let Some(room) = &room {
        opening.push(Presence::new(hub.online(room.id)).html);
    }
    if socket.send_all(opening).await.is_err() {
        return;
    }

    let mut session = SessionCheck::new(state.session_recheck, &user.login);
    let mut last_typing: Option<Instant> = None;
    let reason = loop {
        tokio::select! {
            event = next_in_room(&mut events) => {
                let Some(room_events) = events.as_mut() else { continue };
                let batch = match socket::with_waiting_events(event, room_events) {
                    Ok(batch) => batch,
                    Err(RecvError::Lagged(_)) => break Some(CloseReason::TryAgain("too slow; reconnect")),
                    Err(RecvError::Closed) => break Some(CloseReason::Restart),
                };
                let mut fragments = Vec::with_capacity(batch.len());
                let mut delivered = metrics::Deliveries::start();
                for event in batch {
                    match event {
                        RoomEvent::Delivery(d) if d.seq() > last => {
                            last = d.seq();
                            // Their message is out: what they type next is news again.
                            if matches!(&d.event.kind, EventKind::Message(m) if m.sender_id == user.id) {
                                last_typing = None;
                            }
                            if let Some(sent_at) = d.sent_at() {
                                delivered.add(sent_at);
                            }
                            fragments.push(d.html.clone());
                        }
                        RoomEvent::Delivery(_) => {}
                        RoomEvent::Presence(p) => fragments.push(p.html.clone()),
                        RoomEvent::Typing(typing) if typing.user_id != user.id => {
                            fragments.push(typing.html.clone());
                        }
                        RoomEvent::Typing(_) => {}
                    }
                }
                if socket.send_all(fragments).await.is_err() {
                    break None;
                }
                delivered.record();
            },
            Some((room_id, event)) = elsewhere.next() => {
                // A badge that missed a message would stay wrong: reconnect, and the
                // page comes back with every count read afresh.
                if event.is_err() {
                    break Some(CloseReason::TryAgain("too slow; reconnect"));
                }
                if let Ok(RoomEvent::Delivery(d)) = event
                    && let EventKind::Message(m) = &d.event.kind
                    && m.sender_id != user.id
                    && counted.get(&room_id).is_none_or(|seq| d.seq() > *seq)
                    && let Some(badge) = unread.get_mut(&room_id)
                {
                    let before = *badge;
                    badge.unread += 1;
                    if m.mentions.includes(user.id) {
                        badge.mentioned += 1;
                    }
                    let changed = badge.text() != before.text()
                        || badge.mention_text() != before.mention_text()
                        || badge.bold() != before.bold();
                    if changed && socket.send_text(badge.badge_html()).await.is_err() {
                        break None;
                    }
                }
            },
            incoming = socket.receive() => {
                // Whether the frame did nothing (see `flood`).
                let idle = match incoming {
                    Ok(Incoming::Text(text)) => match (&room, parse_page_frame(&text)) {
                        // The reader reached the newest message: the room is read, and
                        // its badge on this page goes (the answer to every read frame).
                        // (A late resume frame, or anything else, needs no answer.)
                        (Some(room), Said::Read(read)) => {
                            let moved = read > read_up_to
                                && match rooms::mark_read(&state.db, &**hub, user.id, room, read).await {
                                    Ok(moved) => moved,
                                    // Not the client's doing: not counted against it.
                                    Err(err) => {
                                        tracing::warn!(%err, "saving the read marker failed");
                                        true
                                    }
                                };
                            if moved {
                                read_up_to = read;
                            }
                            if let Some(badge) = here.as_mut() {
                                badge.unread = 0;
                                badge.mentioned = 0;
                                if socket.send_text(badge.badge_html()).await.is_err() {
                                    break None;
                                }
                            }
                            !moved
                        }
                        // At most one "typing" every few seconds, from those who share it.
                        (Some(room), Said::Typing)
                            if shares_typing
                                && last_typing.is_none_or(|at| at.elapsed() >= TYPING_EVERY) =>
                        {
                            last_typing = Some(Instant::now());
                            hub.typing(room.id, &room.name, user.id, &user.username);
                            false
                        }
                        _ => true,
                    },
                    Ok(Incoming::Binary) => true,
                    Ok(Incoming::Nothing) => false,
                    Ok(Incoming::TooBig) => break Some(CloseReason::TooBig),
                    Ok(Incoming::Broken(reason)) => break Some(reason),
                    Err(Gone) => break None,
                };
                if idle && flood.refused() {
                    break Some(CloseReason::Policy("too many frames"));
                }
            },
            control = control.recv() => match control {
                Ok(Control::Shutdown) | Err(RecvError::Closed) => break Some(CloseReason::Restart),
                Ok(Control::RecheckSessions) => {
                    if !session.still_signed_in(&state.db).await {
                        break Some(CloseReason::Policy("session ended"));
                    }
                }
                // A missed control event may be a missed shutdown: reconnect and be checked again.
                Err(RecvError::Lagged(_)) => break Some(CloseReason::TryAgain("missed a control event; reconnect")),
            },
            mine = user_events.recv() => {
                let said = match mine {
                    Ok(UserEvent::Revoke { login }) if login == user.login => break Some(CloseReason::Policy("logged out")),
                    Ok(UserEvent::RevokeAll) => break Some(CloseReason::Policy("logged out")),
                    Ok(UserEvent::Left { room_id }) if Some(room_id) == current => break Some(CloseReason::Left),
                    Ok(UserEvent::Joined { room_id, last_seq, name, direct }) if Some(room_id) != current && !unread.contains_key(&room_id) => {
                        let joined = just_joined(room_id, last_seq, name, direct);
                        unread.insert(room_id, Unread::of(&joined));
                        elsewhere.insert(room_id, BroadcastStream::new(hub.subscribe(room_id, last_seq)));
                        Some(added_room(t, &user.username, &joined))
                    }
                    Ok(UserEvent::Left { room_id }) => {
                        unread.remove(&room_id);
                        elsewhere.remove(&room_id);
                        Some(RemovedRoom { room_id }.render().unwrap_or_default())
                    }
                    // The room open here was renamed: the page moves to its new address.
                    Ok(UserEvent::Renamed { room_id, name }) if Some(room_id) == current => {
                        Some(RoomMoved { path: crate::render::room_path(&name) }.render().unwrap_or_default())
                    }
                    Ok(UserEvent::Renamed { room_id, name }) => unread.get(&room_id).map(|badge| {
                        let mut room = just_joined(room_id, 0, name, false);
                        room.unread = badge.unread;
                        room.mentioned = badge.mentioned;
                        room.notify = Some(badge.notify.as_str().to_owned());
                        let removed = RemovedRoom { room_id }.render().unwrap_or_default();
                        removed + &added_room(t, &user.username, &room)
                    }),
                    Ok(UserEvent::SharesTyping { shares }) => {
                        shares_typing = shares;
                        None
                    }
                    Ok(UserEvent::Read { room_id }) => unread
                        .get_mut(&room_id)
                        .filter(|b| b.unread > 0 || b.mentioned > 0)
                        .map(|badge| {
                            badge.unread = 0;
                            badge.mentioned = 0;
                            badge.badge_html()
                        }),
                    Ok(UserEvent::Notify { room_id, notify }) => {
                        let notify = Notify::parse(&notify).ok();
                        let badge = if Some(room_id) == current { here.as_mut() } else { unread.get_mut(&room_id) };
                        match (badge, notify) {
                            (Some(badge), Some(notify)) => {
                                badge.notify = notify;
                                Some(badge.badge_html())
                            }
                            _ => None,
                        }
                    }
                    Ok(_) => None,
                    // A missed event may be a missed logout: reconnect and be checked again.
                    Err(RecvError::Lagged(_)) => break Some(CloseReason::TryAgain("missed an event; reconnect")),
                    Err(RecvError::Closed) => break Some(CloseReason::Restart),
                };
                if let Some(fragment) = said
                    && socket.send_text(fragment).await.is_err()
                {
                    break None;
                }
            },
            _ = session.due() => {
                if !session.still_signed_in(&state.db).await {
                    break Some(CloseReason::Policy("session ended"));
                }
            },
        }
    };
    if let Some(reason) = reason {
        socket.close(reason).await;
    }
}
