//! `devices`, `record` and `convert`: the audio subcommands.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::Exit;
use crate::audio::recorder::{RecorderOptions, clock};
use crate::audio::{self, AudioError, Recorder, RecorderConfig, RecorderState, StopReason};

/// `speech-scorer devices`
#[derive(Debug, clap::Args)]
pub struct DevicesArgs {
    /// Print the list as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `speech-scorer record OUT.wav`
#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// Where to write the 16 kHz mono WAV (never overwritten: `-2`, `-3`… is appended).
    pub out: PathBuf,
    /// Stop after this many seconds (default: Ctrl-C or the 45-minute maximum).
    #[arg(long)]
    pub seconds: Option<f64>,
    /// Input device id or name (see `speech-scorer devices`); default: the system default.
    #[arg(long)]
    pub device: Option<String>,
}

/// `speech-scorer convert IN OUT.wav`
#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// Any audio file we can read (WAV, FLAC, MP3, OGG, M4A, WebM, MKV).
    pub input: PathBuf,
    /// The 16 kHz mono 16-bit WAV to write.
    pub output: PathBuf,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// When a WAV is shorter than its header says (a file cut short), convert the audio that
    /// is there instead of refusing it.
    #[arg(long)]
    pub partial: bool,
}

fn fail(e: &AudioError) -> ExitCode {
    eprintln!("error: {e}");
    if e.is_bad_input() {
        Exit::InvalidInput.into()
    } else {
        Exit::Other.into()
    }
}

/// Lists input devices, the default first.
pub fn devices(args: DevicesArgs) -> ExitCode {
    let list = match audio::devices::list_input_devices() {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    if args.json {
        match serde_json::to_string_pretty(&list) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return Exit::Other.into();
            }
        }
        return Exit::Success.into();
    }
    if list.is_empty() {
        eprintln!("No input devices found. Connect a microphone or check the sound settings.");
        return Exit::Other.into();
    }
    for d in &list {
        let star = if d.is_default { "*" } else { " " };
        let cfg = match (d.default_rate, d.channels, &d.sample_format) {
            (Some(r), Some(c), Some(f)) => format!("{r} Hz, {c} ch, {f}"),
            _ => format!(
                "not usable: {}",
                d.problem.as_deref().unwrap_or("unknown configuration")
            ),
        };
        println!("{star} {:<28} {:<36} {cfg}", d.id, d.name);
    }
    println!("(* = default; pass the id or the name to `record --device`)");
    Exit::Success.into()
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    INTERRUPTED.store(true, Ordering::SeqCst);
}

fn install_sigint() {
    let handler: extern "C" fn(libc::c_int) = on_sigint;
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler as libc::sighandler_t);
    }
}

/// Records to a WAV with a live meter on stderr until `--seconds`, Ctrl-C or 45 minutes.
pub fn record(args: RecordArgs) -> ExitCode {
    if let Some(s) = args.seconds
        && !(s.is_finite() && s > 0.0)
    {
        eprintln!("error: --seconds must be a positive number");
        return Exit::InvalidInput.into();
    }
    let out_dir = args
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let stem = args
        .out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "take".into());
    recover_interrupted(&out_dir);
    install_sigint();
    let limit = args
        .seconds
        .map(Duration::from_secs_f64)
        .map(|l| l.min(audio::MAX_DURATION));
    // The writer stops at exactly `--seconds` of audio (sample-accurate), not when we poll.
    let opts = RecorderOptions {
        max_duration: limit.unwrap_or(audio::MAX_DURATION),
        ..Default::default()
    };
    let config = RecorderConfig {
        device: args.device.clone(),
        out_dir,
        file_stem: stem,
        on_update: None,
    };
    let rec = match Recorder::start_with(config, opts) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let tty = std::io::stderr().is_terminal();
    eprintln!(
        "Recording from \"{}\" to {} — Ctrl-C to stop.",
        rec.snapshot().device,
        rec.path().display()
    );
    let mut last_line = Duration::ZERO;
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let snap = rec.snapshot();
        if tty {
            eprint!("\r{}   ", meter_line(&snap));
            let _ = std::io::stderr().flush();
        } else if snap.elapsed >= last_line + Duration::from_secs(1) {
            eprintln!("{}", meter_line(&snap));
            last_line = snap.elapsed;
        }
        let done = matches!(
            snap.state,
            RecorderState::Finished(_) | RecorderState::Failed
        );
        if done || INTERRUPTED.load(Ordering::SeqCst) || limit.is_some_and(|l| snap.elapsed >= l) {
            break;
        }
    }
    if tty {
        eprintln!();
    }
    let snap_before = rec.snapshot();
    match rec.stop() {
        Ok(take) => {
            let snap = snap_before;
            let asked_length = limit.is_some()
                && snap.state == RecorderState::Finished(StopReason::MaxDurationReached);
            if let Some(msg) = snap.error.as_ref().filter(|_| !asked_length) {
                eprintln!("{msg}");
            }
            eprintln!(
                "Saved {} ({}, {:.1} MB, {} overflows).",
                take.path.display(),
                clock(take.duration),
                take.size_bytes as f64 / 1e6,
                take.overflows
            );
            if take.duration < audio::MIN_DURATION {
                eprintln!("Note: the API needs at least 3 minutes of audio.");
            }
            match snap.state {
                RecorderState::Finished(StopReason::DeviceLost) => Exit::Other.into(),
                _ => Exit::Success.into(),
            }
        }
        Err(e) => fail(&e),
    }
}

