//! A private virtual microphone for one test (or bench) process: its own PulseAudio daemon
//! with a clocked null sink (`scripts/vmic.pa`) whose monitor is the default source, a
//! low-latency keep-alive stream, all in a fresh 0700 runtime dir under the temp dir.
//!
//! Nothing is shared with another process: two suites on one machine each get their own
//! daemon, so what one plays the other never hears. cpal reaches it through ALSA's pulse
//! plugin, which honours `PULSE_SERVER`; this process (and the children it spawns) gets that
//! variable pointing at the private socket.
//!
//! Clean-up: the daemon and the keep-alive get `SIGTERM` when this process exits (an `atexit`
//! hook: normal end, a failed test, `process::exit`), and the kernel sends it to them if the
//! process dies any other way (`PR_SET_PDEATHSIG`, tied to a thread that lives as long as the
//! process). A runtime dir whose owner died without cleaning up is removed by the next start.
//!
//! Use: the first statement of every test in a binary that records is
//! `let mic = vmic_support::take();`. It serialises the tests of the binary (they share one
//! microphone) and starts the daemon on first use, before anything in the process touches
//! ALSA (ALSA decides once per process whether `default` is PulseAudio).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// The sink everything is played into; its monitor is the microphone.
pub const SINK: &str = "vmic_sink";
/// The source the recorder hears (the default source of the private daemon).
pub const SOURCE: &str = "vmic_sink.monitor";

const DIR_PREFIX: &str = "speech-scorer-vmic-";
const OWNER_FILE: &str = "owner.pid";

/// The running private daemon of this process.
#[derive(Debug)]
pub struct Vmic {
    dir: PathBuf,
    server: String,
}

struct Processes {
    daemon: Child,
    keepalive: Child,
    dir: PathBuf,
}

static VMIC: OnceLock<Result<Vmic, String>> = OnceLock::new();
/// Latency the keep-alive stream asks for (ms); the null sink then renders in blocks of a
/// quarter of it, and the monitor delivers at that rate to every recorder.
static KEEPALIVE_MSEC: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(20);
static RUNNING: Mutex<Option<Processes>> = Mutex::new(None);
static MIC: Mutex<()> = Mutex::new(());

/// Exclusive use of the private microphone for one test.
pub struct MicGuard {
    _lock: MutexGuard<'static, ()>,
    vmic: &'static Vmic,
}

impl MicGuard {
    /// The daemon, for a thread that needs it beyond this borrow (it lives as long as the
    /// process).
    pub fn vmic(&self) -> &'static Vmic {
        self.vmic
    }
}

impl std::ops::Deref for MicGuard {
    type Target = Vmic;
    fn deref(&self) -> &Vmic {
        self.vmic
    }
}

/// Takes the microphone for this test, starting the private daemon on first use. Panics
/// (fails the test) when PulseAudio cannot be started: a test marked as needing the mic
/// never passes without one.
pub fn take() -> MicGuard {
    let lock = MIC.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let vmic = VMIC.get_or_init(start);
    match vmic {
        Ok(vmic) => MicGuard { _lock: lock, vmic },
        Err(e) => panic!(
            "the virtual microphone could not be started: {e}\n\
             (needs pulseaudio, pulseaudio-utils and libasound2-plugins: scripts/packages.sh test)"
        ),
    }
}

/// [`take`], with the keep-alive asking for `msec` of latency instead of 20 ms (benchmarks:
/// the source then delivers less often, as a real microphone would). Only effective before
/// the daemon's first start in this process.
pub fn take_with_keepalive(msec: u32) -> MicGuard {
    KEEPALIVE_MSEC.store(msec.max(1), std::sync::atomic::Ordering::Relaxed);
    take()
}

