//! Any text as a rule pack: the loader must accept it or reject it with an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = tiergate_wire::Env::with_pack(text, "fuzz");
});
