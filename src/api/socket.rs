//! The JSON WebSocket for integrations: `GET /api/v1/rooms/{name}/ws?after_seq=S`
//! (or the older `?after=ID`). Everything is checked before the upgrade (401, 403, 404,
//! 503), so a refused client gets a clear HTTP answer rather than a socket that closes
//! at once.

use futures_util::{StreamExt, stream::FuturesOrdered};
use poem::{
    IntoResponse, Request, handler,
    web::{Data, Path, Query, websocket::WebSocket},
};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use crate::{
    AppState,
    auth::CurrentUser,
    error::{AppError, AppResult, Code},
    i18n::{Lang, error_text},
    live::{
        Control, FloodJudge, RoomEvent, UserEvent,
        socket::{
            self, Admitted, CatchUpFailed, CloseReason, Gone, Incoming, SessionCheck, Socket,
        },
    },
    messages::{self, Pending},
    metrics, people,
    render::json::{error_frame, event_frame, message_frame},
    rooms::Target,
    store::{events::Written, messages::Stored},
};

/// Messages one socket may have waiting for the database before it stops reading.
const MAX_IN_FLIGHT: usize = 256;

#[derive(Debug, Deserialize)]
pub struct Resume {
    /// Every event after this seq, then live ones.
    after_seq: Option<i64>,
    /// The older form: every message after this id (and every event since).
    after: Option<i64>,
}

#[handler]
pub async fn room_socket(
    req: &Request,
    Path(name): Path<String>,
    Query(resume): Query<Resume>,
    user: CurrentUser,
    ws: WebSocket,
    state: Data<&AppState>,
) -> AppResult<impl IntoResponse> {
    let admitted = socket::admit(req.headers(), &state, &user, &name).await?;
    let state = state.clone();
    Ok(ws
        .config(socket::config())
        .on_upgrade(move |ws| serve(state, user, admitted, resume, Socket::new(ws))))
}

/// What an integration sends.
#[derive(Debug, Deserialize)]
struct ClientFrame {
    text: Option<String>,
    client_id: Option<String>,
    /// `{"typing":true}`: the client's person is typing (passed on at most every 3 s).
    typing: Option<bool>,
}

/// What a client frame asks for.
enum Asked {
    Send(Pending),
    Typing,
}

/// Typing frames closer together than this are not passed on.
const TYPING_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

