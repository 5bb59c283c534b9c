//! Seeded junk for fuzz tests: a reproducible sequence of broken responses — random
//! statuses, `Retry-After` values (zero, negative, huge, fractional, dates past and future,
//! words, bytes), bodies that are huge, endless, deeply nested, binary, truncated or wrongly
//! typed, redirects, drops and slow answers — for [`super::Script::then_any`]. The same seed
//! gives the same sequence; each reply's label says what it is (`fuzz#17: ...`).

use std::time::{Duration, SystemTime};

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde_json::{Value, json};

use super::reply::{ReadBody, Reply};

const STATUSES: &[u16] = &[
    200, 200, 200, 201, 202, 202, 204, 206, 301, 302, 303, 307, 308, 400, 401, 402, 403, 404, 405,
    409, 410, 413, 418, 422, 429, 429, 429, 500, 502, 503, 503, 504, 520,
];

const CODES: &[&str] = &[
    "RATE_LIMIT_EXCEEDED",
    "POLL_RATE_LIMITED",
    "SERVICE_WARMING_UP",
    "INVALID_API_KEY",
    "INSUFFICIENT_CREDITS",
    "INTERNAL_ERROR",
    "NOT_FOUND",
    "SOMETHING_NEW",
    "",
    "rate_limit_exceeded",
];

const RUN_STATUSES: &[&str] = &[
    "queued",
    "processing",
    "success",
    "partial",
    "failed",
    "SUCCESS",
    "done",
    "",
];

/// A `Retry-After` value: fixed bytes, or an HTTP date this many seconds from when the
/// reply is sent (so the same seed gives the same sequence whenever it runs).
enum Hint {
    Fixed(Vec<u8>),
    DateFromNow(i64),
}

/// `Retry-After` values a server should never send, and some it may.
fn retry_after(rng: &mut StdRng) -> Hint {
    let text = match rng.random_range(0..16) {
        0 => "0".to_string(),
        1 => "-1".to_string(),
        2 => "1".to_string(),
        3 => "2".to_string(),
        4 => "30".to_string(),
        5 => "86400".to_string(),
        6 => "99999999999999999999999".to_string(),
        7 => "1.5".to_string(),
        8 => "soon".to_string(),
        9 => String::new(),
        10 => return Hint::DateFromNow(-3600),
        11 => return Hint::DateFromNow(rng.random_range(1..120)),
        12 => "Wed, 21 Oct 2015 07:28:00 GMT".to_string(),
        13 => "9".repeat(1000),
        14 => return Hint::Fixed(vec![0xff, 0xfe, b'1', 0x80]),
        _ => rng.random_range(0..5u32).to_string(),
    };
    Hint::Fixed(text.into_bytes())
}

fn http_date(from_now: i64) -> String {
    let now = SystemTime::now();
    let offset = Duration::from_secs(from_now.unsigned_abs());
    let at = if from_now < 0 {
        now - offset
    } else {
        now + offset
    };
    httpdate::fmt_http_date(at)
}

/// A JSON number or something where a number belongs.
fn number_ish(rng: &mut StdRng) -> Value {
    match rng.random_range(0..8) {
        0 => json!(0),
        1 => json!(-5),
        2 => json!(1.5),
        3 => json!(u64::MAX),
        4 => json!("7"),
        5 => Value::Null,
        6 => json!([1]),
        _ => json!(rng.random_range(0..60u32)),
    }
}

fn nested(depth: usize, object: bool) -> Vec<u8> {
    let (open, close): (&[u8], &[u8]) = if object {
        (br#"{"a":"#, b"}")
    } else {
        (b"[", b"]")
    };
    let mut out = Vec::with_capacity(depth * (open.len() + close.len()) + 1);
    for _ in 0..depth {
        out.extend_from_slice(open);
    }
    out.extend_from_slice(b"1");
    for _ in 0..depth {
        out.extend_from_slice(close);
    }
    out
}

/// A body and a few words saying what it is.
fn body(rng: &mut StdRng, reply: Reply) -> (Reply, String) {
    match rng.random_range(0..20) {
        0 => {
            let code = CODES[rng.random_range(0..CODES.len())];
            let mut error = json!({ "code": code, "message": "fuzz" });
            if rng.random_bool(0.7) {
                error["retryAfterSeconds"] = number_ish(rng);
            }
            (
                reply.body(json!({ "error": error }).to_string()),
                format!("envelope {code:?}"),
            )
        }
        1 | 2 => {
            let status = RUN_STATUSES[rng.random_range(0..RUN_STATUSES.len())];
            let body = json!({
                "id": format!("req_fuzz_{}", rng.random_range(0..4u32)),
                "status": status,
                "pollIntervalSeconds": number_ish(rng),
                "queuePosition": number_ish(rng),
            });
            (reply.body(body.to_string()), format!("run body {status:?}"))
        }
        3 => {
            let body = json!({ "id": 42, "status": ["success"], "scores": "high" });
            (reply.body(body.to_string()), "wrong types".into())
        }
        4 => {
            let depth = rng.random_range(1_000..100_000);
            let object = rng.random_bool(0.5);
            (reply.body(nested(depth, object)), format!("nested {depth}"))
        }
        5 => {
            let n = rng.random_range(1..64 * 1024);
            let bytes: Vec<u8> = (0..n).map(|_| rng.random()).collect();
            (reply.body(bytes), format!("binary {n} B"))
        }
        6 => {
            let full =
                json!({ "id": "req_fuzz_1", "status": "success", "scores": { "overall": 4.0 } })
                    .to_string();
            let cut = rng.random_range(1..full.len());
            (reply.body(full[..cut].to_string()), "truncated JSON".into())
        }
        7 => {
            let claimed = rng.random_range(100..10_000_000);
            (
                reply.truncated_body(claimed, br#"{"id":"req_fuzz_1","sta"#.to_vec()),
                format!("claims {claimed} B, sends 23"),
            )
        }
        8 => (reply.body(Vec::new()), "empty".into()),
        9 => (
            reply.body("<html><body><h1>502 Bad Gateway</h1></body></html>"),
            "html".into(),
        ),
        10 => {
            let n = rng.random_range(1..8) * 1024 * 1024;
            let body = json!({ "id": "req_fuzz_1", "status": "processing", "pad": "x".repeat(n) });
            (
                reply.body(body.to_string()),
                format!("{} MiB string", n >> 20),
            )
        }
        11 if rng.random_bool(0.3) => {
            let n = rng.random_range(50..=200) * 1024 * 1024;
            (reply.sized_body(n), format!("{} MiB body", n >> 20))
        }
        12 if rng.random_bool(0.3) => (reply.endless_body(), "endless body".into()),
        13 => (
            reply.body("\u{feff}{\"status\":\"success\"}"),
            "BOM + JSON".into(),
        ),
        14 => (reply.body("1e999"), "1e999".into()),
        15 => (reply.body("null"), "null".into()),
        _ => {
            let body = json!({ "id": "req_fuzz_1", "status": "processing" });
            (reply.body(body.to_string()), "plain processing".into())
        }
    }
}

/// `count` junk replies from `seed`.
pub fn junk(seed: u64, count: usize) -> Vec<Reply> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count).map(|i| one(&mut rng, i)).collect()
}

