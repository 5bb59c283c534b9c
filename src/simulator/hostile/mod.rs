//! A hostile server for tests and benches: it answers each route with a scripted sequence of
//! replies, whatever they are — any status and header bytes (`Retry-After: 0`, a date in the
//! past, garbage), endless or 200 MB bodies streamed without buffering, deep or truncated
//! JSON, binary, redirects, slow headers, a connection dropped after all, part or none of
//! the upload — and records every request it got (method, path, query, headers with the key
//! hidden, body bytes received, time), so a test can count polls per second, uploads and
//! look-ups. It speaks HTTP/1.1 on a raw socket so that nothing tidies the replies up.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use speech_scorer::simulator::Endpoint;
//! use speech_scorer::simulator::hostile::{HostileServer, Reply, Script, bodies};
//! let script = Script::new()
//!     .on(Endpoint::Submit, Reply::json(202, &bodies::accepted("req_1", "processing")))
//!     .always(Endpoint::Poll, Reply::error(429, "POLL_RATE_LIMITED", Some("0")));
//! let server = HostileServer::start(script).await?;
//! // ... point the client at server.base_url(), then:
//! let polls = server.count(Endpoint::Poll);
//! let busiest_second = server.max_in_window(Endpoint::Poll, std::time::Duration::from_secs(1));
//! server.shutdown().await;
//! # Ok(()) }
//! ```

pub mod bodies;
mod conn;
pub mod fuzz;
mod reply;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

pub use reply::{Body, ReadBody, Reply, ReplyFn};

use super::scenario::Endpoint;
use conn::{Conn, Head};
use reply::Kind;

/// One request the hostile server received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The API endpoint it is for, if any.
    pub route: Option<Endpoint>,
    /// The headers as sent, except the values of `X-API-Key` and `Authorization`, which
    /// read `[redacted]`.
    pub headers: Vec<(String, String)>,
    /// Request body bytes read before answering (what was read, not what was sent).
    pub body_bytes: u64,
    /// The whole body was read.
    pub body_complete: bool,
    /// When the request head arrived, since the server started.
    pub at: Duration,
    /// The label of the reply that answered it, if it had one.
    pub reply: Option<String>,
    /// Which connection it came on (0, 1, ... in accept order).
    pub connection: u64,
}

impl Received {
    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Times {
    Left(u32),
    Forever,
}

/// Which replies the server sends, per route and in order.
///
/// A request takes the next reply of its route; when the route has none left, the next of
/// the shared [`Script::then_any`] sequence; when that is empty too, the fallback
/// ([`Script::otherwise`], by default a 404 envelope).
pub struct Script {
    routes: HashMap<Option<Endpoint>, VecDeque<(Reply, Times)>>,
    any: VecDeque<Reply>,
    otherwise: Reply,
}

impl Default for Script {
    fn default() -> Self {
        Self::new()
    }
}

impl Script {
    /// A script with no replies: everything gets the fallback 404.
    pub fn new() -> Self {
        Self {
            routes: HashMap::new(),
            any: VecDeque::new(),
            otherwise: Reply::error(404, "NOT_FOUND", None).label("otherwise"),
        }
    }

    fn push(mut self, route: Option<Endpoint>, reply: Reply, times: Times) -> Self {
        self.routes
            .entry(route)
            .or_default()
            .push_back((reply, times));
        self
    }

    /// The next request to `route` gets `reply`.
    pub fn on(self, route: Endpoint, reply: Reply) -> Self {
        self.push(Some(route), reply, Times::Left(1))
    }

    /// The next `n` requests to `route` get `reply`.
    pub fn on_times(self, route: Endpoint, n: u32, reply: Reply) -> Self {
        self.push(Some(route), reply, Times::Left(n.max(1)))
    }

    /// Every later request to `route` gets `reply` (once the replies before it are used).
    pub fn always(self, route: Endpoint, reply: Reply) -> Self {
        self.push(Some(route), reply, Times::Forever)
    }

    /// Requests to paths that are no API endpoint get `reply` (next in their sequence).
    pub fn on_other(self, reply: Reply) -> Self {
        self.push(None, reply, Times::Left(1))
    }

    /// A sequence any route takes from once its own replies are used up (a fuzz run).
    pub fn then_any(mut self, replies: impl IntoIterator<Item = Reply>) -> Self {
        self.any.extend(replies);
        self
    }

    /// What a request gets when nothing else is scripted for it.
    pub fn otherwise(mut self, reply: Reply) -> Self {
        self.otherwise = reply;
        self
    }

    fn next(&mut self, route: Option<Endpoint>) -> Reply {
        if let Some(queue) = self.routes.get_mut(&route)
            && let Some((reply, times)) = queue.front_mut()
        {
            let out = reply.clone();
            if let Times::Left(n) = times {
                *n -= 1;
                if *n == 0 {
                    queue.pop_front();
                }
            }
            return out;
        }
        self.any
            .pop_front()
            .unwrap_or_else(|| self.otherwise.clone())
    }

