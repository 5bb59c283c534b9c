//! Custom-painted widgets: the input level meter, the recording time bar and the score bars.
//! Each one reports itself to AccessKit with a label that says what a sighted person reads
//! off it, so screen readers and the kittest tests can find it by name.

use std::time::Duration;

use egui::{
    Color32, CornerRadius, Rect, Response, Role, Sense, Stroke, Ui, Vec2, WidgetInfo, pos2, vec2,
};

use crate::api::model::DimensionScore;

use crate::audio::{AUTO_STOP, MAX_DURATION, MIN_DURATION};

/// Lowest level drawn on the meter; anything quieter reads as an empty bar.
const METER_FLOOR_DBFS: f32 = -60.0;

/// Colours that follow the theme: a level is green, close to full scale amber, clipping red.
fn level_colour(ui: &Ui, dbfs: f32) -> Color32 {
    if dbfs >= -3.0 {
        ui.visuals().error_fg_color
    } else if dbfs >= -12.0 {
        ui.visuals().warn_fg_color
    } else if ui.visuals().dark_mode {
        Color32::from_rgb(80, 190, 110)
    } else {
        Color32::from_rgb(30, 140, 60)
    }
}

/// 0..1 position of a dBFS value on the meter's scale.
pub fn meter_fraction(dbfs: f32) -> f32 {
    if !dbfs.is_finite() {
        return 0.0;
    }
    ((dbfs - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS).clamp(0.0, 1.0)
}

fn format_dbfs(dbfs: f32) -> String {
    if dbfs.is_finite() && dbfs > METER_FLOOR_DBFS {
        format!("{dbfs:.0} dBFS")
    } else {
        "silence".to_string()
    }
}

/// What the level meter shows: the current level, the held peak and whether the input clipped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterView {
    /// Short-term RMS level.
    pub rms_dbfs: f32,
    /// Highest peak of the last second or two.
    pub peak_hold_dbfs: f32,
    /// Latched until the take ends: the input hit full scale at least once.
    pub clipped: bool,
}

/// The dB marks printed under the meter.
pub const METER_SCALE_DBFS: [f32; 6] = [-60.0, -48.0, -36.0, -24.0, -12.0, 0.0];

/// True when a level is inside the target zone the meter marks.
pub fn in_target_zone(dbfs: f32) -> bool {
    let (low, high) = crate::guidance::TARGET_ZONE_DBFS;
    dbfs.is_finite() && (low..=high).contains(&dbfs)
}

/// The meter's accessible label: what a sighted person reads off it.
pub fn meter_label(meter: &MeterView) -> String {
    let (low, high) = crate::guidance::TARGET_ZONE_DBFS;
    let zone = if in_target_zone(meter.rms_dbfs) {
        "in the target zone".to_string()
    } else {
        format!("target zone {low:.0} to {high:.0} dBFS")
    };
    format!(
        "Input level {}, peak {}{}, {zone}",
        format_dbfs(meter.rms_dbfs),
        format_dbfs(meter.peak_hold_dbfs),
        if meter.clipped { ", clipped" } else { "" }
    )
}

