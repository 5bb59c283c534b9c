//! Look a run up on the service: by run id (one poll) or by externalId / status / date range
//! (the runs list). The answer is shown as a tree with the raw JSON beside it (below it when
//! the window is narrow).

use egui::{RichText, Ui};
use serde_json::Value;

use crate::ui::app::{Command, SupportCommand};
use crate::ui::support::{STACK_BELOW, SupportDesk, labelled_field, labels};

/// A JSON value as a collapsible tree.
pub fn json_tree_ui(ui: &mut Ui, name: &str, v: &Value, id: egui::Id) {
    match v {
        Value::Object(map) => {
            egui::CollapsingHeader::new(format!("{name} {{{}}}", map.len()))
                .id_salt(id)
                .default_open(true)
                .show(ui, |ui| {
                    for (k, child) in map {
                        json_tree_ui(ui, k, child, id.with(k));
                    }
                });
        }
        Value::Array(items) => {
            egui::CollapsingHeader::new(format!("{name} [{}]", items.len()))
                .id_salt(id)
                .default_open(items.len() <= 20)
                .show(ui, |ui| {
                    for (i, child) in items.iter().enumerate() {
                        json_tree_ui(ui, &i.to_string(), child, id.with(i));
                    }
                });
        }
        leaf => {
            ui.label(RichText::new(format!("{name}: {leaf}")).monospace());
        }
    }
}

/// Draws the look-up fields and the last answer.
pub fn lookup_ui(ui: &mut Ui, desk: &mut SupportDesk, cmds: &mut Vec<Command>) {
    ui.heading("Look up a run on the service");
    ui.horizontal_wrapped(|ui| {
        labelled_field(ui, labels::RUN_ID, &mut desk.run_id, 240.0);
        if ui
            .add_enabled(!desk.looking_up, egui::Button::new(labels::LOOK_UP))
            .clicked()
        {
            cmds.push(Command::Support(SupportCommand::LookUpRun));
        }
    });
    ui.horizontal_wrapped(|ui| {
        labelled_field(ui, labels::EXTERNAL_ID, &mut desk.external_id, 140.0);
        labelled_field(ui, labels::STATUS, &mut desk.status, 80.0);
        labelled_field(ui, labels::CREATED_AFTER, &mut desk.created_after, 150.0);
        labelled_field(ui, labels::CREATED_BEFORE, &mut desk.created_before, 150.0);
        if ui
            .add_enabled(!desk.looking_up, egui::Button::new(labels::FIND_RUNS))
            .clicked()
        {
            cmds.push(Command::Support(SupportCommand::FindRuns));
        }
    });
    if desk.looking_up {
        ui.spinner();
    }
    let Some(r) = &desk.lookup else { return };
    ui.add(
        egui::Label::new(
            RichText::new(format!(
                "{} → {}",
                r.request,
                r.status.map_or("no reply".into(), |s| format!("HTTP {s}"))
            ))
            .monospace(),
        )
        .wrap(),
    );
    if let Some(e) = &r.error {
        ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
    }
    let raw = serde_json::to_string_pretty(&r.body).unwrap_or_default();
    let tree = |ui: &mut Ui| {
        egui::ScrollArea::both()
            .id_salt("lookup_tree")
            .max_height(320.0)
            .show(ui, |ui| {
                json_tree_ui(ui, "body", &r.body, egui::Id::unique("lookup_json"));
            });
    };
    let raw_ui = |ui: &mut Ui| {
        egui::ScrollArea::both()
            .id_salt("lookup_raw")
            .max_height(320.0)
            .show(ui, |ui| {
                ui.label(RichText::new(&raw).monospace().small());
            });
    };
    if ui.available_width() < STACK_BELOW {
        tree(ui);
        ui.separator();
        raw_ui(ui);
    } else {
        ui.columns(2, |cols| {
            tree(&mut cols[0]);
            raw_ui(&mut cols[1]);
        });
    }
}
