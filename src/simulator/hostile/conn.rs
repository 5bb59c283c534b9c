//! HTTP/1.1 on a raw socket, just enough for the hostile server: read a request head and
//! (all, part or none of) its body without keeping it, and write whatever a reply says,
//! byte for byte, including what a well-behaved server never would.

use std::io;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::reply::{Body, Kind, ReadBody, Reply};

/// The most a request head may take.
const MAX_HEAD: usize = 64 * 1024;
/// An endless body stops after this long even if the client keeps reading.
const ENDLESS_FOR: Duration = Duration::from_secs(120);
/// Pattern chunk for streamed bodies.
const CHUNK: usize = 64 * 1024;

/// A request head as parsed.
#[derive(Debug, Clone)]
pub(super) struct Head {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn chunked(&self) -> bool {
        self.header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    }

    fn content_length(&self) -> u64 {
        self.header("content-length")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    }

    /// The client asked to close after this exchange.
    pub fn wants_close(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// One client connection with its read-ahead buffer.
pub(super) struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// How much of a request body was read.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct BodyRead {
    pub bytes: u64,
    pub complete: bool,
}

impl Conn {
    pub fn new(stream: TcpStream) -> Self {
        let _ = stream.set_nodelay(true);
        Self {
            stream,
            buf: Vec::new(),
        }
    }

    async fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// The next request head; `None` when the client closed (or sent junk) instead.
    pub async fn read_head(&mut self) -> io::Result<Option<Head>> {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head: Vec<u8> = self.buf.drain(..end + 4).collect();
                return Ok(parse_head(&head[..end]));
            }
            if self.buf.len() > MAX_HEAD || self.fill().await? == 0 {
                return Ok(None);
            }
        }
    }

    async fn line(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..end + 2).collect();
                return Ok(Some(line[..end].to_vec()));
            }
            if self.buf.len() > MAX_HEAD || self.fill().await? == 0 {
                return Ok(None);
            }
        }
    }

    /// Skips up to `n` bytes; returns how many were there.
    async fn skip(&mut self, n: u64, budget: &mut u64) -> io::Result<u64> {
        let mut skipped = 0;
        while skipped < n && *budget > 0 {
            if self.buf.is_empty() && self.fill().await? == 0 {
                break;
            }
            let take = (self.buf.len() as u64).min(n - skipped).min(*budget) as usize;
            self.buf.drain(..take);
            skipped += take as u64;
            *budget -= take as u64;
        }
        Ok(skipped)
    }

    /// Reads (and forgets) the body as `read` says; counts what came.
    pub async fn read_body(&mut self, head: &Head, read: ReadBody) -> io::Result<BodyRead> {
        let mut budget = match read {
            ReadBody::Whole => u64::MAX,
            ReadBody::UpTo(n) => n,
            ReadBody::Nothing => 0,
        };
        let mut got = BodyRead::default();
        if !head.chunked() {
            let want = head.content_length();
            got.bytes = self.skip(want, &mut budget).await?;
            got.complete = got.bytes == want;
            return Ok(got);
        }
        loop {
            if budget == 0 {
                return Ok(got);
            }
            let Some(size_line) = self.line().await? else {
                return Ok(got);
            };
            let text = String::from_utf8_lossy(&size_line);
            let hex = text.split(';').next().unwrap_or("").trim();
            let Ok(size) = u64::from_str_radix(hex, 16) else {
                return Ok(got);
            };
            if size == 0 {
                // Trailers, then the blank line.
                while let Some(l) = self.line().await? {
                    if l.is_empty() {
                        got.complete = true;
                        break;
                    }
                }
                return Ok(got);
            }
            let n = self.skip(size, &mut budget).await?;
            got.bytes += n;
            if n < size {
                return Ok(got);
            }
            let mut crlf_budget = 2;
            self.skip(2, &mut crlf_budget).await?;
        }
    }

    /// Writes the answer; returns whether the connection can carry another request.
    pub async fn answer(&mut self, reply: &Reply) -> io::Result<bool> {
        if !reply.delay.is_zero() {
            tokio::time::sleep(reply.delay).await;
        }
        let Kind::Respond {
            status,
            headers,
            body,
            header_pause,
        } = &reply.kind
        else {
            return Ok(false);
        };
        let mut lines: Vec<Vec<u8>> = headers
            .iter()
            .map(|(n, v)| [n.as_bytes(), b": ", v.as_slice()].concat())
            .collect();
        let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        if !has("content-length") && !has("transfer-encoding") {
            lines.push(match body {
                Body::Bytes(b) => format!("Content-Length: {}", b.len()).into_bytes(),
                Body::Sized(n) => format!("Content-Length: {n}").into_bytes(),
                Body::Endless => b"Transfer-Encoding: chunked".to_vec(),
                Body::Truncated { claimed, .. } => {
                    format!("Content-Length: {claimed}").into_bytes()
                }
            });
        }
        let status_line = format!("HTTP/1.1 {status} {}\r\n", reason(*status));
        self.stream.write_all(status_line.as_bytes()).await?;
        for line in lines {
            if let Some(pause) = header_pause {
                self.stream.flush().await?;
                tokio::time::sleep(*pause).await;
            }
            self.stream.write_all(&line).await?;
            self.stream.write_all(b"\r\n").await?;
        }
        self.stream.write_all(b"\r\n").await?;
        let reusable = match body {
            Body::Bytes(b) => {
                self.stream.write_all(b).await?;
                true
            }
            Body::Sized(n) => {
                self.write_pattern(*n).await?;
                true
            }
            Body::Endless => {
                self.write_endless().await?;
                false
            }
            Body::Truncated { sent, .. } => {
                self.stream.write_all(sent).await?;
                false
            }
        };
        self.stream.flush().await?;
        Ok(reusable)
    }

    async fn write_pattern(&mut self, len: u64) -> io::Result<()> {
        const PREFIX: &[u8] = br#"{"id":"req_hostile","status":"success","pad":""#;
        let filler = vec![b'a'; CHUNK];
        let mut left = len;
        let first = (PREFIX.len() as u64).min(left) as usize;
        self.stream.write_all(&PREFIX[..first]).await?;
        left -= first as u64;
        while left > 0 {
            let n = left.min(CHUNK as u64) as usize;
            self.stream.write_all(&filler[..n]).await?;
            left -= n as u64;
        }
        Ok(())
    }

    async fn write_endless(&mut self) -> io::Result<()> {
        let chunk = [
            format!("{CHUNK:x}\r\n").into_bytes(),
            vec![b' '; CHUNK],
            b"\r\n".to_vec(),
        ]
        .concat();
        let opening = br#"{"status":"success","pad":""#;
        let first = [
            format!("{:x}\r\n", opening.len()).as_bytes(),
            opening,
            b"\r\n",
        ]
        .concat();
        self.stream.write_all(&first).await?;
        let started = Instant::now();
        while started.elapsed() < ENDLESS_FOR {
            self.stream.write_all(&chunk).await?;
        }
        Ok(())
    }

    /// Closes the connection (our side), without waiting for the client.
    pub async fn close(mut self) {
        let _ = self.stream.shutdown().await;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn parse_head(bytes: &[u8]) -> Option<Head> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Head {
        method,
        target,
        headers,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Hostile",
    }
}
