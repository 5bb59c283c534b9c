//! Helpers for the issue 9 hardening tests: the real binary (or another one named by
//! `SPEECH_SCORER_BIN`, to show a test fails on an older build) run in a private home against
//! a hostile server, with its peak memory measured (its own VmHWM, read as it exits),
//! a memory fuse that stops a runaway process before it takes the machine down, and a
//! deadline; scripted replies; history and bundle readers; a hand-made zip bomb.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use speech_scorer::simulator::hostile::Reply;

#[path = "../common/mod.rs"]
mod common;

/// The key the tests send (the hostile server never records it).
pub const KEY: &str = "zh_api_hardening_secret_7731";

/// A process above this resident size is killed and the test fails: a client that reads a
/// hostile body whole must not take the (shared) machine down with it.
pub const FUSE_MIB: u64 = 1024;

/// The binary under test: `$SPEECH_SCORER_BIN` when set (e.g. an old build, to show a test
/// fails there), else this crate's `speech-scorer`.
pub fn bin() -> PathBuf {
    std::env::var_os("SPEECH_SCORER_BIN")
        .filter(|b| !b.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_speech-scorer")))
}

/// A 181-second speech-like WAV (8 kHz mono, 2.9 MB), made once per test binary.
pub fn recording() -> PathBuf {
    static FIXTURE: OnceLock<PathBuf> = OnceLock::new();
    FIXTURE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir").keep();
            let path = dir.join("answer-181s.wav");
            common::write_speechlike_wav(&path, 181.0, 8000);
            path
        })
        .clone()
}

/// The fixture's size in bytes.
pub fn recording_bytes() -> u64 {
    std::fs::metadata(recording()).expect("fixture").len()
}

/// Writes the speech-like WAV at `path`.
pub fn write_recording(path: &Path) {
    std::fs::copy(recording(), path).expect("copy fixture");
}

/// A private home (settings, key file, history) for one or more runs of the binary.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Default for Home {
    fn default() -> Self {
        Self::new()
    }
}

impl Home {
    pub fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("home"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The binary with this home, `base_url` and [`KEY`] in the environment.
    pub fn cmd<I, S>(&self, base_url: &str, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(bin());
        cmd.args(args)
            .env("SPEECH_SCORER_HOME", self.path())
            .env("ZENHIRE_API_KEY", KEY)
            .env("ZENHIRE_BASE_URL", base_url)
            .env_remove("RUST_LOG")
            .env_remove("SPEECH_SCORER_BIN");
        cmd
    }

    pub fn history_dir(&self) -> PathBuf {
        self.path().join("data").join("history")
    }

    /// Every history record file (`*.json`).
    pub fn history_files(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(self.history_dir()) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
    }

    /// Every history record, parsed.
    pub fn records(&self) -> Vec<Value> {
        self.history_files()
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).expect("history file");
                serde_json::from_str(&text).expect("history file is JSON")
            })
            .collect()
    }

    /// The only history record.
    pub fn record(&self) -> Value {
        let mut all = self.records();
        assert_eq!(
            all.len(),
            1,
            "one history record: {:?}",
            self.history_files()
        );
        all.remove(0)
    }

    /// The local id of the only history record (its file name).
    pub fn local_id(&self) -> String {
        let files = self.history_files();
        assert_eq!(files.len(), 1, "one history record: {files:?}");
        files[0]
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf-8 stem")
            .to_string()
    }
}

/// What a run of the binary did.
#[derive(Debug, Clone)]
pub struct Run {
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Peak resident set of the process (its VmHWM, sampled every 5 ms while it ran), in MiB.
    pub peak_rss_mib: f64,
    /// How many times its memory was sampled.
    pub memory_samples: u32,
    /// The peak was read as it exited (traced): exact. Otherwise it is the highest sample.
    pub peak_at_exit: bool,
    /// From spawn to exit.
    pub elapsed: Duration,
    /// Killed by the memory fuse ([`FUSE_MIB`]).
    pub fused: bool,
    /// Killed at the deadline.
    pub timed_out: bool,
    /// Bytes the test fed on stdin.
    pub stdin_fed: u64,
}

