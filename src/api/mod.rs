//! The ZenHire Speech API contract as Rust types, and one HTTP client. Knows HTTP and JSON;
//! nothing about retries or the UI.

pub mod codes;
pub mod model;

pub use codes::{CodeFamily, ErrorCode};
