//! The record screen: pick a microphone, record (Space) with a live meter and a time bar, or
//! import a file (the file dialog, a path typed or pasted, or a drop); play the take back; see
//! what it will cost beside the balance; pick this take's language; submit.

use egui::{RichText, Ui};

use crate::audio::RecorderSnapshot;
use crate::audio::devices::DeviceKind;
use crate::store::takes::TakeOrigin;
use crate::ui::app::recording::{FALLBACK_REPAINT, ShownMeter};
use crate::ui::app::{App, Command, Confirmation, TakeSource, ViewCommand};
use crate::ui::widgets::{
    MeterView, format_clock, level_meter_ui, recording_time_bar_ui, time_bar_ui,
};

/// The accessible label of the import path field.
pub const IMPORT_PATH_LABEL: &str = "File to import";

/// Draws the record screen (scrolls when the window is small).
pub fn record_ui(ui: &mut Ui, app: &mut App, cmds: &mut Vec<Command>) {
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.heading("Record");
            ui.add_space(4.0);
            device_picker_ui(ui, app, cmds);
            ui.add_space(8.0);
            recorder_ui(ui, app, cmds);
            ui.add_space(8.0);
            import_ui(ui, app, cmds);
            ui.add_space(10.0);
            take_ui(ui, app, cmds);
            ui.add_space(10.0);
            takes_list_ui(ui, app, cmds);
        });
}

/// Every take the app made or imported, until the person deletes it: reopen one, or delete it
/// (a recording the app made is deleted from disk; an imported file only leaves the list).
fn takes_list_ui(ui: &mut Ui, app: &App, cmds: &mut Vec<Command>) {
    let list = &app.takes.list;
    if list.takes.is_empty() {
        return;
    }
    let busy = app.is_recording() || app.is_submitting() || app.importing;
    egui::CollapsingHeader::new(format!("Takes ({})", list.takes.len()))
        .id_salt("takes_list")
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("takes")
                .num_columns(5)
                .striped(true)
                .spacing([12.0, 4.0])
                .show(ui, |ui| {
                    for t in &list.takes {
                        let current = list.current.as_deref() == Some(t.id.as_str());
                        let name = t.file_name();
                        ui.label(RichText::new(&name).strong());
                        ui.label(
                            t.duration_ms
                                .map(|ms| format_clock(std::time::Duration::from_millis(ms)))
                                .unwrap_or_else(|| "—".into()),
                        );
                        let origin = match t.origin {
                            TakeOrigin::Recorded => "recorded",
                            TakeOrigin::Imported => "imported",
                        };
                        let state = match (current, t.submitted) {
                            (true, _) => "on screen",
                            (false, true) => "submitted",
                            (false, false) => "not submitted",
                        };
                        ui.label(
                            RichText::new(format!(
                                "{origin} {} · {state}",
                                t.created
                                    .with_timezone(&chrono::Local)
                                    .format("%Y-%m-%d %H:%M")
                            ))
                            .weak(),
                        );
                        if current {
                            ui.label("");
                        } else if ui
                            .add_enabled(!busy, egui::Button::new("Open"))
                            .on_hover_text(format!("Make {name} the take"))
                            .clicked()
                        {
                            cmds.push(Command::OpenTake(t.id.clone()));
                        }
                        let (label, body) = match t.origin {
                            TakeOrigin::Recorded => (
                                "Delete",
                                format!("{name} will be deleted from this computer."),
                            ),
                            TakeOrigin::Imported => (
                                "Remove",
                                format!(
                                    "{name} leaves this list. The file itself stays where it is."
                                ),
                            ),
                        };
                        if ui
                            .add_enabled(!busy, egui::Button::new(label))
                            .on_hover_text(format!("{label} {name}"))
                            .clicked()
                        {
                            cmds.push(Command::Confirm(Confirmation {
                                title: format!("{label} this take?"),
                                body,
                                confirm_label: format!("Yes, {} the take", label.to_lowercase()),
                                command: Box::new(Command::DeleteTake(t.id.clone())),
                            }));
                        }
                        ui.end_row();
                    }
                });
        });
}

