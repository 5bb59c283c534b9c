//! Opens the desktop app on the built-in simulator and walks it to a state worth a
//! screenshot (scripts/gui-screenshots.sh runs it under Xvfb). Not a test: it only clicks.
//!
//! Usage: gui_pilot [--size WxH] [--fixture WAV] [--scenario TOML] [--credits N] [--fast]
//!        [--record] [--submit] [--then record|history|settings|support|result|trend|batch]
//!        [--settings [--save-key KEY]] [--history] [--explain TEXT] [--confirm-remove] [--batch DIR]
//!        [--select-request N] [--all-runs] [--bundle ZIP [--replay max|N]]
//!        [--result POLL.json] [--trim-handles FROM-TO] [--zoom F] [--measure-frames N]
//!        [--group-by prefix:TEXT|key:NAME]
//!        [--mics fake|muted|null] [--saved-mic ID [--saved-mic-name NAME]] [--record-secs N]
//!
//! `--mics` replaces the machine's microphones with generated ones (`fake`: a built-in
//! microphone, the default, and a USB one; `muted`: one that hears digital silence, fast, so a
//! silent take of minutes takes seconds; `null`: a microphone and ALSA's null device, chosen).
//! `--saved-mic` starts with that microphone saved as the choice (gone from the list: the
//! record screen says so). `--record-secs N` stops the recording `--record` started once it
//! holds N seconds of audio.
//!
//! `--save-key KEY` saves KEY in Settings once the saved key has been read (where it goes is
//! the app's own choice: the keychain, else the file). `--result` shows a result body from a
//! file on the Result screen, for the take imported
//! with `--fixture` (as if it had been scored). `--trim-handles 12-170` moves the trim
//! handles (seconds), `--zoom 0.25` zooms the waveform in around its middle.
//! `--group-by` groups the trend's attempts by an externalId prefix or a metadata key.
//! `--measure-frames N` draws N frames once the screen is ready and prints the frames' CPU
//! time (`frame.info().cpu_usage`) and the waveform's drawing time, then closes (the
//! benchmark of a 45-minute take's waveform).

use std::path::PathBuf;
use std::process::ExitCode;

use speech_scorer::simulator::{Scenario, SimConfig};
use std::sync::Arc;

use speech_scorer::ui::app::{AppConfig, BatchCommand, SupportCommand};
use speech_scorer::ui::ports::{FakeDevice, FakeMicrophones, Microphones};
use speech_scorer::ui::{App, Command, Screen};

/// Generated microphones for the screenshots (see the usage above).
fn fake_microphones(kind: &str) -> Option<FakeMicrophones> {
    let built_in = || {
        let mut d = FakeDevice::microphone(
            "pulseaudio:alsa_input.pci-0000_00_1f.3.analog-stereo",
            "Built-in Audio Analog Stereo",
            true,
        );
        // A voice-like level that moves: a low tone at about -20 dBFS RMS.
        d.signal.amplitude = 0.14;
        d.signal.freq = 140.0;
        d
    };
    Some(FakeMicrophones::with(match kind {
        "fake" => vec![
            built_in(),
            FakeDevice::microphone(
                "pulseaudio:alsa_input.usb-Logitech_H390-00.analog-mono",
                "H390 Headset Mono",
                false,
            ),
        ],
        "muted" => {
            let mut d = built_in();
            d.signal.amplitude = 0.0;
            d.signal.speed = 100.0;
            d.allow_fast = true;
            vec![d]
        }
        "null" => vec![built_in(), FakeDevice::null_device()],
        _ => return None,
    }))
}

