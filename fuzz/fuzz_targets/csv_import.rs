#![no_main]
// The checks live in the library (`frontdesk::fuzzing::csv_import`) so `tests/fuzz_corpora.rs`
// replays the committed corpus through exactly the same code on stable.
libfuzzer_sys::fuzz_target!(|data: &[u8]| frontdesk::fuzzing::csv_import(data));
