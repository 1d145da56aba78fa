//! Arbitrary bytes into `probe`: never panics; an `Ok` respects every limit; an `Err` is the input's fault.
#![no_main]

use imgkit::{probe, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    match probe(data, &limits) {
        Ok(probed) => {
            let info = probed.info();
            assert!(info.width > 0 && info.height > 0);
            assert!(info.width <= limits.max_width && info.height <= limits.max_height);
            assert!(info.pixels() <= limits.max_pixels);
            assert!(info.frames >= 1 && info.frames <= limits.max_frames);
            assert!(info.decoded_bytes <= limits.max_alloc);
            assert!(info.metadata_bytes <= limits.max_metadata_bytes && info.chunks <= limits.max_chunks);
            assert!(limits.allowed_formats.contains(info.format));
        }
        Err(e) => assert!(e.is_input_fault(), "{e} is not classified as the input's fault"),
    }
});
