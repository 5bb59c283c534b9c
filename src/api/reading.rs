//! Lenient readings of the parts of a result whose shape the docs leave open: the items of
//! `transcript.segments[]` (timings and text under whichever names they come) and `analysis`
//! (any JSON, shown as a tree of labelled values). Nothing here fails: what cannot be read is
//! left out, and every list and text is capped, so a hostile or huge body costs a bounded
//! amount to show.

use std::time::Duration;

use serde_json::Value;

use super::model::{PollResponse, Transcript};

/// The most segments read from one transcript.
pub const MAX_SEGMENTS: usize = 5_000;

/// The most characters kept of one segment's text.
pub const MAX_SEGMENT_CHARS: usize = 2_000;

/// One stretch of the transcript, as far as it could be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Where it starts in the recording, when the item says.
    pub start: Option<Duration>,
    /// Where it ends, when the item says (or says how long it is).
    pub end: Option<Duration>,
    /// What was said (may be empty when the item carries only timings).
    pub text: String,
    /// Who said it, as the item names them.
    pub speaker: Option<String>,
    /// The speaker is `transcript.candidateSpeaker`.
    pub candidate: bool,
}

impl Segment {
    /// True when the segment can be played: it has a start (the end defaults to the next
    /// segment's start, or a few seconds).
    pub fn is_timed(&self) -> bool {
        self.start.is_some()
    }
}

/// Names a segment's start comes under, with their unit.
const START_KEYS: &[(&str, Unit)] = &[
    ("start", Unit::Guess),
    ("startTime", Unit::Guess),
    ("start_time", Unit::Guess),
    ("startSeconds", Unit::Seconds),
    ("start_seconds", Unit::Seconds),
    ("startSec", Unit::Seconds),
    ("start_sec", Unit::Seconds),
    ("startMs", Unit::Millis),
    ("start_ms", Unit::Millis),
    ("startMillis", Unit::Millis),
    ("begin", Unit::Guess),
    ("from", Unit::Guess),
    ("offset", Unit::Guess),
    ("offsetMs", Unit::Millis),
    ("t0", Unit::Guess),
];

const END_KEYS: &[(&str, Unit)] = &[
    ("end", Unit::Guess),
    ("endTime", Unit::Guess),
    ("end_time", Unit::Guess),
    ("endSeconds", Unit::Seconds),
    ("end_seconds", Unit::Seconds),
    ("endSec", Unit::Seconds),
    ("end_sec", Unit::Seconds),
    ("endMs", Unit::Millis),
    ("end_ms", Unit::Millis),
    ("endMillis", Unit::Millis),
    ("stop", Unit::Guess),
    ("to", Unit::Guess),
    ("t1", Unit::Guess),
];

const DURATION_KEYS: &[(&str, Unit)] = &[
    ("duration", Unit::Guess),
    ("durationSeconds", Unit::Seconds),
    ("durationMs", Unit::Millis),
    ("duration_ms", Unit::Millis),
];

const TEXT_KEYS: &[&str] = &[
    "text",
    "transcript",
    "content",
    "sentence",
    "utterance",
    "value",
];

const SPEAKER_KEYS: &[&str] = &[
    "speakerLabel",
    "speaker_label",
    "speaker",
    "speakerId",
    "speaker_id",
    "label",
    "channel",
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Unit {
    Seconds,
    Millis,
    /// Seconds, unless the whole transcript only makes sense in milliseconds.
    Guess,
}

/// A number, a numeric string, or a clock ("1:02.5", "00:01:02,500") as seconds.
fn seconds_of(v: &Value) -> Option<f64> {
    let x = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => {
            let s = s.trim().trim_end_matches('s').replace(',', ".");
            match s.parse::<f64>() {
                Ok(x) => x,
                Err(_) => clock_seconds(&s)?,
            }
        }
        _ => return None,
    };
    (x.is_finite() && x >= 0.0).then_some(x)
}

/// "h:mm:ss.f" or "m:ss.f" as seconds.
fn clock_seconds(s: &str) -> Option<f64> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return None;
    }
    let mut total = 0.0;
    for p in &parts {
        total = total * 60.0 + p.parse::<f64>().ok()?;
    }
    Some(total)
}

