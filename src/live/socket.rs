//! What every Hearth WebSocket shares: admission, buffer sizes, the 64 KiB frame
//! limit, ping and dead-peer detection, write timeouts, close codes, session re-checks,
//! and catching up from the database.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use poem::web::websocket::{CloseCode, Message, WebSocketConfig, WebSocketStream};
use tokio::time::{Instant, Interval, MissedTickBehavior, interval, timeout};

use poem::http::HeaderMap;
use tokio::sync::broadcast::{
    self,
    error::{RecvError, TryRecvError},
};

use super::hub::{Control, RoomEvent, UserChannel};
use crate::{
    AppState,
    auth::{CurrentUser, is_same_origin},
    error::{AppError, AppResult, Code},
    rooms::{self, Room},
    store::{self, Db, StoreError, events::Event},
};

/// A socket that passed admission, with its subscriptions.
pub struct Admitted {
    pub room: Room,
    /// Shutdown and session re-checks, for every socket on the node.
    pub control: broadcast::Receiver<Control>,
    /// The user's own channel: logouts, rooms joined or read elsewhere.
    pub user_events: UserChannel,
}

/// Everything checked before a room's socket is upgraded, the same for pages and
/// integrations: a cross-site `Origin` is refused (403), a stopping server refuses
/// (503), a user with `sockets_per_user` sockets open on this node is refused (429),
/// and only members of an existing room get in (403, 404). The subscriptions
/// to control and to the user's channel are taken *before* the checks, so that a
/// signal sent in between still reaches the socket.
pub async fn admit(
    headers: &HeaderMap,
    state: &AppState,
    user: &CurrentUser,
    room_name: &str,
) -> AppResult<Admitted> {
    let (control, user_events) = admit_user(headers, state, user).await?;
    let room = rooms::open_as_member(&state.db, user, room_name).await?;
    Ok(Admitted {
        room,
        control,
        user_events,
    })
}

/// The checks for a socket that is about its user rather than one room (a page's
/// sidebar): same site (403), not stopping (503), and still signed in (401): the
/// session was read before this socket subscribed to its user's channel, so a logout
/// in between would otherwise go unheard until the next re-check. Returns its
/// subscriptions.
pub async fn admit_user(
    headers: &HeaderMap,
    state: &AppState,
    user: &CurrentUser,
) -> AppResult<(broadcast::Receiver<Control>, UserChannel)> {
    if !is_same_origin(headers) {
        return Err(AppError::Forbidden(Code::CrossSite));
    }
    let control = state.hub.control();
    let user_events = state
        .hub
        .user_socket(user.id, state.sockets_per_user)
        .ok_or(AppError::TooManySockets)?;
    if state.hub.is_shutting_down() {
        return Err(AppError::ShuttingDown);
    }
    if !crate::auth::login_stands(&state.db, &user.login).await? {
        return Err(AppError::Unauthorized);
    }
    Ok((control, user_events))
}

/// Client frames larger than this close the socket with 1009.
pub const MAX_CLIENT_FRAME: usize = 64 * 1024;
/// How often we ping a quiet peer.
const PING_EVERY: Duration = Duration::from_secs(15);
/// A peer we have not heard from (not even a pong) for this long is dead.
const DEAD_AFTER: Duration = Duration::from_secs(40);
/// A peer that accepts no bytes for this long is gone or hopelessly slow.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// At most this many waiting events are written per flush.
const MAX_BATCH: usize = 64;
/// Catch-up reads the database this many events at a time.
const CATCH_UP_PAGE: i64 = 200;

/// Buffers sized for chat frames: tungstenite's defaults (128 KiB to read per socket)
/// would cost over a gigabyte for ten thousand idle sockets. A client's frame is a
/// few hundred bytes (a message and its `client_id`), so each socket reads 1 KiB at a
/// time; a bigger frame grows the buffer to fit it. (4 KiB cost 30 MiB more for ten
/// thousand idle sockets: see BENCHMARKS.md.)
pub fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(1024)
        .write_buffer_size(8 * 1024)
        .max_write_buffer_size(1024 * 1024)
        // Let frames a little over our limit arrive whole, so we can answer them with
        // 1009 ourselves; anything bigger still stops at tungstenite.
        .max_message_size(Some(2 * MAX_CLIENT_FRAME))
        .max_frame_size(Some(2 * MAX_CLIENT_FRAME))
}

