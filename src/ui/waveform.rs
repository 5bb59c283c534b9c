//! The waveform of a take: min/max peaks of the visible stretch at one column per pixel (a
//! level-of-detail query, so a 45-minute take costs what a 10-second one does), silence
//! shaded, clipping marked in red, the playhead, click (or ←/→) to seek, Ctrl + wheel or
//! the buttons to zoom, drag to pan, and — on the Record screen — two trim handles.
//! Drawing only: the zoom and the handles are UI state kept in `App::views.wave`; a seek, a
//! play or a trim is a [`Command`].

use std::path::Path;
use std::time::{Duration, Instant};

use egui::{Color32, Mesh, Pos2, Rect, RichText, Sense, Stroke, Ui, WidgetInfo, pos2, vec2};

use crate::audio::waveform::{Peak, Waveform};
use crate::ui::app::views::ViewCommand;
use crate::ui::app::views::WaveView;
use crate::ui::app::{App, Command};
use crate::ui::widgets::format_clock;

/// The accessible label of a waveform starts with this.
pub const WAVEFORM_LABEL: &str = "Waveform of";

/// The shortest stretch the view zooms in to.
const MIN_VISIBLE: Duration = Duration::from_millis(500);

/// How close (points) the pointer must be to a handle to grab it.
const HANDLE_GRAB: f32 = 8.0;

/// ←/→ move the playhead this far.
const KEY_STEP: Duration = Duration::from_secs(5);

/// What the waveform of one file is drawn with.
pub struct WaveformProps<'a> {
    /// The file (its name in the label; its state in `App::views.wave`).
    pub file: &'a Path,
    /// Its peaks.
    pub waveform: &'a Waveform,
    /// Where the playhead is.
    pub playhead: Duration,
    /// The file is playing.
    pub playing: bool,
    /// Draw the trim handles.
    pub trim_handles: bool,
    /// Height of the peaks area.
    pub height: f32,
}

fn duration_of(secs: f64) -> Duration {
    Duration::from_secs_f64(secs.max(0.0))
}

/// The visible stretch, clamped to the take.
fn visible(view: &WaveView, length: Duration) -> (Duration, Duration) {
    match view.visible {
        Some((a, b)) if b > a => {
            let b = b.min(length);
            let a = a.min(b.saturating_sub(MIN_VISIBLE));
            (a, b)
        }
        _ => (Duration::ZERO, length),
    }
}

/// The trim handles, clamped to the take.
pub fn selection(view: &WaveView, length: Duration) -> (Duration, Duration) {
    match view.selection {
        Some((a, b)) if b > a => (a.min(length), b.min(length)),
        _ => (Duration::ZERO, length),
    }
}

/// The visible stretch zoomed by `factor` (< 1 zooms in) around `centre`, kept in the take.
fn zoomed(
    (a, b): (Duration, Duration),
    factor: f64,
    centre: Duration,
    length: Duration,
) -> Option<(Duration, Duration)> {
    let span = (b - a).as_secs_f64();
    let len = length.as_secs_f64();
    let new_span = (span * factor).clamp(MIN_VISIBLE.as_secs_f64().min(len), len);
    if new_span >= len - 1e-6 {
        return None;
    }
    let c = centre.as_secs_f64();
    let rel = if span > 0.0 {
        (c - a.as_secs_f64()) / span
    } else {
        0.5
    };
    let start = (c - rel * new_span).clamp(0.0, len - new_span);
    Some((duration_of(start), duration_of(start + new_span)))
}

/// The visible stretch moved by `by_secs`, kept in the take.
fn panned(
    (a, b): (Duration, Duration),
    by_secs: f64,
    length: Duration,
) -> Option<(Duration, Duration)> {
    let span = (b - a).as_secs_f64();
    let len = length.as_secs_f64();
    if span >= len {
        return None;
    }
    let start = (a.as_secs_f64() + by_secs).clamp(0.0, len - span);
    Some((duration_of(start), duration_of(start + span)))
}

/// A tick step (seconds) that leaves at least `min_px` between labels.
fn tick_step(span_secs: f64, width: f32, min_px: f32) -> f64 {
    const STEPS: [f64; 14] = [
        0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
    ];
    let px_per_sec = f64::from(width) / span_secs.max(1e-6);
    STEPS
        .into_iter()
        .find(|s| s * px_per_sec >= f64::from(min_px))
        .unwrap_or(3600.0)
}

