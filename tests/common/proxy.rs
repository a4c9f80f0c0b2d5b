//! A small TCP proxy between a pool and a real database server, to cut the database off
//! and bring it back in tests without touching the shared server.
//!
//! [`Proxy::cut`] drops every live connection and closes each new one as soon as it is
//! accepted (the client sees the connection reset during its handshake);
//! [`Proxy::blackhole`] drops every live connection and accepts new ones but never answers
//! (the client waits until its own timeout); [`Proxy::restore`] forwards again.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Open,
    Refuse,
    Blackhole,
}

pub struct Proxy {
    addr: SocketAddr,
    mode: watch::Sender<Mode>,
    accepted: Arc<AtomicU64>,
    accept_loop: JoinHandle<()>,
}

impl Proxy {
    /// Listens on `127.0.0.1:0` and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (mode, _) = watch::channel(Mode::Open);
        let accepted = Arc::new(AtomicU64::new(0));
        let accept_loop = tokio::spawn(accept_loop(
            listener,
            upstream,
            mode.clone(),
            Arc::clone(&accepted),
        ));
        Proxy {
            addr,
            mode,
            accepted,
            accept_loop,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections accepted so far (whatever happened to them).
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Drops all live connections and refuses new ones.
    pub fn cut(&self) {
        self.mode.send_replace(Mode::Refuse);
    }

    /// Drops all live connections; new ones are accepted and never answered.
    pub fn blackhole(&self) {
        self.mode.send_replace(Mode::Blackhole);
    }

    /// Forwards new connections again.
    pub fn restore(&self) {
        self.mode.send_replace(Mode::Open);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept_loop.abort();
        // Ends every forwarding and blackholed connection too.
        self.mode.send_replace(Mode::Refuse);
    }
}

async fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    mode: watch::Sender<Mode>,
    accepted: Arc<AtomicU64>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            // Out of file descriptors or similar: don't spin.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        accepted.fetch_add(1, Ordering::Relaxed);
        let current = *mode.borrow();
        let mut watch = mode.subscribe();
        match current {
            Mode::Open => {
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    forward(client, server, &mut watch).await;
                });
            }
            Mode::Refuse => drop(client),
            Mode::Blackhole => {
                tokio::spawn(async move {
                    // Hold the socket, read nothing, until the mode changes.
                    let _ = watch.wait_for(|m| *m != Mode::Blackhole).await;
                    drop(client);
                });
            }
        }
    }
}

/// Copies both ways until either side closes or the proxy leaves `Open`; then both sockets
/// are dropped, which the client sees as a broken connection.
async fn forward(mut client: TcpStream, mut server: TcpStream, mode: &mut watch::Receiver<Mode>) {
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = mode.wait_for(|m| *m != Mode::Open) => {}
    }
}