/// Import: the file dialog, or a path typed or pasted (always there: some desktops have no
/// file dialog), or a file dropped on the window.
fn import_ui(ui: &mut Ui, app: &mut App, cmds: &mut Vec<Command>) {
    let enabled = !app.importing && !app.is_recording();
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(enabled, egui::Button::new("Import a file…"))
            .clicked()
        {
            cmds.push(Command::PickFile);
        }
        ui.label(RichText::new("or drop an audio file on this window, or type its path:").weak());
        if app.importing {
            ui.spinner();
        }
    });
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(IMPORT_PATH_LABEL);
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut app.import_form.path)
                    .hint_text("/path/to/answer.wav")
                    .desired_width(ui.available_width().clamp(160.0, 360.0)),
            )
            .labelled_by(label.id);
        if app.import_form.focus_path {
            field.request_focus();
            app.import_form.focus_path = false;
        }
        let typed = app.import_form.path.trim().to_string();
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let clicked = ui
            .add_enabled(enabled && !typed.is_empty(), egui::Button::new("Import"))
            .clicked();
        if enabled && !typed.is_empty() && (clicked || entered) {
            cmds.push(Command::ImportPath(std::path::PathBuf::from(typed)));
        }
    });
    if let Some(why) = &app.import_form.dialog_error {
        ui.add(egui::Label::new(RichText::new(why).color(ui.visuals().error_fg_color)).wrap());
    }
}

/// The accessible label of the microphone picker.
pub const MICROPHONE_LABEL: &str = "Microphone";

/// The microphone picker: the devices people recognise (the sound server's names), the
/// default marked; what is not a microphone only behind "Show all devices", marked; and a
/// plain line when the saved microphone is gone and the default is used instead.
fn device_picker_ui(ui: &mut Ui, app: &App, cmds: &mut Vec<Command>) {
    if app.audio.devices.is_none() && !app.audio.listing {
        cmds.push(Command::RefreshDevices);
    }
    let all = app.all_devices();
    let chosen = app.audio.choice.as_ref().map(|c| &c.device);
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(MICROPHONE_LABEL);
        let selected_text = match chosen {
            Some(d) => crate::guidance::device_label(d),
            None if app.audio.listing => crate::guidance::MONITOR_OPENING.to_string(),
            None => "—".to_string(),
        };
        ui.add_enabled_ui(!app.is_recording() && !app.audio.stopping, |ui| {
            egui::ComboBox::from_id_salt("device")
                .selected_text(selected_text)
                .width(ui.available_width().clamp(200.0, 340.0))
                .truncate()
                .show_ui(ui, |ui| {
                    for d in all {
                        // The one in use is always there, whatever it is.
                        let in_use = chosen.is_some_and(|c| c.id == d.id);
                        let offered = d.is_listed()
                            && !matches!(d.kind, DeviceKind::Monitor { .. })
                            || d.is_default
                            || in_use;
                        if !offered && !app.audio.show_all {
                            continue;
                        }
                        if ui
                            .selectable_label(in_use, crate::guidance::device_label(d))
                            .clicked()
                        {
                            cmds.push(Command::SelectDevice(Some(d.id.clone())));
                        }
                    }
                })
                .response
                .labelled_by(label.id);
        });
        if ui
            .add_enabled(!app.audio.listing, egui::Button::new("Refresh"))
            .on_hover_text("List the microphones again")
            .clicked()
        {
            cmds.push(Command::RefreshDevices);
        }
        let mut show_all = app.audio.show_all;
        if ui
            .checkbox(&mut show_all, crate::guidance::SHOW_ALL_DEVICES)
            .on_hover_text(crate::guidance::SHOW_ALL_DEVICES_HINT)
            .changed()
        {
            cmds.push(Command::ShowAllDevices(show_all));
        }
        if app.audio.listing {
            ui.spinner();
        }
    });
    let warn = ui.visuals().warn_fg_color;
    if let Some(note) = app.fallback_note() {
        ui.add(egui::Label::new(RichText::new(note).color(warn)).wrap());
    }
    if let Some(Err(e)) = &app.audio.devices {
        ui.label(
            RichText::new(format!("No microphone found: {e}")).color(ui.visuals().error_fg_color),
        );
    }
    if let (Some((id, why)), Some(d)) = (&app.audio.monitor_problem, chosen)
        && id == &d.id
    {
        ui.add(egui::Label::new(RichText::new(why).color(warn)).wrap());
    }
}

