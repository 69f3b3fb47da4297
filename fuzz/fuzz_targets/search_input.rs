#![no_main]
// The checks live in the library (`frontdesk::fuzzing::search_input`) so `tests/fuzz_corpora.rs`
// replays the committed corpus through exactly the same code on stable.
libfuzzer_sys::fuzz_target!(|data: &[u8]| frontdesk::fuzzing::search_input(data));