fn screen_named(name: &str) -> Option<Screen> {
    Some(match name {
        "record" => Screen::Record,
        "history" => Screen::History,
        "settings" => Screen::Settings,
        "support" => Screen::Support,
        "result" => Screen::Result,
        "trend" => Screen::Trend,
        _ => return None,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let flag = |name: &str| args.iter().any(|a| a == name);
    let mut sim = if flag("--fast") {
        SimConfig::fast()
    } else {
        SimConfig::default()
    };
    if let Some(path) = value("--scenario") {
        match Scenario::load(std::path::Path::new(&path)) {
            Ok(s) => sim = sim.with_scenario(s),
            Err(e) => {
                eprintln!("gui_pilot: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(c) = value("--credits").and_then(|c| c.parse().ok()) {
        sim.credits = c;
    }
    let size = value("--size")
        .and_then(|s| {
            let (w, h) = s.split_once('x')?;
            Some(egui::vec2(w.parse().ok()?, h.parse().ok()?))
        })
        .unwrap_or(speech_scorer::ui::DEFAULT_WINDOW);
    let fixture = value("--fixture").map(PathBuf::from);
    let record = flag("--record");
    let submit = flag("--submit");
    let settings = flag("--settings");
    let save_key = value("--save-key");
    let explain = value("--explain");
    let confirm_remove = flag("--confirm-remove");
    let batch = value("--batch").map(PathBuf::from);
    let select_request = value("--select-request").and_then(|n| n.parse::<usize>().ok());
    let all_runs = flag("--all-runs");
    let bundle = value("--bundle");
    let replay_speed = value("--replay").and_then(|s| s.parse().ok());
    let result_body = match value("--result").map(std::fs::read_to_string) {
        Some(Ok(text)) => {
            match serde_json::from_str::<speech_scorer::api::model::PollResponse>(&text) {
                Ok(poll) => Some(poll),
                Err(e) => {
                    eprintln!("gui_pilot: --result: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        Some(Err(e)) => {
            eprintln!("gui_pilot: --result: {e}");
            return ExitCode::from(2);
        }
        None => None,
    };
    let handles = value("--trim-handles").and_then(|s| {
        let (a, b) = s.split_once('-')?;
        Some((
            std::time::Duration::from_secs_f64(a.parse().ok()?),
            std::time::Duration::from_secs_f64(b.parse().ok()?),
        ))
    });
    let zoom: Option<f64> = value("--zoom").and_then(|z| z.parse().ok());
    let group_by = value("--group-by").and_then(|g| {
        use speech_scorer::store::attempts::GroupBy;
        match g.split_once(':')? {
            ("prefix", p) => Some(GroupBy::ExternalIdPrefix(p.to_string())),
            ("key", k) => Some(GroupBy::MetadataKey(k.to_string())),
            _ => None,
        }
    });
    let mut measure: Option<usize> = value("--measure-frames").and_then(|n| n.parse().ok());
    let mut cpu: Vec<f32> = Vec::new();
    let mut wave: Vec<f32> = Vec::new();
    let then = if flag("--history") {
        Some(Screen::History)
    } else {
        value("--then").and_then(|s| screen_named(&s))
    };
    let mut config = AppConfig {
        demo_config: sim,
        ..AppConfig::default()
    };
    if let Some(kind) = value("--mics") {
        match fake_microphones(&kind) {
            Some(m) => config.microphones = Arc::new(m) as Arc<dyn Microphones>,
            None => {
                eprintln!("gui_pilot: --mics fake|muted|null");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(id) = value("--saved-mic") {
        // The microphone chosen last time, as the app saves it.
        let state = speech_scorer::ui::State {
            device: Some(id),
            device_name: value("--saved-mic-name"),
            ..speech_scorer::ui::State::default()
        };
        let saved = speech_scorer::store::Paths::from_env()
            .map_err(|e| e.to_string())
            .and_then(|paths| state.save(&paths).map_err(|e| e.to_string()));
        if let Err(e) = saved {
            eprintln!("gui_pilot: --saved-mic: {e}");
            return ExitCode::from(2);
        }
    }
    let record_secs: Option<u64> = value("--record-secs").and_then(|n| n.parse().ok());
    let mut step = 0;
    let mut frames_there = 0;
    speech_scorer::ui::run_app_sized(config, size, move |app: &mut App, ctx: &egui::Context| {
        if let Some(by) = &group_by
            && app.state.trend_group != *by
        {
            app.run_command(
                ctx,
                Command::Views(speech_scorer::ui::app::ViewCommand::SetGrouping(by.clone())),
            );
        }
        match step {
            0 if batch.is_some() => {
                // The Batch screen: check the folder, then start it.
                app.run_command(ctx, Command::Navigate(Screen::Batch));
                if let Some(dir) = &batch {
                    app.batch.path = dir.display().to_string();
                }
                step = 10;
            }
            10 if app.connection.is_ready() => {
                app.run_command(ctx, Command::Batch(BatchCommand::Check));
                step = 11;
            }
            11 if matches!(app.batch.plan, Some(Ok(_))) => {
                app.run_command(ctx, Command::Batch(BatchCommand::Start));
                step = 12;
            }
            0 => {
                if settings {
                    app.run_command(ctx, Command::Navigate(Screen::Settings));
                    step = if save_key.is_some() { 98 } else { 99 };
                    return;
                }
                if let Some(f) = &fixture {
                    app.run_command(ctx, Command::ImportPath(f.clone()));
                }
                if record {
                    app.run_command(ctx, Command::StartRecording);
                }
                step = 1;
            }
            1 if record_secs.is_some_and(|n| {
                app.recorder_snapshot()
                    .is_some_and(|s| s.elapsed.as_secs() >= n)
            }) =>
            {
                app.run_command(ctx, Command::StopRecording);
            }
            1 if submit && app.take.is_some() && app.connection.is_ready() => {
                app.run_command(ctx, Command::Submit);
                step = 2;
            }
            98 if app.key_wait != speech_scorer::ui::app::KeyWait::Reading => {
                if let Some(key) = &save_key {
                    app.form.key_input = key.clone();
                    app.run_command(ctx, Command::SaveKey);
                }
                step = 99;
            }
            // Straight to a bundle, nothing submitted.
            1 if !submit && bundle.is_some() => step = 2,
            2 if !app.is_submitting() => {
                if let Some(screen) = then {
                    // A run that failed left its dialog up; the screen is the subject here.
                    app.dialog = None;
                    app.run_command(ctx, Command::Navigate(screen));
                }
                if let Some(text) = &explain {
                    app.support.explain_input = text.clone();
                    app.run_command(ctx, Command::Support(SupportCommand::Explain));
                }
                if select_request.is_some() {
                    app.support.selected = select_request;
                }
                if all_runs {
                    app.support.source = speech_scorer::ui::support::LogSource::AllRuns;
                    app.run_command(ctx, Command::Support(SupportCommand::Search));
                }
                if let Some(zip) = &bundle {
                    app.run_command(ctx, Command::OpenBundleFile(PathBuf::from(zip)));
                    step = 5;
                    return;
                }
                step = 3;
            }
            5 if app.support.bundle.is_some() => {
                if let Some(speed) = replay_speed {
                    app.support.replay_speed = speed;
                    app.run_command(ctx, Command::Support(SupportCommand::StartReplay));
                }
                step = 6;
            }
            1 if result_body.is_some() && app.take.is_some() => {
                app.result = result_body.clone();
                app.result_simulated = true;
                app.run_command(ctx, Command::Navigate(Screen::Result));
                step = 3;
            }
            1 if !submit && then.is_some() && app.history_view.loaded => {
                if let Some(screen) = then {
                    app.run_command(ctx, Command::Navigate(screen));
                }
                step = 3;
            }
            3 if confirm_remove => {
                // Wait for the history rows, then ask to remove the newest run.
                frames_there += 1;
                ctx.request_repaint_after(std::time::Duration::from_millis(100));
                if let Some(row) = app.history_view.rows.first()
                    && frames_there > 5
                {
                    let id = row.record.local_id.clone();
                    let confirmation =
                        speech_scorer::ui::history::remove_run_confirmation(&id, "today");
                    app.run_command(ctx, Command::Confirm(confirmation));
                    step = 4;
                }
            }
            _ => {}
        }
        // The waveform's handles and zoom, once the take is on screen.
        if let Some(take) = app.take.clone()
            && let Some(w) = app.views.wave.ready(&take.original)
            && (handles.is_some() || zoom.is_some())
        {
            let mut view = app.views.wave.view(&take.original);
            if view.selection.is_none()
                && let Some(h) = handles
            {
                view.selection = Some(h);
            }
            if view.visible.is_none()
                && let Some(z) = zoom
            {
                let len = w.duration().as_secs_f64();
                let span = len * z;
                let a = (len - span) / 2.0;
                view.visible = Some((
                    std::time::Duration::from_secs_f64(a),
                    std::time::Duration::from_secs_f64(a + span),
                ));
            }
            app.views.wave.set_view(&take.original, view);
        }
        // The benchmark: N frames once the waveform of the take is drawn.
        if let Some(n) = measure {
            // With a take: once its waveform is drawn; without: once the screen is reached.
            let ready = if fixture.is_some() {
                app.take
                    .as_ref()
                    .is_some_and(|t| app.views.wave.ready(&t.original).is_some())
            } else {
                step >= 3
            };
            if ready {
                if let Some(c) = app.views.last_frame_cpu {
                    cpu.push(c * 1000.0);
                }
                if let Some(d) = app.views.wave.last_draw {
                    wave.push(d.as_secs_f32() * 1000.0);
                }
                if cpu.len() >= n {
                    let stats = |v: &mut Vec<f32>| {
                        v.sort_by(f32::total_cmp);
                        let median = v.get(v.len() / 2).copied().unwrap_or(0.0);
                        let max = v.last().copied().unwrap_or(0.0);
                        (median, max)
                    };
                    // The first frames build fonts and caches: leave them out.
                    let mut steady: Vec<f32> = cpu.iter().skip(5).copied().collect();
                    let (m, x) = stats(&mut steady);
                    let mut w: Vec<f32> = wave.iter().skip(5).copied().collect();
                    let (wm, wx) = stats(&mut w);
                    let length = app.take.as_ref().map(|t| t.duration.as_secs()).unwrap_or(0);
                    println!(
                        "frames: {}, take {}:{:02}; frame cpu_usage median {m:.2} ms, max {x:.2} ms; waveform drawing median {wm:.2} ms, max {wx:.2} ms",
                        steady.len(),
                        length / 60,
                        length % 60
                    );
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                    measure = None;
                } else {
                    ctx.request_repaint();
                }
            } else {
                ctx.request_repaint_after(std::time::Duration::from_millis(50));
            }
        }
    })
}