impl Run {
    /// The one JSON object on stdout.
    pub fn json(&self) -> Value {
        let lines: Vec<&str> = self
            .stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(lines.len(), 1, "one JSON line on stdout: {self:?}");
        serde_json::from_str(lines[0]).expect("stdout is JSON")
    }

    /// Ended by itself (no fuse, no deadline), with an exit code.
    pub fn exited(&self) -> i32 {
        assert!(
            !self.fused,
            "memory fuse blown (> {FUSE_MIB} MiB): {self:?}"
        );
        assert!(!self.timed_out, "still running at the deadline: {self:?}");
        self.code.expect("an exit code")
    }

    /// Its memory was measured, stayed under the fuse and peaked below `limit_mib`.
    pub fn within(&self, limit_mib: f64) -> bool {
        !self.fused && self.memory_samples > 0 && self.peak_rss_mib < limit_mib
    }

    /// No panic anywhere in what it printed.
    pub fn assert_no_panic(&self) {
        for word in ["panicked", "stopped unexpectedly", "RUST_BACKTRACE"] {
            assert!(!self.stderr.contains(word), "{word}: {self:?}");
        }
    }
}

/// What to feed the child on stdin.
#[derive(Debug, Clone, Copy)]
pub enum Stdin {
    Null,
    /// This many bytes of `a`, as fast as the child takes them (stops when it closes stdin).
    Flood(u64),
}

/// How to run a child.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Killed (SIGKILL) after this long.
    pub deadline: Duration,
    /// Killed above this resident size.
    pub fuse_mib: u64,
    pub stdin: Stdin,
}

impl Limits {
    pub fn deadline(secs: u64) -> Limits {
        Limits {
            deadline: Duration::from_secs(secs),
            fuse_mib: FUSE_MIB,
            stdin: Stdin::Null,
        }
    }

    pub fn stdin(self, stdin: Stdin) -> Limits {
        Limits { stdin, ..self }
    }
}

/// A started child. Signals go to it only while it has not been reaped (its pid cannot have
/// been reused).
pub struct Running {
    pid: libc::pid_t,
    reaped: Arc<Mutex<bool>>,
    done: std::thread::JoinHandle<Run>,
}