async fn serve(
    state: AppState,
    user: CurrentUser,
    admitted: Admitted,
    resume: Resume,
    mut socket: Socket,
) {
    let Admitted {
        room,
        mut control,
        mut user_events,
    } = admitted;
    // Subscribe before reading the database: nothing committed in between is missed,
    // and `last` drops what both paths deliver.
    let mut events = state.hub.subscribe(room.id, room.last_seq);
    let _gauge = metrics::SocketGauge::open();
    let _online = state.hub.enter(room.id, user.id);
    let caught_up =
        match socket::resume_point(&state.db, &room, resume.after_seq, resume.after).await {
            Ok(from) => socket.catch_up(&state.db, room.id, from, event_frame).await,
            Err(err) => Err(CatchUpFailed::Store(err)),
        };
    let mut last = match caught_up {
        Ok(seq) => seq,
        Err(CatchUpFailed::Gone) => return,
        Err(CatchUpFailed::Store(err)) => {
            tracing::error!(%err, "catch-up failed");
            return socket
                .close(CloseReason::TryAgain("catch-up failed; retry"))
                .await;
        }
    };
    // From here on the socket needs only the room's id and its name (which a rename
    // changes): what each message it sends is given.
    let mut room = Target::from(room);
    let mut session = SessionCheck::new(state.session_recheck, &user.login);
    // Messages on their way to the database, in the order sent: the socket keeps
    // reading while earlier ones commit, so one integration can send quickly.
    let mut in_flight = FuturesOrdered::new();
    let mut flood = FloodJudge::for_socket();
    let mut last_typing: Option<std::time::Instant> = None;
    let mut shares_typing = people::shares_typing(&state.db, user.id)
        .await
        .unwrap_or(false);
    let reason = loop {
        tokio::select! {
            event = events.recv() => {
                let batch = match socket::with_waiting_events(event, &mut events) {
                    Ok(batch) => batch,
                    Err(RecvError::Lagged(_)) => break CloseReason::TryAgain("too slow; resume with after_seq="),
                    Err(RecvError::Closed) => break CloseReason::Restart,
                };
                let mut frames = Vec::with_capacity(batch.len());
                let mut delivered = metrics::Deliveries::start();
                for event in batch {
                    match event {
                        RoomEvent::Delivery(d) if d.seq() > last => {
                            last = d.seq();
                            if let Some(sent_at) = d.sent_at() {
                                delivered.add(sent_at);
                            }
                            frames.push(d.json.clone());
                        }
                        RoomEvent::Typing(typing) if typing.user_id != user.id => {
                            frames.push(typing.json.clone());
                        }
                        _ => {}
                    }
                }
                if socket.send_all(frames).await.is_err() {
                    return;
                }
                delivered.record();
            },
            incoming = socket.receive(), if in_flight.len() < MAX_IN_FLIGHT => match incoming {
                Ok(Incoming::Text(text)) => match accept_frame(&state, &user, &room, &text).await {
                    Ok(Asked::Send(pending)) => in_flight.push_back(pending.outcome()),
                    Ok(Asked::Typing) => {
                        if shares_typing && last_typing.is_none_or(|at| at.elapsed() >= TYPING_EVERY) {
                            last_typing = Some(std::time::Instant::now());
                            state.hub.typing(room.id, &room.name, user.id, &user.username);
                        }
                    }
                    Err(err) => {
                        // Every refusal counts: over its rate, malformed or invalid,
                        // a socket that keeps sending what is refused is flooding.
                        if err.status().is_client_error() && flood.refused() {
                            break CloseReason::Policy("rate limit exceeded");
                        }
                        if socket.send_text(refusal(&err)).await.is_err() {
                            return;
                        }
                    }
                },
                Ok(Incoming::Binary) => {
                    if flood.refused() {
                        break CloseReason::Policy("rate limit exceeded");
                    }
                    let refused = refusal(&AppError::invalid("frame", Code::BinaryFrame));
                    if socket.send_text(refused).await.is_err() {
                        return;
                    }
                }
                Ok(Incoming::TooBig) => break CloseReason::TooBig,
                Ok(Incoming::Broken(reason)) => break reason,
                Ok(Incoming::Nothing) => {}
                Err(Gone) => return,
            },
            Some(outcome) = in_flight.next() => {
                // A new message's echo comes back through the hub like everyone
                // else's; a retried `client_id` gets the original sent directly.
                let reply = match outcome {
                    Ok(Written::Message(Stored::Duplicate(original))) => message_frame(&original),
                    Ok(_) => continue,
                    Err(err) => refusal(&err),
                };
                if socket.send_text(reply).await.is_err() {
                    return;
                }
            },
            control = control.recv() => match control {
                Ok(Control::Shutdown) | Err(RecvError::Closed) => break CloseReason::Restart,
                Ok(Control::RecheckSessions) => {
                    if !session.still_signed_in(&state.db).await {
                        break CloseReason::Policy("session ended");
                    }
                }
                // A missed control event may be a missed shutdown: reconnect and be checked again.
                Err(RecvError::Lagged(_)) => break CloseReason::TryAgain("missed a control event; reconnect"),
            },
            mine = user_events.recv() => match mine {
                Ok(UserEvent::Revoke { login }) if login == user.login => break CloseReason::Policy("logged out"),
                Ok(UserEvent::RevokeAll) => break CloseReason::Policy("logged out"),
                Ok(UserEvent::Left { room_id }) if room_id == room.id => break CloseReason::Left,
                Ok(UserEvent::SharesTyping { shares }) => shares_typing = shares,
                Ok(UserEvent::Renamed { room_id, name }) if room_id == room.id => {
                    if socket.send_text(renamed_frame(&name)).await.is_err() {
                        return;
                    }
                    room.name = name;
                }
                Ok(_) => {}
                // A missed event may be a missed logout: reconnect and be checked again.
                Err(RecvError::Lagged(_)) => break CloseReason::TryAgain("missed an event; reconnect"),
                Err(RecvError::Closed) => break CloseReason::Restart,
            },
            _ = session.due() => {
                if !session.still_signed_in(&state.db).await {
                    break CloseReason::Policy("session ended");
                }
            },
        }
    };
    socket.close(reason).await;
}

/// `{"type":"renamed","room":…}`: an admin renamed the room; this socket stays on it.
fn renamed_frame(name: &str) -> String {
    serde_json::json!({ "type": "renamed", "room": name }).to_string()
}

/// The error frame for a refused frame, in English (the API's language).
fn refusal(err: &AppError) -> String {
    err.log_if_internal();
    error_frame(err.code().as_str(), &error_text(Lang::En, err))
}

/// Checks one client frame: a message is queued for storing.
async fn accept_frame(
    state: &AppState,
    user: &CurrentUser,
    room: &Target,
    text: &str,
) -> AppResult<Asked> {
    let frame: ClientFrame =
        serde_json::from_str(text).map_err(|_| AppError::invalid("frame", Code::BadFrame))?;
    if frame.typing == Some(true) && frame.text.is_none() {
        return Ok(Asked::Typing);
    }
    let text = frame.text.unwrap_or_default();
    let message = messages::prepare(
        &state.limiter,
        room,
        user,
        &text,
        frame.client_id.as_deref(),
    )?;
    state.writer.submit(message).await.map(Asked::Send)
}
