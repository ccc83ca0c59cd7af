//! The room page's WebSocket (`/rooms/{name}/ws`, opened by htmx's ws extension). It
//! streams new messages as HTML fragments htmx swaps in, keeps the "N online" count
//! and the sidebar's unread badges current, and catches up after a reconnect: on
//! every (re)connect the page sends `{"after": <newest id it shows>}` first.

use std::{collections::HashMap, time::Duration};

use askama::Template;
use poem::{
    IntoResponse, Request, handler,
    web::{Data, Path, websocket::WebSocket},
};
use serde::Deserialize;
use tokio::{
    sync::broadcast::{self, error::RecvError},
    time::{Instant, timeout},
};
use tokio_stream::{StreamExt, StreamMap, wrappers::BroadcastStream};

use crate::{
    AppState,
    auth::CurrentUser,
    error::AppResult,
    live::{
        Control, RoomEvent,
        frames::{Presence, UnreadBadge, message_html},
        socket::{self, CatchUpFailed, CloseReason, Gone, Incoming, Socket},
    },
    metrics,
    rooms::{self, Room},
    store::rooms::{RoomSummary, Scope},
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
    let (room, control) = socket::admit(req.headers(), &state, &user, &name).await?;
    let others = rooms::list(&state.db, &user, Scope::Joined).await?;
    let state = state.clone();
    Ok(ws
        .config(socket::config())
        .on_upgrade(move |ws| serve(state, user, room, others, control, Socket::new(ws))))
}

#[derive(Deserialize)]
struct ResumeFrame {
    /// htmx sends form values as strings.
    after: Option<serde_json::Value>,
}

fn parse_resume(text: &str) -> Option<i64> {
    let frame: ResumeFrame = serde_json::from_str(text).ok()?;
    match frame.after? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

async fn serve(
    state: AppState,
    user: CurrentUser,
    room: Room,
    joined: Vec<RoomSummary>,
    mut control: broadcast::Receiver<Control>,
    mut socket: Socket,
) {
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
    let mut last = 0;
    let first_text = timeout(RESUME_WAIT, async {
        loop {
            match socket.receive().await {
                Ok(Incoming::Nothing) => continue,
                other => return other,
            }
        }
    });
    if let Ok(Ok(Incoming::Text(text))) = first_text.await
        && let Some(after) = parse_resume(&text)
    {
        match socket
            .catch_up(&state.db, room.id, after, message_html)
            .await
        {
            Ok(id) => last = id,
            Err(CatchUpFailed::Gone) => return,
            Err(CatchUpFailed::Store(err)) => {
                tracing::error!(%err, "page catch-up failed");
                return socket
                    .close(CloseReason::TryAgain("catch-up failed; retry"))
                    .await;
            }
        }
    }
    let online = Presence::new(hub.online(room.id));
    if socket.send_text(online.html).await.is_err() {
        return;
    }

    // The read marker is saved at most every SAVE_READ_EVERY, and only after new
    // messages: an idle page sets no timer at all.
    let mut read_saved = last;
    let save_read = tokio::time::sleep(SAVE_READ_EVERY);
    tokio::pin!(save_read);
    let mut save_read_armed = false;
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
                        RoomEvent::Message(d) if d.message.id > last => {
                            last = d.message.id;
                            delivered.add(d.message.sent_at);
                            fragments.push(d.html.clone());
                        }
                        RoomEvent::Message(_) => {}
                        RoomEvent::Presence(p) => fragments.push(p.html.clone()),
                    }
                }
                if socket.send_all(fragments).await.is_err() {
                    break None;
                }
                delivered.record();
                if last > read_saved && !save_read_armed {
                    save_read_armed = true;
                    save_read.as_mut().reset(Instant::now() + SAVE_READ_EVERY);
                }
            },
            Some((room_id, event)) = elsewhere.next() => {
                if let Ok(RoomEvent::Message(d)) = event
                    && d.message.sender_id != user.id
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
                Err(Gone) => break None,
            },
            control = control.recv() => match control {
                Ok(Control::Revoke(login)) if login == user.login => break Some(CloseReason::Policy("logged out")),
                Ok(Control::Shutdown) | Err(RecvError::Closed) => break Some(CloseReason::Restart),
                Ok(Control::Joined { user_id, room_id, last_seq })
                    if user_id == user.id && room_id != room.id && !elsewhere.contains_key(&room_id) =>
                {
                    unread.insert(room_id, 0);
                    elsewhere.insert(room_id, BroadcastStream::new(hub.subscribe(room_id, last_seq)));
                }
                _ => {}
            },
            _ = &mut save_read, if save_read_armed => {
                save_read_armed = false;
                if last > read_saved {
                    read_saved = last;
                    if let Err(err) = rooms::mark_read(&state.db, user.id, &room, last).await {
                        tracing::warn!(%err, "saving the read marker failed");
                    }
                }
            },
        }
    };
    if last > read_saved {
        let _ = rooms::mark_read(&state.db, user.id, &room, last).await;
    }
    if let Some(reason) = reason {
        socket.close(reason).await;
    }
}
