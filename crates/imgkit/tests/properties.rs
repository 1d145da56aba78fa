//! Property tests of the whole pipeline on generated images: every colour type and bit depth, every
//! orientation, every fit, filter and output format.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a test failure

use image::{DynamicImage, ExtendedColorType, ImageEncoder};
use imgkit::{Filter, Fit, Limits, OutputFormat, Processor, Spec};
use proptest::prelude::*;

/// The generated image's layouts, as the PNG encoder writes them.
#[derive(Clone, Copy, Debug)]
enum Layout {
    L8,
    La8,
    Rgb8,
    Rgba8,
    L16,
    Rgb16,
    Rgba16,
}

fn layout() -> impl Strategy<Value = Layout> {
    prop_oneof![
        Just(Layout::L8),
        Just(Layout::La8),
        Just(Layout::Rgb8),
        Just(Layout::Rgba8),
        Just(Layout::L16),
        Just(Layout::Rgb16),
        Just(Layout::Rgba16)
    ]
}

/// A constant-colour PNG of the given layout: `rgb` (gray uses the red value), fully opaque.
fn constant_png(w: u32, h: u32, layout: Layout, rgb: [u8; 3]) -> Vec<u8> {
    let [r, g, b] = rgb;
    let (px8, color): (Vec<u8>, ExtendedColorType) = match layout {
        Layout::L8 => (vec![r], ExtendedColorType::L8),
        Layout::La8 => (vec![r, 255], ExtendedColorType::La8),
        Layout::Rgb8 => (vec![r, g, b], ExtendedColorType::Rgb8),
        Layout::Rgba8 => (vec![r, g, b, 255], ExtendedColorType::Rgba8),
        // 16-bit PNG samples are big-endian; v * 257 maps 8-bit v exactly.
        Layout::L16 => (vec![r, r], ExtendedColorType::L16),
        Layout::Rgb16 => (vec![r, r, g, g, b, b], ExtendedColorType::Rgb16),
        Layout::Rgba16 => (vec![r, r, g, g, b, b, 255, 255], ExtendedColorType::Rgba16),
    };
    let data: Vec<u8> = px8
        .iter()
        .copied()
        .cycle()
        .take(px8.len() * (w * h) as usize)
        .collect();
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&data, w, h, color)
        .unwrap();
    out
}

