//! The room page's WebSocket (`/rooms/{name}/ws`, opened by htmx's ws extension). It
//! streams the room's events as HTML fragments htmx swaps in (a new message appended,
//! an edit or reactions replaced in place, a deleted message removed), keeps the
//! "N online" count and the sidebar's unread badges current, and catches up after a
//! reconnect: on every (re)connect the page sends `{"after_seq": <its seq>}` first.

use std::{collections::HashMap, time::Duration};

use askama::Template;
use poem::{
    IntoResponse, Request, handler,
    web::{Data, Path, websocket::WebSocket},
};
use serde::Deserialize;
use tokio::{
    sync::broadcast::error::RecvError,
    time::{Instant, timeout},
};
use tokio_stream::{StreamExt, StreamMap, wrappers::BroadcastStream};

use crate::{
    AppState,
    auth::CurrentUser,
    error::AppResult,
    live::{
        Control, RoomEvent, UserEvent,
        socket::{
            self, Admitted, CatchUpFailed, CloseReason, Gone, Incoming, SessionCheck, Socket,
        },
    },
    metrics,
    render::html::{Presence, UnreadBadge, event_html},
    rooms,
    store::{
        events::EventKind,
        rooms::{RoomSummary, Scope},
    },
};

/// How long to wait for the page's resume frame before going live without it.
const RESUME_WAIT: Duration = Duration::from_secs(3);
/// How often the read marker is saved while messages stream in.
const SAVE_READ_EVERY: Duration = Duration::from_secs(2);

#[handler]
pub async fn room_socket(
    req: &Request,
    Path(name): Path<String>,
    user: CurrentUser,
    ws: WebSocket,
    state: Data<&AppState>,
) -> AppResult<impl IntoResponse> {
    let admitted = socket::admit(req.headers(), &state, &user, &name).await?;
    let others = rooms::list(&state.db, &user, Scope::Joined).await?;
    let state = state.clone();
    Ok(ws
        .config(socket::config())
        .on_upgrade(move |ws| serve(state, user, admitted, others, Socket::new(ws))))
}

#[derive(Deserialize)]
struct ResumeFrame {
    /// htmx sends form values as strings.
    after_seq: Option<serde_json::Value>,
}