/// The accessible label: what a sighted person reads off the waveform.
pub fn waveform_label(
    file: &Path,
    w: &Waveform,
    playhead: Duration,
    shown: (Duration, Duration),
) -> String {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let silences = w.silences().len();
    let clips = w.clipping().len();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let zoom = if shown.0.is_zero() && shown.1 >= w.duration() {
        String::new()
    } else {
        format!(
            ", showing {}–{}",
            format_clock(shown.0),
            format_clock(shown.1)
        )
    };
    format!(
        "{WAVEFORM_LABEL} {name}: {}, playhead {}{zoom}; {}, {}",
        format_clock(w.duration()),
        format_clock(playhead),
        plural(silences, "silence", "silences"),
        plural(clips, "clipped stretch", "clipped stretches"),
    )
}

/// Draws the waveform and its controls; pushes a seek when clicked. Returns the time it took
/// (the benchmark reads it).
pub fn waveform_ui(
    ui: &mut Ui,
    app: &mut App,
    props: WaveformProps<'_>,
    cmds: &mut Vec<Command>,
) -> Duration {
    let began = Instant::now();
    let w = props.waveform;
    let length = w.duration();
    let mut view = app.views.wave.view(props.file);
    let shown = visible(&view, length);
    let width = ui.available_width().max(200.0);
    let (rect, response) =
        ui.allocate_exact_size(vec2(width, props.height), Sense::click_and_drag());
    let label = waveform_label(props.file, w, props.playhead, shown);
    response.widget_info(|| WidgetInfo::labeled(egui::Role::Slider, true, &label));
    let span = (shown.1 - shown.0).as_secs_f64().max(1e-6);
    let x_of = |t: Duration| -> f32 {
        rect.left() + ((t.as_secs_f64() - shown.0.as_secs_f64()) / span) as f32 * rect.width()
    };
    let t_of = |x: f32| -> Duration {
        let f = f64::from(((x - rect.left()) / rect.width()).clamp(0.0, 1.0));
        (shown.0 + duration_of(span * f)).min(length)
    };
    let (sel_a, sel_b) = selection(&view, length);

    // Input: handles, pan, seek, zoom, keys.
    let handle_id = response.id.with("handle");
    if props.trim_handles
        && response.drag_started()
        && let Some(p) = ui.input(|i| i.pointer.press_origin())
    {
        let near = |t: Duration| (p.x - x_of(t)).abs() <= HANDLE_GRAB;
        let which: u8 = if near(sel_a) {
            1
        } else if near(sel_b) {
            2
        } else {
            0
        };
        ui.data_mut(|d| d.insert_temp(handle_id, which));
    }
    let dragging: u8 = if response.dragged() {
        ui.data(|d| d.get_temp(handle_id)).unwrap_or(0)
    } else {
        0
    };
    if response.dragged() {
        if let Some(p) = response.interact_pointer_pos() {
            match dragging {
                1 => {
                    view.selection = Some((t_of(p.x).min(sel_b.saturating_sub(MIN_VISIBLE)), sel_b))
                }
                2 => view.selection = Some((sel_a, t_of(p.x).max(sel_a + MIN_VISIBLE))),
                _ => {
                    let dx = response.drag_delta().x;
                    if let Some(v) = panned(
                        shown,
                        -f64::from(dx) / f64::from(rect.width()) * span,
                        length,
                    ) {
                        view.visible = Some(v);
                    }
                }
            }
        }
    } else if response.clicked()
        && let Some(p) = response.interact_pointer_pos()
    {
        cmds.push(Command::Views(ViewCommand::Seek {
            file: props.file.to_path_buf(),
            to: t_of(p.x),
        }));
        response.request_focus();
    }
    if response.hovered() {
        let zoom = ui.input(|i| i.zoom_delta());
        if (zoom - 1.0).abs() > 1e-3 {
            let centre = response
                .hover_pos()
                .map(|p| t_of(p.x))
                .unwrap_or(props.playhead);
            view.visible = zoomed(shown, 1.0 / f64::from(zoom), centre, length);
        }
    }
    if response.has_focus() {
        let (left, right) = ui.input(|i| {
            (
                i.key_pressed(egui::Key::ArrowLeft),
                i.key_pressed(egui::Key::ArrowRight),
            )
        });
        if left || right {
            let to = if right {
                (props.playhead + KEY_STEP).min(length)
            } else {
                props.playhead.saturating_sub(KEY_STEP)
            };
            cmds.push(Command::Views(ViewCommand::Seek {
                file: props.file.to_path_buf(),
                to,
            }));
        }
    }

    if ui.is_rect_visible(rect) {
        let visuals = ui.visuals().clone();
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 4.0, visuals.extreme_bg_color);
        let mid = rect.center().y;
        let half = rect.height() / 2.0 - 2.0;
        // Silence, shaded under the peaks.
        let silence_fill = visuals.weak_text_color().gamma_multiply(0.18);
        for m in w.silences_in(shown.0, shown.1) {
            let (a, b) = (
                x_of(m.start).max(rect.left()),
                x_of(m.end).min(rect.right()),
            );
            painter.rect_filled(
                Rect::from_min_max(pos2(a, rect.top()), pos2(b.max(a + 1.0), rect.bottom())),
                0.0,
                silence_fill,
            );
            if b - a > 46.0 {
                painter.text(
                    pos2((a + b) / 2.0, rect.top() + 2.0),
                    egui::Align2::CENTER_TOP,
                    "silence",
                    egui::FontId::proportional(10.0),
                    visuals.weak_text_color(),
                );
            }
        }
        // The peaks: one quad per pixel column, in one mesh.
        let n = rect.width().round().max(1.0) as usize;
        let mut columns = std::mem::take(&mut app.views.wave.columns);
        w.columns_into(shown.0, shown.1, n, &mut columns);
        let kept = if visuals.dark_mode {
            Color32::from_rgb(110, 170, 255)
        } else {
            Color32::from_rgb(35, 95, 200)
        };
        let cut = visuals.weak_text_color().gamma_multiply(0.55);
        let (xa, xb) = (x_of(sel_a), x_of(sel_b));
        let mut mesh = Mesh::default();
        mesh.reserve_triangles(n * 2);
        mesh.reserve_vertices(n * 4);
        let col_w = rect.width() / n as f32;
        for (i, p) in columns.iter().enumerate() {
            if *p == Peak::EMPTY {
                continue;
            }
            let x0 = rect.left() + i as f32 * col_w;
            let top = mid - p.max_f32().clamp(-1.0, 1.0) * half;
            let bottom = (mid - p.min_f32().clamp(-1.0, 1.0) * half).max(top + 1.0);
            let inside = !props.trim_handles || (x0 + col_w > xa && x0 < xb);
            mesh.add_colored_rect(
                Rect::from_min_max(pos2(x0, top), pos2(x0 + col_w.max(1.0), bottom)),
                if inside { kept } else { cut },
            );
        }
        app.views.wave.columns = columns;
        painter.add(mesh);
        // Clipping: red bands on both edges and a faint red column.
        let clip = visuals.error_fg_color;
        for m in w.clipping_in(shown.0, shown.1) {
            let (a, b) = (
                x_of(m.start).max(rect.left()),
                x_of(m.end).min(rect.right()),
            );
            let b = b.max(a + 2.0);
            painter.rect_filled(
                Rect::from_min_max(pos2(a, rect.top()), pos2(b, rect.bottom())),
                0.0,
                clip.gamma_multiply(0.15),
            );
            for y in [rect.top(), rect.bottom() - 3.0] {
                painter.rect_filled(Rect::from_min_max(pos2(a, y), pos2(b, y + 3.0)), 0.0, clip);
            }
        }
        // Trim handles: the parts cut away are dimmed; each handle has a grip.
        if props.trim_handles {
            let dim = visuals.extreme_bg_color.gamma_multiply(0.55);
            if xa > rect.left() {
                painter.rect_filled(
                    Rect::from_min_max(rect.min, pos2(xa, rect.bottom())),
                    0.0,
                    dim,
                );
            }
            if xb < rect.right() {
                painter.rect_filled(Rect::from_min_max(pos2(xb, rect.top()), rect.max), 0.0, dim);
            }
            let handle = visuals.selection.stroke.color;
            for (x, grip_left) in [(xa, false), (xb, true)] {
                let x = x.clamp(rect.left() + 1.0, rect.right() - 1.0);
                painter.line_segment(
                    [pos2(x, rect.top()), pos2(x, rect.bottom())],
                    Stroke::new(2.0, handle),
                );
                let grip = if grip_left {
                    Rect::from_min_max(pos2(x - 9.0, rect.top()), pos2(x, rect.top() + 14.0))
                } else {
                    Rect::from_min_max(pos2(x, rect.top()), pos2(x + 9.0, rect.top() + 14.0))
                };
                painter.rect_filled(grip, 2.0, handle);
            }
        }
        // The playhead.
        if props.playhead >= shown.0 && props.playhead <= shown.1 {
            let x = x_of(props.playhead);
            let colour = visuals.strong_text_color();
            painter.line_segment(
                [pos2(x, rect.top()), pos2(x, rect.bottom())],
                Stroke::new(if props.playing { 2.0 } else { 1.5 }, colour),
            );
            painter.add(egui::Shape::convex_polygon(
                vec![
                    Pos2::new(x - 5.0, rect.top()),
                    Pos2::new(x + 5.0, rect.top()),
                    Pos2::new(x, rect.top() + 6.0),
                ],
                colour,
                Stroke::NONE,
            ));
        }
        if response.has_focus() {
            painter.rect_stroke(
                rect,
                4.0,
                visuals.selection.stroke,
                egui::StrokeKind::Inside,
            );
        }
    }
    time_axis_ui(ui, rect, shown);
    app.views.wave.set_view(props.file, view.clone());

    // Zoom and trim controls.
    ui.horizontal_wrapped(|ui| {
        let zoomed_in = view.visible.is_some();
        if ui
            .small_button("-")
            .on_hover_text("Zoom out (Ctrl + wheel on the waveform)")
            .clicked()
        {
            view.visible = zoomed(shown, 2.0, props.playhead.clamp(shown.0, shown.1), length);
        }
        if ui
            .small_button("+")
            .on_hover_text("Zoom in around the playhead (Ctrl + wheel on the waveform)")
            .clicked()
        {
            view.visible = zoomed(shown, 0.5, props.playhead, length);
        }
        if ui
            .add_enabled(zoomed_in, egui::Button::new("Whole take").small())
            .clicked()
        {
            view.visible = None;
        }
        let mut legend = String::new();
        if !w.silences().is_empty() {
            legend.push_str("grey: silence");
        }
        if !w.clipping().is_empty() {
            if !legend.is_empty() {
                legend.push_str(" · ");
            }
            legend.push_str("red: clipped (too loud)");
        }
        if !legend.is_empty() {
            ui.label(RichText::new(legend).small().weak());
        }
        if props.trim_handles {
            let (a, b) = selection(&view, length);
            let trimmed = !a.is_zero() || b < length;
            ui.separator();
            ui.label(
                RichText::new(format!(
                    "Keep {}–{} ({})",
                    format_clock(a),
                    format_clock(b),
                    format_clock(b - a)
                ))
                .small(),
            )
            .on_hover_text("Drag the handles at the ends of the waveform");
            let busy = app.is_recording() || app.is_submitting() || app.views.wave.trimming;
            if ui
                .add_enabled(trimmed && !busy, egui::Button::new("Trim to the handles"))
                .on_hover_text("Makes a new take of the part between the handles; this one stays")
                .clicked()
            {
                cmds.push(Command::Views(ViewCommand::Trim { start: a, end: b }));
            }
            if trimmed && ui.small_button("Reset handles").clicked() {
                view.selection = None;
            }
            if app.views.wave.trimming {
                ui.spinner();
            }
        }
    });
    app.views.wave.set_view(props.file, view);

    // While playing, repaint when the playhead moves a pixel or the clock a second — no sooner.
    if props.playing {
        let per_pixel = duration_of(span / f64::from(rect.width().max(1.0)));
        let to_next_second =
            Duration::from_secs(1) - Duration::from_nanos(u64::from(props.playhead.subsec_nanos()));
        let next = per_pixel.min(to_next_second).max(Duration::from_millis(33));
        ui.ctx().request_repaint_after(next);
    }
    let took = began.elapsed();
    app.views.wave.last_draw = Some(took);
    took
}

