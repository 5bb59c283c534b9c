//! Reading a submit's body without trusting it: at most [`BODY_CAP`] bytes are kept (the
//! 25 MB file plus room for the form), the rest of an over-long upload is read and thrown
//! away, and a request refused before its body is read is answered at once while the body
//! drains in the background (a reply sent to a client that is still uploading, on a socket
//! closed with unread data, would be lost to a connection reset).

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, BodyDataStream, Bytes};
use axum::extract::{FromRequest as _, Multipart, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::Response;
use futures_util::{Stream, StreamExt as _};

use super::config::MAX_FILE_BYTES;
use super::validation::SubmitForm;

/// The most of one submit body held in memory: the 25 MB file and 1 MiB for the form.
pub const BODY_CAP: usize = MAX_FILE_BYTES as usize + 1024 * 1024;
/// An upload is drained (read and discarded) up to this size; beyond it the connection is
/// closed instead.
const DRAIN_LIMIT: u64 = 512 * 1024 * 1024;
/// ...and for at most this long.
const DRAIN_TIME: Duration = Duration::from_secs(120);

/// Reads and discards the rest of `stream`, within the drain limits; returns the total.
async fn discard<S, E>(stream: &mut S, mut seen: u64) -> u64
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let reading = async {
        while let Some(Ok(chunk)) = stream.next().await {
            seen += chunk.len() as u64;
            if seen > DRAIN_LIMIT {
                break;
            }
        }
    };
    // Out of time: stop reading, the connection closes.
    let _ = tokio::time::timeout(DRAIN_TIME, reading).await;
    seen
}

/// Reads a whole body, keeping none of it; returns how many bytes it had.
pub async fn drain(body: Body) -> u64 {
    discard(&mut body.into_data_stream(), 0).await
}

/// Sends `resp` now and drains the unread `body` in the background: nothing of it is kept,
/// and the client reads the answer instead of a reset.
pub fn answer_unread(body: Body, resp: Response) -> Response {
    tokio::spawn(drain(body));
    resp
}

/// The rest of an upload that went over the cap, left to drain once what was read of it is
/// dropped.
type Leftover = Arc<Mutex<Option<BodyDataStream>>>;

/// The body's bytes up to `cap`; past it, the stream ends with an error (so the multipart
/// reader stops) and leaves the unread rest in `leftover`.
fn capped(
    body: Body,
    cap: usize,
    leftover: Leftover,
) -> impl Stream<Item = Result<Bytes, io::Error>> + Send + 'static {
    let start = (Some(body.into_data_stream()), 0usize);
    futures_util::stream::unfold(start, move |(stream, seen)| {
        let leftover = leftover.clone();
        async move {
            let mut stream = stream?;
            match stream.next().await {
                Some(Ok(chunk)) if seen + chunk.len() <= cap => {
                    let seen = seen + chunk.len();
                    Some((Ok(chunk), (Some(stream), seen)))
                }
                Some(Ok(_)) => {
                    *leftover.lock().unwrap_or_else(|p| p.into_inner()) = Some(stream);
                    let e = io::Error::other("the upload is larger than the simulator reads");
                    Some((Err(e), (None, seen)))
                }
                Some(Err(e)) => Some((Err(io::Error::other(e)), (None, seen))),
                None => None,
            }
        }
    })
}

/// One buffer from a field's chunks (no copy when there is one chunk).
fn join(mut chunks: Vec<Bytes>) -> Bytes {
    if chunks.len() == 1 {
        return chunks.pop().unwrap_or_default();
    }
    let mut out = Vec::with_capacity(chunks.iter().map(Bytes::len).sum());
    for chunk in chunks {
        out.extend_from_slice(&chunk);
    }
    Bytes::from(out)
}

/// Reads the multipart fields of a submit, holding at most [`BODY_CAP`] bytes; a larger
/// body is marked `oversized` (its audio not kept) once all of it has been read.
pub async fn read_form(parts: Parts, body: Body) -> SubmitForm {
    let headers = &parts.headers;
    let multipart_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.to_ascii_lowercase().starts_with("multipart/form-data") && t.contains("boundary=")
        });
    if !multipart_type {
        // Not a form: no audio. Read it anyway so the answer reaches the client.
        drain(body).await;
        return SubmitForm::default();
    }
    let leftover: Leftover = Arc::new(Mutex::new(None));
    // The original parts carry the router's "no default body limit": this reader has its own.
    let req = Request::from_parts(
        parts,
        Body::from_stream(capped(body, BODY_CAP, leftover.clone())),
    );
    let mut form = SubmitForm::default();
    if let Ok(mut multipart) = Multipart::from_request(req, &()).await {
        while let Ok(Some(mut field)) = multipart.next_field().await {
            let name = field.name().unwrap_or_default().to_string();
            // Chunks as they came, joined once at the end: a growing buffer would hold
            // up to twice the upload while it doubles.
            let mut chunks: Vec<Bytes> = Vec::new();
            let complete = loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => chunks.push(chunk),
                    Ok(None) => break true,
                    Err(_) => break false,
                }
            };
            if !complete {
                break;
            }
            let bytes = join(chunks);
            let text = || String::from_utf8_lossy(&bytes).into_owned();
            match name.as_str() {
                "audio" => form.audio = Some(bytes),
                "language" => form.language = Some(text()),
                "externalId" => form.external_id = Some(text()),
                "metadata" => form.metadata = Some(text()),
                "tags" | "tags[]" => form.tags.push(text()),
                _ => {}
            }
        }
    }
    let rest = leftover.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(mut rest) = rest {
        // Over the cap: drop what was read, then read the rest without keeping it.
        form = SubmitForm {
            oversized: true,
            ..SubmitForm::default()
        };
        discard(&mut rest, BODY_CAP as u64).await;
    }
    form
}
