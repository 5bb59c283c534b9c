//! speech-scorer: record speech, score it with the ZenHire Speech Analysis API, and explain
//! every error. The desktop app (`ui`) and the headless CLI (`cli`) are two front ends over the
//! same core: `api` (the HTTP contract), `engine` (submit → poll → outcome, following the API's
//! retry rules), `guidance` (what a person sees for each error) and `audio` (capture, files).

pub mod api;
pub mod audio;
pub mod capped;
pub mod cli;
pub mod engine;
pub mod guidance;
pub mod languages;
pub mod simulator;
pub mod store;
pub mod support;
pub mod ui;
pub mod validate;
