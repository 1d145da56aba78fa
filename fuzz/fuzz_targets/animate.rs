//! Arbitrary bytes as an animation written to animated WebP: every frame decoded, resized and encoded.
//! An `Ok` output is a WebP of the promised size whose frames number at least one and at most the
//! output's count (libwebp folds a frame identical to the one before into its duration); `still` gives
//! one frame; an `Err` is the input's fault.
#![no_main]

use std::io::Cursor;

use image::AnimationDecoder;
use imgkit::{Limits, OutputFormat, Processor, Spec};
use libfuzzer_sys::fuzz_target;

/// Width, quality and `still` from a checksum of the bytes, so that every byte stays the image's: a seed
/// from the corpus is fuzzed as the file it is (a structured input would eat its magic bytes).
fn settings(data: &[u8]) -> (u32, u8, bool) {
    let sum = data
        .iter()
        .fold(0u32, |h, &b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    (1 + sum % 160, (sum >> 8) as u8 % 100 + 1, (sum >> 16) % 5 == 0)
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_alloc: 64 << 20,
        max_pixels: 16_000_000,
        max_animation_pixels: 20_000_000,
        max_animated_output_pixels: 2_000_000,
        ..Limits::default()
    };
    let (width, quality, still) = settings(data);
    let spec = Spec::new()
        .with_width(width)
        .with_format(OutputFormat::WebP { quality })
        .with_still(still);
    match Processor::new(limits).process(data, &spec) {
        Ok(out) => {
            assert!(out.frames >= 1 && (out.frames == 1 || !still));
            let decoder =
                image::codecs::webp::WebPDecoder::new(Cursor::new(&out.bytes)).expect("our own WebP");
            // Frames all alike are folded into one, which libwebp then writes as a still.
            if decoder.has_animation() {
                let frames = decoder
                    .into_frames()
                    .collect::<Result<Vec<_>, _>>()
                    .expect("our own frames");
                assert!(
                    (1..=out.frames as usize).contains(&frames.len()),
                    "{} of {}",
                    frames.len(),
                    out.frames
                );
                for frame in &frames {
                    assert_eq!(frame.buffer().dimensions(), (out.width, out.height));
                }
            } else {
                let back = image::load_from_memory(&out.bytes).expect("our own output must decode");
                assert_eq!((back.width(), back.height()), (out.width, out.height));
            }
        }
        Err(e) => assert!(e.is_input_fault(), "{e} is not classified as the input's fault"),
    }
});
