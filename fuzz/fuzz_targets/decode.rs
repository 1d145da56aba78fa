//! Arbitrary bytes through the full limits path into the decoder. Run with -malloc_limit_mb above the
//! budget below: nothing may allocate past it.
#![no_main]

use imgkit::{decode, probe, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A small budget keeps executions fast and makes "allocates past the limit" visible to libFuzzer.
    let limits = Limits {
        max_alloc: 64 << 20,
        max_pixels: 16_000_000,
        ..Limits::default()
    };
    match decode(data, &limits) {
        Ok(decoded) => {
            let info = probe(data, &limits)
                .expect("decode accepted what probe rejects")
                .into_info();
            assert_eq!((decoded.width(), decoded.height()), (info.width, info.height));
            assert!(u64::from(decoded.width()) * u64::from(decoded.height()) <= limits.max_pixels);
        }
        Err(e) => assert!(e.is_input_fault(), "{e} is not classified as the input's fault"),
    }
});
