//! Replays every committed fuzz corpus (`fuzz/corpus/<target>/`) through the same entry points
//! the cargo-fuzz targets call, so what the fuzzer once found stays fixed and the inputs that
//! reach deep into each parser run in every `cargo test`, on stable, without libFuzzer.

use std::fs;
use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str, check: fn(&[u8])) {
    let files = corpus(target);
    assert!(
        files.len() >= 5,
        "the {target} corpus has only {} files; run `cargo fuzz cmin {target}` from fuzz/",
        files.len()
    );
    for file in files {
        let data = fs::read(&file).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(
            outcome.is_ok(),
            "{target}: {} broke an invariant (reproduce with `cargo +nightly fuzz run {target} {}`)",
            file.display(),
            file.display()
        );
    }
}

#[test]
fn csv_import_corpus() {
    replay("csv_import", frontdesk::fuzzing::csv_import);
}

#[test]
fn ssh_input_corpus() {
    replay("ssh_input", frontdesk::fuzzing::ssh_input);
}

#[test]
fn search_input_corpus() {
    replay("search_input", frontdesk::fuzzing::search_input);
}

#[test]
fn record_decode_corpus() {
    replay("record_decode", frontdesk::fuzzing::record_decode);
}
