//! Input devices: the microphone list a person recognises, and finding the one they chose.
//!
//! Where a sound server runs (PulseAudio, or PipeWire through its PulseAudio interface) the
//! list is its sources, by the names the desktop shows ("Built-in Audio Analog Stereo",
//! "Monitor of …"), asked through cpal's PulseAudio host, with the server's default marked.
//! Without one, ALSA's devices are listed, with the ones that are not microphones (the `null`
//! device, which "records" silence faster than real time, and conversion or channel plugins)
//! left out of the picker and marked in the full list.
//!
//! Ids are stable (`pulseaudio:alsa_input.usb-…`, `alsa:plughw:CARD=PCH,DEV=0`): save one,
//! pass it back to [`find_device`], which falls back to the default — and says so — when
//! that device is gone.

use cpal::traits::{DeviceTrait, HostTrait};

use super::AudioError;

/// What kind of input a listed device is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DeviceKind {
    /// A microphone or line input.
    Microphone,
    /// Records what the computer plays through `of` (a sound server's "monitor" source), not
    /// a person. Listed, marked.
    Monitor { of: String },
    /// The sound system's default input, whatever it routes to (ALSA's `default` device).
    SystemDefault,
    /// Not a microphone: listed only in the full list, with the reason.
    NotAMicrophone { why: String },
}

/// One input device as the picker shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceInfo {
    /// Stable id (`host:device`, e.g. `pulseaudio:alsa_input.pci-0000_00_1f.3.analog-stereo`,
    /// `alsa:default`): what to save in settings and pass back to [`find_device`] and as
    /// [`RecorderConfig::device`](super::RecorderConfig::device).
    pub id: String,
    /// The name people recognise: the sound server's description where there is one.
    pub name: String,
    /// What kind of input this is.
    pub kind: DeviceKind,
    /// The system's default input (preselect it).
    pub is_default: bool,
    /// The device's own default sample rate in Hz, when it could be read.
    pub default_rate: Option<u32>,
    /// The device's default channel count, when it could be read.
    pub channels: Option<u16>,
    /// The device's default sample format (`f32`, `i16`, ...), when it could be read.
    pub sample_format: Option<String>,
    /// Why the default configuration could not be read; such devices are shown but will
    /// likely fail to record.
    pub problem: Option<String>,
}

impl DeviceInfo {
    /// True for what belongs in the microphone picker (everything but
    /// [`DeviceKind::NotAMicrophone`]).
    pub fn is_listed(&self) -> bool {
        !matches!(self.kind, DeviceKind::NotAMicrophone { .. })
    }
}

/// The device [`find_device`] settled on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceChoice {
    /// The device to record from (pass its `id` to the recorder).
    pub device: DeviceInfo,
    /// The id that was asked for when it is gone and the default was taken instead: tell the
    /// person ("… is not connected; using …").
    pub fell_back_from: Option<String>,
}

const PULSE: &str = "pulseaudio";
const ALSA: &str = "alsa";

/// The input devices for the microphone picker, the default first. Call again to refresh
/// (devices come and go). Can take a second (the audio system is asked, some ALSA plugins are
/// opened): call it off the UI thread.
pub fn list_input_devices() -> Result<Vec<DeviceInfo>, AudioError> {
    Ok(list_all_input_devices()?
        .into_iter()
        .filter(DeviceInfo::is_listed)
        .collect())
}

/// Every input device the audio system reports, including the ones that are not microphones
/// (marked [`DeviceKind::NotAMicrophone`]), the default first.
pub fn list_all_input_devices() -> Result<Vec<DeviceInfo>, AudioError> {
    let sources = match pulse_host() {
        Some(host) => host_devices(&host, PULSE, classify_pulse).unwrap_or_default(),
        None => Vec::new(),
    };
    let alsa = alsa_host().ok_or_else(|| {
        AudioError::NoInputDevice("the audio system (ALSA) is not available".into())
    });
    let mut list = if sources.is_empty() {
        host_devices(&alsa?, ALSA, classify_alsa)?
    } else {
        // The sound server's sources are the list. ALSA's routes into the same server and its
        // direct card devices (held by the server) are only in the full list, marked.
        let mut list = sources;
        if let Ok(host) = alsa
            && let Ok(devices) = host_devices(&host, ALSA, classify_alsa_behind_server)
        {
            list.extend(devices.into_iter().map(|d| DeviceInfo {
                is_default: false,
                ..d
            }));
        }
        list
    };
    // Default first, then microphones, usable ones, then by name: the picker preselects the
    // first entry.
    list.sort_by(|a, b| {
        b.is_default
            .cmp(&a.is_default)
            .then(rank(&a.kind).cmp(&rank(&b.kind)))
            .then(a.problem.is_some().cmp(&b.problem.is_some()))
            .then(a.name.cmp(&b.name))
    });
    Ok(list)
}

