//! Reading what comes from outside the program — our own files on disk included, which anyone
//! (or a bug, or a full disk) may have grown — with a size cap: nothing is read whole into
//! memory because it is large. The bottom layer: every module may use it.

use std::io::Read;
use std::path::Path;

/// Reads `r` as UTF-8 text, at most `cap` bytes; more is an `InvalidData` error that names
/// the cap (and nothing past `cap + 1` bytes is read).
pub fn read_text(r: impl Read, cap: u64) -> std::io::Result<String> {
    let mut buf = Vec::new();
    r.take(cap.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {}", size_words(cap)),
        ));
    }
    String::from_utf8(buf)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

/// Reads the file at `path` with [`read_text`]. A missing file is `NotFound`, as from
/// `std::fs::read_to_string`.
pub fn read_file(path: &Path, cap: u64) -> std::io::Result<String> {
    read_text(std::fs::File::open(path)?, cap)
}

fn size_words(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MB", bytes / MIB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_up_to_the_cap_is_read_and_more_is_refused_naming_the_cap() {
        assert_eq!(read_text(&b"CODE"[..], 4).expect("at the cap"), "CODE");
        let e = read_text(&b"CODE!"[..], 4).expect_err("over the cap");
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(e.to_string(), "larger than 4 bytes");
        let big = vec![b'x'; 3 * 1024 * 1024];
        let e = read_text(&big[..], 2 * 1024 * 1024).expect_err("over");
        assert_eq!(e.to_string(), "larger than 2 MB");
        assert!(read_text(&[0xff, 0xfe][..], 16).is_err(), "not UTF-8");
    }

    #[test]
    fn an_endless_source_is_read_only_to_the_cap() {
        // `repeat` never ends: the read stops one byte past the cap.
        let e = read_text(std::io::repeat(b'a'), 1024).expect_err("endless");
        assert_eq!(e.to_string(), "larger than 1 KB");
    }

    #[test]
    fn a_missing_file_is_not_found() {
        let dir = tempfile::tempdir().expect("dir");
        let e = read_file(&dir.path().join("none.toml"), 1024).expect_err("missing");
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    }
}