/// Takes a crash left in the output folder are repaired (header sizes fixed from the file
/// length: non-destructive) and reported, so nothing recorded is ever silently lost.
fn recover_interrupted(dir: &std::path::Path) {
    for path in audio::recovery::find_interrupted(dir) {
        match audio::recovery::repair(&path) {
            Ok(take) => eprintln!(
                "Recovered an interrupted recording: {} ({}).",
                take.path.display(),
                clock(take.duration)
            ),
            Err(e) => eprintln!("Found an interrupted recording that could not be repaired: {e}"),
        }
    }
}

fn meter_line(s: &audio::RecorderSnapshot) -> String {
    const WIDTH: usize = 30;
    // -60..0 dBFS across the bar.
    let fill = (((s.meter.rms_dbfs + 60.0) / 60.0).clamp(0.0, 1.0) * WIDTH as f32) as usize;
    let hold = (((s.meter.peak_hold_dbfs + 60.0) / 60.0).clamp(0.0, 1.0) * WIDTH as f32) as usize;
    let bar: String = (0..WIDTH)
        .map(|i| {
            if i < fill {
                '#'
            } else if i == hold.min(WIDTH - 1) && hold > 0 {
                '|'
            } else {
                '-'
            }
        })
        .collect();
    let mut line = format!(
        "● {} [{bar}] rms {:>6.1} dBFS  peak {:>6.1}",
        clock(s.elapsed),
        s.meter.rms_dbfs,
        s.meter.peak_dbfs
    );
    if s.meter.clipped {
        line.push_str("  CLIPPED");
    }
    if s.meter.silence_warning() {
        line.push_str("  no sound: is the microphone muted?");
    }
    if s.overflows > 0 {
        line.push_str(&format!("  {} overflows", s.overflows));
    }
    line
}

/// Converts any readable audio file to 16 kHz mono 16-bit WAV. A WAV cut short (its header
/// claims more than the file holds) is refused with exit 2 unless `--partial` is given: a
/// script must not take a fragment for the recording, and the person learns the file is
/// damaged while the source may still be at hand.
pub fn convert(args: ConvertArgs) -> ExitCode {
    let options = audio::convert::ConvertOptions {
        accept_truncated: args.partial,
    };
    match audio::convert::to_wav_16k_mono_with(&args.input, &args.output, options) {
        Ok(c) => {
            if args.json {
                match serde_json::to_string(&c) {
                    Ok(s) => println!("{s}"),
                    Err(e) => eprintln!("error: {e}"),
                }
            }
            if let Some(declared) = c.declared_duration {
                eprintln!(
                    "Warning: {} is shorter than its header says ({} of {}): converted what is there.",
                    args.input.display(),
                    clock(c.duration),
                    clock(declared)
                );
            }
            eprintln!(
                "Wrote {} ({}, {:.1} MB) from {} Hz, {} channel(s).",
                c.path.display(),
                clock(c.duration),
                c.size_bytes as f64 / 1e6,
                c.source_rate,
                c.source_channels
            );
            if c.skipped_packets > 0 {
                eprintln!(
                    "Warning: {} damaged packet(s) were skipped.",
                    c.skipped_packets
                );
            }
            Exit::Success.into()
        }
        Err(e) => {
            let code = fail(&e);
            if !args.partial && audio::convert::wav_truncation(&args.input).is_some() {
                eprintln!(
                    "To convert the audio that is there, run the same command with --partial."
                );
            }
            code
        }
    }
}