fn rank(kind: &DeviceKind) -> u8 {
    match kind {
        DeviceKind::Microphone => 0,
        DeviceKind::SystemDefault => 1,
        DeviceKind::Monitor { .. } => 2,
        DeviceKind::NotAMicrophone { .. } => 3,
    }
}

/// Finds the device saved as `id` (an id from the list; a name works too). `None`, or an id
/// that is no longer there, gives the system default — the latter with
/// [`DeviceChoice::fell_back_from`] set, so the UI can say the saved one is gone.
pub fn find_device(id: Option<&str>) -> Result<DeviceChoice, AudioError> {
    choose_device(&list_all_input_devices()?, id)
}

/// [`find_device`] over a list already read (the picker lists once and chooses from it).
pub fn choose_device(list: &[DeviceInfo], id: Option<&str>) -> Result<DeviceChoice, AudioError> {
    let wanted = id.map(str::trim).filter(|w| !w.is_empty());
    if let Some(w) = wanted
        && let Some(d) = list.iter().find(|d| d.id == w || d.name == w)
    {
        return Ok(DeviceChoice {
            device: d.clone(),
            fell_back_from: None,
        });
    }
    let default = list
        .iter()
        .find(|d| d.is_default)
        .or_else(|| list.iter().find(|d| d.is_listed()))
        .cloned()
        .ok_or_else(no_default)?;
    Ok(DeviceChoice {
        device: default,
        fell_back_from: wanted.map(str::to_string),
    })
}

fn no_default() -> AudioError {
    AudioError::NoInputDevice(
        "the system reports no default input; connect a microphone or check the sound settings"
            .into(),
    )
}