    /// Replies not yet sent (`always` entries count once), over all routes.
    fn remaining(&self) -> usize {
        let scripted: usize = self
            .routes
            .values()
            .flat_map(|q| q.iter())
            .map(|(_, t)| match t {
                Times::Left(n) => *n as usize,
                Times::Forever => 1,
            })
            .sum();
        scripted + self.any.len()
    }
}

struct Shared {
    script: Mutex<Script>,
    log: Mutex<Vec<Received>>,
    started: Instant,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A running hostile server on `127.0.0.1:<free port>`. Dropping it stops it.
pub struct HostileServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl HostileServer {
    /// Binds `127.0.0.1:0` and serves `script` until shut down.
    pub async fn start(script: Script) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            script: Mutex::new(script),
            log: Mutex::new(Vec::new()),
            started: Instant::now(),
        });
        let serving = shared.clone();
        let accept = tokio::spawn(async move {
            // Owned here: when the accept loop is aborted, every connection task goes too.
            let mut connections = JoinSet::new();
            let mut number = 0u64;
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                connections.spawn(serve(Conn::new(stream), serving.clone(), number));
                number += 1;
                // Reap finished connections so the set does not grow.
                while connections.try_join_next().is_some() {}
            }
        });
        Ok(Self {
            addr,
            shared,
            accept,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Received> {
        lock(&self.shared.log).clone()
    }

    /// How many requests went to `route`.
    pub fn count(&self, route: Endpoint) -> usize {
        lock(&self.shared.log)
            .iter()
            .filter(|r| r.route == Some(route))
            .count()
    }

    /// The most requests to `route` that arrived within any span of `window` (e.g. polls
    /// per second).
    pub fn max_in_window(&self, route: Endpoint, window: Duration) -> usize {
        let times: Vec<Duration> = lock(&self.shared.log)
            .iter()
            .filter(|r| r.route == Some(route))
            .map(|r| r.at)
            .collect();
        let mut best = 0;
        let mut first = 0;
        for (last, t) in times.iter().enumerate() {
            while *t - times[first] >= window {
                first += 1;
            }
            best = best.max(last - first + 1);
        }
        best
    }

    /// Request body bytes received by `route`, summed.
    pub fn body_bytes(&self, route: Endpoint) -> u64 {
        lock(&self.shared.log)
            .iter()
            .filter(|r| r.route == Some(route))
            .map(|r| r.body_bytes)
            .sum()
    }

    /// Appends replies for `route` while the server runs.
    pub fn push(&self, route: Endpoint, reply: Reply) {
        let mut script = lock(&self.shared.script);
        let taken = std::mem::take(&mut *script);
        *script = taken.on(route, reply);
    }

    /// Scripted replies not yet sent.
    pub fn replies_left(&self) -> usize {
        lock(&self.shared.script).remaining()
    }

    /// Stops accepting and drops every open connection.
    pub async fn shutdown(mut self) {
        self.accept.abort();
        // Cancelled is the expected end.
        let _ = (&mut self.accept).await;
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Answers requests on one connection until a reply ends it or the client goes.
async fn serve(mut conn: Conn, shared: Arc<Shared>, connection: u64) {
    loop {
        let Ok(Some(head)) = conn.read_head().await else {
            break;
        };
        let mut received = received(&head, shared.started.elapsed(), connection);
        let mut reply = lock(&shared.script).next(received.route);
        // A reply made from the request may itself be made from the request.
        for _ in 0..8 {
            let Kind::Dynamic(f) = &reply.kind else {
                break;
            };
            let made = f(&received);
            reply = Reply {
                label: made.label.clone().or(reply.label),
                ..made
            };
        }
        let body = conn.read_body(&head, reply.read).await.unwrap_or_default();
        received.body_bytes = body.bytes;
        received.body_complete = body.complete;
        received.reply = reply.label.clone();
        let wants_close = head.wants_close();
        lock(&shared.log).push(received);
        let reusable = match &reply.kind {
            Kind::Drop | Kind::Dynamic(_) => false,
            Kind::Respond { .. } => conn.answer(&reply).await.unwrap_or(false),
        };
        if !reusable || !body.complete || wants_close {
            break;
        }
    }
    conn.close().await;
}

fn received(head: &Head, at: Duration, connection: u64) -> Received {
    let (path, query) = match head.target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (head.target.clone(), None),
    };
    let headers = head
        .headers
        .iter()
        .map(|(n, v)| {
            let secret =
                n.eq_ignore_ascii_case("x-api-key") || n.eq_ignore_ascii_case("authorization");
            (
                n.clone(),
                if secret {
                    "[redacted]".to_string()
                } else {
                    v.clone()
                },
            )
        })
        .collect();
    Received {
        route: Endpoint::classify(&head.method, &path),
        method: head.method.clone(),
        path,
        query,
        headers,
        body_bytes: 0,
        body_complete: false,
        at,
        reply: None,
        connection,
    }
}
