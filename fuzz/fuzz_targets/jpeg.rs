//! Arbitrary bytes into the scaled JPEG decode (shrink-on-load): imgkit-jpeg, and jpeg-decoder behind it
//! for what it declines, after the limits. The first byte picks the scale; the rest is the file.
#![no_main]

use imgkit::{decode_scaled, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    let scale = [1u32, 2, 4, 8][usize::from(pick % 4)];
    let limits = Limits {
        max_alloc: 64 << 20,
        max_pixels: 16_000_000,
        ..Limits::default()
    };
    match decode_scaled(file, &limits, scale) {
        Ok(decoded) => {
            let info = decoded.info();
            if info.format == imgkit::Format::Jpeg {
                assert_eq!(
                    (decoded.width(), decoded.height()),
                    (info.width.div_ceil(scale), info.height.div_ceil(scale))
                );
            }
        }
        Err(e) => assert!(e.is_input_fault(), "{e} is not classified as the input's fault"),
    }
});