/// The first of `keys` the object has, as (seconds-or-millis number, unit).
fn timed(obj: &serde_json::Map<String, Value>, keys: &[(&str, Unit)]) -> Option<(f64, Unit)> {
    keys.iter()
        .find_map(|(k, unit)| obj.get(*k).and_then(seconds_of).map(|x| (x, *unit)))
}

/// Text of a value: a string, or the words of an array of strings / `{word|text}` objects.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => {
            let words: Vec<&str> = items
                .iter()
                .take(MAX_SEGMENT_CHARS)
                .filter_map(|w| match w {
                    Value::String(s) => Some(s.as_str()),
                    Value::Object(o) => ["word", "text", "token"]
                        .iter()
                        .find_map(|k| o.get(*k).and_then(Value::as_str)),
                    _ => None,
                })
                .collect();
            (!words.is_empty()).then(|| words.join(" "))
        }
        _ => None,
    }
}

fn capped(mut s: String, max_chars: usize) -> String {
    if let Some((i, _)) = s.char_indices().nth(max_chars) {
        s.truncate(i);
        s.push('…');
    }
    s
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The segments of a transcript, read leniently: each item's start and end under any of the
/// usual names (`start`/`end`, `startMs`/`endMs`, `start_time`, `offset` + `duration`, a
/// `timestamp: [start, end]` pair), in seconds, milliseconds or as a clock; its text under
/// `text`, `transcript`, `content`… or as an array of words; its speaker under `speaker`,
/// `speakerLabel`…. Plain numbers are seconds unless the transcript only fits the recording
/// (`audio_length`) as milliseconds. Items that are not objects, or carry neither text nor a
/// time, are left out. At most [`MAX_SEGMENTS`].
pub fn segments(transcript: &Transcript, audio_length: Option<Duration>) -> Vec<Segment> {
    struct Raw {
        start: Option<(f64, Unit)>,
        end: Option<(f64, Unit)>,
        length: Option<(f64, Unit)>,
        text: String,
        speaker: Option<String>,
    }
    let raws: Vec<Raw> = transcript
        .segments
        .iter()
        .take(MAX_SEGMENTS)
        .filter_map(|item| {
            let obj = item.as_object()?;
            let mut start = timed(obj, START_KEYS);
            let mut end = timed(obj, END_KEYS);
            if start.is_none()
                && let Some(Value::Array(pair)) = obj.get("timestamp").or(obj.get("timestamps"))
            {
                start = pair.first().and_then(seconds_of).map(|x| (x, Unit::Guess));
                end = pair.get(1).and_then(seconds_of).map(|x| (x, Unit::Guess));
            }
            let length = timed(obj, DURATION_KEYS);
            let text = TEXT_KEYS
                .iter()
                .find_map(|k| obj.get(*k).and_then(text_of))
                .or_else(|| obj.get("words").and_then(text_of))
                .map(|t| capped(t.trim().to_string(), MAX_SEGMENT_CHARS))
                .unwrap_or_default();
            let speaker = SPEAKER_KEYS
                .iter()
                .find_map(|k| obj.get(*k).and_then(scalar_string));
            (start.is_some() || !text.is_empty()).then_some(Raw {
                start,
                end,
                length,
                text,
                speaker,
            })
        })
        .collect();
    // Plain numbers: seconds, unless they only fit the recording as milliseconds.
    let largest_guess = raws
        .iter()
        .flat_map(|r| [r.start, r.end])
        .flatten()
        .filter(|(_, u)| *u == Unit::Guess)
        .map(|(x, _)| x)
        .fold(0.0_f64, f64::max);
    let guess_is_millis = audio_length.is_some_and(|len| {
        let secs = len.as_secs_f64();
        largest_guess > secs * 1.5 + 2.0 && largest_guess / 1000.0 <= secs * 1.5 + 2.0
    });
    let to_duration = |(x, unit): (f64, Unit)| -> Option<Duration> {
        let secs = match unit {
            Unit::Seconds => x,
            Unit::Millis => x / 1000.0,
            Unit::Guess if guess_is_millis => x / 1000.0,
            Unit::Guess => x,
        };
        // Nothing lasts longer than a day; a bigger number is junk, not a time.
        (secs <= 86_400.0).then(|| Duration::from_secs_f64(secs))
    };
    let candidate = transcript.candidate_speaker.as_deref();
    raws.into_iter()
        .map(|r| {
            let start = r.start.and_then(to_duration);
            let end = r
                .end
                .and_then(to_duration)
                .or_else(|| Some(start? + r.length.and_then(to_duration)?))
                .filter(|e| start.is_none_or(|s| *e > s));
            let is_candidate = match (&r.speaker, candidate) {
                (Some(s), Some(c)) => s == c,
                _ => false,
            };
            Segment {
                start,
                end,
                text: r.text,
                speaker: r.speaker,
                candidate: is_candidate,
            }
        })
        .collect()
}

/// The segments of a result's transcript (none when it has no transcript).
pub fn result_segments(poll: &PollResponse) -> Vec<Segment> {
    let length = poll
        .audio
        .as_ref()
        .and_then(|a| a.duration_ms)
        .map(Duration::from_millis);
    poll.transcript
        .as_ref()
        .map(|t| segments(t, length))
        .unwrap_or_default()
}

/// Where playing a segment stops: its end, else the next timed segment's start, else
/// `fallback` after its start.
pub fn play_end(segments: &[Segment], index: usize, fallback: Duration) -> Option<Duration> {
    let seg = segments.get(index)?;
    let start = seg.start?;
    seg.end.or_else(|| {
        segments[index + 1..]
            .iter()
            .find_map(|s| s.start.filter(|n| *n > start))
            .or(Some(start + fallback))
    })
}

/// A JSON key as a label: `speechRatio` → "Speech ratio", `mean_pause_s` → "Mean pause s".
pub fn key_label(key: &str) -> String {
    // Words: split at separators, at a lower-to-upper change ("speechRatio") and before the
    // last capital of a run followed by a lower case letter ("CEFRProfile" → CEFR, Profile).
    let chars: Vec<char> = key.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if matches!(c, '_' | '-' | ' ' | '.') {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let boundary = c.is_uppercase()
            && !current.is_empty()
            && prev.is_some_and(|p| {
                p.is_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_uppercase() && next.is_some_and(char::is_lowercase))
            });
        if boundary {
            words.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        // Acronyms ("CEFR", "WPM") stay as they are; other words are lower case after the first.
        let acronym =
            w.chars().count() > 1 && w.chars().all(|c| c.is_uppercase() || c.is_ascii_digit());
        if acronym {
            out.push_str(w);
        } else if i == 0 {
            let mut cs = w.chars();
            if let Some(f) = cs.next() {
                out.extend(f.to_uppercase());
                out.push_str(&cs.as_str().to_lowercase());
            }
        } else {
            out.push_str(&w.to_lowercase());
        }
    }
    if out.is_empty() { key.to_string() } else { out }
}

/// The most characters of one scalar shown in a tree.
pub const MAX_SCALAR_CHARS: usize = 400;

/// A leaf value as a person reads it: text as is, numbers without trailing noise, `true` as
/// "yes", `null` as "—".
pub fn scalar_text(v: &Value) -> String {
    match v {
        Value::Null => "—".to_string(),
        Value::Bool(true) => "yes".to_string(),
        Value::Bool(false) => "no".to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => {
                let s = format!("{f:.3}");
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            }
            _ => n.to_string(),
        },
        Value::String(s) => capped(s.clone(), MAX_SCALAR_CHARS),
        Value::Array(a) => format!("{} items", a.len()),
        Value::Object(o) => format!("{} fields", o.len()),
    }
}