impl Vmic {
    /// The `PULSE_SERVER` value of the private daemon.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The private runtime dir (holds the daemon's log, `pulse.log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A command with the private daemon's environment (children inherit it anyway; this
    /// makes it explicit for tools such as `paplay`, `pactl`, `parec`).
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("PULSE_SERVER", &self.server)
            .env("PULSE_COOKIE", self.dir.join("cookie"))
            .env("PULSE_CLIENTCONFIG", self.dir.join("client.conf"));
        c
    }

    /// Plays a file once into the microphone; wait on the child for its end.
    pub fn play(&self, file: &Path) -> Child {
        self.command("paplay")
            .args(["-d", SINK])
            .arg(file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("paplay starts")
    }

    /// `pactl ARGS` against the private daemon; its stdout.
    pub fn pactl(&self, args: &[&str]) -> String {
        let out = self
            .command("pactl")
            .args(args)
            .output()
            .expect("pactl runs");
        assert!(
            out.status.success(),
            "pactl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Process ids of the clients recording from the private daemon right now.
    pub fn recording_pids(&self) -> Vec<u32> {
        self.client_pids("source-outputs")
    }

    /// Process ids of the clients playing into the private daemon right now (the keep-alive
    /// stream is one of them).
    pub fn playing_pids(&self) -> Vec<u32> {
        self.client_pids("sink-inputs")
    }

    fn client_pids(&self, kind: &str) -> Vec<u32> {
        self.pactl(&["list", kind])
            .lines()
            .filter_map(|l| {
                l.trim()
                    .strip_prefix("application.process.id = \"")?
                    .strip_suffix('"')?
                    .parse()
                    .ok()
            })
            .collect()
    }
}

fn start() -> Result<Vmic, String> {
    remove_abandoned_dirs();
    let dir = tempfile::Builder::new()
        .prefix(DIR_PREFIX)
        .tempdir()
        .map_err(|e| format!("runtime dir: {e}"))?
        .keep();
    let write = |name: &str, text: String| {
        std::fs::write(dir.join(name), text).map_err(|e| format!("{name}: {e}"))
    };
    write(OWNER_FILE, std::process::id().to_string())?;
    // No client ever starts a daemon of its own (that would be a shared, unclean one).
    write("client.conf", "autospawn = no\n".into())?;
    let server = format!("unix:{}", dir.join("pulse/native").display());
    let pa_script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/vmic.pa");

    // The children are spawned from a thread that lives as long as the process: the kernel's
    // parent-death signal follows the thread that forked, not the process.
    let (tx, rx) = std::sync::mpsc::channel();
    let (spawn_dir, spawn_server) = (dir.clone(), server.clone());
    std::thread::Builder::new()
        .name("vmic-owner".into())
        .spawn(move || {
            let result = spawn_all(&spawn_dir, &spawn_server, &pa_script);
            let _ = tx.send(result);
            loop {
                std::thread::park();
            }
        })
        .map_err(|e| format!("owner thread: {e}"))?;
    let processes = rx
        .recv()
        .map_err(|_| "the owner thread died".to_string())??;
    *RUNNING.lock().unwrap_or_else(|p| p.into_inner()) = Some(processes);
    // SAFETY: registers a plain extern "C" function.
    unsafe {
        libc::atexit(stop_at_exit);
    }

    let vmic = Vmic { dir, server };
    // Point this process (cpal → ALSA → pulse plugin → libpulse) at the private daemon.
    // SAFETY: `take` holds the test lock while this runs and every test of the binary takes
    // it first, so no other thread of ours reads the environment meanwhile.
    unsafe {
        std::env::set_var("PULSE_SERVER", &vmic.server);
        std::env::set_var("PULSE_COOKIE", vmic.dir.join("cookie"));
        std::env::set_var("PULSE_CLIENTCONFIG", vmic.dir.join("client.conf"));
    }
    wait_until_settled(&vmic)?;
    Ok(vmic)
}

fn spawn_all(dir: &Path, server: &str, pa_script: &Path) -> Result<Processes, String> {
    let mut daemon = Command::new("pulseaudio");
    daemon
        .args(["-n", "--daemonize=no", "--exit-idle-time=-1", "--system=no"])
        .arg("-F")
        .arg(pa_script)
        .arg(format!(
            "--log-target=file:{}",
            dir.join("pulse.log").display()
        ))
        // Its socket, pid file and cookie stay in the private dir; it never touches ~/.
        .env("XDG_RUNTIME_DIR", dir)
        .env("HOME", dir)
        .env_remove("PULSE_SERVER")
        // Without a display it cannot try to launch a D-Bus daemon of its own.
        .env_remove("DISPLAY")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    die_with_parent(&mut daemon, libc::SIGTERM);
    let mut daemon = daemon
        .spawn()
        .map_err(|e| format!("pulseaudio does not start: {e}"))?;

    let ready = |deadline: Duration| -> Result<(), String> {
        let until = Instant::now() + deadline;
        loop {
            let info = Command::new("pactl")
                .arg("info")
                .env("PULSE_SERVER", server)
                .env("PULSE_CLIENTCONFIG", dir.join("client.conf"))
                .stderr(Stdio::null())
                .output();
            if let Ok(o) = info
                && String::from_utf8_lossy(&o.stdout).contains(SOURCE)
            {
                return Ok(());
            }
            if Instant::now() > until {
                return Err(format!(
                    "pulseaudio did not come up within {deadline:?}; see {}",
                    dir.join("pulse.log").display()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    if let Err(e) = ready(Duration::from_secs(10)) {
        let _ = daemon.kill();
        let _ = daemon.wait();
        return Err(e);
    }

    // Keep the null sink running at ~20 ms latency. Without it the sink idles with 2 s blocks
    // and a new capture stream gets its first samples 0.4–1.2 s late.
    let zero = std::fs::File::open("/dev/zero").map_err(|e| format!("/dev/zero: {e}"))?;
    let mut keepalive = Command::new("pacat");
    keepalive
        .args([
            "-p",
            "--raw",
            "--format=s16le",
            "--rate=48000",
            "--channels=2",
            "-d",
            SINK,
        ])
        .arg(format!(
            "--latency-msec={}",
            KEEPALIVE_MSEC.load(std::sync::atomic::Ordering::Relaxed)
        ))
        .env("PULSE_SERVER", server)
        .env("PULSE_CLIENTCONFIG", dir.join("client.conf"))
        .stdin(zero)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    die_with_parent(&mut keepalive, libc::SIGKILL);
    let keepalive = match keepalive.spawn() {
        Ok(k) => k,
        Err(e) => {
            let _ = daemon.kill();
            let _ = daemon.wait();
            return Err(format!("pacat does not start: {e}"));
        }
    };
    Ok(Processes {
        daemon,
        keepalive,
        dir: dir.to_path_buf(),
    })
}

/// Waits until the sink has left its initial 2 s idle block (latency under 100 ms).
fn wait_until_settled(vmic: &Vmic) -> Result<(), String> {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let latency_us = vmic.pactl(&["list", "sinks"]).lines().find_map(|l| {
            l.trim()
                .strip_prefix("Latency:")?
                .split_whitespace()
                .next()?
                .parse::<u64>()
                .ok()
        });
        if latency_us.is_some_and(|l| l < 100_000) {
            return Ok(());
        }
        if Instant::now() > until {
            return Err(format!(
                "the sink did not settle (latency {latency_us:?} µs)"
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn die_with_parent(cmd: &mut Command, signal: libc::c_int) {
    use std::os::unix::process::CommandExt as _;
    // SAFETY: only async-signal-safe calls between fork and exec.
    let parent = unsafe { libc::getpid() };
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, signal) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before the signal was armed.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

extern "C" fn stop_at_exit() {
    let processes = match RUNNING.lock() {
        Ok(mut g) => g.take(),
        Err(p) => p.into_inner().take(),
    };
    if let Some(p) = processes {
        stop(p);
    }
}

fn stop(mut p: Processes) {
    let _ = p.keepalive.kill();
    let _ = p.keepalive.wait();
    // SIGTERM lets the daemon release its shared memory; SIGKILL if it takes too long.
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(p.daemon.id() as libc::pid_t, libc::SIGTERM);
    }
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until {
        if matches!(p.daemon.try_wait(), Ok(Some(_))) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if !matches!(p.daemon.try_wait(), Ok(Some(_))) {
        let _ = p.daemon.kill();
        let _ = p.daemon.wait();
    }
    let _ = std::fs::remove_dir_all(&p.dir);
}

/// Removes runtime dirs left by processes that died without their exit hook (SIGKILL).
fn remove_abandoned_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_ours = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(DIR_PREFIX));
        if !is_ours {
            continue;
        }
        let owner: Option<i32> = std::fs::read_to_string(path.join(OWNER_FILE))
            .ok()
            .and_then(|s| s.trim().parse().ok());
        // SAFETY: signal 0 only checks whether the process exists.
        let alive = owner.is_some_and(|pid| unsafe { libc::kill(pid, 0) } == 0);
        // No owner file: being created right now, or not ours to judge.
        if owner.is_some() && !alive {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}