/// A horizontal level meter with a peak-hold tick, a clip light at its right end, the target
/// zone marked on the bar and a labelled dB scale under it.
pub fn level_meter_ui(ui: &mut Ui, meter: MeterView) -> Response {
    let width = ui.available_width().clamp(160.0, 520.0);
    let scale_h = 16.0;
    let (rect, response) = ui.allocate_exact_size(vec2(width, 22.0 + scale_h), Sense::hover());
    let label = meter_label(&meter);
    response.widget_info(|| WidgetInfo::labeled(Role::Meter, true, &label));
    if ui.is_rect_visible(rect) {
        let light_d = 22.0;
        let bar = Rect::from_min_max(
            rect.min,
            pos2(rect.max.x - light_d - 6.0, rect.min.y + light_d),
        );
        let painter = ui.painter();
        let radius = CornerRadius::same(4);
        painter.rect_filled(bar, radius, ui.visuals().extreme_bg_color);
        // The target zone: where a speaking voice should sit. Shaded behind the level, a band
        // under the bar, and its edges drawn over the level so it stays visible when filled.
        let (low, high) = crate::guidance::TARGET_ZONE_DBFS;
        let zone = Rect::from_min_max(
            pos2(bar.min.x + bar.width() * meter_fraction(low), bar.min.y),
            pos2(bar.min.x + bar.width() * meter_fraction(high), bar.max.y),
        );
        let zone_colour = level_colour(ui, -20.0);
        painter.rect_filled(zone, CornerRadius::ZERO, zone_colour.gamma_multiply(0.22));
        let level = meter_fraction(meter.rms_dbfs);
        if level > 0.0 {
            let fill = Rect::from_min_size(bar.min, vec2(bar.width() * level, bar.height()));
            painter.rect_filled(fill, radius, level_colour(ui, meter.rms_dbfs));
        }
        let edge = Stroke::new(1.5, ui.visuals().strong_text_color().gamma_multiply(0.8));
        for x in [zone.min.x, zone.max.x] {
            painter.line_segment([pos2(x, bar.min.y), pos2(x, bar.max.y)], edge);
        }
        painter.rect_filled(
            Rect::from_min_max(
                pos2(zone.min.x, bar.max.y + 1.0),
                pos2(zone.max.x, bar.max.y + 4.0),
            ),
            CornerRadius::ZERO,
            zone_colour,
        );
        let peak = meter_fraction(meter.peak_hold_dbfs);
        if peak > 0.0 {
            let x = bar.min.x + bar.width() * peak;
            painter.line_segment(
                [pos2(x, bar.min.y + 2.0), pos2(x, bar.max.y - 2.0)],
                Stroke::new(2.0, level_colour(ui, meter.peak_hold_dbfs)),
            );
        }
        // The scale: a tick and its number every 12 dB, so a person can read the level.
        let weak = ui.visuals().weak_text_color();
        let font = egui::FontId::proportional(11.0);
        for db in METER_SCALE_DBFS {
            let x = bar.min.x + bar.width() * meter_fraction(db);
            painter.line_segment(
                [pos2(x, bar.max.y - 5.0), pos2(x, bar.max.y)],
                Stroke::new(1.0, weak),
            );
            let align = if db <= METER_SCALE_DBFS[0] {
                egui::Align2::LEFT_TOP
            } else if db >= 0.0 {
                egui::Align2::RIGHT_TOP
            } else {
                egui::Align2::CENTER_TOP
            };
            painter.text(
                pos2(x, bar.max.y + 5.0),
                align,
                format!("{db:.0}"),
                font.clone(),
                weak,
            );
        }
        painter.text(
            pos2(rect.max.x, bar.max.y + 5.0),
            egui::Align2::RIGHT_TOP,
            "dB",
            font,
            weak,
        );
        let centre = pos2(rect.max.x - light_d / 2.0, bar.center().y);
        let light = if meter.clipped {
            ui.visuals().error_fg_color
        } else {
            ui.visuals().extreme_bg_color
        };
        painter.circle(
            centre,
            light_d / 2.0 - 2.0,
            light,
            Stroke::new(1.0, ui.visuals().weak_text_color()),
        );
    }
    response.on_hover_text(
        "The shaded zone is a good speaking level; red means the input clipped (too loud).",
    )
}

/// `m:ss` (or `h:mm:ss`) for people.
pub fn format_clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// Where `elapsed` sits on the time bar: the first 30 % of the bar is the way to the 3-minute
/// minimum (so early progress is visible), the rest runs to the 45-minute limit.
pub fn time_bar_fraction(elapsed: Duration) -> f32 {
    const MIN_SHARE: f32 = 0.3;
    let e = elapsed.as_secs_f32();
    let min = MIN_DURATION.as_secs_f32();
    let max = MAX_DURATION.as_secs_f32();
    if e <= min {
        MIN_SHARE * e / min
    } else {
        (MIN_SHARE + (1.0 - MIN_SHARE) * (e - min) / (max - min)).min(1.0)
    }
}