/// True for a value shown on one line (not a branch of the tree).
pub fn is_leaf(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.is_empty() || (a.len() <= 8 && a.iter().all(is_plain_scalar)),
        Value::Object(o) => o.is_empty(),
        _ => true,
    }
}

fn is_plain_scalar(v: &Value) -> bool {
    matches!(v, Value::Number(_) | Value::Bool(_) | Value::Null)
        || v.as_str().is_some_and(|s| s.chars().count() <= 40)
}

/// A leaf's text, including short arrays of scalars ("1, 2, 3") and empty containers.
pub fn leaf_text(v: &Value) -> String {
    match v {
        Value::Array(a) if a.is_empty() => "none".to_string(),
        Value::Object(_) if is_leaf(v) => "none".to_string(),
        Value::Array(a) => a.iter().map(scalar_text).collect::<Vec<_>>().join(", "),
        other => scalar_text(other),
    }
}

/// The most rows [`flatten`] gives.
pub const MAX_FLAT_ROWS: usize = 2_000;

/// One line of a flattened tree: how deep it is, its label, and its value (`None` for a
/// branch that has children below it).
#[derive(Debug, Clone, PartialEq)]
pub struct FlatRow {
    /// 0 for the top level.
    pub depth: usize,
    /// The key as a label, or "Item 3" in an array.
    pub label: String,
    /// The leaf's text; `None` for a branch.
    pub value: Option<String>,
}

