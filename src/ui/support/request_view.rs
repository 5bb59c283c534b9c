//! One exchange, request and response, as a support person reads it (the Postman/Insomnia
//! view): method and full URL, the request headers (the key masked as the log keeps it,
//! `zh_…1234`), the form fields with the audio part described, the engine's decision, then the
//! response status, headers and body. *Copy as curl* (the one builder the bundle's
//! `curl.txt` uses, with this run's own address and form) and *Copy as JSON*.

use egui::{RichText, Ui};
use serde_json::Value;

use crate::api::client::Header;
use crate::engine::reqlog::Exchange;
use crate::store::RunRecord;
use crate::support::wire;
use crate::ui::app::Command;
use crate::ui::support::labels;

fn headers_ui(ui: &mut Ui, id: &str, headers: &[Header]) {
    egui::Grid::new(id)
        .num_columns(2)
        .spacing([12.0, 2.0])
        .striped(true)
        .show(ui, |ui| {
            for h in headers {
                ui.label(RichText::new(&h.name).monospace().small());
                ui.add(egui::Label::new(RichText::new(&h.value).monospace().small()).wrap());
                ui.end_row();
            }
        });
}

/// Draws `ex` of `run` (the run gives the address and, for old logs, the form). `base_url`
/// overrides the run's address (a live run's, when no record is open).
pub fn exchange_view_ui(
    ui: &mut Ui,
    ex: &Exchange,
    run: Option<&RunRecord>,
    base_url: Option<&str>,
    cmds: &mut Vec<Command>,
) {
    let base = base_url.or(run.and_then(|r| r.base_url.as_deref()));
    let url = wire::full_url(base, ex);
    // At most this tall on the page: it scrolls inside, so what is below stays in reach.
    egui::Frame::group(ui.style()).show(ui, |ui| {
        egui::ScrollArea::vertical()
            .id_salt("request_view")
            .max_height(REQUEST_VIEW_HEIGHT)
            .auto_shrink([false, true])
            .show(ui, |ui| view_ui(ui, ex, run, base, base_url, &url, cmds));
    });
}

/// How tall the request view may be before it scrolls.
pub const REQUEST_VIEW_HEIGHT: f32 = 300.0;

fn view_ui(
    ui: &mut Ui,
    ex: &Exchange,
    run: Option<&RunRecord>,
    base: Option<&str>,
    base_url: Option<&str>,
    url: &str,
    cmds: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| {
        ui.strong(RichText::new(format!("{} {url}", ex.method)).monospace());
    });
    ui.horizontal_wrapped(|ui| {
        if ui.button(labels::COPY_CURL).clicked() {
            cmds.push(Command::CopyToClipboard {
                text: crate::support::curl::to_curl_with(ex, base, run),
                what: "curl command",
            });
        }
        if ui.button(labels::COPY_JSON).clicked() {
            let mut v = wire::exchange_json(ex, run);
            if let (Some(b), Value::Object(m)) = (base_url, &mut v) {
                m.insert("url".into(), Value::String(wire::full_url(Some(b), ex)));
            }
            cmds.push(Command::CopyToClipboard {
                text: serde_json::to_string_pretty(&v).unwrap_or_default(),
                what: "exchange as JSON",
            });
        }
        let when = ex.at.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string();
        ui.label(RichText::new(format!("{when} · try {}", ex.attempt)).weak());
    });
    ui.add_space(4.0);
    // Side by side when there is room (as in Postman); one above the other otherwise.
    if ui.available_width() >= SIDE_BY_SIDE_FROM {
        ui.columns(2, |cols| {
            request_ui(&mut cols[0], ex, run);
            response_ui(&mut cols[1], ex);
        });
    } else {
        request_ui(ui, ex, run);
        ui.add_space(4.0);
        response_ui(ui, ex);
    }
}

/// From this width the request and the response sit side by side.
pub const SIDE_BY_SIDE_FROM: f32 = 900.0;

fn request_ui(ui: &mut Ui, ex: &Exchange, run: Option<&RunRecord>) {
    ui.label(RichText::new(labels::REQUEST).strong());
    if ex.request_headers.is_empty() {
        ui.label(
            RichText::new("Request headers were not recorded (a log from an older version).")
                .weak(),
        );
    } else {
        headers_ui(ui, "request_headers", &ex.request_headers);
    }
    if let Some(form) = wire::form_of(ex, run) {
        ui.label(RichText::new("Form fields").italics());
        egui::Grid::new("form_fields")
            .num_columns(2)
            .spacing([12.0, 2.0])
            .show(ui, |ui| {
                let row = |ui: &mut Ui, k: &str, v: &str| {
                    ui.label(RichText::new(k).monospace().small());
                    ui.add(egui::Label::new(RichText::new(v).monospace().small()).wrap());
                    ui.end_row();
                };
                row(ui, "audio", &wire::audio_text(&form.audio));
                row(ui, "language", &form.language);
                if let Some(id) = &form.external_id {
                    row(ui, "externalId", id);
                }
                if let Some(m) = &form.metadata {
                    row(ui, "metadata", m);
                }
            });
        if ex.form.is_none() {
            ui.label(
                RichText::new("(rebuilt from the run: this log predates recorded forms)")
                    .weak()
                    .small(),
            );
        }
    }
    ui.label(format!(
        "Sent {} · what the app decided: {}",
        wire::size_text(ex.bytes_sent),
        if ex.decision.is_empty() {
            "—"
        } else {
            &ex.decision
        }
    ));
    if let Some(w) = &ex.wait {
        ui.label(format!(
            "Then waited {:.1} s ({})",
            w.seconds,
            crate::guidance::wait_reason(w.reason)
        ));
    }
}

fn response_ui(ui: &mut Ui, ex: &Exchange) {
    ui.label(RichText::new(labels::RESPONSE).strong());
    match ex.status {
        Some(s) => {
            ui.label(
                RichText::new(format!("{s} {}", wire::status_text(s)))
                    .monospace()
                    .strong(),
            );
        }
        None => {
            ui.label(
                RichText::new(format!(
                    "No response: {}",
                    ex.error.as_deref().unwrap_or(if ex.interrupted {
                        "cut short by the app"
                    } else {
                        "no answer"
                    })
                ))
                .color(ui.visuals().error_fg_color),
            );
        }
    }
    if let Some(c) = &ex.code {
        ui.label(format!("Error code: {c}"));
    }
    if let Some(r) = &ex.request_id {
        ui.label(format!("requestId: {r}"));
    }
    if !ex.response_headers.is_empty() {
        headers_ui(ui, "response_headers", &ex.response_headers);
    } else if let Some(r) = ex.retry_after {
        ui.label(format!("Retry-After: {r} s"));
    }
    let body = ex.body.as_deref().unwrap_or("(no body)");
    let pretty = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| body.to_string());
    ui.label(format!(
        "Body ({}{}):",
        wire::size_text(ex.bytes_received),
        if ex.body_truncated {
            ", cut at 64 KiB"
        } else {
            ""
        }
    ));
    egui::ScrollArea::both()
        .id_salt("exchange_body")
        .max_height(180.0)
        .show(ui, |ui| {
            ui.label(RichText::new(pretty).monospace().small());
        });
}
