//! Shrink-on-load and multi-rendition cascading: the fast paths must give the promised sizes and stay
//! visually equal (PSNR ≥ 40 dB) to resizing every rendition from the full-size decode.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use image::{DynamicImage, RgbImage};
use imgkit::{Fit, Limits, OutputFormat, Processor, Spec};
use imgkit_testkit::psnr_encoded as psnr;

fn photo(width: u32, height: u32) -> RgbImage {
    imgkit_testkit::photo(width, height, 1)
}

/// The 2400x1800 test photo as JPEG, made once for all tests.
fn photo_jpeg() -> &'static [u8] {
    static JPEG: OnceLock<Vec<u8>> = OnceLock::new();
    JPEG.get_or_init(|| jpeg(&photo(2400, 1800)))
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(img)
        .unwrap();
    out
}

fn gray_jpeg(img: &RgbImage) -> Vec<u8> {
    let gray = DynamicImage::ImageRgb8(img.clone()).to_luma8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(&gray)
        .unwrap();
    out
}

fn png_spec(spec: Spec) -> Spec {
    spec.with_format(OutputFormat::Png)
}

/// The default rule: the fastest DCT scale whose residual shrink meets `MEASURED_MIN_RESIDUAL` (1/8: 1.6,
/// 1/4: 1.25, 1/2: 1.5), and the fidelity it promises, at least 38 dB against the exact thumbnail.
#[test]
fn jpeg_is_decoded_at_the_fastest_scale_the_measured_rule_allows() {
    let src = photo_jpeg();
    let exact = &mut Processor::new(Limits::default()).shrink_on_load(None);
    let fast = &mut Processor::new(Limits::default());
    // (spec, the size the fast path must resample from), for the 2400x1800 photo.
    let cases = [
        (Spec::new().with_width(180), (300, 225)),  // 13.3x: 1/8 leaves 1.67x
        (Spec::new().with_width(200), (600, 450)),  // 12x: 1/8 would leave 1.5x, 1/4 leaves 3x
        (Spec::new().with_height(100), (300, 225)), // 18x: 1/8 leaves 2.25x
        (Spec::new().with_width(400), (600, 450)),  // 6x: 1/8 would leave 0.75x, 1/4 leaves 1.5x
        (Spec::new().with_size(200, 200).with_fit(Fit::Cover), (600, 450)), // the 1800 crop: 9x, 1/8 leaves 1.125x
        (Spec::new().with_width(700), (1200, 900)), // 3.4x: 1/4 would leave 0.86x, 1/2 leaves 1.7x
        (Spec::new().with_width(1000), (2400, 1800)), // 2.4x: 1/2 would leave 1.2x
    ];
    for (spec, from) in cases {
        let spec = png_spec(spec);
        let a = fast.process(src, &spec).unwrap();
        let b = exact.process(src, &spec).unwrap();
        assert_eq!(a.resized_from, from, "{spec:?}");
        assert_eq!(b.resized_from, (2400, 1800));
        assert_eq!((a.width, a.height), (b.width, b.height), "{spec:?}");
        let db = psnr(&a.bytes, &b.bytes);
        assert!(db >= 38.0, "{spec:?}: {db:.1} dB");
    }
}

#[test]
fn grayscale_jpeg_shrinks_too() {
    let src = gray_jpeg(&photo(1600, 1200));
    let spec = png_spec(Spec::new().with_width(200));
    let a = Processor::new(Limits::default()).process(&src, &spec).unwrap();
    let b = Processor::new(Limits::default())
        .shrink_on_load(None)
        .process(&src, &spec)
        .unwrap();
    assert_eq!(a.resized_from, (400, 300));
    assert!(psnr(&a.bytes, &b.bytes) >= 40.0);
}

#[test]
fn a_larger_margin_keeps_more_pixels() {
    let src = photo_jpeg();
    let out = Processor::new(Limits::default())
        .shrink_on_load(Some(4.0))
        .process(src, &Spec::new().with_width(200))
        .unwrap();
    assert_eq!(out.resized_from, (1200, 900));
}

#[test]
fn renditions_cascade_from_larger_ones_and_come_back_in_spec_order() {
    let src = photo_jpeg();
    // Deliberately not sorted: the processor orders them itself.
    let specs = [
        png_spec(Spec::new().with_width(150)),
        png_spec(Spec::new().with_width(1200)),
        png_spec(Spec::new().with_size(300, 300).with_fit(Fit::Cover)),
        png_spec(Spec::new().with_width(600)),
    ];
    let fast = Processor::new(Limits::default())
        .process_many(src, &specs)
        .unwrap();
    let exact = Processor::new(Limits::default())
        .shrink_on_load(None)
        .process_many(src, &specs)
        .unwrap();
    let sizes: Vec<_> = fast.iter().map(|o| (o.width, o.height)).collect();
    assert_eq!(sizes, [(150, 113), (1200, 900), (300, 300), (600, 450)]);
    // 1200 needs the full decode; 600 and the cover crop (needs 600x600 of a 1200x900 image, crop 900x900)
    // start from the 1200 rendition; 150 from the 600 one. Cropped renditions are never reused.
    let from: Vec<_> = fast.iter().map(|o| o.resized_from).collect();
    assert_eq!(from, [(600, 450), (2400, 1800), (1200, 900), (1200, 900)]);
    for ((spec, a), b) in specs.iter().zip(&fast).zip(&exact) {
        assert_eq!(b.resized_from, (2400, 1800));
        let db = psnr(&a.bytes, &b.bytes);
        assert!(db >= 40.0, "{spec:?}: {db:.1} dB");
    }
}
