//! The JSON WebSocket for integrations: `GET /api/v1/rooms/{name}/ws?after=ID`.
//! Everything is checked before the upgrade (401, 403, 404, 503), so a refused client
//! gets a clear HTTP answer rather than a socket that closes at once.

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
    messages, metrics,
    rooms::Room,
    store::messages::Stored,
};

/// Refused sends in a row after which a flooding socket is closed with 1008.
const FLOOD_STRIKES: u32 = 50;

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
    let mut strikes = 0;
    let reason = loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(RoomEvent::Message(d)) if d.message.id > last => {
                    last = d.message.id;
                    if socket.send_text(d.json.clone()).await.is_err() {
                        return;
                    }
                    metrics::record_delivery(d.message.sent_at);
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => break CloseReason::TryAgain("too slow; resume with after="),
                Err(RecvError::Closed) => break CloseReason::Restart,
            },
            incoming = socket.receive() => match incoming {
                Ok(Incoming::Text(text)) => {
                    match send_frame(&state, &user, &room, &text).await {
                        Ok(None) => strikes = 0,
                        Ok(Some(original)) => {
                            strikes = 0;
                            if socket.send_text(original).await.is_err() {
                                return;
                            }
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
                    }
                }
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
            control = control.recv() => match control {
                Ok(Control::Revoke(login)) if login == user.login => break CloseReason::Policy("logged out"),
                Ok(Control::Shutdown) | Err(RecvError::Closed) => break CloseReason::Restart,
                _ => {}
            },
        }
    };
    socket.close(reason).await;
}

/// Stores one client frame. The echo of a new message comes back through the hub like
/// everyone else's; a retried `client_id` returns the original frame to send directly.
async fn send_frame(
    state: &AppState,
    user: &CurrentUser,
    room: &Room,
    text: &str,
) -> AppResult<Option<String>> {
    let frame: ClientFrame = serde_json::from_str(text).map_err(|_| {
        AppError::Invalid(crate::domain::ValidationError::new(
            "frame",
            "Frames must be JSON like {\"text\":\"…\",\"client_id\":\"…\"}.",
        ))
    })?;
    let text = frame.text.unwrap_or_default();
    let stored = messages::send(
        &state.writer,
        &state.limiter,
        room,
        user,
        &text,
        frame.client_id.as_deref(),
    )
    .await?;
    Ok(match stored {
        Stored::New(_) => None,
        Stored::Duplicate(original) => Some(message_json(&original)),
    })
}