/// The sentence under the time bar of a take.
pub fn time_bar_text(elapsed: Duration) -> String {
    if elapsed < MIN_DURATION {
        format!(
            "{} — {} more to reach the 3-minute minimum",
            format_clock(elapsed),
            format_clock(MIN_DURATION - elapsed)
        )
    } else if elapsed < MAX_DURATION {
        format!(
            "{} — long enough; the limit is 45 minutes ({} left)",
            format_clock(elapsed),
            format_clock(MAX_DURATION - elapsed)
        )
    } else {
        format!("{} — the 45-minute limit is reached", format_clock(elapsed))
    }
}

/// The sentence under the time bar while recording: the time left runs to the auto-stop
/// (44:50), where the recorder stops by itself.
pub fn recording_time_text(elapsed: Duration) -> String {
    if elapsed < MIN_DURATION {
        time_bar_text(elapsed)
    } else if elapsed < AUTO_STOP {
        format!(
            "{} — long enough; {} left until it stops by itself at {}",
            format_clock(elapsed),
            format_clock(AUTO_STOP - elapsed),
            format_clock(AUTO_STOP)
        )
    } else {
        format!(
            "{} — stopped by itself at {}",
            format_clock(elapsed),
            format_clock(AUTO_STOP)
        )
    }
}

/// The time bar of a take: a marker at the 3-minute minimum, the end at 45 minutes.
pub fn time_bar_ui(ui: &mut Ui, elapsed: Duration) -> Response {
    time_bar_with_ui(ui, elapsed, false)
}

/// The time bar while recording: also a marker at the auto-stop (44:50), and a line saying
/// where and why the recording stops by itself.
pub fn recording_time_bar_ui(ui: &mut Ui, elapsed: Duration) -> Response {
    time_bar_with_ui(ui, elapsed, true)
}

fn time_bar_with_ui(ui: &mut Ui, elapsed: Duration, recording: bool) -> Response {
    let width = ui.available_width().clamp(160.0, 520.0);
    let (rect, response) = ui.allocate_exact_size(vec2(width, 14.0), Sense::hover());
    let text = if recording {
        recording_time_text(elapsed)
    } else {
        time_bar_text(elapsed)
    };
    let note = crate::guidance::auto_stop_note();
    let accessible = if recording {
        format!("{text}. {note}")
    } else {
        text.clone()
    };
    response.widget_info(|| WidgetInfo::labeled(Role::ProgressIndicator, true, &accessible));
    if ui.is_rect_visible(rect) {
        let painter = ui.painter();
        let radius = CornerRadius::same(3);
        painter.rect_filled(rect, radius, ui.visuals().extreme_bg_color);
        let reached = elapsed >= MIN_DURATION;
        let fill_colour = if reached {
            ui.visuals().selection.bg_fill
        } else {
            ui.visuals().warn_fg_color
        };
        let f = time_bar_fraction(elapsed);
        painter.rect_filled(
            Rect::from_min_size(rect.min, vec2(rect.width() * f, rect.height())),
            radius,
            fill_colour,
        );
        let x = rect.min.x + rect.width() * time_bar_fraction(MIN_DURATION);
        painter.line_segment(
            [pos2(x, rect.min.y - 3.0), pos2(x, rect.max.y + 3.0)],
            Stroke::new(2.0, ui.visuals().strong_text_color()),
        );
        if recording {
            let x = rect.min.x + rect.width() * time_bar_fraction(AUTO_STOP);
            painter.line_segment(
                [pos2(x, rect.min.y - 3.0), pos2(x, rect.max.y + 3.0)],
                Stroke::new(2.0, ui.visuals().error_fg_color),
            );
        }
    }
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new(&text).monospace());
    });
    if recording {
        ui.label(egui::RichText::new(note).weak());
    }
    response
}

/// The accessible label of one score bar, e.g. "Fluency: B2, 3.5 of 5, 70 %".
pub fn score_label(name: &str, score: &DimensionScore) -> String {
    match score.score {
        None => format!("{name}: not scored"),
        Some(s) => {
            let mut out = format!("{name}: ");
            if let Some(c) = &score.cefr {
                out.push_str(c);
                out.push_str(", ");
            }
            out.push_str(&format!("{s:.1} of 5"));
            if let Some(p) = score.percent {
                out.push_str(&format!(", {p:.0} %"));
            }
            out
        }
    }
}