fn recorder_ui(ui: &mut Ui, app: &App, cmds: &mut Vec<Command>) {
    let snapshot = app.recorder_snapshot();
    let monitor = app.monitor_snapshot();
    let recording = app.is_recording();
    // The name the picker shows (the capture's own label can be a lower-level one).
    let device_name = app.audio.choice.as_ref().map(|c| c.device.name.as_str());
    ui.horizontal(|ui| {
        let (text, command) = if recording {
            ("Stop recording", Command::StopRecording)
        } else {
            ("Start recording", Command::StartRecording)
        };
        let mut button = egui::Button::new(RichText::new(text).size(20.0).strong())
            .min_size(egui::vec2(180.0, 44.0));
        if recording {
            button = button.fill(ui.visuals().error_fg_color.gamma_multiply(0.35));
        }
        let enabled = !app.audio.stopping && !app.is_submitting();
        if ui
            .add_enabled(enabled, button)
            .on_hover_text("Space starts and stops recording")
            .clicked()
        {
            cmds.push(command);
        }
        ui.vertical(|ui| {
            let status = if app.audio.starting {
                "Opening the microphone…".to_string()
            } else if app.audio.stopping {
                "Saving the recording…".to_string()
            } else if let Some(s) = &snapshot {
                format!("Recording from {}", device_name.unwrap_or(&s.device))
            } else if let Some(m) = &monitor {
                crate::guidance::monitoring_status(device_name.unwrap_or(&m.device))
            } else if app.audio.monitor_opening {
                crate::guidance::MONITOR_OPENING.to_string()
            } else {
                crate::guidance::PRESS_START.to_string()
            };
            ui.add(egui::Label::new(status).wrap());
            if let Some(s) = &snapshot {
                ui.label(
                    RichText::new(format_clock(s.elapsed))
                        .size(22.0)
                        .monospace(),
                );
            }
        });
    });
    let live = snapshot.as_ref().or(monitor.as_ref());
    // The meter keeps its place while the device opens or when none is open (drawn empty and
    // dimmed), so nothing below it moves when the microphone test starts.
    ui.add_enabled_ui(live.is_some(), |ui| {
        live_meter_ui(ui, live, snapshot.is_some())
    });
    if live.is_some() {
        // The repaint gate wakes the UI when the meter or the clock moves a visible step;
        // this is only the floor if the device stalls.
        ui.ctx().request_repaint_after(FALLBACK_REPAINT);
    }
}

/// The live meter (testing the microphone, or recording), its hint, and while recording the
/// time bar to the auto-stop.
fn live_meter_ui(ui: &mut Ui, s: Option<&RecorderSnapshot>, recording: bool) {
    ui.add_space(4.0);
    // Drawn in the steps the repaint gate watches, so a frame shows what woke it.
    let shown = s.map(ShownMeter::of);
    let floor = crate::audio::meter::DB_FLOOR;
    level_meter_ui(
        ui,
        MeterView {
            rms_dbfs: shown.map_or(floor, |m| m.level_dbfs),
            peak_hold_dbfs: shown.map_or(floor, |m| m.peak_dbfs),
            clipped: shown.is_some_and(|m| m.clipped),
        },
    );
    // One line under the meter: the hint when the level needs fixing, else where to aim. The
    // line is always there, so nothing below it jumps (and no layout change costs frames).
    match shown.and_then(|m| crate::guidance::level_hint(m.hint)) {
        Some(words) => {
            ui.label(RichText::new(words).color(ui.visuals().warn_fg_color));
        }
        None => {
            ui.label(RichText::new(crate::guidance::target_zone_caption()).weak());
        }
    }
    if let Some(s) = s.filter(|_| recording) {
        ui.add_space(4.0);
        recording_time_bar_ui(ui, s.elapsed);
    }
}

