//! Connection limits: how many connections are held at once, how long a client has to
//! send a request head, and how long an idle keep-alive connection stays open.
//!
//! poem 3.1 builds hyper's connection itself and exposes neither hyper's
//! `header_read_timeout` (which also needs a timer poem does not set) nor a connection
//! cap; its own `idle_timeout` restarts at every byte, so a client sending one header
//! byte every two seconds is never idle. So the limits live here, in the acceptor poem
//! takes: `GuardedAcceptor` hands out at most `max_connections` connections (more are
//! answered 503 and closed), and wraps each in a `Guarded` stream (`deadlines`) that
//! holds the connection's place under the cap and enforces the timeouts.

use std::{io, sync::Arc, time::Duration};

use poem::{
    http::uri::Scheme,
    listener::{Acceptor, TcpAcceptor},
    web::{LocalAddr, RemoteAddr},
};
use tokio::{net::TcpStream, sync::Semaphore};

use super::deadlines::Guarded;
use crate::metrics;

/// What an over-the-cap connection is told before it is closed.
const BUSY: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub keep_alive: Duration,
}

/// poem's TCP acceptor with the limits above, and Nagle's algorithm off: chat frames
/// are small and must leave at once (Nagle's algorithm, meeting the peer's delayed
/// ACKs, held some back 40 ms).
pub struct GuardedAcceptor {
    inner: TcpAcceptor,
    permits: Arc<Semaphore>,
    limits: ConnectionLimits,
}

impl GuardedAcceptor {
    pub fn new(inner: TcpAcceptor, limits: ConnectionLimits) -> Self {
        Self {
            inner,
            permits: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            limits,
        }
    }
}

impl Acceptor for GuardedAcceptor {
    type Io = Guarded<TcpStream>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        loop {
            let (stream, local, remote, scheme) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, most likely. poem would ask again at once
                    // and spin; wait for some connections to close instead.
                    tracing::warn!(%err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() else {
                // A fresh socket's send buffer is empty, so this never blocks.
                let _ = stream.try_write(BUSY);
                metrics::record_connection_refused();
                continue;
            };
            if let Err(err) = stream.set_nodelay(true) {
                tracing::debug!(%err, "a connection went away as it was accepted");
                continue;
            }
            let io = Guarded::new(stream, permit, self.limits);
            return Ok((io, local, remote, scheme));
        }
    }
}

/// The default cap: the process's open-file limit, less room for the database, logs
/// and the listener itself.
pub fn default_max_connections() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct we pass.
    let soft = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
        limit.rlim_cur
    } else {
        1024
    };
    usize::try_from(soft)
        .unwrap_or(usize::MAX)
        .saturating_sub(256)
        .clamp(64, 1_000_000)
}
