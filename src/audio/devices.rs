//! Input devices: what the microphone picker lists, and finding the one a person chose.

use cpal::traits::{DeviceTrait, HostTrait};

use super::AudioError;

/// One input device as the picker shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceInfo {
    /// Stable id (`host:device`, e.g. `alsa:default`): what to save in settings and pass back
    /// as [`RecorderConfig::device`](super::RecorderConfig::device).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// The system's default input (preselect it).
    pub is_default: bool,
    /// The device's own default sample rate in Hz, when it could be read.
    pub default_rate: Option<u32>,
    /// The device's default channel count, when it could be read.
    pub channels: Option<u16>,
    /// The device's default sample format (`f32`, `i16`, ...), when it could be read.
    pub sample_format: Option<String>,
    /// Why the default configuration could not be read (some listed ALSA plugins are not
    /// usable); such devices are shown but will likely fail to record.
    pub problem: Option<String>,
}

/// Lists the input devices of the default audio host, the default one first. Call again to
/// refresh (devices come and go). ALSA probes every plugin PCM, which can take a second:
/// call it off the UI thread.
pub fn list_input_devices() -> Result<Vec<DeviceInfo>, AudioError> {
    let host = cpal::default_host();
    let default_id = host.default_input_device().and_then(|d| d.id().ok());
    let devices = host
        .input_devices()
        .map_err(|e| AudioError::NoInputDevice(e.to_string()))?;
    let mut list: Vec<DeviceInfo> = devices
        .filter_map(|d| {
            let id = d.id().ok()?;
            let name = d
                .description()
                .map(|desc| desc.name().to_string())
                .unwrap_or_else(|_| d.to_string());
            let (default_rate, channels, sample_format, problem) = match d.default_input_config() {
                Ok(c) => (
                    Some(c.sample_rate()),
                    Some(c.channels()),
                    Some(c.sample_format().to_string()),
                    None,
                ),
                Err(e) => (None, None, None, Some(e.to_string())),
            };
            Some(DeviceInfo {
                is_default: default_id.as_ref() == Some(&id),
                id: id.to_string(),
                name,
                default_rate,
                channels,
                sample_format,
                problem,
            })
        })
        .collect();
    // Default first, then usable ones, then by name: the picker preselects the first entry.
    list.sort_by(|a, b| {
        b.is_default
            .cmp(&a.is_default)
            .then(a.problem.is_some().cmp(&b.problem.is_some()))
            .then(a.name.cmp(&b.name))
    });
    Ok(list)
}

/// Finds an input device by id (`alsa:default`) or by name; `None` means the default input.
pub fn find_input_device(wanted: Option<&str>) -> Result<(cpal::Device, String), AudioError> {
    let host = cpal::default_host();
    let Some(wanted) = wanted.filter(|w| !w.trim().is_empty()) else {
        let d = host.default_input_device().ok_or_else(|| {
            AudioError::NoInputDevice(
                "the system reports no default input; connect a microphone or check the sound settings"
                    .into(),
            )
        })?;
        let label = device_label(&d);
        return Ok((d, label));
    };
    let devices = host
        .input_devices()
        .map_err(|e| AudioError::NoInputDevice(e.to_string()))?;
    for d in devices {
        let id_matches = d.id().map(|id| id.to_string() == wanted).unwrap_or(false);
        let name_matches = d
            .description()
            .map(|desc| desc.name() == wanted)
            .unwrap_or(false)
            || d.to_string() == wanted;
        if id_matches || name_matches {
            let label = device_label(&d);
            return Ok((d, label));
        }
    }
    Err(AudioError::DeviceNotFound(wanted.to_string()))
}

/// The name shown for a device in messages and on a [`Take`](super::Take).
pub fn device_label(d: &cpal::Device) -> String {
    d.description()
        .map(|desc| desc.name().to_string())
        .unwrap_or_else(|_| d.to_string())
}