fn parse_resume(text: &str) -> Option<i64> {
    let frame: ResumeFrame = serde_json::from_str(text).ok()?;
    match frame.after_seq? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

async fn serve(
    state: AppState,
    user: CurrentUser,
    admitted: Admitted,
    joined: Vec<RoomSummary>,
    mut socket: Socket,
) {
    let Admitted {
        room,
        mut control,
        mut user_events,
    } = admitted;
    let hub = &state.hub;
    let mut events = hub.subscribe(room.id, room.last_seq);
    let _gauge = metrics::SocketGauge::open();
    // Other rooms only feed the sidebar's unread badges.
    let mut unread: HashMap<i64, i64> = HashMap::new();
    let mut elsewhere = StreamMap::new();
    for other in joined.iter().filter(|r| r.id != room.id) {
        unread.insert(other.id, other.unread);
        elsewhere.insert(
            other.id,
            BroadcastStream::new(hub.subscribe(other.id, other.last_seq)),
        );
    }
    let _online = hub.enter(room.id, user.id);

    // Catch up from where the page is before going live. The browser may answer our
    // first ping before its script sends the resume frame: skip control frames.
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
    // The newest message shown, for the read marker (0: none yet).
    let mut newest_message = 0;
    let mut last = match socket
        .catch_up(&state.db, room.id, from, |event| {
            if let EventKind::Message(m) = &event.kind {
                newest_message = newest_message.max(m.id);
            }
            event_html(event)
        })
        .await
    {
        Ok(seq) => seq,
        Err(CatchUpFailed::Gone) => return,
        Err(CatchUpFailed::Store(err)) => {
            tracing::error!(%err, "page catch-up failed");
            return socket
                .close(CloseReason::TryAgain("catch-up failed; retry"))
                .await;
        }
    };
    let online = Presence::new(hub.online(room.id));
    if socket.send_text(online.html).await.is_err() {
        return;
    }

    let mut session = SessionCheck::new(state.session_recheck, &user.login);
    // The read marker is saved at most every SAVE_READ_EVERY, and only after new
    // messages: an idle page sets no timer at all.
    let mut read_saved = 0;
    let save_read = tokio::time::sleep(SAVE_READ_EVERY);
    tokio::pin!(save_read);
    let mut save_read_armed = newest_message > 0;
    let reason = loop {
        tokio::select! {
            event = events.recv() => {
                let batch = match socket::with_waiting_events(event, &mut events) {
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
                            if let Some(sent_at) = d.sent_at() {
                                delivered.add(sent_at);
                                newest_message = newest_message.max(d.event.message_id());
                            }
                            fragments.push(d.html.clone());
                        }
                        RoomEvent::Delivery(_) => {}
                        RoomEvent::Presence(p) => fragments.push(p.html.clone()),
                    }
                }
                if socket.send_all(fragments).await.is_err() {
                    break None;
                }
                delivered.record();
                if newest_message > read_saved && !save_read_armed {
                    save_read_armed = true;
                    save_read.as_mut().reset(Instant::now() + SAVE_READ_EVERY);
                }
            },
            Some((room_id, event)) = elsewhere.next() => {
                if let Ok(RoomEvent::Delivery(d)) = event
                    && let EventKind::Message(m) = &d.event.kind
                    && m.sender_id != user.id
                {
                    let count = unread.entry(room_id).or_default();
                    *count += 1;
                    let badge = UnreadBadge { room_id, unread: *count, oob: true };
                    if socket.send_text(badge.render().unwrap_or_default()).await.is_err() {
                        break None;
                    }
                }
            },
            incoming = socket.receive() => match incoming {
                // A late resume frame (or anything else) needs no answer.
                Ok(Incoming::Text(_) | Incoming::Binary | Incoming::Nothing) => {}
                Ok(Incoming::TooBig) => break Some(CloseReason::TooBig),
                Ok(Incoming::Broken(reason)) => break Some(reason),
                Err(Gone) => break None,
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
            mine = user_events.recv() => match mine {
                Ok(UserEvent::Revoke { login }) if login == user.login => break Some(CloseReason::Policy("logged out")),
                Ok(UserEvent::Joined { room_id, last_seq }) if room_id != room.id && !elsewhere.contains_key(&room_id) => {
                    unread.insert(room_id, 0);
                    elsewhere.insert(room_id, BroadcastStream::new(hub.subscribe(room_id, last_seq)));
                }
                Ok(UserEvent::Read { room_id }) if room_id != room.id => {
                    if let Some(count) = unread.get_mut(&room_id).filter(|c| **c > 0) {
                        *count = 0;
                        let badge = UnreadBadge { room_id, unread: 0, oob: true };
                        if socket.send_text(badge.render().unwrap_or_default()).await.is_err() {
                            break None;
                        }
                    }
                }
                Ok(_) => {}
                // A missed event may be a missed logout: reconnect and be checked again.
                Err(RecvError::Lagged(_)) => break Some(CloseReason::TryAgain("missed an event; reconnect")),
                Err(RecvError::Closed) => break Some(CloseReason::Restart),
            },
            _ = session.due() => {
                if !session.still_signed_in(&state.db).await {
                    break Some(CloseReason::Policy("session ended"));
                }
            },
            _ = &mut save_read, if save_read_armed => {
                save_read_armed = false;
                if newest_message > read_saved {
                    read_saved = newest_message;
                    if let Err(err) = rooms::mark_read(&state.db, hub, user.id, &room, newest_message).await {
                        tracing::warn!(%err, "saving the read marker failed");
                    }
                }
            },
        }
    };
    if newest_message > read_saved {
        let _ = rooms::mark_read(&state.db, hub, user.id, &room, newest_message).await;
    }
    if let Some(reason) = reason {
        socket.close(reason).await;
    }
}
