//! `score` prepares uploads the way the app does (issue 11): a file the API would refuse as
//! it is (over 25 MB) but that converts to something it takes is converted — into the app's
//! data folder, never beside the person's file — uploaded, scored, and the conversion removed
//! (with the day-old ones a killed run left there).

mod foundation_support;

use foundation_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wav_too_large_as_it_is_is_converted_scored_and_cleaned_up() {
    let sim = sim("").await;
    let home = tempfile::tempdir().expect("home");
    let files = tempfile::tempdir().expect("files");
    // 3:10 at 96 kHz stereo: 73 MB as it is (FILE_TOO_LARGE), 6 MB as 16 kHz mono WAV.
    let big = files.path().join("interview-96k.wav");
    common::write_tone_wav(&big, 96_000, 2, 96_000 * 190);
    let size = std::fs::metadata(&big).expect("meta").len();
    assert!(size > 25 * 1024 * 1024, "{size}");
    let before = std::fs::read(&big).expect("read");
    // What a `score` killed two days ago left in the folder: swept by this one.
    let prepared = home.path().join("data").join("prepared");
    std::fs::create_dir_all(&prepared).expect("prepared dir");
    let left = prepared.join("old take.a5b3c54f.upload.ogg");
    std::fs::write(&left, b"left over").expect("write");
    std::fs::File::options()
        .write(true)
        .open(&left)
        .and_then(|f| {
            f.set_modified(
                std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 86_400),
            )
        })
        .expect("age it");

    let run = run_cli(
        home.path(),
        &sim.base_url(),
        sim.api_key(),
        &["score", &big.display().to_string(), "--json"],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let v = run.json();
    assert_eq!(v["outcome"], "success", "{v}");
    // The simulator measured the upload: the whole 3:10, not a cut or a padded copy.
    assert_eq!(v["result"]["audio"]["durationMs"], 190_000, "{v}");
    assert_eq!(submits(&sim.requests()), 1);

    assert_eq!(
        std::fs::read(&big).expect("read"),
        before,
        "the original is untouched"
    );
    let beside: Vec<_> = std::fs::read_dir(files.path())
        .expect("ls")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        beside.len(),
        1,
        "nothing written beside the file: {beside:?}"
    );
    assert!(prepared.is_dir(), "the conversion went to the data folder");
    assert_eq!(
        files_under(&prepared),
        Vec::<std::path::PathBuf>::new(),
        "and was removed (with what an earlier run left)"
    );
}
