//! Arbitrary bytes into the scaled JPEG decode (shrink-on-load): imgkit-jpeg, and jpeg-decoder behind it
//! for what it declines, after the limits. The input is the file, whole; its length picks the scale, so the
//! corpus's JPEGs (baseline, progressive, restart intervals) seed it as they are.
#![no_main]

use imgkit::{decode_scaled, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|file: &[u8]| {
    let scale = [1u32, 2, 4, 8][file.len() % 4];
    let limits = Limits {
        max_alloc: 64 << 20,
        max_pixels: 16_000_000,
        ..Limits::default()
    };
    match decode_scaled(file, &limits, scale) {
        Ok(decoded) => {
            // Asked scale, or full size where it cannot scale (CMYK); never any other size.
            let (info, shrink) = (decoded.info(), decoded.shrink());
            assert!(shrink == scale || shrink == 1, "asked 1/{scale}, got 1/{shrink}");
            assert_eq!(
                (decoded.width(), decoded.height()),
                (info.width.div_ceil(shrink), info.height.div_ceil(shrink))
            );
        }
        Err(e) => assert!(e.is_input_fault(), "{e} is not classified as the input's fault"),
    }
});
