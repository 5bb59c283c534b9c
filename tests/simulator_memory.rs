//! The simulator's memory under hostile uploads (issue 9, low): keyless uploads are refused
//! before their bodies are read, and no upload is held beyond the 25 MB + form cap. Measured
//! on the real `speech-scorer simulate` process, as its peak RSS (VmHWM).
#![cfg(target_os = "linux")]

mod simulator_support;

use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;

const UPLOAD: usize = 40 * 1024 * 1024;
const UPLOADS: usize = 20;
const KEY: &str = "zh_api_memory_test_key";

/// The peak resident set of a process, in MiB.
fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kib / 1024.0
}

struct Sim {
    child: Child,
    url: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_simulator() -> Sim {
    let (child, url, lines) = simulator_support::simulate_process(&["--fast", "--api-key", KEY]);
    // Keep reading its request log so the pipe never fills.
    std::thread::spawn(move || for _ in lines {});
    Sim { child, url }
}

/// A multipart body with a 40 MB `audio` part, made as it is sent (the test holds none of
/// it); `sent_all` is set once its last byte has been handed to the client.
fn big_upload(sent_all: Arc<AtomicBool>) -> reqwest::Body {
    const BOUNDARY: &str = "memtestboundary";
    let head = Bytes::from(format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"a.wav\"\r\n\
         Content-Type: audio/wav\r\n\r\n"
    ));
    let tail = Bytes::from(format!(
        "\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"language\"\r\n\r\nen\r\n--{BOUNDARY}--\r\n"
    ));
    let chunk = Bytes::from(vec![0x55u8; 64 * 1024]);
    let chunks = UPLOAD / chunk.len();
    let parts = std::iter::once(head)
        .chain(std::iter::repeat_n(chunk, chunks))
        .chain(std::iter::once(tail))
        .enumerate()
        .map(move |(i, b)| {
            if i == chunks + 1 {
                sent_all.store(true, Ordering::SeqCst);
            }
            Ok::<_, std::io::Error>(b)
        });
    reqwest::Body::wrap_stream(futures_util::stream::iter(parts))
}

/// Sends `UPLOADS` 40 MB uploads at once; returns each answer's status and whether the
/// whole body had been sent when the answer came.
async fn upload_all(url: &str, key: Option<&str>) -> Vec<(u16, bool)> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client");
    let sends = (0..UPLOADS).map(|_| {
        let sent_all = Arc::new(AtomicBool::new(false));
        let mut req = client
            .post(format!("{url}/api/v1/speech/analyze"))
            .header(
                "content-type",
                "multipart/form-data; boundary=memtestboundary",
            )
            .body(big_upload(sent_all.clone()));
        if let Some(k) = key {
            req = req.header("X-API-Key", k);
        }
        async move {
            let resp = req.send().await.expect("an answer, not a reset");
            let all = sent_all.load(Ordering::SeqCst);
            (resp.status().as_u16(), all)
        }
    });
    futures_util::future::join_all(sends).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_uploads_keep_the_simulators_memory_bounded() {
    let sim = start_simulator();
    let pid = sim.child.id();
    let resp = reqwest::get(format!("{}/api/v1/health", sim.url))
        .await
        .expect("health");
    assert_eq!(resp.status().as_u16(), 200);
    let baseline = peak_rss_mib(pid);

    // 20 keyless 40 MB uploads at once: 401 before the body is read, nothing buffered.
    let answers = upload_all(&sim.url, None).await;
    assert!(answers.iter().all(|(s, _)| *s == 401), "{answers:?}");
    let early = answers.iter().filter(|(_, all)| !all).count();
    let keyless = peak_rss_mib(pid) - baseline;
    eprintln!(
        "keyless: peak RSS {baseline:.0} MiB + {keyless:.0} MiB; \
         {early}/{UPLOADS} answered before the upload was sent"
    );
    assert!(
        keyless < 32.0,
        "20 keyless uploads grew the peak RSS by {keyless:.0} MiB"
    );
    assert!(early > 0, "the 401 came only after whole uploads");

    // 20 keyed uploads over the cap at once: at most 8 are read at a time, each up to
    // 25 MB + 1 MiB, the rest drained; each is FILE_TOO_LARGE.
    let answers = upload_all(&sim.url, Some(KEY)).await;
    assert!(answers.iter().all(|(s, _)| *s == 400), "{answers:?}");
    let keyed = peak_rss_mib(pid) - baseline;
    eprintln!("keyed, over the cap: peak RSS {baseline:.0} MiB + {keyed:.0} MiB");
    assert!(
        keyed < 300.0,
        "20 oversized keyed uploads grew the peak RSS by {keyed:.0} MiB"
    );
}

/// This process's peak RSS in MiB.
fn own_peak_rss_mib() -> f64 {
    peak_rss_mib(std::process::id())
}

/// Reads a response to the end (or `cap`), counting, keeping nothing.
async fn count_body(resp: reqwest::Response, cap: u64) -> u64 {
    use futures_util::StreamExt as _;
    let mut seen = 0u64;
    let mut stream = resp.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        seen += chunk.len() as u64;
        if seen >= cap {
            break;
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hostile_server_streams_huge_and_endless_bodies_without_holding_them() {
    use speech_scorer::simulator::Endpoint;
    use speech_scorer::simulator::hostile::{HostileServer, Reply, Script};
    const HUGE: u64 = 200 * 1024 * 1024;
    let script = Script::new()
        .on(Endpoint::Poll, Reply::status(200).sized_body(HUGE))
        .on(Endpoint::Poll, Reply::status(200).endless_body());
    let server = HostileServer::start(script).await.expect("start");
    let before = own_peak_rss_mib();
    let url = format!("{}/api/v1/speech/analyze/req_1", server.base_url());
    let huge = reqwest::get(&url).await.expect("huge");
    assert_eq!(huge.content_length(), Some(HUGE));
    assert_eq!(count_body(huge, u64::MAX).await, HUGE);
    let endless = reqwest::get(&url).await.expect("endless");
    assert!(count_body(endless, HUGE).await >= HUGE, "and more");
    let grown = own_peak_rss_mib() - before;
    eprintln!("400 MiB of bodies served and read: peak RSS +{grown:.0} MiB");
    assert!(grown < 48.0, "peak RSS grew {grown:.0} MiB");
    // The endless body stops once the client has gone; the server still answers.
    let next = reqwest::get(&url).await.expect("fallback");
    assert_eq!(next.status().as_u16(), 404);
}
