//! Local checks that mirror the API limits, run before any upload.
