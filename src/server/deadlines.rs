//! Deadlines on one connection. `Guarded` follows the HTTP/1 exchange from the bytes
//! going by and fails the read or write (hyper then drops the connection) when a
//! deadline passes:
//!
//! - a new connection, and a request head once its first byte arrives, get
//!   `header_timeout` until the blank line that ends the head;
//! - after a response has been written, the next request must begin within
//!   `keep_alive`;
//! - while a request body is being read, it may stall for at most `keep_alive`;
//! - after `101 Switching Protocols` (a WebSocket) the socket's own ping and
//!   dead-peer rules apply and this wrapper only passes bytes through; HTTP/2 (prior
//!   knowledge) connections close after `keep_alive` without traffic.
//!
//! Reading the exchange from the bytes is approximate in two rare cases, both on the
//! safe side for us: after a `100 Continue`, the body that follows is timed like a
//! head (it must come within `header_timeout`); and pipelined requests already read
//! are timed from the last response written.

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
    /// The head is in: the body is read and the handler runs.
    Busy,
    /// HTTP/2: any traffic keeps it open.
    Multiplexed,
    /// Switched protocols: no deadlines here.
    Passthrough,
}

/// A connection with deadlines (see the module's documentation), holding its place
/// under the connection cap until it closes.
pub struct Guarded<T> {
    io: T,
    _permit: OwnedSemaphorePermit,
    limits: ConnectionLimits,
    phase: Phase,
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
                for &byte in bytes {
                    match byte {
                        // A blank line ends the head ("\r\n\r\n", or bare "\n\n").
                        b'\n' if line_ended => {
                            self.phase = Phase::Busy;
                            self.armed = false;
                            return;
                        }
                        b'\n' => line_ended = true,
                        b'\r' => {}
                        _ => line_ended = false,
                    }
                }
                self.phase = Phase::Head { line_ended };
            }
            // Body bytes arrived: the stall clock starts again at the next wait.
            Phase::Busy => self.armed = false,
            Phase::Multiplexed => self.arm(self.limits.keep_alive),
            Phase::Idle | Phase::Passthrough => {}
        }
    }

    fn on_write(&mut self, bytes: &[u8]) {
        match self.phase {
            Phase::Head { .. } | Phase::Busy if bytes.starts_with(b"HTTP/1.1 101 ") => {
                self.phase = Phase::Passthrough;
                self.armed = false;
                self.deadline = None;
            }
            // A response is going out: the next request must begin within keep-alive
            // of the last byte of it.
            Phase::Head { .. } | Phase::Busy | Phase::Idle => {
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
                if this.phase == Phase::Busy && !this.armed {
                    this.arm(this.limits.keep_alive);
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
}