/// `(VmRSS, VmHWM)` of a live process, in KiB.
fn memory_kib(pid: libc::pid_t) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn read_all(mut r: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// What the watchdog and the waiter learn about a child.
#[derive(Debug, Default, Clone, Copy)]
struct Watch {
    fused: bool,
    timed_out: bool,
    /// The highest VmHWM seen, in KiB.
    hwm_kib: u64,
    samples: u32,
    /// VmHWM was read at the exit stop: nothing after it can be missed.
    at_exit: bool,
}

/// `cmd` made afresh (a `Command` cannot be cloned), its output captured.
fn rebuild(cmd: &Command, stdin_piped: bool) -> Command {
    let mut fresh = Command::new(cmd.get_program());
    fresh.args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => fresh.env(k, v),
            None => fresh.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        fresh.current_dir(dir);
    }
    fresh
        .stdin(if stdin_piped {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    fresh
}

/// Spawns `cmd` traced (`true`): the child asks to be traced (`PTRACE_TRACEME`) just before
/// its exec, so it stops at its first instruction and nothing it does can pass unseen. Where
/// tracing is not allowed, `cmd` is spawned plainly (`false`).
fn spawn_traced(cmd: &Command, stdin_piped: bool) -> std::io::Result<(std::process::Child, bool)> {
    use std::os::unix::process::CommandExt as _;
    let mut traced = rebuild(cmd, stdin_piped);
    unsafe {
        traced.pre_exec(|| {
            let null = std::ptr::null_mut::<libc::c_void>();
            if libc::ptrace(libc::PTRACE_TRACEME, 0, null, null) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    match traced.spawn() {
        Ok(child) => Ok((child, true)),
        Err(_) => rebuild(cmd, stdin_piped).spawn().map(|c| (c, false)),
    }
}

/// Waits for `pid` to end and reaps it; returns its wait status. Must run on the thread that
/// spawned it (its tracer).
///
/// A traced child stops once more as it exits (`PTRACE_O_TRACEEXIT`), its address space still
/// there: its final VmHWM is read then, so a peak just before the exit is never missed.
/// Signals it gets are passed on unchanged. Untraced, the samples are all there is. Once the
/// child is exiting (or reaped) `reaped` is set, so no signal can reach a reused pid.
fn wait_for_exit(
    pid: libc::pid_t,
    traced: bool,
    reaped: &Mutex<bool>,
    watch: &Mutex<Watch>,
) -> libc::c_int {
    let null = std::ptr::null_mut::<libc::c_void>();
    if !traced {
        // Wait for the exit without reaping, so nothing can signal a reused pid.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        assert_eq!(rc, 0, "waitid: {}", std::io::Error::last_os_error());
        let mut guard = reaped.lock().unwrap_or_else(|p| p.into_inner());
        let mut status = 0;
        let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(rc, pid, "waitpid: {}", std::io::Error::last_os_error());
        *guard = true;
        return status;
    }
    let mut started = false;
    loop {
        let mut status = 0;
        let rc = unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
        if rc == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        assert_eq!(rc, pid, "waitpid: {}", std::io::Error::last_os_error());
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            *reaped.lock().unwrap_or_else(|p| p.into_inner()) = true;
            return status;
        }
        if !libc::WIFSTOPPED(status) {
            continue;
        }
        let event = (status >> 16) & 0xff;
        let signal = libc::WSTOPSIG(status);
        let pass_on = if !started && signal == libc::SIGTRAP {
            // The stop after exec: from here on, stop it at its exit too.
            started = true;
            let options = libc::PTRACE_O_TRACEEXIT as usize as *mut libc::c_void;
            unsafe { libc::ptrace(libc::PTRACE_SETOPTIONS, pid, null, options) };
            0
        } else if event == libc::PTRACE_EVENT_EXIT {
            *reaped.lock().unwrap_or_else(|p| p.into_inner()) = true;
            if let (Some((_, hwm)), Ok(mut w)) = (memory_kib(pid), watch.lock()) {
                w.hwm_kib = w.hwm_kib.max(hwm);
                w.samples += 1;
                w.at_exit = true;
            }
            0
        } else if event != 0 {
            0
        } else {
            signal
        };
        unsafe {
            libc::ptrace(
                libc::PTRACE_CONT,
                pid,
                null,
                pass_on as usize as *mut libc::c_void,
            )
        };
    }
}

/// Starts `cmd` (stdout and stderr captured) under `limits`.
pub fn start(cmd: Command, limits: Limits) -> Running {
    let reaped = Arc::new(Mutex::new(false));
    let (tx, rx) = std::sync::mpsc::channel();
    let reaped_by_tracer = reaped.clone();
    // One thread spawns, traces and reaps the child: a tracer must be the thread that spawned.
    let done = std::thread::spawn(move || {
        let started = Instant::now();
        let flood = matches!(limits.stdin, Stdin::Flood(_));
        let (child, traced) = spawn_traced(&cmd, flood).expect("the binary starts");
        let pid = child.id() as libc::pid_t;
        let _ = tx.send(pid);
        supervise(child, pid, traced, limits, started, reaped_by_tracer)
    });
    let pid = rx.recv().expect("the child's pid");
    Running { pid, reaped, done }
}

fn supervise(
    mut child: std::process::Child,
    pid: libc::pid_t,
    traced: bool,
    limits: Limits,
    started: Instant,
    reaped: Arc<Mutex<bool>>,
) -> Run {
    let out = read_all(child.stdout.take().expect("stdout"));
    let err = read_all(child.stderr.take().expect("stderr"));
    let fed = child.stdin.take().map(|mut stdin| {
        let Stdin::Flood(total) = limits.stdin else {
            unreachable!("stdin is kept only for a flood")
        };
        std::thread::spawn(move || {
            let chunk = vec![b'a'; 64 * 1024];
            let mut sent = 0u64;
            while sent < total {
                let n = (total - sent).min(chunk.len() as u64) as usize;
                if stdin.write_all(&chunk[..n]).is_err() {
                    break;
                }
                sent += n as u64;
            }
            sent
        })
    });
    let exited = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watch = Arc::new(Mutex::new(Watch::default()));
    {
        // The watchdog: samples the child's own memory (VmHWM is per address space, so
        // unlike `ru_maxrss` it never counts the test process the child was spawned from),
        // and applies the memory fuse and the deadline.
        let (reaped, exited, watch) = (reaped.clone(), exited.clone(), watch.clone());
        std::thread::spawn(move || {
            while !exited.load(std::sync::atomic::Ordering::SeqCst) {
                let memory = memory_kib(pid);
                if let (Some((_, hwm)), Ok(mut w)) = (memory, watch.lock()) {
                    w.hwm_kib = w.hwm_kib.max(hwm);
                    w.samples += 1;
                }
                let over = memory.is_some_and(|(rss, _)| rss > limits.fuse_mib * 1024);
                let late = started.elapsed() > limits.deadline;
                if over || late {
                    let guard = reaped.lock().unwrap_or_else(|p| p.into_inner());
                    if !*guard {
                        if let Ok(mut w) = watch.lock() {
                            w.fused |= over;
                            w.timed_out |= late && !over;
                        }
                        unsafe { libc::kill(pid, libc::SIGKILL) };
                    }
                    return;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
    }
    let status = wait_for_exit(pid, traced, &reaped, &watch);
    let elapsed = started.elapsed();
    exited.store(true, std::sync::atomic::Ordering::SeqCst);
    drop(child);
    let stdin_fed = fed.map_or(0, |f| f.join().unwrap_or(0));
    let w = *watch.lock().unwrap_or_else(|p| p.into_inner());
    Run {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        signal: libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status)),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        peak_rss_mib: w.hwm_kib as f64 / 1024.0,
        memory_samples: w.samples,
        peak_at_exit: w.at_exit,
        elapsed,
        fused: w.fused,
        timed_out: w.timed_out,
        stdin_fed,
    }
}

impl Running {
    /// Sends `signal` (e.g. `libc::SIGINT`), unless the child is gone.
    pub fn signal(&self, signal: libc::c_int) {
        let guard = self.reaped.lock().unwrap_or_else(|p| p.into_inner());
        if !*guard {
            unsafe { libc::kill(self.pid, signal) };
        }
    }

    /// Waits for the end (off the async runtime).
    pub async fn finish(self) -> Run {
        tokio::task::spawn_blocking(move || self.done.join().expect("runner"))
            .await
            .expect("join")
    }
}

/// Runs `cmd` to its end under `limits`.
pub async fn run(cmd: Command, limits: Limits) -> Run {
    start(cmd, limits).finish().await
}

// --- Replies -----------------------------------------------------------------------------

/// A 202 that asks for polls a second apart (so a test takes seconds, not minutes).
pub fn accepted(id: &str) -> Reply {
    Reply::json(
        202,
        &json!({ "id": id, "status": "processing", "pollIntervalSeconds": 1 }),
    )
}

/// A 200 `processing` poll a second from the next.
pub fn processing(id: &str, external_id: &str) -> Reply {
    Reply::json(
        200,
        &json!({
            "id": id, "externalId": external_id, "status": "processing",
            "pollIntervalSeconds": 1, "metadata": {}, "tags": [],
        }),
    )
}

/// A finished run with scores (4.9 / C2 everywhere).
pub fn success(id: &str, external_id: &str) -> Reply {
    Reply::json(
        200,
        &speech_scorer::simulator::hostile::bodies::success(id, Some(external_id)),
    )
}

/// A 2xx whose body cannot be read: the run exists, its id is lost.
pub fn unreadable_2xx() -> Reply {
    Reply::status(200)
        .header("Content-Type", "text/html")
        .body("<html><body>Accepted. Thank you!</body></html>")
}

/// A 500 error page (the upload may have created a run).
pub fn error_page() -> Reply {
    Reply::status(500)
        .header("Content-Type", "text/html")
        .body("<html><body><h1>500 Internal Server Error</h1></body></html>")
}

/// True when text shows the scores of `bodies::success` (somebody's result).
pub fn shows_scores(text: &str) -> bool {
    text.contains("4.9") || text.contains("C2")
}

// --- Zip -----------------------------------------------------------------------------------

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A raw DEFLATE stream that inflates to `1 + 258 * matches` zero bytes: one fixed-Huffman
/// block with a literal 0 and then `matches` copies of (length 258, distance 1), 13 bits
/// each — the densest DEFLATE gets (about 1:1000).
pub fn deflate_bomb(matches: u64) -> (Vec<u8>, u64) {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u64, count: u32) {
            self.acc |= value << self.n;
            self.n += count;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code: most significant bit first.
        fn code(&mut self, code: u64, len: u32) {
            let reversed = (0..len).fold(0, |r, i| r | (((code >> i) & 1) << (len - 1 - i)));
            self.put(reversed, len);
        }
    }
    let mut bits = Bits {
        out: Vec::with_capacity((matches * 13 / 8 + 16) as usize),
        acc: 0,
        n: 0,
    };
    bits.put(1, 1); // BFINAL
    bits.put(1, 2); // BTYPE = 01, fixed Huffman
    bits.code(0x30, 8); // literal 0
    // Length 258 is code 285 (8 bits: 11000101), distance 1 is code 0 (5 bits): 13 bits
    // together, so 8 matches fill exactly 13 bytes.
    let one = 0xC5u64 << 5;
    let mut left = matches;
    while left > 0 && bits.n != 0 {
        bits.code(one, 13);
        left -= 1;
    }
    let mut pattern = Bits {
        out: Vec::new(),
        acc: 0,
        n: 0,
    };
    for _ in 0..8 {
        pattern.code(one, 13);
    }
    let block = pattern.out;
    while left >= 8 {
        bits.out.extend_from_slice(&block);
        left -= 8;
    }
    for _ in 0..left {
        bits.code(one, 13);
    }
    bits.code(0, 7); // end of block
    if bits.n > 0 {
        bits.out.push(bits.acc as u8);
    }
    (bits.out, 1 + 258 * matches)
}

/// One zip entry: stored bytes, or precompressed DEFLATE data with the sizes to declare.
pub enum Entry {
    Stored(Vec<u8>),
    /// (deflate data, declared uncompressed size, declared CRC)
    Deflated(Vec<u8>, u32, u32),
}

/// A zip file from `(name, entry)` pairs, written by hand so that its headers say whatever
/// the test wants.
pub fn zip(entries: &[(&str, Entry)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, entry) in entries {
        let offset = out.len() as u32;
        let (method, data, size, crc): (u16, &[u8], u32, u32) = match entry {
            Entry::Stored(b) => (0, b, b.len() as u32, crc32(b)),
            Entry::Deflated(b, size, crc) => (8, b, *size, *crc),
        };
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central {
                h.extend_from_slice(&0x031Eu16.to_le_bytes()); // made by: unix
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // version needed
            h.extend_from_slice(&0u16.to_le_bytes()); // flags
            h.extend_from_slice(&method.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // time
            h.extend_from_slice(&0x21u16.to_le_bytes()); // date: 1980-01-01
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central {
                h.extend_from_slice(&0u16.to_le_bytes()); // comment
                h.extend_from_slice(&0u16.to_le_bytes()); // disk
                h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
                h.extend_from_slice(&(0o100600u32 << 16).to_le_bytes());
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name.as_bytes());
            h
        };
        out.extend_from_slice(&header(0x0403_4b50, false));
        out.extend_from_slice(data);
        central.extend_from_slice(&header(0x0201_4b50, true));
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    let n = entries.len() as u16;
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// The parts of a zip, inflated (for bundles the binary wrote; at most 64 MiB each).
pub fn unzip(path: &Path) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(path).expect("zip");
    let mut zip = zip::ZipArchive::new(file).expect("a zip");
    (0..zip.len())
        .map(|i| {
            let f = zip.by_index(i).expect("entry");
            let name = f.name().to_string();
            let mut bytes = Vec::new();
            f.take(64 << 20).read_to_end(&mut bytes).expect("inflate");
            (name, bytes)
        })
        .collect()
}

/// A part of the fixture bundle written by the first release.
pub fn fixture_part(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bundle-v1.zip");
    unzip(&path)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, b)| b)
        .unwrap_or_else(|| panic!("{name} in the fixture bundle"))
}
