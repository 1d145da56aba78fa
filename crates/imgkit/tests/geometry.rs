//! Exact geometry: a thumbnail made from a DCT-scaled decode (or from a larger rendition) reads the exact
//! fractional region of the image it stands for, so it matches the thumbnail made from the full-size
//! decode. Sides that are not multiples of 8 (the scaled decode's last pixel is then partial), every DCT
//! scale, every fit and the orientations that swap the axes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a test failure

use imgkit::{Fit, Limits, OutputFormat, Processor, Spec};
use imgkit_testkit::psnr_encoded as psnr;

/// 2017x1129: both sides leave a partial pixel at every DCT scale (2017/8 = 252.125).
const SIZE: (u32, u32) = (2017, 1129);

#[test]
fn scaled_decodes_and_cascades_read_the_exact_region_at_every_scale_fit_and_orientation() {
    let mut fast = Processor::new(Limits::default());
    let mut exact = Processor::new(Limits::default()).shrink_on_load(None);
    let mut worst = f64::INFINITY;
    for orientation in [1, 5, 6, 7, 8] {
        let jpeg = imgkit_testkit::encode::photo_jpeg_oriented(SIZE.0, SIZE.1, 92, orientation);
        let swaps = orientation >= 5;
        let (display_w, display_h) = if swaps { (SIZE.1, SIZE.0) } else { SIZE };
        // Targets that make the default rule decode at 1/2, 1/4 and 1/8 (each keeps twice the target).
        for shrink in [2u32, 4, 8] {
            let side = |d: u32| d / (2 * shrink) - 3;
            let (w, h) = (side(display_w), side(display_h));
            let specs = [
                Spec::new().with_width(w),
                Spec::new().with_size(w.min(h), w.min(h)).with_fit(Fit::Cover),
                Spec::new().with_size(w, h * 2 / 3).with_fit(Fit::Fill),
                Spec::new().with_size(w / 2, h / 3).with_fit(Fit::Cover),
            ]
            .map(|s| s.with_format(OutputFormat::Png));
            let outs = fast.process_many(&jpeg, &specs).unwrap();
            let want = exact.process_many(&jpeg, &specs).unwrap();
            for ((spec, out), reference) in specs.iter().zip(&outs).zip(&want) {
                let what = format!("orientation {orientation}, 1/{shrink}, {spec}");
                assert_eq!(
                    (out.width, out.height),
                    (reference.width, reference.height),
                    "{what}"
                );
                // The fast path really took a shortcut (a scaled decode or a larger rendition).
                let from = out.resized_from.0.max(out.resized_from.1);
                assert!(
                    from < SIZE.0.max(SIZE.1),
                    "{what}: resized from {:?}",
                    out.resized_from
                );
                let quality = psnr(&out.bytes, &reference.bytes);
                worst = worst.min(quality);
                assert!(
                    quality >= 40.0,
                    "{what}: {quality:.1} dB against the exact thumbnail"
                );
            }
        }
    }
    eprintln!("worst PSNR against the exact thumbnails: {worst:.1} dB");
}
