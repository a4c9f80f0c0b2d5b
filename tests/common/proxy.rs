//! A small TCP proxy between a pool and a real database server, to cut the database off
//! and bring it back in tests without touching the shared server.
//!
//! [`Proxy::cut`] drops every live connection and closes each new one as soon as it is
//! accepted (the client sees the connection reset during its handshake);
//! [`Proxy::blackhole`] drops every live connection and accepts new ones but never answers
//! (the client waits until its own timeout); [`Proxy::go_dark`] keeps every connection
//! open but forwards nothing more either way, new ones included, as a partition or a
//! dropped NAT entry does with a query in flight; [`Proxy::restore`] forwards again (the
//! connections that went dark are dropped then: their path is gone);
//! [`Proxy::break_request_with`] closes the connection that sends the next request holding
//! some bytes (a session id, say), without forwarding it (a server that goes away with a
//! statement in flight), and forwards new connections as before.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::sync::Mutex;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Open,
    Refuse,
    Blackhole,
    Dark,
}

pub struct Proxy {
    addr: SocketAddr,
    mode: watch::Sender<Mode>,
    /// Set by `break_request_with`: the next request holding these bytes ends its
    /// connection.
    break_next: Breaker,
    accepted: Arc<AtomicU64>,
    open: Arc<AtomicU64>,
    accept_loop: JoinHandle<()>,
}

impl Proxy {
    /// Listens on `127.0.0.1:0` and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (mode, _) = watch::channel(Mode::Open);
        let break_next = Breaker::default();
        let accepted = Arc::new(AtomicU64::new(0));
        let open = Arc::new(AtomicU64::new(0));
        let accept_loop = tokio::spawn(accept_loop(
            listener,
            upstream,
            mode.clone(),
            Arc::clone(&break_next),
            Arc::clone(&accepted),
            Arc::clone(&open),
        ));
        Proxy {
            addr,
            mode,
            break_next,
            accepted,
            open,
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

    /// Stops forwarding on every connection, live ones included, without closing any:
    /// a query in flight gets no answer, ever, and the client's TCP sees nothing wrong.
    pub fn go_dark(&self) {
        self.mode.send_replace(Mode::Dark);
    }

    /// Connections the proxy holds open right now (forwarding, blackholed or dark).
    pub fn open_connections(&self) -> u64 {
        self.open.load(Ordering::Relaxed)
    }

    /// The next request (bytes read from a client at once) that holds `marker` is not
    /// forwarded: its connection is closed instead (the client's statement gets
    /// end-of-file); everything else, and new connections, are forwarded as before. (A
    /// marker, not "the next bytes": sqlx checks a pooled connection before handing it out,
    /// and replaces a broken one there by itself.)
    pub fn break_request_with(&self, marker: &[u8]) {
        *self.break_next.lock().expect("breaker") = Some(marker.to_vec());
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
    break_next: Breaker,
    accepted: Arc<AtomicU64>,
    open: Arc<AtomicU64>,
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
        let open = OpenGuard::new(&open);
        match current {
            Mode::Open => {
                let break_next = Arc::clone(&break_next);
                tokio::spawn(async move {
                    let _open = open;
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    forward(client, server, &mut watch, &break_next).await;
                });
            }
            Mode::Refuse => drop(client),
            Mode::Blackhole | Mode::Dark => {
                tokio::spawn(async move {
                    let _open = open;
                    // Hold the socket, read nothing, until the mode changes.
                    let _ = watch.wait_for(|m| *m != current).await;
                    drop(client);
                });
            }
        }
    }
}

/// Copies both ways until either side closes or the proxy leaves `Open`; then both sockets
/// are dropped, which the client sees as a broken connection.
async fn forward(
    client: TcpStream,
    server: TcpStream,
    mode: &mut watch::Receiver<Mode>,
    break_next: &Mutex<Option<Vec<u8>>>,
) {
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    let upstream = async {
        let mut buf = vec![0; 16 * 1024];
        loop {
            let n = from_client.read(&mut buf).await?;
            if n == 0 || breaks(break_next, &buf[..n]) {
                return Ok::<_, std::io::Error>(());
            }
            to_server.write_all(&buf[..n]).await?;
        }
    };
    tokio::select! {
        _ = upstream => return,
        _ = tokio::io::copy(&mut from_server, &mut to_client) => return,
        _ = mode.wait_for(|m| *m != Mode::Open) => {}
    }
    if *mode.borrow() == Mode::Dark {
        // Keep both sockets open, forwarding nothing, until the network "comes back".
        let _ = mode.wait_for(|m| *m != Mode::Dark).await;
    }
}

/// Counts a connection as open for as long as it lives.
struct OpenGuard(Arc<AtomicU64>);

impl OpenGuard {
    fn new(open: &Arc<AtomicU64>) -> Self {
        open.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(open))
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The marker of the next request to break, if any.
type Breaker = Arc<Mutex<Option<Vec<u8>>>>;

/// Whether `request` holds the armed marker (which is then disarmed).
fn breaks(breaker: &Mutex<Option<Vec<u8>>>, request: &[u8]) -> bool {
    let mut armed = breaker.lock().expect("breaker");
    let hit = armed
        .as_deref()
        .is_some_and(|m| request.windows(m.len()).any(|w| w == m));
    if hit {
        *armed = None;
    }
    hit
}