/// Time labels under the waveform.
fn time_axis_ui(ui: &mut Ui, rect: Rect, shown: (Duration, Duration)) {
    let (axis, _) = ui.allocate_exact_size(vec2(rect.width(), 14.0), Sense::hover());
    if !ui.is_rect_visible(axis) {
        return;
    }
    let span = (shown.1 - shown.0).as_secs_f64().max(1e-6);
    let step = tick_step(span, rect.width(), 70.0);
    let painter = ui.painter();
    let colour = ui.visuals().weak_text_color();
    let first = (shown.0.as_secs_f64() / step).ceil() * step;
    let mut t = first;
    while t <= shown.1.as_secs_f64() + 1e-9 {
        let x = rect.left() + ((t - shown.0.as_secs_f64()) / span) as f32 * rect.width();
        painter.line_segment(
            [pos2(x, axis.top()), pos2(x, axis.top() + 3.0)],
            Stroke::new(1.0, colour),
        );
        let text = if step < 1.0 {
            format!(
                "{}.{}",
                format_clock(duration_of(t)),
                ((t.fract()) * 10.0).round() as u32
            )
        } else {
            format_clock(duration_of(t))
        };
        let align = if x - rect.left() < 20.0 {
            egui::Align2::LEFT_TOP
        } else if rect.right() - x < 20.0 {
            egui::Align2::RIGHT_TOP
        } else {
            egui::Align2::CENTER_TOP
        };
        painter.text(
            pos2(x, axis.top() + 2.0),
            align,
            text,
            egui::FontId::proportional(10.0),
            colour,
        );
        t += step;
    }
}