/// Opens a device by exact id (`host:device`) or name; `None` means the default input. Used
/// by the capture thread: no fallback here (a recording goes to the device that was chosen).
pub fn find_input_device(wanted: Option<&str>) -> Result<(cpal::Device, String), AudioError> {
    let Some(wanted) = wanted.map(str::trim).filter(|w| !w.is_empty()) else {
        // The sound server's default source, else ALSA's default device.
        let d = pulse_host()
            .and_then(|h| h.default_input_device())
            .or_else(|| alsa_host().and_then(|h| h.default_input_device()))
            .ok_or_else(no_default)?;
        let label = device_label(&d);
        return Ok((d, label));
    };
    let hosts: Vec<cpal::Host> = match wanted.split_once(':') {
        Some((PULSE, _)) => pulse_host().into_iter().collect(),
        Some((ALSA, _)) => alsa_host().into_iter().collect(),
        // A name: look everywhere.
        _ => pulse_host().into_iter().chain(alsa_host()).collect(),
    };
    for host in hosts {
        let Ok(devices) = host.input_devices() else {
            continue;
        };
        for d in devices {
            let id_matches = d.id().map(|id| id.to_string() == wanted).unwrap_or(false);
            if id_matches || device_label(&d) == wanted || d.to_string() == wanted {
                let label = device_label(&d);
                return Ok((d, label));
            }
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

/// The PulseAudio host when a sound server answers (PulseAudio, or PipeWire's PulseAudio
/// interface).
fn pulse_host() -> Option<cpal::Host> {
    if !cpal::available_hosts().contains(&cpal::HostId::PulseAudio) {
        return None;
    }
    cpal::host_from_id(cpal::HostId::PulseAudio).ok()
}

fn alsa_host() -> Option<cpal::Host> {
    cpal::host_from_id(cpal::HostId::Alsa).ok()
}

/// Lists a host's inputs, classified. Only devices that may be microphones are opened to
/// read their configuration (opening some ALSA plugins is slow and noisy).
fn host_devices(
    host: &cpal::Host,
    host_name: &str,
    classify: fn(&str, &str) -> DeviceKind,
) -> Result<Vec<DeviceInfo>, AudioError> {
    let default_id = host.default_input_device().and_then(|d| d.id().ok());
    let devices = host
        .input_devices()
        .map_err(|e| AudioError::NoInputDevice(e.to_string()))?;
    Ok(devices
        .filter_map(|d| {
            let id = d.id().ok()?;
            let device_part = id.to_string();
            let device_part = device_part
                .strip_prefix(host_name)
                .and_then(|r| r.strip_prefix(':'))
                .unwrap_or(&device_part)
                .to_string();
            let name = device_label(&d);
            let kind = classify(&device_part, &name);
            let (default_rate, channels, sample_format, problem) =
                if matches!(kind, DeviceKind::NotAMicrophone { .. }) {
                    (None, None, None, None)
                } else {
                    match d.default_input_config() {
                        Ok(c) => (
                            Some(c.sample_rate()),
                            Some(c.channels()),
                            Some(c.sample_format().to_string()),
                            None,
                        ),
                        Err(e) => (None, None, None, Some(e.to_string())),
                    }
                };
            Some(DeviceInfo {
                is_default: default_id.as_ref() == Some(&id),
                id: id.to_string(),
                name,
                kind,
                default_rate,
                channels,
                sample_format,
                problem,
            })
        })
        .collect())
}

/// A sound server's source: `*.monitor` records what a sink plays.
pub fn classify_pulse(source_name: &str, description: &str) -> DeviceKind {
    if source_name.ends_with(".monitor") {
        let of = description
            .strip_prefix("Monitor of ")
            .unwrap_or(source_name.trim_end_matches(".monitor"));
        DeviceKind::Monitor { of: of.to_string() }
    } else {
        DeviceKind::Microphone
    }
}

/// An ALSA device on a system without a sound server, by its PCM name.
pub fn classify_alsa(pcm: &str, _description: &str) -> DeviceKind {
    let kind = pcm.split(':').next().unwrap_or(pcm);
    let not = |why: &str| DeviceKind::NotAMicrophone { why: why.into() };
    match kind {
        "null" => not("discards what is played and records only silence, faster than real time"),
        "default" | "pulse" | "pipewire" | "sysdefault" => DeviceKind::SystemDefault,
        "plughw" => DeviceKind::Microphone,
        "hw" | "front" | "dsnoop" => {
            not("another way into a sound card that is listed as plughw (with conversions)")
        }
        "surround21" | "surround40" | "surround41" | "surround50" | "surround51" | "surround71"
        | "iec958" | "hdmi" | "dmix" | "spdif" => not("an output"),
        "upmix" | "vdownmix" | "speex" | "speexrate" | "lavrate" | "samplerate" | "a52"
        | "jack" | "oss" | "usbstream" | "rate" | "plug" | "asym" | "dshare" | "equal" => {
            not("a sound-system plugin, not a device")
        }
        // Someone's own configuration (an .asoundrc entry): it may well be a microphone.
        _ => DeviceKind::Microphone,
    }
}

/// ALSA's devices when a sound server lists the microphones: none of them is listed. ALSA's
/// routes into the server are the server's default again, and its direct card devices are
/// held by the server.
pub fn classify_alsa_behind_server(pcm: &str, description: &str) -> DeviceKind {
    let why = match classify_alsa(pcm, description) {
        not @ DeviceKind::NotAMicrophone { .. } => return not,
        DeviceKind::SystemDefault => "the sound server's default input again, through ALSA",
        _ => "a sound card the sound server already uses (its sources are listed)",
    };
    DeviceKind::NotAMicrophone { why: why.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitors_are_marked_with_what_they_record() {
        assert_eq!(
            classify_pulse("vmic_sink.monitor", "Monitor of VirtualMicSink"),
            DeviceKind::Monitor {
                of: "VirtualMicSink".into()
            }
        );
        assert_eq!(
            classify_pulse(
                "alsa_input.usb-Blue_Yeti-00.analog-stereo",
                "Yeti Stereo Microphone"
            ),
            DeviceKind::Microphone
        );
    }

    #[test]
    fn the_null_device_and_plugins_are_not_microphones() {
        for pcm in [
            "null",
            "upmix",
            "vdownmix",
            "speex",
            "lavrate",
            "samplerate",
            "jack",
            "oss",
        ] {
            assert!(
                matches!(classify_alsa(pcm, ""), DeviceKind::NotAMicrophone { .. }),
                "{pcm}"
            );
        }
        let DeviceKind::NotAMicrophone { why } = classify_alsa("null", "Discard all samples")
        else {
            panic!("null is not a microphone");
        };
        assert!(why.contains("silence"), "{why}");
        assert_eq!(classify_alsa("default", ""), DeviceKind::SystemDefault);
        assert_eq!(
            classify_alsa("plughw:CARD=PCH,DEV=0", "HDA Intel PCH, ALC892 Analog"),
            DeviceKind::Microphone
        );
        assert!(matches!(
            classify_alsa("hw:CARD=PCH,DEV=0", ""),
            DeviceKind::NotAMicrophone { .. }
        ));
    }

    #[test]
    fn behind_a_sound_server_alsa_lists_nothing_new() {
        for pcm in ["default", "pulse", "plughw:CARD=PCH,DEV=0", "null", "upmix"] {
            let kind = classify_alsa_behind_server(pcm, "");
            assert!(
                matches!(kind, DeviceKind::NotAMicrophone { .. }),
                "{pcm}: {kind:?}"
            );
        }
    }
}
