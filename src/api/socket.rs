//! The JSON WebSocket for integrations: `GET /api/v1/rooms/{name}/ws?after=ID`.
//! Everything is checked before the upgrade (401, 403, 404, 503), so a refused client
//! gets a clear HTTP answer rather than a socket that closes at once.

use futures_util::{StreamExt, stream::FuturesOrdered};
use poem::{
    IntoResponse, Request, handler,
    web::{Data, Path, Query, websocket::WebSocket},
};
use serde::Deserialize;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::{
    AppState,
    auth::CurrentUser,
    error::{AppError, AppResult},
    live::{
        Control, RoomEvent,
        frames::{error_json, message_json},
        socket::{self, CatchUpFailed, CloseReason, Gone, Incoming, Socket},
    },
    messages::{self, Pending},
    metrics,
    rooms::Room,
    store::messages::Stored,
};

/// Refused sends in a row after which a flooding socket is closed with 1008.
const FLOOD_STRIKES: u32 = 50;
/// Messages one socket may have waiting for the database before it stops reading.
const MAX_IN_FLIGHT: usize = 256;

#[derive(Debug, Deserialize)]
pub struct Resume {
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
    let (room, control) = socket::admit(req.headers(), &state, &user, &name).await?;
    let state = state.clone();
    Ok(ws
        .config(socket::config())
        .on_upgrade(move |ws| serve(state, user, room, resume.after, control, Socket::new(ws))))
}

/// What an integration sends.
#[derive(Debug, Deserialize)]
struct ClientFrame {
    text: Option<String>,
    client_id: Option<String>,
}

async fn serve(
    state: AppState,
    user: CurrentUser,
    room: Room,
    after: Option<i64>,
    mut control: broadcast::Receiver<Control>,
    mut socket: Socket,
) {
    // Subscribe before reading the database: nothing committed in between is missed,
    // and `last` drops what both paths deliver.
    let mut events = state.hub.subscribe(room.id, room.last_seq);
    let _gauge = metrics::SocketGauge::open();
    let _online = state.hub.enter(room.id, user.id);
    let mut last = 0;
    if let Some(after) = after {
        match socket
            .catch_up(&state.db, room.id, after, message_json)
            .await
        {
            Ok(id) => last = id,
            Err(CatchUpFailed::Gone) => return,
            Err(CatchUpFailed::Store(err)) => {
                tracing::error!(%err, "catch-up failed");
                return socket
                    .close(CloseReason::TryAgain("catch-up failed; retry"))
                    .await;
            }
        }
    }
    // Messages on their way to the database, in the order sent: the socket keeps
    // reading while earlier ones commit, so one integration can send quickly.
    let mut in_flight = FuturesOrdered::new();
    let mut strikes = 0;
    let reason = loop {
        tokio::select! {
            event = events.recv() => {
                let batch = match socket::with_waiting_events(event, &mut events) {
                    Ok(batch) => batch,
                    Err(RecvError::Lagged(_)) => break CloseReason::TryAgain("too slow; resume with after="),
                    Err(RecvError::Closed) => break CloseReason::Restart,
                };
                let mut frames = Vec::with_capacity(batch.len());
                let mut delivered = metrics::Deliveries::start();
                for event in batch {
                    if let RoomEvent::Message(d) = event && d.message.id > last {
                        last = d.message.id;
                        delivered.add(d.message.sent_at);
                        frames.push(d.json.clone());
                    }
                }
                if socket.send_all(frames).await.is_err() {
                    return;
                }
                delivered.record();
            },
            incoming = socket.receive(), if in_flight.len() < MAX_IN_FLIGHT => match incoming {
                Ok(Incoming::Text(text)) => match accept_frame(&state, &user, &room, &text).await {
                    Ok(pending) => {
                        strikes = 0;
                        in_flight.push_back(pending.outcome());
                    }
                    Err(err) => {
                        if matches!(err, AppError::TooManyRequests { .. }) {
                            strikes += 1;
                            if strikes >= FLOOD_STRIKES {
                                break CloseReason::Policy("rate limit exceeded");
                            }
                        }
                        if socket.send_text(error_json(&err.detail())).await.is_err() {
                            return;
                        }
                    }
                },
                Ok(Incoming::Binary) => {
                    let refusal = error_json("Binary frames are not supported; send JSON text.");
                    if socket.send_text(refusal).await.is_err() {
                        return;
                    }
                }
                Ok(Incoming::TooBig) => break CloseReason::TooBig,
                Ok(Incoming::Nothing) => {}
                Err(Gone) => return,
            },
            Some(outcome) = in_flight.next() => {
                // A new message's echo comes back through the hub like everyone
                // else's; a retried `client_id` gets the original sent directly.
                let reply = match outcome {
                    Ok(Stored::New(_)) => continue,
                    Ok(Stored::Duplicate(original)) => message_json(&original),
                    Err(err) => error_json(&err.detail()),
                };
                if socket.send_text(reply).await.is_err() {
                    return;
                }
            },
            control = control.recv() => match control {
                Ok(Control::Revoke(login)) if login == user.login => break CloseReason::Policy("logged out"),
                Ok(Control::Shutdown) | Err(RecvError::Closed) => break CloseReason::Restart,
                _ => {}
            },
        }
    };
    socket.close(reason).await;
}

/// Checks one client frame and queues its message for storing.
async fn accept_frame(
    state: &AppState,
    user: &CurrentUser,
    room: &Room,
    text: &str,
) -> AppResult<Pending> {
    let frame: ClientFrame = serde_json::from_str(text).map_err(|_| {
        AppError::Invalid(crate::domain::ValidationError::new(
            "frame",
            "Frames must be JSON like {\"text\":\"…\",\"client_id\":\"…\"}.",
        ))
    })?;
    let text = frame.text.unwrap_or_default();
    let message = messages::prepare(
        &state.limiter,
        room,
        user,
        &text,
        frame.client_id.as_deref(),
    )?;
    state.writer.submit(message).await
}
