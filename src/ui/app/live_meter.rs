//! Cheap drawing while testing the microphone and while recording: what the record screen
//! shows of the live input — the clock's second, the meter in the 3 dB steps it is drawn in,
//! the clip light, the hint — and the gate that wakes the UI only when that changes. The recorder refreshes its snapshot 20–30
//! times a second on its writer thread and calls back each time; the gate (on that thread,
//! never in the audio callback) compares what would be drawn with what was drawn and asks
//! egui for a frame only when it differs, at most every [`MIN_WAKE_INTERVAL`] for the meter
//! (a change inside the interval is drawn at its end) and at once for a new second.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::audio::meter::LevelHint;
use crate::audio::recorder::OnUpdate;
use crate::audio::{Monitor, Recorder, RecorderSnapshot, RecorderState};

/// The meter moves in steps of this many dB (20 steps from -60 dBFS to full scale).
pub const METER_STEP_DB: f32 = 3.0;

/// The meter alone wakes the UI at most this often.
pub const MIN_WAKE_INTERVAL: Duration = Duration::from_millis(300);

/// A frame at least this often while recording, whatever the gate saw (a stalled device
/// still shows its clock and its error).
pub const FALLBACK_REPAINT: Duration = Duration::from_secs(3);

/// What the record screen draws of a live recording, in the steps it draws it in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShownMeter {
    /// The clock's whole second.
    pub second: u64,
    /// The level, floored to a [`METER_STEP_DB`] step (dBFS).
    pub level_dbfs: f32,
    /// The held peak, floored to a step.
    pub peak_dbfs: f32,
    /// The clip light: while testing the microphone, "clipped in the last few seconds" (so it
    /// goes out once the person turns the level down); while recording, latched for the take.
    pub clipped: bool,
    /// The hint under the meter: the recorder's judgement of the last few seconds, held a
    /// while (so ordinary pauses do not flip it; see [`LevelHint`]).
    pub hint: LevelHint,
}

fn step(dbfs: f32) -> f32 {
    let floor = crate::audio::meter::DB_FLOOR;
    let db = if dbfs.is_finite() {
        dbfs.max(floor)
    } else {
        floor
    };
    (db / METER_STEP_DB).floor() * METER_STEP_DB
}

impl ShownMeter {
    /// What `s` looks like on screen.
    pub fn of(s: &RecorderSnapshot) -> ShownMeter {
        ShownMeter {
            second: s.elapsed.as_secs(),
            level_dbfs: step(s.meter.rms_dbfs),
            peak_dbfs: step(s.meter.peak_hold_dbfs),
            clipped: if s.state == RecorderState::Monitoring {
                s.meter.hint == LevelHint::TooLoud
            } else {
                s.meter.clipped
            },
            hint: s.meter.hint,
        }
    }

    /// Everything but the second, packed for a compare-and-swap.
    fn meter_key(self) -> u64 {
        let level = (self.level_dbfs / METER_STEP_DB) as i64 + 64;
        let peak = (self.peak_dbfs / METER_STEP_DB) as i64 + 64;
        let hint = self.hint as u64;
        (level as u64 & 0xff)
            | ((peak as u64 & 0xff) << 8)
            | (u64::from(self.clipped) << 16)
            | (hint << 17)
    }
}

/// The live input: the microphone being tested, or the take being recorded from it.
pub enum Live {
    /// The meter runs; nothing is written ([`Monitor`]).
    Monitor(Monitor),
    /// A take is being written ([`Recorder`]).
    Recording(Recorder),
}

impl Live {
    /// The latest meter and state.
    pub fn snapshot(&self) -> RecorderSnapshot {
        match self {
            Live::Monitor(m) => m.snapshot(),
            Live::Recording(r) => r.snapshot(),
        }
    }
}

/// The live input, shared between the app (which starts, reads and stops it) and the gate
/// (which reads its snapshot on the writer thread). The gate is installed when the device is
/// opened and stays through [`Monitor::record`], so the take starts without a gap in the meter.
pub type RecorderSlot = Arc<Mutex<Option<Live>>>;

/// The callback the recorder runs after each snapshot: wakes `ctx` only when what the record
/// screen shows changed. Never blocks the writer thread (it skips a tick rather than wait
/// for the slot).
pub fn repaint_gate(slot: RecorderSlot, ctx: egui::Context) -> OnUpdate {
    let last_meter = AtomicU64::new(u64::MAX);
    let last_second = AtomicU64::new(u64::MAX);
    // When the last frame was asked for (writer thread only: uncontended).
    let last_wake: Mutex<Option<Instant>> = Mutex::new(None);
    Arc::new(move || {
        let snapshot = match slot.try_lock() {
            Ok(guard) => match guard.as_ref() {
                Some(live) => live.snapshot(),
                None => return,
            },
            Err(_) => return,
        };
        let shown = ShownMeter::of(&snapshot);
        let meter = shown.meter_key();
        let second_changed = last_second.swap(shown.second, Ordering::AcqRel) != shown.second;
        let meter_changed = last_meter.load(Ordering::Acquire) != meter;
        if !second_changed && !meter_changed {
            return;
        }
        let Ok(mut wake) = last_wake.try_lock() else {
            return;
        };
        let now = Instant::now();
        let since = wake.map_or(Duration::MAX, |w| now.saturating_duration_since(w));
        last_meter.store(meter, Ordering::Release);
        if second_changed || since >= MIN_WAKE_INTERVAL {
            *wake = Some(now);
            ctx.request_repaint();
        } else {
            // Drawn at the end of the interval (egui keeps the earliest deadline asked for).
            let wait = MIN_WAKE_INTERVAL - since;
            *wake = Some(now + wait);
            ctx.request_repaint_after(wait);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::MeterReading;

    fn snapshot(elapsed_ms: u64, rms: f32) -> RecorderSnapshot {
        RecorderSnapshot {
            elapsed: Duration::from_millis(elapsed_ms),
            meter: MeterReading {
                rms_dbfs: rms,
                peak_dbfs: rms,
                peak_hold_dbfs: rms + 6.0,
                clipped: false,
                silent_for: Duration::ZERO,
                hint: LevelHint::TooQuiet,
            },
            overflows: 0,
            level_history: Vec::new(),
            state: crate::audio::RecorderState::Recording,
            error: None,
            device: "test".into(),
            take_loudness: None,
        }
    }

    #[test]
    fn the_meter_is_shown_in_steps() {
        let a = ShownMeter::of(&snapshot(1_200, -20.1));
        let b = ShownMeter::of(&snapshot(1_900, -21.0));
        assert_eq!(a.level_dbfs, -21.0);
        assert_eq!(a, b, "inside one step and one second: nothing to redraw");
        let c = ShownMeter::of(&snapshot(1_900, -17.5));
        assert_ne!(a.meter_key(), c.meter_key(), "a visible step");
        // The hint is the recorder's (held over seconds), not this frame's level.
        assert_eq!(
            ShownMeter::of(&snapshot(0, -10.0)).hint,
            LevelHint::TooQuiet
        );
        // Silence reads as the floor's step, not as minus infinity.
        assert_eq!(
            ShownMeter::of(&snapshot(0, f32::NEG_INFINITY)).level_dbfs,
            -102.0
        );
    }
}
