#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use imgkit_testkit::psnr;
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

/// Deterministic photo-like RGB (the testkit's: gradients, hard edges, stripes, mild noise).
fn photo(width: usize, height: usize) -> Vec<u8> {
    let side = |v: usize| u32::try_from(v).unwrap();
    imgkit_testkit::photo(side(width), side(height), 3).into_raw()
}

fn encode(
    width: usize,
    height: usize,
    color: ColorType,
    setup: impl FnOnce(&mut Encoder<&mut Vec<u8>>),
) -> Vec<u8> {
    let rgb = photo(width, height);
    let pixels: Vec<u8> = match color {
        ColorType::Luma => rgb.chunks_exact(3).map(|p| p[1]).collect(),
        ColorType::Cmyk => rgb
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        _ => rgb,
    };
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, 90);
    setup(&mut encoder);
    encoder
        .encode(&pixels, width as u16, height as u16, color)
        .unwrap();
    out
}

fn reference(jpeg: &[u8], scale: u16) -> (usize, usize, Vec<u8>) {
    let mut d = jpeg_decoder::Decoder::new(jpeg);
    d.read_info().unwrap();
    let info = d.info().unwrap();
    let (w, h) = d
        .scale(info.width.div_ceil(scale), info.height.div_ceil(scale))
        .unwrap();
    (usize::from(w), usize::from(h), d.decode().unwrap())
}

/// Averages `scale`×`scale` boxes of a full-size decode: what a scaled decode should approximate.
fn box_down(pixels: &[u8], width: usize, height: usize, channels: usize, scale: usize) -> Vec<u8> {
    let (w, h) = (width.div_ceil(scale), height.div_ceil(scale));
    let mut out = Vec::new();
    for y in 0..h {
        for x in 0..w {
            for ch in 0..channels {
                let (mut sum, mut n) = (0u32, 0u32);
                for yy in y * scale..((y + 1) * scale).min(height) {
                    for xx in x * scale..((x + 1) * scale).min(width) {
                        sum += u32::from(pixels[(yy * width + xx) * channels + ch]);
                        n += 1;
                    }
                }
                out.push(((sum + n / 2) / n) as u8);
            }
        }
    }
    out
}

const LAYOUTS: [(&str, ColorType, SamplingFactor); 5] = [
    ("4:2:0", ColorType::Rgb, SamplingFactor::F_2_2),
    ("4:4:4", ColorType::Rgb, SamplingFactor::F_1_1),
    ("4:2:2", ColorType::Rgb, SamplingFactor::F_2_1),
    ("4:4:0", ColorType::Rgb, SamplingFactor::F_1_2),
    ("gray", ColorType::Luma, SamplingFactor::F_1_1),
];

#[test]
fn full_size_matches_a_reference_decoder_where_no_upsampling_differs() {
    for (name, color, _) in LAYOUTS.iter().filter(|l| matches!(l.0, "4:4:4" | "gray")) {
        let jpeg = encode(203, 117, *color, |e| e.set_sampling_factor(SamplingFactor::F_1_1));
        let ours = decode(&jpeg, 1, u64::MAX).unwrap();
        let (w, h, want) = reference(&jpeg, 1);
        assert_eq!((ours.width as usize, ours.height as usize), (w, h), "{name}");
        let worst = ours
            .pixels
            .iter()
            .zip(&want)
            .map(|(&a, &b)| a.abs_diff(b))
            .max()
            .unwrap();
        assert!(worst <= 3, "{name}: worst difference {worst}");
    }
}