/// The record screen's dialog (a source that is not a microphone, a silent take): Enter runs
/// the main button, Escape closes.
pub fn record_dialog_ui(
    ctx: &egui::Context,
    dialog: &crate::ui::app::recording::RecordDialog,
    cmds: &mut Vec<Command>,
) {
    let modal = egui::Modal::new(egui::Id::unique("record_dialog")).show(ctx, |ui| {
        ui.set_max_width(460.0);
        ui.label(RichText::new(&dialog.title).heading().strong());
        ui.add_space(6.0);
        ui.add(egui::Label::new(&dialog.body).wrap());
        ui.add_space(10.0);
        ui.horizontal_wrapped(|ui| {
            let mut chosen = None;
            if let Some((label, command)) = &dialog.primary
                && (crate::ui::dialogs::primary_button(ui, label).clicked()
                    || crate::ui::dialogs::enter_pressed(ui.ctx()))
            {
                chosen = Some(Some(command.clone()));
            }
            let (label, command) = &dialog.secondary;
            if ui.button(label).clicked() {
                chosen = Some(command.clone());
            }
            chosen
        })
        .inner
    });
    match modal.inner {
        Some(command) => {
            cmds.push(Command::CloseRecordDialog);
            cmds.extend(command);
        }
        None if modal.should_close() => cmds.push(Command::CloseRecordDialog),
        None => {}
    }
}

fn take_ui(ui: &mut Ui, app: &mut App, cmds: &mut Vec<Command>) {
    let Some(take) = app.take.clone() else {
        if app.importing {
            ui.label(RichText::new("Preparing the recording…").weak());
        } else if !app.is_recording() {
            ui.label(RichText::new("No recording yet.").weak());
        }
        return;
    };
    let take = &take;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_max_width(ui.available_width().min(900.0));
        let source = match take.source {
            TakeSource::Recorded => "recorded",
            TakeSource::Imported => "imported",
        };
        ui.label(RichText::new(take.file_name()).strong());
        let converted = if take.converted {
            " (converted for upload)"
        } else {
            ""
        };
        ui.label(format!(
            "{} · {}{converted} · {:.1} MB · {source}",
            format_clock(take.duration),
            take.format.label(),
            take.size_bytes as f64 / 1_000_000.0
        ));
        if take.is_silent() {
            ui.add(
                egui::Label::new(
                    RichText::new(crate::guidance::SILENT_TAKE_NOTE)
                        .color(ui.visuals().warn_fg_color),
                )
                .wrap(),
            );
        }
        // What to do with the take first (its cost, language and Submit), then the
        // waveform to look at: the main action stays above the fold in the default window.
        too_long_ui(ui, app, take, cmds);
        ui.add_space(6.0);
        cost_ui(ui, app, take.estimated_credits(), cmds);
        ui.add_space(6.0);
        ui.horizontal_wrapped(|ui| {
            let language = app.take_language();
            let name = crate::languages::language_name(language).unwrap_or("unknown");
            ui.label(format!("Language: {name} ({language})"));
            if take.language.is_some() {
                let default = &app.settings.default_language;
                ui.label(
                    RichText::new(format!("for this recording only; the default is {default}"))
                        .weak(),
                );
            }
            if ui.small_button("Change language").clicked() {
                cmds.push(Command::OpenLanguagePicker);
            }
        });
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            let busy = app.is_recording() || app.is_submitting();
            if ui
                .add_enabled(
                    !busy,
                    egui::Button::new(RichText::new("Submit for scoring").strong())
                        .min_size(egui::vec2(170.0, 32.0)),
                )
                .clicked()
            {
                cmds.push(Command::Submit);
            }
            if app.audio.player.is_some() {
                if ui.button("Stop playback").clicked() {
                    cmds.push(Command::StopPlayback);
                }
            } else if ui.add_enabled(!busy, egui::Button::new("Play")).clicked() {
                cmds.push(Command::PlayTake);
            }
            if ui
                .add_enabled(!busy, egui::Button::new("Discard"))
                .on_hover_text("Put this take away; it stays in the Takes list below")
                .clicked()
            {
                cmds.push(Command::DiscardTake);
            }
        });
        if let Some(player) = &app.audio.player {
            // The waveform asks for the repaints (when the playhead or this clock moves).
            ui.label(format!(
                "Playing {} / {}",
                format_clock(player.position()),
                format_clock(player.duration())
            ));
        }
        ui.add_space(8.0);
        pending_trim_ui(ui, app, cmds);
        crate::ui::waveform::file_waveform_ui(ui, app, &take.original, true, 84.0, cmds);
        ui.add_space(4.0);
        time_bar_ui(ui, take.duration);
    });
}