/// Why a socket is being closed, as the close frame says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// 1000: the client said goodbye.
    Normal,
    /// 1008: logged out, or kept flooding.
    Policy(&'static str),
    /// 1008 "left the room": the reader left the room, in this tab or another; a
    /// page then goes to the reader's rooms.
    Left,
    /// 1009: a frame over 64 KiB.
    TooBig,
    /// 1002: a frame that breaks the WebSocket protocol (unmasked, a stray
    /// continuation, a bad opcode or reserved bit).
    ProtocolError,
    /// 1007: a text frame that is not UTF-8.
    InvalidData,
    /// 1012: the server is restarting; reconnect.
    Restart,
    /// 1013: fell too far behind; reconnect and resume with `after_seq=`.
    TryAgain(&'static str),
}

impl CloseReason {
    fn frame(self) -> Message {
        let (code, reason) = match self {
            CloseReason::Normal => (CloseCode::Normal, ""),
            CloseReason::Policy(reason) => (CloseCode::Policy, reason),
            CloseReason::Left => (CloseCode::Policy, "left the room"),
            CloseReason::TooBig => (CloseCode::Size, "frame larger than 64 KiB"),
            CloseReason::ProtocolError => (CloseCode::Protocol, "WebSocket protocol error"),
            CloseReason::InvalidData => (CloseCode::Invalid, "text frame is not UTF-8"),
            CloseReason::Restart => (CloseCode::Restart, "server restarting"),
            CloseReason::TryAgain(reason) => (CloseCode::Again, reason),
        };
        Message::close_with(code, reason)
    }
}

/// The connection is over: the peer left, died, or could not be written to.
#[derive(Debug, PartialEq, Eq)]
pub struct Gone;

/// The event that woke a socket, plus any others already waiting (up to `MAX_BATCH`),
/// so a socket that fell a little behind writes them all with one flush. A lag or a
/// closed channel anywhere is reported as the error.
pub fn with_waiting_events(
    first: Result<RoomEvent, RecvError>,
    events: &mut broadcast::Receiver<RoomEvent>,
) -> Result<Vec<RoomEvent>, RecvError> {
    let mut batch = vec![first?];
    while batch.len() < MAX_BATCH {
        match events.try_recv() {
            Ok(event) => batch.push(event),
            Err(TryRecvError::Empty) => break,
            Err(TryRecvError::Lagged(n)) => return Err(RecvError::Lagged(n)),
            Err(TryRecvError::Closed) => return Err(RecvError::Closed),
        }
    }
    Ok(batch)
}

/// Catching up stopped: the peer left, or the database failed.
#[derive(Debug, thiserror::Error)]
pub enum CatchUpFailed {
    #[error("the peer went away")]
    Gone,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<Gone> for CatchUpFailed {
    fn from(_: Gone) -> Self {
        CatchUpFailed::Gone
    }
}

/// What a client sent, already sorted.
pub enum Incoming {
    Text(String),
    Binary,
    TooBig,
    /// A frame that broke the protocol: the socket must close, saying why.
    Broken(CloseReason),
    /// Pings, pongs: proof of life and nothing else.
    Nothing,
}

/// What a read error says about the peer. poem hands tungstenite's errors over as
/// `io::Error`s carrying tungstenite's message, so its wording is all there is to go
/// on: "Space limit exceeded", "UTF-8 encoding error", "WebSocket protocol error".
/// Anything else (a reset, an I/O error) means the connection is gone.
fn classify(err: &std::io::Error) -> Result<Incoming, Gone> {
    if err.kind() != std::io::ErrorKind::Other {
        return Err(Gone);
    }
    let message = err.to_string();
    if message.contains("reset without closing handshake") {
        Err(Gone)
    } else if message.contains("too long") || message.starts_with("Space limit exceeded") {
        Ok(Incoming::TooBig)
    } else if message.starts_with("UTF-8 encoding error") {
        Ok(Incoming::Broken(CloseReason::InvalidData))
    } else if message.starts_with("WebSocket protocol error") {
        Ok(Incoming::Broken(CloseReason::ProtocolError))
    } else {
        Err(Gone)
    }
}

/// A WebSocket with Hearth's liveness rules.
pub struct Socket {
    ws: WebSocketStream,
    last_heard: Instant,
    pings: Interval,
}

impl Socket {
    pub fn new(ws: WebSocketStream) -> Self {
        let mut pings = interval(PING_EVERY);
        pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Self {
            ws,
            last_heard: Instant::now(),
            pings,
        }
    }

    /// The next thing the client sent, or `Gone` when it closed or went silent.
    /// Also pings the peer when it has been quiet; cancel-safe, for `select!`.
    pub async fn receive(&mut self) -> Result<Incoming, Gone> {
        loop {
            tokio::select! {
                frame = self.ws.next() => {
                    self.last_heard = Instant::now();
                    return match frame {
                        Some(Ok(Message::Text(text))) if text.len() > MAX_CLIENT_FRAME => Ok(Incoming::TooBig),
                        Some(Ok(Message::Text(text))) => Ok(Incoming::Text(text)),
                        Some(Ok(Message::Binary(bytes))) if bytes.len() > MAX_CLIENT_FRAME => Ok(Incoming::TooBig),
                        Some(Ok(Message::Binary(_))) => Ok(Incoming::Binary),
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(Incoming::Nothing),
                        Some(Ok(Message::Close(_))) | None => Err(Gone),
                        // tungstenite refuses frames far over the limit, and frames that
                        // break the protocol, before we see them.
                        Some(Err(err)) => classify(&err),
                    };
                }
                _ = self.pings.tick() => {
                    if self.last_heard.elapsed() > DEAD_AFTER {
                        return Err(Gone);
                    }
                    self.write(Message::Ping(Vec::new())).await?;
                }
            }
        }
    }

    /// Sends one text frame. A peer that accepts nothing for a while is given up on.
    pub async fn send_text(&mut self, text: String) -> Result<(), Gone> {
        self.write(Message::Text(text)).await
    }

    /// Sends several text frames with one flush (one system call when they fit).
    pub async fn send_all(&mut self, texts: impl IntoIterator<Item = String>) -> Result<(), Gone> {
        let ws = &mut self.ws;
        let write_all = async move {
            for text in texts {
                ws.feed(Message::Text(text)).await?;
            }
            ws.flush().await
        };
        match timeout(WRITE_TIMEOUT, write_all).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(Gone),
        }
    }

    async fn write(&mut self, message: Message) -> Result<(), Gone> {
        match timeout(WRITE_TIMEOUT, self.ws.send(message)).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(Gone),
        }
    }

    /// Sends every stored event of `room_id` with seq above `after_seq`, oldest first,
    /// a page at a time, however many there are. Returns the last seq sent (or
    /// `after_seq`): live events at or below it are then skipped, so nothing is sent
    /// twice and, the socket having subscribed before reading, nothing is missed.
    pub async fn catch_up(
        &mut self,
        db: &Db,
        room_id: i64,
        after_seq: i64,
        mut render: impl FnMut(&Event) -> String,
    ) -> Result<i64, CatchUpFailed> {
        let mut last = after_seq;
        loop {
            let page = store::events::range(db, room_id, last, i64::MAX, CATCH_UP_PAGE).await?;
            let full = page.len() as i64 == CATCH_UP_PAGE;
            let mut frames = Vec::with_capacity(page.len());
            for event in &page {
                frames.push(render(event));
                last = event.seq;
            }
            self.send_all(frames).await?;
            if !full {
                return Ok(last);
            }
        }
    }

    /// Says why we are closing, briefly waiting for it to go out.
    pub async fn close(mut self, reason: CloseReason) {
        let _ = timeout(Duration::from_secs(1), self.ws.send(reason.frame())).await;
        let _ = timeout(Duration::from_secs(1), self.ws.close()).await;
    }
}