/// The CEFR levels, lowest first (the API's A1–C2).
pub const CEFR_LEVELS: [&str; 6] = ["A1", "A2", "B1", "B2", "C1", "C2"];

/// The six CEFR levels in a row with the one the service gave filled in. The levels are
/// shown as the service named them, not placed on the 0–5 bar: how scores map to levels is
/// not documented, so the app does not guess band edges.
pub fn cefr_ladder_ui(ui: &mut Ui, cefr: Option<&str>) {
    let cell = vec2(20.0, 14.0);
    let (rect, _) = ui.allocate_exact_size(vec2(cell.x * 6.0 + 5.0, cell.y), Sense::hover());
    if !ui.is_rect_visible(rect) {
        return;
    }
    let painter = ui.painter();
    for (i, level) in CEFR_LEVELS.iter().enumerate() {
        let r = Rect::from_min_size(
            pos2(rect.left() + i as f32 * (cell.x + 1.0), rect.top()),
            cell,
        );
        let on = cefr.is_some_and(|c| c.eq_ignore_ascii_case(level));
        let (fill, text) = if on {
            (
                ui.visuals().selection.bg_fill,
                ui.visuals().selection.stroke.color,
            )
        } else {
            (
                ui.visuals().extreme_bg_color,
                ui.visuals().weak_text_color(),
            )
        };
        painter.rect_filled(r, CornerRadius::same(2), fill);
        painter.text(
            r.center(),
            egui::Align2::CENTER_CENTER,
            *level,
            egui::FontId::proportional(9.5),
            text,
        );
    }
}

/// One dimension: name, a 0–5 bar, CEFR level and percent. A missing score says so.
pub fn score_bar_ui(ui: &mut Ui, name: &str, score: &DimensionScore) -> Response {
    score_bar_with_change_ui(ui, name, score, None)
}

/// [`score_bar_ui`] with the CEFR ladder and, when there is a last attempt to compare with,
/// the change since it ("+0.3").
pub fn score_bar_with_change_ui(
    ui: &mut Ui,
    name: &str,
    score: &DimensionScore,
    change: Option<f64>,
) -> Response {
    let label = score_label(name, score);
    let inner = ui.horizontal(|ui| {
        ui.allocate_ui_with_layout(
            vec2(90.0, 20.0),
            egui::Layout::left_to_right(egui::Align::Center),
            |ui| {
                ui.set_min_width(90.0);
                ui.label(egui::RichText::new(name).strong());
            },
        );
        let bar_w = (ui.available_width() - 300.0).clamp(80.0, 360.0);
        let (rect, _) = ui.allocate_exact_size(vec2(bar_w, 16.0), Sense::hover());
        if ui.is_rect_visible(rect) {
            let painter = ui.painter();
            let radius = CornerRadius::same(3);
            painter.rect_filled(rect, radius, ui.visuals().extreme_bg_color);
            if let Some(s) = score.score {
                let f = (s / 5.0).clamp(0.0, 1.0) as f32;
                painter.rect_filled(
                    Rect::from_min_size(rect.min, Vec2::new(rect.width() * f, rect.height())),
                    radius,
                    ui.visuals().selection.bg_fill,
                );
            }
            // Whole-point ticks so "3.8 of 5" can be read off the bar.
            for i in 1..5 {
                let x = rect.min.x + rect.width() * i as f32 / 5.0;
                painter.line_segment(
                    [pos2(x, rect.min.y), pos2(x, rect.min.y + 4.0)],
                    Stroke::new(1.0, ui.visuals().weak_text_color()),
                );
            }
        }
        match score.score {
            Some(s) => {
                let cefr = score.cefr.as_deref().unwrap_or("—");
                ui.label(egui::RichText::new(cefr).strong().monospace());
                ui.label(egui::RichText::new(format!("{s:.1}/5")).monospace());
                if let Some(p) = score.percent {
                    ui.label(egui::RichText::new(format!("{p:.0} %")).monospace().weak());
                }
                cefr_ladder_ui(ui, score.cefr.as_deref());
                if let Some(c) = change {
                    change_label_ui(ui, c);
                }
            }
            None => {
                ui.label(
                    egui::RichText::new("not scored")
                        .color(ui.visuals().warn_fg_color)
                        .italics(),
                );
            }
        }
    });
    let response = inner.response;
    response.widget_info(|| WidgetInfo::labeled(Role::Meter, true, &label));
    response
}

