//! Arbitrary bytes into the HEIF container walk (the safe-Rust part of HEIC and AVIF input, which runs
//! in the caller's process): never panics; an answer's box count is within the limit; an `Err` is the
//! input's fault. The C decoder behind it runs in the sandbox and is exercised by the corpus tests.
#![no_main]

use imgkit::{fuzz_heif_walk, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match fuzz_heif_walk(data) {
        Ok((_, _, boxes)) => assert!(boxes <= Limits::default().max_chunks),
        Err(e) => assert!(e.is_input_fault(), "{e} is not classified as the input's fault"),
    }
});