/// Where a socket resumes from: `after_seq=S` (every event after seq S) or the older
/// `after=ID` (from the first message after id ID on, with every event since). With
/// neither, from the room's seq when the socket was admitted: replaying from there
/// closes the window between admission and subscribing.
pub async fn resume_point(
    db: &Db,
    room: &Room,
    after_seq: Option<i64>,
    after_id: Option<i64>,
) -> Result<i64, StoreError> {
    match (after_seq, after_id) {
        (Some(seq), _) => Ok(seq.max(0)),
        (None, Some(id)) => Ok(store::messages::seq_before_id(db, room.id, id)
            .await?
            .unwrap_or(room.last_seq)),
        (None, None) => Ok(room.last_seq),
    }
}

/// Re-checks, every `every`, that the socket's login still has a session (it may have
/// expired, or been deleted by a logout this node never heard of).
pub struct SessionCheck {
    timer: Interval,
    login: String,
}

impl SessionCheck {
    pub fn new(every: Duration, login: &str) -> Self {
        let mut timer = interval(every);
        timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
        timer.reset();
        Self {
            timer,
            login: login.to_owned(),
        }
    }

    /// Resolves when it is time to check again; cancel-safe, for `select!`.
    pub async fn due(&mut self) {
        self.timer.tick().await;
    }

    /// Whether the login still has a live session. A database error counts as yes:
    /// the next check will tell.
    pub async fn still_signed_in(&self, db: &Db) -> bool {
        match crate::auth::login_stands(db, &self.login).await {
            Ok(exists) => exists,
            Err(err) => {
                tracing::warn!(%err, "re-checking a socket's session failed");
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_errors_become_close_codes_or_a_lost_peer() {
        let other = |m: &str| std::io::Error::other(m.to_owned());
        let protocol = other("WebSocket protocol error: Received an unmasked frame from client");
        assert!(matches!(
            classify(&protocol),
            Ok(Incoming::Broken(CloseReason::ProtocolError))
        ));
        let utf8 = other("UTF-8 encoding error: invalid utf-8 sequence");
        assert!(matches!(
            classify(&utf8),
            Ok(Incoming::Broken(CloseReason::InvalidData))
        ));
        let big = other("Space limit exceeded: Message too long: 300000 > 131072");
        assert!(matches!(classify(&big), Ok(Incoming::TooBig)));
        let reset = other("WebSocket protocol error: Connection reset without closing handshake");
        assert!(matches!(classify(&reset), Err(Gone)));
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(matches!(classify(&io), Err(Gone)));
    }
}