/// A JPEG with an EXIF orientation tag (APP1 segment with a single IFD0 entry 0x0112).
fn oriented_jpeg(w: u32, h: u32, orientation: u16) -> Vec<u8> {
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    exif.extend_from_slice(&orientation.to_be_bytes());
    exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let pixels: Vec<u8> = (0..w * h).flat_map(|i| [(i % 251) as u8, 90, 160]).collect();
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 90);
    enc.add_app_segment(1, exif).unwrap();
    enc.encode(&pixels, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

fn spec_strategy() -> impl Strategy<Value = Spec> {
    (
        proptest::option::of(1u32..300),
        proptest::option::of(1u32..300),
        prop_oneof![Just(Fit::Inside), Just(Fit::Cover), Just(Fit::Fill)],
        prop_oneof![
            Just(Filter::Lanczos3),
            Just(Filter::CatmullRom),
            Just(Filter::Bilinear),
            Just(Filter::Nearest)
        ],
        prop_oneof![
            Just(OutputFormat::Same),
            (1u8..=100).prop_map(|quality| OutputFormat::Jpeg { quality }),
            Just(OutputFormat::Png),
            (1u8..=100).prop_map(|quality| OutputFormat::WebP { quality }),
        ],
        any::<bool>(),
    )
        .prop_filter("needs a size", |(w, h, ..)| w.is_some() || h.is_some())
        .prop_map(|(w, h, fit, filter, format, enlarge)| {
            Spec::new()
                .with_bounds(w, h)
                .with_fit(fit)
                .with_filter(filter)
                .with_format(format)
                .with_enlarge(enlarge)
        })
}

/// Worst error, in 8-bit levels, that quantising the DC coefficient alone can put on one RGB channel of
/// a flat JPEG block at `quality` (IJG scaling, clamped to 8-bit tables, of DC steps no smaller than
/// the encoder's: Annex K's luma 16 and chroma 17 bound mozjpeg's Robidoux tables, 16 and 16;
/// B = Y + 1.772 Cb is the channel hit hardest).
fn jpeg_dc_error_bound(quality: u8) -> u8 {
    let q = u32::from(quality.clamp(1, 100));
    let scale = if q < 50 { 5000 / q } else { 200 - 2 * q };
    let step = |base: u32| f64::from(((base * scale + 50) / 100).clamp(1, 255)) / 8.0;
    (step(16) / 2.0 + 1.772 * step(17) / 2.0).ceil() as u8
}

/// Whether the default limits refuse an output of this size.
fn over_limits(width: u32, height: u32) -> bool {
    let l = Limits::default();
    width > l.max_width || height > l.max_height || u64::from(width) * u64::from(height) > l.max_pixels
}

fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Any image, any valid spec: the output decodes to exactly the size `plan` promises.
    #[test]
    fn outputs_decode_to_the_promised_size(
        w in 1u32..200, h in 1u32..200, layout in layout(), orientation in 0u16..10, jpeg: bool,
        spec in spec_strategy(),
    ) {
        let bytes = if jpeg { oriented_jpeg(w, h, orientation) } else { constant_png(w, h, layout, [10, 20, 30]) };
        let displayed = if jpeg && (5..=8).contains(&orientation) { (h, w) } else { (w, h) };
        let expected = spec.plan_for(displayed.0, displayed.1);
        let result = Processor::new(Limits::default()).process(&bytes, &spec);
        if over_limits(expected.width, expected.height) {
            // Enlarging a sliver can plan an output past the limits: refused, never attempted.
            prop_assert!(matches!(result, Err(imgkit::Error::LimitExceeded { .. })), "{:?}", result.map(|o| (o.width, o.height)));
            return Ok(());
        }
        let out = result.unwrap();
        prop_assert_eq!((out.width, out.height), (expected.width, expected.height));
        let back = decode(&out.bytes);
        prop_assert_eq!((back.width(), back.height()), (out.width, out.height));
    }

    /// Several renditions of one image at once, where smaller ones start from larger ones (the cascade)
    /// and regions are fractional: every output has exactly the size `plan` promises, and nothing fails
    /// inside (an out-of-bounds crop box once did, as a transient internal error).
    #[test]
    fn rendition_sets_come_out_at_their_promised_sizes(
        w in 1u32..400, h in 1u32..400, thin in 0u8..3, layout in layout(),
        specs in proptest::collection::vec(spec_strategy(), 2..5),
    ) {
        // Slivers too: one side a few pixels, the other long.
        let (w, h) = match thin { 0 => (w, h), 1 => (1 + w % 5, h * 4), _ => (w * 4, 1 + h % 5) };
        let bytes = constant_png(w, h, layout, [200, 100, 50]);
        let result = Processor::new(Limits::default()).process_many(&bytes, &specs);
        let plans: Vec<_> = specs.iter().map(|s| s.plan_for(w, h)).collect();
        if plans.iter().any(|p| over_limits(p.width, p.height)) {
            prop_assert!(matches!(result, Err(imgkit::Error::LimitExceeded { .. })), "{:?}", result.err());
            return Ok(());
        }
        let outs = result.unwrap();
        for (out, plan) in outs.iter().zip(&plans) {
            prop_assert_eq!((out.width, out.height), (plan.width, plan.height));
        }
    }

    /// A constant colour stays that colour through decode, resize and encode (catches alpha,
    /// bit-depth and colour-conversion bugs).
    #[test]
    fn constant_colour_survives(
        w in 1u32..120, h in 1u32..120, layout in layout(), rgb: [u8; 3], spec in spec_strategy(),
    ) {
        let gray = matches!(layout, Layout::L8 | Layout::La8 | Layout::L16);
        let rgb = if gray { [rgb[0]; 3] } else { rgb };
        let bytes = constant_png(w, h, layout, rgb);
        let planned = spec.plan_for(w, h);
        prop_assume!(!over_limits(planned.width, planned.height)); // the size property covers refusals
        let out = Processor::new(Limits::default()).process(&bytes, &spec).unwrap();
        // Lossy codecs quantise flat colour too; 4:2:0 chroma and WebP's YUV add more. For JPEG the
        // bound follows from the DC quantisation step, which at quality 1 is a full 255/8 levels.
        let tolerance = match (out.format, spec.format()) {
            (imgkit::Format::Png, _) => 1,
            (_, OutputFormat::Jpeg { quality }) => 12 + jpeg_dc_error_bound(quality),
            (_, OutputFormat::WebP { quality }) if quality < 30 => 24,
            _ => 12,
        };
        let img = decode(&out.bytes).to_rgb8();
        for p in img.pixels() {
            for c in 0..3 {
                prop_assert!(p[c].abs_diff(rgb[c]) <= tolerance, "{:?} vs {:?} ({})", p, rgb, out.format);
            }
        }
    }

    /// Premultiplied alpha: an opaque white square on transparent black never gains a dark edge.
    #[test]
    fn no_dark_fringe_on_transparent_edges(
        side in 8u32..96, target in 2u32..64,
        filter in prop_oneof![Just(Filter::Lanczos3), Just(Filter::CatmullRom), Just(Filter::Bilinear)],
        webp: bool,
    ) {
        let img = image::RgbaImage::from_fn(side, side, |x, y| {
            let inside = (side / 4..side - side / 4).contains(&x) && (side / 4..side - side / 4).contains(&y);
            if inside { image::Rgba([255, 255, 255, 255]) } else { image::Rgba([0, 0, 0, 0]) }
        });
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(img.as_raw(), side, side, ExtendedColorType::Rgba8).unwrap();
        let format = if webp { OutputFormat::WebP { quality: 100 } } else { OutputFormat::Png };
        let spec = Spec::new().with_width(target).with_filter(filter).with_format(format);
        let out = Processor::new(Limits::default()).process(&png, &spec).unwrap();
        for p in decode(&out.bytes).to_rgba8().pixels().filter(|p| p[3] >= 32) {
            prop_assert!(p[0] >= 235 && p[1] >= 235 && p[2] >= 235, "dark fringe {:?}", p);
        }
    }
}
