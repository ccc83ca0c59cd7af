//! Deadlines on one connection. `Guarded` follows the HTTP/1 exchange from the bytes
//! going by and fails the read or write (hyper then drops the connection) when a
//! deadline passes:
//!
//! - a new connection, and a request head once its first byte arrives, get
//!   `header_timeout` until the blank line that ends the head;
//! - after a response has been written, the next request must begin within
//!   `keep_alive`;
//! - while a request body is being read, it may stall for at most `keep_alive`; once
//!   it is all in (by its `Content-Length`, or the last chunk), the handler takes as
//!   long as it takes: hyper keeps a read pending meanwhile, only to notice a client
//!   that goes away, and that wait is no stall;
//! - after `101 Switching Protocols` (a WebSocket) the socket's own ping and
//!   dead-peer rules apply and this wrapper only passes bytes through; HTTP/2 (prior
//!   knowledge) connections close after `keep_alive` without traffic.
//!
//! Reading the exchange from the bytes is approximate in rare cases, each on the safe
//! side for us: pipelined requests already read are timed from the last response
//! written; a chunked body whose last chunk carries an extension is timed as a
//! stalling body until its response goes out; a chunk whose data happens to hold
//! `\r\n0\r\n\r\n` ends the stall clock early.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    sync::OwnedSemaphorePermit,
    time::{Instant, Sleep, sleep_until},
};

use super::acceptor::ConnectionLimits;

/// Where a connection is in its HTTP exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a request to begin.
    Idle,
    /// Reading a request head; `line_ended` when the last byte ended a line.
    Head { line_ended: bool },
    /// The head is in, and a body is still coming.
    Body(BodyLeft),
    /// The request is all in: the handler runs.
    Busy,
    /// HTTP/2: any traffic keeps it open.
    Multiplexed,
    /// Switched protocols: no deadlines here.
    Passthrough,
}

/// What is left of a request body, as far as its bytes tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyLeft {
    Bytes(u64),
    /// Chunked: the last bytes read (at first, as if a line had just ended), to see
    /// the last chunk (`\r\n0\r\n\r\n`) go by.
    Chunked([u8; 6]),
}

/// What the head being read says of its body.
#[derive(Debug, Default)]
struct HeadSeen {
    /// The current line, up to `MAX_HEADER_LINE` bytes (longer lines are no header
    /// this cares about).
    line: Vec<u8>,
    content_length: Option<u64>,
    chunked: bool,
}

const MAX_HEADER_LINE: usize = 128;

/// Where a disarmed deadline waits: far enough never to come first.
const UNARMED: Duration = Duration::from_secs(24 * 3600);

impl HeadSeen {
    fn push(&mut self, byte: u8) {
        if self.line.len() < MAX_HEADER_LINE {
            self.line.push(byte);
        }
    }

    fn end_line(&mut self) {
        let line = std::mem::take(&mut self.line);
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let value = String::from_utf8_lossy(value);
        if name.eq_ignore_ascii_case(b"content-length") {
            self.content_length = value.trim().parse().ok();
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            self.chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }

    /// The phase after the head's blank line.
    fn finish(&mut self) -> Phase {
        let seen = std::mem::take(self);
        if seen.chunked {
            Phase::Body(BodyLeft::Chunked(*b"\0\0\0\0\0\n"))
        } else {
            match seen.content_length {
                Some(n) if n > 0 => Phase::Body(BodyLeft::Bytes(n)),
                _ => Phase::Busy,
            }
        }
    }
}

/// A connection with deadlines (see the module's documentation), holding its place
/// under the connection cap until it closes.
pub struct Guarded<T> {
    io: T,
    _permit: OwnedSemaphorePermit,
    limits: ConnectionLimits,
    phase: Phase,
    head: HeadSeen,
    first_read: bool,
    /// Dropped for good once the connection switches protocols: a timer entry keeps
    /// the waker it was last polled with, and with it the whole (finished) HTTP
    /// connection task, until its deadline passes: 5.5 KB for each open WebSocket.
    deadline: Option<Pin<Box<Sleep>>>,
    /// Whether `deadline` applies now.
    armed: bool,
}

impl<T> Guarded<T> {
    pub(super) fn new(io: T, permit: OwnedSemaphorePermit, limits: ConnectionLimits) -> Self {
        Self {
            io,
            _permit: permit,
            limits,
            phase: Phase::Idle,
            head: HeadSeen::default(),
            first_read: true,
            // A new connection must start a request within the header timeout.
            deadline: Some(Box::pin(sleep_until(
                Instant::now() + limits.header_timeout,
            ))),
            armed: true,
        }
    }