fn one(rng: &mut StdRng, i: usize) -> Reply {
    let mut what = Vec::new();
    match rng.random_range(0..40) {
        0 => return Reply::drop_after_upload().label(format!("fuzz#{i}: drop after upload")),
        1 => {
            let n = rng.random_range(0..256 * 1024);
            return Reply::drop_mid_upload(n).label(format!("fuzz#{i}: drop after {n} B"));
        }
        2 => return Reply::drop_at_once().label(format!("fuzz#{i}: drop at once")),
        _ => {}
    }
    let status = if rng.random_bool(0.1) {
        rng.random_range(100..=599)
    } else {
        STATUSES[rng.random_range(0..STATUSES.len())]
    };
    what.push(status.to_string());
    let mut reply = Reply::status(status);
    if (300..400).contains(&status) {
        // Loopback only: a client that wrongly follows it reaches nothing outside.
        reply = reply.header("Location", "http://127.0.0.1:9/elsewhere");
        what.push("Location".into());
    }
    let mut dated = Vec::new();
    if status == 429 || status == 503 || rng.random_bool(0.3) {
        for _ in 0..rng.random_range(1..=2) {
            match retry_after(rng) {
                Hint::Fixed(value) => {
                    what.push(format!("Retry-After {:?}", String::from_utf8_lossy(&value)));
                    reply = reply.header("Retry-After", value);
                }
                Hint::DateFromNow(secs) => {
                    what.push(format!("Retry-After date now{secs:+}s"));
                    dated.push(secs);
                }
            }
        }
    }
    match rng.random_range(0..6) {
        0 => {}
        1 => reply = reply.header("Content-Type", "text/html"),
        2 => reply = reply.header("Content-Type", "application/octet-stream"),
        3 => reply = reply.header("Content-Type", "application/json; charset=utf-16"),
        _ => reply = reply.header("Content-Type", "application/json"),
    }
    if rng.random_bool(0.05) {
        reply = reply.header("Content-Encoding", "gzip");
        what.push("lying gzip".into());
    }
    let (with_body, described) = body(rng, reply);
    reply = with_body;
    what.push(described);
    if rng.random_bool(0.05) {
        let ms = rng.random_range(10..300);
        reply = reply.delay(Duration::from_millis(ms));
        what.push(format!("{ms} ms late"));
    }
    if rng.random_bool(0.03) {
        reply = reply.slow_headers(Duration::from_millis(50));
        what.push("slow headers".into());
    }
    if rng.random_bool(0.03) {
        reply = reply.read_body(ReadBody::Nothing);
        what.push("answers before the upload".into());
    }
    let label = format!("fuzz#{i}: {}", what.join(", "));
    if dated.is_empty() {
        return reply.label(label);
    }
    // Dates are made when the reply is sent.
    Reply::from_fn(move |_| {
        dated.iter().fold(reply.clone(), |r, secs| {
            r.header("Retry-After", http_date(*secs))
        })
    })
    .label(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_junk() {
        let a = junk(7, 300);
        let b = junk(7, 300);
        let labels = |v: &[Reply]| -> Vec<String> {
            v.iter()
                .map(|r| r.label_text().unwrap_or("").to_string())
                .collect()
        };
        assert_eq!(labels(&a), labels(&b));
        assert_ne!(labels(&a), labels(&junk(8, 300)));
        let all = labels(&a).join("\n");
        for kind in [
            "endless body",
            "MiB body",
            "nested",
            "binary",
            "truncated JSON",
            "drop",
            "Retry-After \"0\"",
            "Retry-After date now-3600s",
            "Location",
        ] {
            assert!(all.contains(kind), "no {kind} in 300 replies");
        }
    }
}