/// "+0.3" in green, "-0.2" in red, "±0" weak: a change since the last attempt.
pub fn change_label_ui(ui: &mut Ui, change: f64) -> Response {
    let text = crate::store::attempts::delta_text(change);
    let rounded = (change * 10.0).round();
    let colour = if rounded > 0.0 {
        if ui.visuals().dark_mode {
            Color32::from_rgb(90, 200, 120)
        } else {
            Color32::from_rgb(25, 125, 55)
        }
    } else if rounded < 0.0 {
        ui.visuals().error_fg_color
    } else {
        ui.visuals().weak_text_color()
    };
    ui.label(egui::RichText::new(text).strong().monospace().color(colour))
        .on_hover_text("Change since your last attempt (0–5 scale)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meter_scale_maps_floor_and_full_scale() {
        assert_eq!(meter_fraction(-60.0), 0.0);
        assert_eq!(meter_fraction(-90.0), 0.0);
        assert_eq!(meter_fraction(f32::NEG_INFINITY), 0.0);
        assert_eq!(meter_fraction(0.0), 1.0);
        assert!((meter_fraction(-30.0) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn time_bar_puts_minimum_at_thirty_percent() {
        assert_eq!(time_bar_fraction(Duration::ZERO), 0.0);
        assert!((time_bar_fraction(MIN_DURATION) - 0.3).abs() < 1e-6);
        assert!((time_bar_fraction(MAX_DURATION) - 1.0).abs() < 1e-6);
        assert_eq!(time_bar_fraction(MAX_DURATION * 2), 1.0);
        assert!(time_bar_text(Duration::from_secs(133)).contains("0:47 more"));
        assert!(time_bar_text(Duration::from_secs(200)).contains("long enough"));
        assert!(time_bar_text(MAX_DURATION).contains("limit is reached"));
    }

    #[test]
    fn while_recording_the_time_left_runs_to_the_auto_stop() {
        let t = recording_time_text(Duration::from_secs(44 * 60));
        assert_eq!(
            t,
            "44:00 — long enough; 0:50 left until it stops by itself at 44:50"
        );
        assert!(recording_time_text(AUTO_STOP).contains("stopped by itself at 44:50"));
        assert!(recording_time_text(Duration::from_secs(10)).contains("2:50 more"));
    }

    #[test]
    fn the_meter_says_whether_the_level_is_in_the_zone() {
        let view = |rms| MeterView {
            rms_dbfs: rms,
            peak_hold_dbfs: rms + 6.0,
            clipped: false,
        };
        assert!(meter_label(&view(-21.0)).ends_with("in the target zone"));
        assert!(meter_label(&view(-50.0)).ends_with("target zone -30 to -15 dBFS"));
        assert!(!in_target_zone(f32::NEG_INFINITY));
    }

    #[test]
    fn clock_format() {
        assert_eq!(format_clock(Duration::from_secs(5)), "0:05");
        assert_eq!(format_clock(Duration::from_secs(612)), "10:12");
        assert_eq!(format_clock(Duration::from_secs(3725)), "1:02:05");
    }

    #[test]
    fn score_labels_read_like_the_screen() {
        let s = DimensionScore {
            score: Some(3.5),
            cefr: Some("B2".into()),
            percent: Some(70.0),
        };
        assert_eq!(score_label("Fluency", &s), "Fluency: B2, 3.5 of 5, 70 %");
        assert_eq!(
            score_label("Accent", &DimensionScore::default()),
            "Accent: not scored"
        );
    }
}
