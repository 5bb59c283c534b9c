//! Who is calling: the key check (401s, middleware-level, so no requestId), the key's IP
//! allow-list and the speech permission (403s).

use std::time::Instant;

use axum::http::HeaderMap;
use axum::response::{IntoResponse as _, Response};

use super::config::KeyConfig;
use super::net::ConnTag;
use super::state::{Arrival, Shared};
use super::wire::ApiError;

/// The key check (401s carry no requestId), then the key's IP allow-list and, for speech
/// endpoints (not the universal credits endpoint), the speech permission.
pub(super) fn authenticate<'a>(
    sim: &'a Shared,
    headers: &HeaderMap,
    conn: &ConnTag,
    speech_endpoint: bool,
) -> Result<&'a KeyConfig, ApiError> {
    let Some(secret) = presented_key(headers) else {
        return Err(ApiError::new("MISSING_API_KEY"));
    };
    let key = sim
        .key(secret)
        .ok_or_else(|| ApiError::new("INVALID_API_KEY"))?;
    if key.expired {
        return Err(ApiError::new("API_KEY_EXPIRED"));
    }
    if key.inactive {
        return Err(ApiError::new("CLIENT_INACTIVE"));
    }
    if !key.allowed_ips.is_empty() && !key.allowed_ips.contains(&conn.peer.ip()) {
        return Err(ApiError::new("IP_NOT_ALLOWED"));
    }
    if speech_endpoint && !key.speech_permission {
        return Err(ApiError::new("MISSING_PERMISSION"));
    }
    Ok(key)
}

/// What every endpoint but submit checks before its own rules: the key, then a warm-up or
/// storm under way, then the rate limit when the config enforces it beyond submit.
pub(super) fn admit<'a>(
    sim: &'a Shared,
    headers: &HeaderMap,
    conn: &ConnTag,
    speech_endpoint: bool,
    arrival: &Arrival,
) -> Result<&'a KeyConfig, Box<Response>> {
    let key = authenticate(sim, headers, conn, speech_endpoint)
        .map_err(|e| Box::new(e.into_response()))?;
    let now = Instant::now();
    match sim
        .disrupted(false, now)
        .or_else(|| sim.over_rate_elsewhere(key, arrival, now))
    {
        Some(refusal) => Err(Box::new(refusal)),
        None => Ok(key),
    }
}

/// The key a request presents: `X-API-Key`, else `Authorization` (with or without `Bearer`).
pub(super) fn presented_key(headers: &HeaderMap) -> Option<&str> {
    let from_header = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let from_auth = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim())
        .map(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .unwrap_or(v)
                .trim()
        })
        .filter(|s| !s.is_empty());
    from_header.or(from_auth)
}