    fn arm(&mut self, after: Duration) {
        let at = Instant::now() + after;
        match &mut self.deadline {
            Some(deadline) => deadline.as_mut().reset(at),
            None => self.deadline = Some(Box::pin(sleep_until(at))),
        }
        self.armed = true;
    }

    /// Registers `cx` with the (disarmed) deadline's timer, to be woken once it is
    /// armed and passes.
    fn listen_for_deadline(&mut self, cx: &mut Context<'_>) {
        let Some(deadline) = &mut self.deadline else {
            return;
        };
        // Put off once per request, not at every wait while its handler works.
        let now = Instant::now();
        if deadline.deadline() < now + UNARMED / 2 {
            deadline.as_mut().reset(now + UNARMED);
        }
        let _ = deadline.as_mut().poll(cx);
    }

    fn expired(&self) -> bool {
        self.armed
            && self
                .deadline
                .as_ref()
                .is_some_and(|d| d.deadline() <= Instant::now())
    }

    /// Registers for the deadline; an error once it has passed.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let passed = match &mut self.deadline {
            Some(deadline) if self.armed => deadline.as_mut().poll(cx).is_ready(),
            _ => false,
        };
        if passed {
            Poll::Ready(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection deadline passed",
            ))
        } else {
            Poll::Pending
        }
    }

    fn on_read(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let first = std::mem::replace(&mut self.first_read, false);
        if self.phase == Phase::Idle {
            if first && bytes.starts_with(b"PRI ") {
                self.phase = Phase::Multiplexed;
            } else {
                self.phase = Phase::Head { line_ended: false };
                self.arm(self.limits.header_timeout);
            }
        }
        match self.phase {
            Phase::Head { mut line_ended } => {
                for (at, &byte) in bytes.iter().enumerate() {
                    match byte {
                        // A blank line ends the head ("\r\n\r\n", or bare "\n\n").
                        b'\n' if line_ended => {
                            self.phase = self.head.finish();
                            self.armed = false;
                            self.on_body(&bytes[at + 1..]);
                            return;
                        }
                        b'\n' => {
                            self.head.end_line();
                            line_ended = true;
                        }
                        b'\r' => {}
                        _ => {
                            self.head.push(byte);
                            line_ended = false;
                        }
                    }
                }
                self.phase = Phase::Head { line_ended };
            }
            Phase::Body(_) => self.on_body(bytes),
            Phase::Multiplexed => self.arm(self.limits.keep_alive),
            // Bytes while the handler runs are a pipelined request: timed from the
            // response, as the module says.
            Phase::Idle | Phase::Busy | Phase::Passthrough => {}
        }
    }

    /// Body bytes arrived: the stall clock starts again at the next wait, and stops
    /// for good once the body is all in.
    fn on_body(&mut self, bytes: &[u8]) {
        let Phase::Body(left) = self.phase else {
            return;
        };
        if bytes.is_empty() {
            return;
        }
        self.armed = false;
        let done = match left {
            BodyLeft::Bytes(n) => {
                let n = n.saturating_sub(bytes.len() as u64);
                self.phase = Phase::Body(BodyLeft::Bytes(n));
                n == 0
            }
            BodyLeft::Chunked(mut last) => {
                for &byte in bytes {
                    last.rotate_left(1);
                    last[5] = byte;
                }
                self.phase = Phase::Body(BodyLeft::Chunked(last));
                &last == b"\n0\r\n\r\n"
            }
        };
        if done {
            self.phase = Phase::Busy;
        }
    }

    fn on_write(&mut self, bytes: &[u8]) {
        match self.phase {
            Phase::Head { .. } | Phase::Body(_) | Phase::Busy
                if bytes.starts_with(b"HTTP/1.1 101 ") =>
            {
                self.phase = Phase::Passthrough;
                self.armed = false;
                self.deadline = None;
            }
            // "Go on": the body comes next, timed as any body.
            Phase::Body(_) if bytes.starts_with(b"HTTP/1.1 100 ") => {}
            // A response is going out: the next request must begin within keep-alive
            // of the last byte of it.
            Phase::Head { .. } | Phase::Body(_) | Phase::Busy | Phase::Idle => {
                self.phase = Phase::Idle;
                self.arm(self.limits.keep_alive);
            }
            Phase::Multiplexed => self.arm(self.limits.keep_alive),
            Phase::Passthrough => {}
        }
    }

    fn timed_out() -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, "connection deadline passed")
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.phase == Phase::Passthrough {
            return Pin::new(&mut this.io).poll_read(cx, buf);
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                this.on_read(&buf.filled()[before..]);
                // A trickle of bytes never leaves the read pending: check here too.
                if this.expired() {
                    return Poll::Ready(Err(Self::timed_out()));
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => {
                match this.phase {
                    // Only a body still coming can stall.
                    Phase::Body(_) if !this.armed => this.arm(this.limits.keep_alive),
                    // A handler at work cannot stall, and has no deadline. But hyper
                    // may not read again before its answer is out: its waker goes to
                    // the timer now, so that the keep-alive armed when the answer is
                    // written can wake it.
                    Phase::Busy if !this.armed => this.listen_for_deadline(cx),
                    _ => {}
                }
                this.poll_deadline(cx).map(Err)
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.phase == Phase::Passthrough {
            return Pin::new(&mut this.io).poll_write(cx, buf);
        }
        match Pin::new(&mut this.io).poll_write(cx, buf) {
            Poll::Ready(Ok(written)) => {
                this.on_write(&buf[..written]);
                Poll::Ready(Ok(written))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            // A client that reads nothing of its response is as idle as one that sends
            // nothing.
            Poll::Pending => this.poll_deadline(cx).map(Err),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.phase == Phase::Passthrough {
            return Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        }
        match Pin::new(&mut this.io).poll_write_vectored(cx, bufs) {
            Poll::Ready(Ok(written)) => {
                if written > 0 {
                    let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| b);
                    this.on_write(&first[..first.len().min(written)]);
                }
                Poll::Ready(Ok(written))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => this.poll_deadline(cx).map(Err),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use tokio::{
        io::{AsyncReadExt, AsyncWriteExt, duplex},
        sync::Semaphore,
    };

    fn limits(header: u64, keep_alive: u64) -> ConnectionLimits {
        ConnectionLimits {
            max_connections: 10,
            header_timeout: Duration::from_secs(header),
            keep_alive: Duration::from_secs(keep_alive),
        }
    }

    fn guarded(
        io: tokio::io::DuplexStream,
        limits: ConnectionLimits,
    ) -> Guarded<tokio::io::DuplexStream> {
        let permit = Arc::new(Semaphore::new(1)).try_acquire_owned().unwrap();
        Guarded::new(io, permit, limits)
    }

    #[tokio::test(start_paused = true)]
    async fn a_head_that_never_ends_times_out_however_it_trickles() {
        let (mut client, server) = duplex(1024);
        let mut server = guarded(server, limits(10, 60));
        let trickle = async move {
            client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
            for _ in 0..20 {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let _ = client.write_all(b"X").await;
            }
            client
        };
        let read = async {
            let mut buf = [0; 64];
            loop {
                if let Err(err) = server.read(&mut buf).await {
                    return err;
                }
            }
        };
        let (err, _client) = tokio::join!(read, trickle);
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test(start_paused = true)]
    async fn a_websocket_has_no_deadline_after_switching_protocols() {
        let (mut client, server) = duplex(1024);
        let mut server = guarded(server, limits(1, 1));
        client
            .write_all(b"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0; 64];
        assert!(server.read(&mut buf).await.unwrap() > 0);
        server
            .write_all(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        client.write_all(b"frame").await.unwrap();
        assert_eq!(server.read(&mut buf).await.unwrap(), 5);
    }

    /// A waker that only counts who holds it.
    struct Counted;

    impl std::task::Wake for Counted {
        fn wake(self: Arc<Self>) {}
    }

    #[tokio::test(start_paused = true)]
    async fn after_switching_protocols_nothing_holds_the_http_tasks_waker() {
        let (mut client, server) = duplex(1024);
        let mut server = guarded(server, limits(10, 60));
        // The HTTP connection's task: it reads the head, waits for more (its waker
        // goes to the socket and to the deadline), answers 101, and ends.
        let http_task = Arc::new(Counted);
        let waker = std::task::Waker::from(Arc::clone(&http_task));
        let mut cx = Context::from_waker(&waker);
        client
            .write_all(b"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0; 64];
        let mut read = ReadBuf::new(&mut buf);
        assert!(
            Pin::new(&mut server)
                .poll_read(&mut cx, &mut read)
                .is_ready()
        );
        let mut read = ReadBuf::new(&mut buf);
        assert!(
            Pin::new(&mut server)
                .poll_read(&mut cx, &mut read)
                .is_pending()
        );
        server
            .write_all(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")
            .await
            .unwrap();
        drop(waker);
        // The WebSocket's task reads next, and the socket forgets the old waker.
        let ws_task = std::task::Waker::from(Arc::new(Counted));
        let mut read = ReadBuf::new(&mut buf);
        let _ = Pin::new(&mut server).poll_read(&mut Context::from_waker(&ws_task), &mut read);
        assert_eq!(
            Arc::strong_count(&http_task),
            1,
            "a deadline still holds the finished HTTP task (and its memory)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_keep_alive_connection_times_out() {
        let (mut client, server) = duplex(1024);
        let mut server = guarded(server, limits(10, 5));
        client
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0; 64];
        assert!(server.read(&mut buf).await.unwrap() > 0);
        server.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
        let started = Instant::now();
        let err = server.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed().as_secs(), 5);
    }

    /// Reads from `server` until `want` bytes have come, or fails.
    async fn read_exactly(server: &mut Guarded<tokio::io::DuplexStream>, want: usize) {
        let mut buf = vec![0; want];
        server.read_exact(&mut buf).await.unwrap();
    }

    /// Whether a read (hyper's, while the handler works) is still waiting, unharmed,
    /// after `secs`.
    async fn still_waiting_after(server: &mut Guarded<tokio::io::DuplexStream>, secs: u64) -> bool {
        let mut buf = [0; 64];
        tokio::time::timeout(Duration::from_secs(secs), server.read(&mut buf))
            .await
            .is_err()
    }

    #[tokio::test(start_paused = true)]
    async fn a_handler_may_work_past_keep_alive_once_the_request_is_in() {
        let chunked =
            "POST /a HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        for request in [
            "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n",
            "POST /login HTTP/1.1\r\ncontent-length: 5\r\n\r\nhello",
            chunked,
        ] {
            let (mut client, server) = duplex(1024);
            let mut server = guarded(server, limits(10, 5));
            client.write_all(request.as_bytes()).await.unwrap();
            read_exactly(&mut server, request.len()).await;
            assert!(still_waiting_after(&mut server, 60).await, "{request}");
            // The answer goes out, and keep-alive applies again.
            server.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
            let mut buf = [0; 8];
            let err = server.read(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{request}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stalls_times_out() {
        let (mut client, server) = duplex(1024);
        let mut server = guarded(server, limits(10, 5));
        let head = "POST /a HTTP/1.1\r\nContent-Length: 10\r\n\r\nhello";
        client.write_all(head.as_bytes()).await.unwrap();
        read_exactly(&mut server, head.len()).await;
        let started = Instant::now();
        let mut buf = [0; 8];
        let err = server.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed().as_secs(), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_after_100_continue_may_take_longer_than_a_head() {
        let (mut client, server) = duplex(1024);
        let mut server = guarded(server, limits(2, 5));
        let head = "PUT /f HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n";
        client.write_all(head.as_bytes()).await.unwrap();
        read_exactly(&mut server, head.len()).await;
        server
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .unwrap();
        let trickle = async move {
            for _ in 0..10 {
                tokio::time::sleep(Duration::from_secs(3)).await;
                client.write_all(b"x").await.unwrap();
            }
            client
        };
        let (_client, ()) = tokio::join!(trickle, read_exactly(&mut server, 10));
    }
}