/// The waveform of `file` when it is ready; a spinner or the reason while it is not (and
/// the computation asked for, once).
pub fn file_waveform_ui(
    ui: &mut Ui,
    app: &mut App,
    file: &Path,
    trim_handles: bool,
    height: f32,
    cmds: &mut Vec<Command>,
) {
    use crate::ui::app::views::WaveformEntry;
    match app.views.wave.entry(file).cloned() {
        None => {
            cmds.push(Command::Views(ViewCommand::LoadWaveform(
                file.to_path_buf(),
            )));
            loading_ui(ui, height);
        }
        Some(WaveformEntry::Loading) => loading_ui(ui, height),
        Some(WaveformEntry::Failed(e)) => {
            ui.label(RichText::new(format!("No waveform: {e}")).weak());
        }
        Some(WaveformEntry::Ready(w)) => {
            let playhead = app.playhead(file);
            let playing = app.is_playing(file);
            waveform_ui(
                ui,
                app,
                WaveformProps {
                    file,
                    waveform: &w,
                    playhead,
                    playing,
                    trim_handles,
                    height,
                },
                cmds,
            );
        }
    }
}

fn loading_ui(ui: &mut Ui, height: f32) {
    let (rect, _) = ui.allocate_exact_size(
        vec2(ui.available_width().max(200.0), height),
        Sense::hover(),
    );
    ui.painter()
        .rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
    ui.put(rect, |ui: &mut Ui| {
        ui.horizontal_centered(|ui| {
            ui.spinner();
            ui.label(RichText::new("Drawing the waveform…").weak());
        })
        .response
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEN: Duration = Duration::from_secs(100);

    #[test]
    fn zoom_keeps_the_point_under_the_pointer_and_stays_in_the_take() {
        let whole = (Duration::ZERO, LEN);
        let v = zoomed(whole, 0.5, Duration::from_secs(25), LEN).expect("zoomed in");
        assert_eq!(
            v,
            (Duration::from_secs_f64(12.5), Duration::from_secs_f64(62.5))
        );
        assert_eq!(
            zoomed(v, 4.0, Duration::from_secs(30), LEN),
            None,
            "back to the whole"
        );
        let edge = zoomed(whole, 0.1, LEN, LEN).expect("zoomed in");
        assert_eq!(edge.1, LEN);
        let tiny = zoomed(whole, 1e-9, Duration::from_secs(50), LEN).expect("zoomed in");
        assert_eq!(tiny.1 - tiny.0, MIN_VISIBLE);
    }

    #[test]
    fn panning_stops_at_the_ends() {
        let v = (Duration::from_secs(10), Duration::from_secs(20));
        assert_eq!(
            panned(v, -50.0, LEN),
            Some((Duration::ZERO, Duration::from_secs(10)))
        );
        assert_eq!(panned(v, 500.0, LEN), Some((Duration::from_secs(90), LEN)));
        assert_eq!(panned((Duration::ZERO, LEN), 5.0, LEN), None);
    }

    #[test]
    fn ticks_leave_room_for_their_labels() {
        assert_eq!(tick_step(2700.0, 600.0, 70.0), 600.0);
        assert_eq!(tick_step(10.0, 600.0, 70.0), 2.0);
        assert_eq!(tick_step(1.0, 600.0, 70.0), 0.5);
    }
}
