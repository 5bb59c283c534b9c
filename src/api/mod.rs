//! The ZenHire Speech API contract as Rust types, and one HTTP client. Knows HTTP and JSON;
//! nothing about retries or the UI.

pub mod client;
pub mod codes;
pub mod error;
pub mod limits;
pub mod model;
pub mod reading;

pub use client::{ApiClient, ApiKey, Facts, Reply, RunsFilter};
pub use codes::{CodeFamily, ErrorCode};
pub use error::{ApiError, ClientError, NetworkKind};