fn cost_ui(ui: &mut Ui, app: &App, credits: u64, cmds: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "Estimated cost: {} (1 per started minute)",
            crate::guidance::credits_text(credits as f64)
        ));
        ui.separator();
        match &app.balance {
            None => {
                ui.label(RichText::new("balance …").weak());
            }
            Some(Ok(Some(b))) => {
                let colour = if *b < credits as f64 {
                    ui.visuals().error_fg_color
                } else {
                    ui.visuals().text_color()
                };
                ui.label(
                    RichText::new(format!("Balance: {}", crate::guidance::credits_text(*b)))
                        .color(colour),
                );
            }
            Some(Ok(None)) => {
                ui.label(RichText::new("balance not reported").weak());
            }
            Some(Err(e)) => {
                ui.label(RichText::new("balance unavailable").weak())
                    .on_hover_text(e);
            }
        }
        if ui.small_button("Refresh balance").clicked() {
            cmds.push(Command::RefreshCredits);
        }
    });
}

/// Over the 45-minute limit: say so, and offer the one fix that works here.
fn too_long_ui(ui: &mut Ui, app: &App, take: &crate::ui::app::Take, cmds: &mut Vec<Command>) {
    if take.duration <= crate::api::limits::MAX_DURATION {
        return;
    }
    ui.add_space(4.0);
    ui.add(
        egui::Label::new(
            RichText::new(crate::guidance::too_long_hint(&format_length(
                take.duration,
            )))
            .color(ui.visuals().warn_fg_color),
        )
        .wrap(),
    );
    let busy = app.is_recording() || app.is_submitting() || app.views.wave.trimming;
    if ui
        .add_enabled(
            !busy,
            egui::Button::new(RichText::new(crate::guidance::trim_to_max_label()).strong()),
        )
        .clicked()
    {
        cmds.push(Command::Views(ViewCommand::TrimToMax));
    }
}

/// `m:ss.s`: a length over the limit by less than a second must not read as "45:00".
fn format_length(d: std::time::Duration) -> String {
    let tenths = (d.as_millis() / 100) % 10;
    format!("{}.{tenths}", format_clock(d))
}

/// After a trim: keep the trimmed take (the original goes), or go back to the original.
fn pending_trim_ui(ui: &mut Ui, app: &App, cmds: &mut Vec<Command>) {
    let Some(pending) = &app.views.wave.pending else {
        return;
    };
    let on_screen = app
        .take
        .as_ref()
        .is_some_and(|t| t.original == pending.trimmed);
    if !on_screen {
        return;
    }
    egui::Frame::new()
        .fill(ui.visuals().selection.bg_fill.gamma_multiply(0.25))
        .inner_margin(egui::Margin::symmetric(8, 6))
        .corner_radius(4)
        .show(ui, |ui| {
            let name = pending
                .original
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            ui.add(
                egui::Label::new(crate::guidance::trimmed_note(
                    &name,
                    &format_clock(pending.length),
                ))
                .wrap(),
            );
            ui.horizontal_wrapped(|ui| {
                if ui.button("Keep the trimmed take").clicked()
                    && let Some(confirmation) = app.keep_trimmed_confirmation()
                {
                    cmds.push(Command::Confirm(confirmation));
                }
                if ui.button("Back to the original").clicked() {
                    cmds.push(Command::Views(ViewCommand::RevertTrim));
                }
            });
        });
    ui.add_space(4.0);
}