/// Any JSON as labelled rows, depth first (the report prints it; the app draws the same
/// shape as a collapsible tree). A bare scalar is one row labelled `root_label`. At most
/// `max_rows` rows (and never more than [`MAX_FLAT_ROWS`]); the second value says how many
/// were left out.
pub fn flatten(value: &Value, root_label: &str, max_rows: usize) -> (Vec<FlatRow>, usize) {
    fn walk(v: &Value, depth: usize, out: &mut Vec<FlatRow>, max: usize, left: &mut usize) {
        let children: Vec<(String, &Value)> = match v {
            Value::Object(o) => o.iter().map(|(k, v)| (key_label(k), v)).collect(),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("Item {}", i + 1), v))
                .collect(),
            _ => Vec::new(),
        };
        for (label, child) in children {
            if out.len() >= max || depth > 32 {
                *left += 1;
                continue;
            }
            if is_leaf(child) {
                out.push(FlatRow {
                    depth,
                    label,
                    value: Some(leaf_text(child)),
                });
            } else {
                out.push(FlatRow {
                    depth,
                    label,
                    value: None,
                });
                walk(child, depth + 1, out, max, left);
            }
        }
    }
    let max = max_rows.min(MAX_FLAT_ROWS);
    let mut out = Vec::new();
    let mut left = 0;
    if is_leaf(value) && !matches!(value, Value::Object(_)) {
        out.push(FlatRow {
            depth: 0,
            label: root_label.to_string(),
            value: Some(leaf_text(value)),
        });
    } else {
        walk(value, 0, &mut out, max, &mut left);
    }
    (out, left)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn transcript(segments: Value) -> Transcript {
        serde_json::from_value(json!({"segments": segments, "candidateSpeaker": "speaker_1"}))
            .expect("transcript")
    }

    #[test]
    fn segments_under_any_usual_names_and_units() {
        let t = transcript(json!([
            {"start": 0.5, "end": 2.25, "text": "Hello.", "speaker": "speaker_1"},
            {"startMs": 3000, "endMs": 4500, "transcript": "Ms keys."},
            {"start_time": "00:00:05,000", "end_time": "0:06.5", "content": "Clock strings."},
            {"offset": 7, "duration": 1.5, "words": [{"word": "from"}, {"word": "words"}]},
            {"timestamp": [9.0, 10.0], "text": "A pair."},
            {"text": "No timing at all."},
            {"nothing": true},
            "not an object",
            {"start": -3, "text": "Negative start is no start."}
        ]));
        let s = segments(&t, Some(Duration::from_secs(60)));
        assert_eq!(s.len(), 7);
        assert_eq!(s[0].start, Some(Duration::from_millis(500)));
        assert_eq!(s[0].end, Some(Duration::from_millis(2250)));
        assert!(s[0].candidate);
        assert_eq!(s[1].start, Some(Duration::from_secs(3)));
        assert_eq!(s[1].text, "Ms keys.");
        assert_eq!(s[2].start, Some(Duration::from_secs(5)));
        assert_eq!(s[2].end, Some(Duration::from_millis(6500)));
        assert_eq!(s[3].end, Some(Duration::from_millis(8500)));
        assert_eq!(s[3].text, "from words");
        assert_eq!(s[4].start, Some(Duration::from_secs(9)));
        assert!(!s[5].is_timed());
        assert!(!s[6].is_timed(), "a negative time is not read");
    }

    #[test]
    fn plain_numbers_that_only_fit_as_milliseconds_are_milliseconds() {
        let t = transcript(json!([
            {"start": 1000, "end": 5000, "text": "a"},
            {"start": 5000, "end": 58000, "text": "b"}
        ]));
        let s = segments(&t, Some(Duration::from_secs(60)));
        assert_eq!(s[1].end, Some(Duration::from_secs(58)));
        // Without a length to compare with, plain numbers are seconds.
        let s = segments(&t, None);
        assert_eq!(s[1].end, Some(Duration::from_secs(58_000)));
    }

    #[test]
    fn a_segment_without_an_end_plays_to_the_next_start() {
        let t = transcript(json!([
            {"start": 1, "text": "a"}, {"text": "b"}, {"start": 4, "text": "c"}
        ]));
        let s = segments(&t, None);
        assert_eq!(
            play_end(&s, 0, Duration::from_secs(5)),
            Some(Duration::from_secs(4))
        );
        assert_eq!(
            play_end(&s, 2, Duration::from_secs(5)),
            Some(Duration::from_secs(9))
        );
        assert_eq!(play_end(&s, 1, Duration::from_secs(5)), None);
    }

    #[test]
    fn huge_inputs_are_capped() {
        let many: Vec<Value> = (0..MAX_SEGMENTS + 10)
            .map(|i| json!({"start": i, "text": "x".repeat(10)}))
            .collect();
        assert_eq!(segments(&transcript(json!(many)), None).len(), MAX_SEGMENTS);
        let long = transcript(json!([{"text": "y".repeat(MAX_SEGMENT_CHARS * 3)}]));
        let s = segments(&long, None);
        assert_eq!(s[0].text.chars().count(), MAX_SEGMENT_CHARS + 1);
    }

    #[test]
    fn keys_read_as_labels() {
        assert_eq!(key_label("speechRatio"), "Speech ratio");
        assert_eq!(key_label("mean_pause_seconds"), "Mean pause seconds");
        assert_eq!(key_label("CEFR"), "CEFR");
        assert_eq!(key_label("wordsPerMinute"), "Words per minute");
        assert_eq!(key_label("_"), "_");
        assert_eq!(key_label("CEFRProfile"), "CEFR profile");
        assert_eq!(key_label("a1Level"), "A1 level");
    }

    #[test]
    fn any_json_flattens_to_labelled_rows() {
        let v = json!({
            "fluency": {"speechRatio": 0.712, "pauses": [1, 2, 3], "notes": null},
            "vocabulary": {"rareWords": ["ubiquitous", "mitigate"], "deep": {"a": {"b": true}}},
            "empty": {}
        });
        let (rows, left) = flatten(&v, "Analysis", 100);
        assert_eq!(left, 0);
        let find = |label: &str| rows.iter().find(|r| r.label == label).cloned();
        assert_eq!(
            find("Speech ratio").and_then(|r| r.value),
            Some("0.712".into())
        );
        assert_eq!(find("Pauses").and_then(|r| r.value), Some("1, 2, 3".into()));
        assert_eq!(find("Notes").and_then(|r| r.value), Some("—".into()));
        assert_eq!(find("Fluency").map(|r| (r.depth, r.value)), Some((0, None)));
        assert_eq!(find("B").map(|r| r.depth), Some(3));
        assert_eq!(find("Empty").and_then(|r| r.value), Some("none".into()));
        // A scalar, an array at the top, and the cap.
        assert_eq!(
            flatten(&json!("just text"), "Analysis", 10).0[0].label,
            "Analysis"
        );
        let (rows, left) = flatten(&json!([{"a": 1}, {"a": 2}, {"a": 3}]), "x", 4);
        assert_eq!(rows.len(), 4);
        assert_eq!(left, 1);
    }
}
