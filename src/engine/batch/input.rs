//! What a batch is made of: a folder's recordings (in name order) or a CSV manifest's rows,
//! read with caps (a manifest of at most [`MANIFEST_CAP`], at most [`MAX_ROWS`] rows).

use std::path::{Path, PathBuf};

use super::RowSpec;

/// Recordings a folder or manifest may hold (a row is a few hundred bytes of state).
pub const MAX_ROWS: usize = 100_000;
/// A manifest is read up to this size.
pub const MANIFEST_CAP: u64 = 16 * 1024 * 1024;
/// File endings a folder's recordings have (the API's formats).
pub const AUDIO_EXTENSIONS: [&str; 6] = ["mp3", "wav", "m4a", "webm", "ogg", "flac"];

/// The rows of a folder or a manifest.
pub fn plan_rows(source: &Path, language: &str) -> Result<Vec<RowSpec>, String> {
    if source.is_dir() {
        scan_dir(source, language)
    } else {
        read_manifest(source, language)
    }
}

fn is_recording(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// A folder's recordings, in name order (not its subfolders).
pub fn scan_dir(dir: &Path, language: &str) -> Result<Vec<RowSpec>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = entry.path();
        if path.is_file() && is_recording(&path) {
            files.push(path);
            if files.len() > MAX_ROWS {
                return Err(format!(
                    "more than {MAX_ROWS} recordings in {}",
                    dir.display()
                ));
            }
        }
    }
    if files.is_empty() {
        return Err(format!(
            "no recordings in {} (looked for {})",
            dir.display(),
            AUDIO_EXTENSIONS.join(", ")
        ));
    }
    files.sort();
    Ok(files
        .into_iter()
        .map(|file| RowSpec {
            file,
            language: language.to_string(),
            external_id: None,
            metadata: None,
        })
        .collect())
}

/// A manifest's rows: a CSV file with a header row naming the columns `file` (or `path`),
/// and optionally `language`, `externalId` (or `external_id`), `metadata`.
fn read_manifest(path: &Path, language: &str) -> Result<Vec<RowSpec>, String> {
    use std::io::Read as _;
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| format!("{shown}: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MANIFEST_CAP + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{shown}: {e}"))?;
    if bytes.len() as u64 > MANIFEST_CAP {
        return Err(format!(
            "{shown}: a manifest may be at most {} MB",
            MANIFEST_CAP / (1024 * 1024)
        ));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    parse_manifest(&bytes, base, language).map_err(|e| format!("{shown}: {e}"))
}

/// Parses manifest text; relative files are taken from `base`.
pub fn parse_manifest(bytes: &[u8], base: &Path, language: &str) -> Result<Vec<RowSpec>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let column = |names: &[&str]| {
        headers.iter().position(|h| {
            let h = h.to_ascii_lowercase().replace(['_', ' ', '-'], "");
            names.contains(&h.as_str())
        })
    };
    let file_col = column(&["file", "path"]).ok_or(
        "the header row names no `file` column (columns: file, language, externalId, metadata)",
    )?;
    let (lang_col, ext_col, meta_col) = (
        column(&["language"]),
        column(&["externalid"]),
        column(&["metadata"]),
    );
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let file = cell(Some(file_col)).map(PathBuf::from).unwrap_or_default();
        let file = if file.as_os_str().is_empty() || file.is_absolute() {
            file
        } else {
            base.join(file)
        };
        rows.push(RowSpec {
            file,
            language: cell(lang_col).unwrap_or_else(|| language.to_string()),
            external_id: cell(ext_col),
            metadata: cell(meta_col),
        });
        if rows.len() > MAX_ROWS {
            return Err(format!("more than {MAX_ROWS} rows"));
        }
    }
    if rows.is_empty() {
        return Err("the manifest has no rows".into());
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_names_its_columns_and_leaves_blanks_to_the_defaults() {
        let text = "File, Language ,external_id,metadata\n\
                    a.wav,,cand-1,\"{\"\"candidate\"\":\"\"c_1\"\"}\"\n\
                    /abs/b.mp3,de,,\n\
                    \n\
                    ,en,,\n";
        let rows = parse_manifest(text.as_bytes(), Path::new("/m"), "fr").expect("parses");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].file, PathBuf::from("/m/a.wav"));
        assert_eq!(rows[0].language, "fr");
        assert_eq!(rows[0].external_id.as_deref(), Some("cand-1"));
        assert_eq!(rows[0].metadata.as_deref(), Some(r#"{"candidate":"c_1"}"#));
        assert_eq!(rows[1].file, PathBuf::from("/abs/b.mp3"));
        assert_eq!(
            (rows[1].language.as_str(), rows[1].external_id.clone()),
            ("de", None)
        );
        assert_eq!(
            rows[2].file,
            PathBuf::new(),
            "an empty file is a row the checks refuse"
        );
        assert!(
            parse_manifest(b"name\nx\n", Path::new("/"), "en").is_err(),
            "no file column"
        );
        assert!(
            parse_manifest(b"file\n", Path::new("/"), "en").is_err(),
            "no rows"
        );
    }

    #[test]
    fn a_folder_lists_its_recordings_in_name_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["b.WAV", "a.mp3", "notes.txt", "c.flac"] {
            std::fs::write(dir.path().join(name), b"x").expect("write");
        }
        std::fs::create_dir(dir.path().join("sub.wav")).expect("dir");
        let rows = scan_dir(dir.path(), "en").expect("scan");
        let names: Vec<_> = rows
            .iter()
            .map(|r| {
                r.file
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        assert_eq!(names, ["a.mp3", "b.WAV", "c.flac"]);
        let empty = tempfile::tempdir().expect("tempdir");
        assert!(scan_dir(empty.path(), "en").is_err());
    }
}
