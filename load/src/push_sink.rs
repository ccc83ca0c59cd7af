//! A slow push service for the fan-out scenario's offline members: it takes each push
//! request, counts it, and answers 201 only after a delay, as a distant or overloaded
//! push service would. Hearth must deliver to sockets just as fast meanwhile.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

pub struct Sink {
    pub addr: SocketAddr,
    received: Arc<AtomicU64>,
}

impl Sink {
    /// Pushes taken so far.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}

/// Starts the service on a free loopback port.
pub async fn start(delay: Duration) -> anyhow::Result<Sink> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let received = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&received);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let _ = serve(stream, counter, delay).await;
            });
        }
    });
    Ok(Sink { addr, received })
}

/// One keep-alive connection: each request's head and body read, then a late 201.
async fn serve(
    stream: tokio::net::TcpStream,
    counter: Arc<AtomicU64>,
    delay: Duration,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        loop {
            line.clear();
            if read.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        read.read_exact(&mut body).await?;
        counter.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(delay).await;
        write
            .write_all(b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n")
            .await?;
    }
}