#[test]
fn scaled_decodes_match_the_full_image_shrunk_for_every_layout_and_odd_sizes() {
    for (name, color, sampling) in LAYOUTS {
        for (width, height) in [(203, 117), (64, 48), (9, 17), (1, 1)] {
            let jpeg = encode(width, height, color, |e| e.set_sampling_factor(sampling));
            let (fw, fh, full) = reference(&jpeg, 1);
            let channels = if color == ColorType::Luma { 1 } else { 3 };
            for scale in [2usize, 4, 8] {
                let ours = decode(&jpeg, scale as u32, u64::MAX).unwrap();
                assert_eq!(
                    (
                        ours.width as usize,
                        ours.height as usize,
                        usize::from(ours.channels)
                    ),
                    (fw.div_ceil(scale), fh.div_ceil(scale), channels),
                    "{name} {width}x{height} 1/{scale}"
                );
                let want = box_down(&full, fw, fh, channels, scale);
                let quality = psnr(&ours.pixels, &want);
                if width >= 64 {
                    let (_, _, theirs) = reference(&jpeg, scale as u16);
                    let theirs_quality = psnr(&theirs, &want);
                    // At least as close to the exact shrink as jpeg-decoder's scaled decode (which upsamples
                    // chroma after scaling; we scale chroma less instead), and above 33 dB. The floor is the
                    // picture's: on the 64x48 one, libjpeg's own scaled transform (4:4:4, where both decoders
                    // compute exactly it) gets 35.9 dB at 1/2, and 4:2:0 loses chroma detail on top (33.7).
                    assert!(
                        quality >= 33.0 && quality >= theirs_quality - 0.5,
                        "{name} {width}x{height} 1/{scale}: {quality:.1} dB, jpeg-decoder {theirs_quality:.1} dB"
                    );
                    if matches!(name, "4:4:4" | "gray") && scale < 8 {
                        // Without subsampling both compute libjpeg's scaled transform.
                        let same = psnr(&ours.pixels, &theirs);
                        assert!(
                            same >= 50.0,
                            "{name} {width}x{height} 1/{scale} vs jpeg-decoder: {same:.1} dB"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn restart_intervals_are_followed() {
    for interval in [1u16, 3, 7] {
        let plain = encode(150, 90, ColorType::Rgb, |_| {});
        let with = encode(150, 90, ColorType::Rgb, |e| e.set_restart_interval(interval));
        assert_ne!(plain, with);
        for scale in [1, 4] {
            assert_eq!(
                decode(&plain, scale, u64::MAX),
                decode(&with, scale, u64::MAX),
                "interval {interval}"
            );
        }
    }
}

/// The positions of the RSTn markers in the entropy-coded data (after the last DHT/SOS header).
fn restart_markers(jpeg: &[u8]) -> Vec<usize> {
    let sos = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    (sos..jpeg.len() - 1)
        .filter(|&i| jpeg[i] == 0xFF && (0xD0..=0xD7).contains(&jpeg[i + 1]))
        .collect()
}

/// Asserts that two RGB decodes differ, and only in rows within `rows`.
fn assert_differ_only_in(a: &Image, b: &Image, rows: std::ops::Range<usize>) {
    let row = a.width as usize * 3;
    let differing: Vec<usize> = (0..a.height as usize)
        .filter(|&y| a.pixels[y * row..(y + 1) * row] != b.pixels[y * row..(y + 1) * row])
        .collect();
    assert!(
        !differing.is_empty() && differing.iter().all(|y| rows.contains(y)),
        "rows {differing:?} differ, expected some of {rows:?}"
    );
}

/// A restart marker missing, or one out of order, costs the interval it belongs to (libjpeg's
/// resynchronisation), not the image: every other MCU row decodes as if nothing happened.
#[test]
fn restart_markers_missing_or_out_of_order_lose_one_interval_not_the_image() {
    // 150x96 at 4:2:0: ten MCUs a row, six rows; one interval per MCU row.
    let jpeg = encode(150, 96, ColorType::Rgb, |e| {
        e.set_sampling_factor(SamplingFactor::F_2_2);
        e.set_restart_interval(10);
    });
    let intact = decode(&jpeg, 1, u64::MAX).unwrap();
    let markers = restart_markers(&jpeg);
    assert_eq!(markers.len(), 5);

    // RST2 (between MCU rows 2 and 3) dropped: the data of row 3 follows row 2 directly.
    let mut missing = jpeg.clone();
    missing.drain(markers[2]..markers[2] + 2);
    let got = decode(&missing, 1, u64::MAX).unwrap();
    assert_differ_only_in(&intact, &got, 48..64);

    // RST1 relabelled RST5, too far from RST1 to be a neighbour's: taken for RST1, nothing lost.
    let mut relabelled = jpeg.clone();
    relabelled[markers[1] + 1] = 0xD5;
    assert_eq!(decode(&relabelled, 1, u64::MAX).unwrap(), intact);

    // Garbage where RST3 was: skipped to the next marker, so row 4 is lost and row 5 intact.
    let mut garbled = jpeg.clone();
    garbled[markers[3] + 1] = 0x00;
    let got = decode(&garbled, 1, u64::MAX).unwrap();
    assert_differ_only_in(&intact, &got, 64..80);

    // Scaled decodes resynchronise the same way.
    let quarter = decode(&missing, 4, u64::MAX).unwrap();
    assert_eq!((quarter.width, quarter.height), (38, 24));
}

#[test]
fn what_it_does_not_handle_is_unsupported_not_malformed() {
    let progressive = encode(64, 64, ColorType::Rgb, |e| e.set_progressive(true));
    assert_eq!(
        decode(&progressive, 4, u64::MAX),
        Err(Error::Unsupported("progressive"))
    );
    let cmyk = encode(16, 16, ColorType::Cmyk, |_| {});
    assert!(matches!(decode(&cmyk, 4, u64::MAX), Err(Error::Unsupported(_))));
    let jpeg = encode(16, 16, ColorType::Rgb, |_| {});
    assert!(matches!(decode(&jpeg, 3, u64::MAX), Err(Error::Unsupported(_))));
}

#[test]
fn truncated_scans_are_malformed_and_the_allocation_is_capped() {
    let jpeg = encode(200, 200, ColorType::Rgb, |_| {});
    let cut = &jpeg[..jpeg.len() / 2];
    assert_eq!(
        decode(cut, 4, u64::MAX),
        Err(Error::Malformed("scan data ends early (truncated file?)"))
    );
    // 50×50 RGB output plus three 56×56 planes (padded to whole 16-pixel MCUs, then scaled).
    assert!(matches!(
        decode(&jpeg, 4, 1000),
        Err(Error::TooLarge { limit: 1000, .. })
    ));
    assert!(decode(&jpeg, 4, 50 * 50 * 3 + 3 * 52 * 52).is_ok());
}

#[test]
fn adobe_rgb_is_not_colour_converted() {
    // Re-label a 4:4:4 YCbCr file as Adobe RGB (transform 0): the same samples then read as RGB.
    let jpeg = encode(32, 32, ColorType::Rgb, |e| {
        e.set_sampling_factor(SamplingFactor::F_1_1)
    });
    let mut adobe = jpeg[..2].to_vec();
    adobe.extend([0xFF, 0xEE, 0, 14]);
    adobe.extend(b"Adobe");
    adobe.extend([0, 100, 0, 0, 0, 0, 0]);
    adobe.extend(&jpeg[2..]);
    let ycc = decode(&jpeg, 8, u64::MAX).unwrap();
    let raw = decode(&adobe, 8, u64::MAX).unwrap();
    assert_ne!(ycc.pixels, raw.pixels);
    let (y, cb, cr) = (raw.pixels[0], raw.pixels[1], raw.pixels[2]);
    let converted = ycbcr_to_rgb(y, cb, cr);
    for (a, b) in converted.iter().zip(&ycc.pixels[..3]) {
        assert!(a.abs_diff(*b) <= 1);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
    /// Hostile bytes: any corruption of a real file decodes or fails with an error, never panics.
    #[test]
    fn corrupted_files_never_panic(flips in proptest::collection::vec((0usize..4096, proptest::prelude::any::<u8>()), 1..8), cut in 0usize..4096, scale in proptest::sample::select(vec![1u32, 2, 4, 8])) {
        let mut jpeg = encode(48, 40, ColorType::Rgb, |e| e.set_restart_interval(2));
        for (at, byte) in flips {
            let at = at % jpeg.len();
            jpeg[at] = byte;
        }
        jpeg.truncate(cut.max(2).min(jpeg.len()));
        let _ = decode(&jpeg, scale, 1 << 24);
    }
}
