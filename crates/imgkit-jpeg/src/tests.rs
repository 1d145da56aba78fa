#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use imgkit_testkit::{box_down, psnr};
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

fn reference(jpeg: &[u8], shrink: u16) -> (usize, usize, Vec<u8>) {
    let mut d = jpeg_decoder::Decoder::new(jpeg);
    d.read_info().unwrap();
    let info = d.info().unwrap();
    let (w, h) = d
        .scale(info.width.div_ceil(shrink), info.height.div_ceil(shrink))
        .unwrap();
    (usize::from(w), usize::from(h), d.decode().unwrap())
}

const LAYOUTS: [(&str, ColorType, SamplingFactor); 5] = [
    ("4:2:0", ColorType::Rgb, SamplingFactor::F_2_2),
    ("4:4:4", ColorType::Rgb, SamplingFactor::F_1_1),
    ("4:2:2", ColorType::Rgb, SamplingFactor::F_2_1),
    ("4:4:0", ColorType::Rgb, SamplingFactor::F_1_2),
    ("gray", ColorType::Luma, SamplingFactor::F_1_1),
];

/// Full size, every layout: libjpeg's triangle upsampling, as jpeg-decoder does it, so only the IDCT's
/// rounding differs.
#[test]
fn full_size_matches_a_reference_decoder_for_every_layout() {
    for (name, color, sampling) in LAYOUTS {
        let jpeg = encode(203, 117, color, |e| e.set_sampling_factor(sampling));
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
            for shrink in [2usize, 4, 8] {
                let ours = decode(&jpeg, shrink as u32, u64::MAX).unwrap();
                assert_eq!(
                    (
                        ours.width as usize,
                        ours.height as usize,
                        usize::from(ours.channels)
                    ),
                    (fw.div_ceil(shrink), fh.div_ceil(shrink), channels),
                    "{name} {width}x{height} 1/{shrink}"
                );
                let want = box_down(&full, fw, fh, channels, shrink);
                let quality = psnr(&ours.pixels, &want);
                if width >= 64 {
                    let (_, _, theirs) = reference(&jpeg, shrink as u16);
                    let theirs_quality = psnr(&theirs, &want);
                    // At least as close to the exact shrink as jpeg-decoder's scaled decode (which
                    // transforms chroma at luma's shrink and upsamples it). How close either gets is the
                    // picture's: the 64x48 one's chroma is 4x3 pixels at 1/8. Per plane, against
                    // libjpeg-turbo's, see tests/chroma.rs.
                    assert!(
                        quality >= theirs_quality - 0.5,
                        "{name} {width}x{height} 1/{shrink}: {quality:.1} dB, jpeg-decoder {theirs_quality:.1} dB"
                    );
                }
            }
        }
    }
}

/// A baseline file with one scan per component (jpeg-encoder writes those when it optimises its
/// Huffman tables) holds the same coefficients as the one-scan file, so it must decode to the same
/// pixels, though only the one-scan file streams (its planes hold two rows of MCUs, output as the scan
/// goes) and the other fills whole planes first.
#[test]
fn one_scan_per_component_decodes_like_one_interleaved_scan() {
    for (name, color, sampling) in LAYOUTS {
        for (width, height) in [(203, 117), (9, 17), (64, 48)] {
            let interleaved = encode(width, height, color, |e| e.set_sampling_factor(sampling));
            let separate = encode(width, height, color, |e| {
                e.set_sampling_factor(sampling);
                e.set_optimized_huffman_tables(true);
            });
            if color != ColorType::Luma {
                assert_eq!(scans(&separate).len(), 3, "{name}: one scan per component");
            }
            for shrink in [1, 2, 4, 8] {
                let one = decode(&interleaved, shrink, u64::MAX).unwrap();
                let three = decode(&separate, shrink, u64::MAX).unwrap();
                assert!(one == three, "{name} {width}x{height} at 1/{shrink}");
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
        for shrink in [1, 4] {
            assert_eq!(
                decode(&plain, shrink, u64::MAX),
                decode(&with, shrink, u64::MAX),
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

    // A lost MCU row is rows 16k..16k+16 of the image, and one more on either side: the chroma
    // upsampling blends each pixel row with the chroma row beyond it.
    // RST2 (between MCU rows 2 and 3) dropped: the data of row 3 follows row 2 directly.
    let mut missing = jpeg.clone();
    missing.drain(markers[2]..markers[2] + 2);
    let got = decode(&missing, 1, u64::MAX).unwrap();
    assert_differ_only_in(&intact, &got, 47..65);

    // RST1 relabelled RST5, too far from RST1 to be a neighbour's: taken for RST1, nothing lost.
    let mut relabelled = jpeg.clone();
    relabelled[markers[1] + 1] = 0xD5;
    assert_eq!(decode(&relabelled, 1, u64::MAX).unwrap(), intact);

    // Garbage where RST3 was: skipped to the next marker, so row 4 is lost and row 5 intact.
    let mut garbled = jpeg.clone();
    garbled[markers[3] + 1] = 0x00;
    let got = decode(&garbled, 1, u64::MAX).unwrap();
    assert_differ_only_in(&intact, &got, 63..81);

    // Scaled decodes resynchronise the same way.
    let quarter = decode(&missing, 4, u64::MAX).unwrap();
    assert_eq!((quarter.width, quarter.height), (38, 24));
}

/// Progressive files as jpeg-encoder writes them (a DC scan per component, then AC bands by spectral
/// selection): the same pixels as jpeg-decoder's at full size, and as our own decode of the baseline file
/// at every shrink (the quantised coefficients are the same; only the order they arrive in differs).
#[test]
fn progressive_spectral_selection_decodes_like_the_baseline_file() {
    for (name, color, sampling) in LAYOUTS {
        for (width, height) in [(203, 117), (9, 17)] {
            for scans in [2, 4, 7] {
                let setup = |e: &mut Encoder<&mut Vec<u8>>| {
                    e.set_sampling_factor(sampling);
                    e.set_restart_interval(3);
                };
                let baseline = encode(width, height, color, setup);
                let progressive = encode(width, height, color, |e| {
                    setup(e);
                    e.set_progressive_scans(scans);
                });
                let what = format!("{name} {width}x{height} {scans} scans");
                let full = decode(&progressive, 1, u64::MAX).unwrap();
                let (_, _, reference) = reference(&progressive, 1);
                let worst = full
                    .pixels
                    .iter()
                    .zip(&reference)
                    .map(|(&a, &b)| a.abs_diff(b))
                    .max();
                assert!(
                    worst <= Some(3),
                    "{what}: worst difference from jpeg-decoder {worst:?}"
                );
                for shrink in [1, 2, 4, 8] {
                    assert_eq!(
                        decode(&progressive, shrink, u64::MAX).unwrap(),
                        decode(&baseline, shrink, u64::MAX).unwrap(),
                        "{what} 1/{shrink}"
                    );
                }
            }
        }
    }
}

/// libjpeg-turbo's progressive files (corpus/external): every layout, with and without restarts.
fn libjpeg_progressive() -> Vec<(String, Vec<u8>)> {
    ["420", "422", "444", "gray", "420-restart"]
        .iter()
        .map(|layout| {
            let name = format!("external/jpeg-libjpeg-progressive-{layout}.jpg");
            let bytes = std::fs::read(imgkit_testkit::manifest::corpus_dir().join(&name)).unwrap();
            (name, bytes)
        })
        .collect()
}

/// Successive approximation as libjpeg writes it (DC and AC first scans at reduced precision, then
/// refinement scans): full size like jpeg-decoder's, and every shrink like the full decode shrunk.
#[test]
fn libjpeg_progressive_files_decode_at_every_scale() {
    for (name, jpeg) in libjpeg_progressive() {
        let (w, h, want) = reference(&jpeg, 1);
        let full = decode(&jpeg, 1, u64::MAX).unwrap();
        assert_eq!((full.width as usize, full.height as usize), (w, h), "{name}");
        let worst = full.pixels.iter().zip(&want).map(|(&a, &b)| a.abs_diff(b)).max();
        assert!(
            worst <= Some(4),
            "{name}: worst difference from jpeg-decoder {worst:?}"
        );
        let channels = usize::from(full.channels);
        for shrink in [2usize, 4, 8] {
            let ours = decode(&jpeg, shrink as u32, u64::MAX).unwrap();
            let shrunk = box_down(&want, w, h, channels, shrink);
            let quality = psnr(&ours.pixels, &shrunk);
            assert!(quality >= 30.0, "{name} 1/{shrink}: {quality:.1} dB");
        }
    }
}

/// libjpeg's successive approximation, checked exactly: each progressive file decodes, at every shrink,
/// to the same pixels as its baseline twin (written with the same settings, so with the same quantised
/// coefficients; see tools/corpus-external.py). A refinement bit lost or misplaced changes a
/// coefficient by one quantisation step, which the loose bound against jpeg-decoder would let through.
#[test]
fn libjpeg_progressive_files_decode_like_their_baseline_twins() {
    for layout in ["420", "422", "444", "gray"] {
        let read = |kind: &str| {
            let name = format!("external/jpeg-libjpeg-{kind}-{layout}.jpg");
            std::fs::read(imgkit_testkit::manifest::corpus_dir().join(name)).unwrap()
        };
        let (progressive, baseline) = (read("progressive"), read("baseline"));
        assert_ne!(progressive, baseline);
        for shrink in [1, 2, 4, 8] {
            assert_eq!(
                decode(&progressive, shrink, u64::MAX).unwrap(),
                decode(&baseline, shrink, u64::MAX).unwrap(),
                "{layout} 1/{shrink}"
            );
        }
    }
}

/// The scan list of a JPEG: each SOS marker's offset and the offset where the next marker after its
/// header starts (the end of its entropy-coded data).
fn scans(jpeg: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 2;
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF {
        let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        if jpeg[at + 1] == 0xDA {
            let data = at + 2 + len;
            out.push((at, bits::skip_scan(jpeg, data)));
            at = out.last().unwrap().1;
        } else if jpeg[at + 1] == 0xD9 {
            break;
        } else {
            at += 2 + len;
        }
    }
    out
}

/// A baseline file's scan repeated after it was streamed to the output, or naming one component twice:
/// an answer (whatever the pixels), never a panic.
#[test]
fn a_baseline_scan_repeated_or_naming_a_component_twice_is_an_answer() {
    let jpeg = encode(203, 117, ColorType::Rgb, |e| {
        e.set_sampling_factor(SamplingFactor::F_2_2)
    });
    let (start, end) = scans(&jpeg)[0];
    let repeated = [&jpeg[..end], &jpeg[start..end], &[0xFF, 0xD9]].concat();
    let mut twice = jpeg.clone();
    // SOS: marker, length, count, then (id, tables) per component.
    twice[start + 7] = twice[start + 5];
    for shrink in [1, 2, 4, 8] {
        let _ = decode(&repeated, shrink, u64::MAX);
        let _ = decode(&twice, shrink, u64::MAX);
    }
}

/// Hostile and broken scan scripts fail with an error (or decode), never panic or loop: scans cut,
/// dropped, repeated past the limit, out of order, or with parameters out of range.
#[test]
fn hostile_progressive_scan_scripts_are_errors() {
    let (_, jpeg) = libjpeg_progressive().swap_remove(0);
    let list = scans(&jpeg);
    assert_eq!(list.len(), 10);
    let splice = |parts: &[std::ops::Range<usize>]| -> Vec<u8> {
        parts
            .iter()
            .flat_map(|r| jpeg[r.clone()].iter().copied())
            .collect()
    };
    let (first, end) = (list[0].0, jpeg.len());

    // Cut inside a refinement scan, as the corpus's truncated file is: malformed.
    let cut = &jpeg[..list[8].0 + (list[8].1 - list[8].0) / 2];
    assert!(matches!(decode(cut, 1, u64::MAX), Err(Error::Malformed(_))));

    // Every scan after the first repeated until the count passes the limit.
    let mut flood = jpeg[..list[1].0].to_vec();
    while flood.len() < MAX_SCANS * (list[1].1 - list[1].0) + list[1].0 {
        flood.extend(&jpeg[list[1].0..list[1].1]);
    }
    flood.extend([0xFF, 0xD9]);
    assert_eq!(
        decode(&flood, 4, u64::MAX),
        Err(Error::TooManyScans { limit: MAX_SCANS })
    );

    // Refinement scans before the first scans of their bands, and the DC scan dropped: whatever the
    // pixels, an answer.
    let reversed: Vec<std::ops::Range<usize>> = std::iter::once(0..first)
        .chain(list.iter().rev().map(|&(a, b)| a..b))
        .chain(std::iter::once(list[9].1..end))
        .collect();
    for shrink in [1, 2, 4, 8] {
        let _ = decode(&splice(&reversed), shrink, u64::MAX);
        let _ = decode(&splice(&[0..first, list[1].0..end]), shrink, u64::MAX);
    }

    // Parameters out of range in the first AC scan's header (Ss, Se, Ah/Al after its components).
    let header = list[1].0 + 4 + 1 + 2;
    for (offset, value) in [(0, 0), (0, 64), (1, 0), (1, 64), (2, 0xEE), (2, 0x0F)] {
        let mut bad = jpeg.clone();
        bad[header + offset] = value;
        for shrink in [1, 4, 8] {
            match decode(&bad, shrink, u64::MAX) {
                Err(Error::Malformed(_)) | Ok(_) => {}
                other => panic!("Ss/Se/AhAl byte {offset} = {value:#x} at 1/{shrink}: {other:?}"),
            }
        }
    }
    // The first (DC) scan, which names all three components, relabelled as an AC scan.
    let mut interleaved_ac = jpeg.clone();
    let spectral = first + 4 + 1 + 2 * 3;
    interleaved_ac[spectral..spectral + 2].copy_from_slice(&[1, 63]);
    assert_eq!(
        decode(&interleaved_ac, 1, u64::MAX),
        Err(Error::Malformed("bad progressive scan parameters"))
    );
}

#[test]
fn what_it_does_not_handle_is_unsupported_not_malformed() {
    // The same file relabelled as arithmetic-coded (SOF9).
    let mut arithmetic = encode(64, 64, ColorType::Rgb, |_| {});
    let sof = arithmetic.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    arithmetic[sof + 1] = 0xC9;
    assert_eq!(
        decode(&arithmetic, 4, u64::MAX),
        Err(Error::Unsupported("arithmetic coding"))
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
    let mut converted = [0u8; 3];
    color::ycbcr_row(&[y], &[cb], &[cr], &mut converted, &mut Vec::new());
    for (a, b) in converted.iter().zip(&ycc.pixels[..3]) {
        assert!(a.abs_diff(*b) <= 1);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
    /// Hostile bytes: any corruption of a real file decodes or fails with an error, never panics.
    #[test]
    fn corrupted_files_never_panic(flips in proptest::collection::vec((0usize..4096, proptest::prelude::any::<u8>()), 1..8), cut in 0usize..4096, shrink in proptest::sample::select(vec![1u32, 2, 4, 8])) {
        let mut jpeg = encode(48, 40, ColorType::Rgb, |e| e.set_restart_interval(2));
        for (at, byte) in flips {
            let at = at % jpeg.len();
            jpeg[at] = byte;
        }
        jpeg.truncate(cut.max(2).min(jpeg.len()));
        let _ = decode(&jpeg, shrink, 1 << 24);
    }
}

/// One `Buffers` through files of every layout, size and kind, at every shrink, in an order where each
/// decode reuses memory a larger or differently laid out one left: every image comes out exactly as a
/// decode with fresh memory gives it, so nothing of an earlier file reaches a later one.
#[test]
fn reused_buffers_give_the_same_pixels_as_fresh_ones() {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, color, sampling) in LAYOUTS {
        for (width, height) in [(203, 117), (64, 48), (9, 17)] {
            let jpeg = encode(width, height, color, |e| e.set_sampling_factor(sampling));
            files.push((format!("{name} {width}x{height}"), jpeg));
        }
    }
    files.extend(libjpeg_progressive());
    let mut buffers = Buffers::default();
    for shrink in [2, 8, 1, 4] {
        for (name, jpeg) in files.iter().rev().chain(&files) {
            let fresh = decode(jpeg, shrink, u64::MAX).unwrap();
            let reused = decode_with(jpeg, shrink, u64::MAX, &mut buffers).unwrap();
            assert!(
                reused == fresh,
                "{name} at 1/{shrink}: reused buffers changed the pixels"
            );
            buffers.recycle(reused.pixels);
        }
    }
}

/// Collects the rows a decode hands over, checking they come in order, each once, after the size.
#[derive(Default)]
struct Collect {
    size: Option<(usize, usize, usize)>,
    pixels: Vec<u8>,
    next: usize,
}

impl Rows for Collect {
    fn start(&mut self, width: usize, height: usize, channels: usize) {
        assert!(self.size.is_none(), "the size is told once");
        self.size = Some((width, height, channels));
        // Stale bytes, so a row the decoder does not write in full shows.
        self.pixels = vec![0xA5; width * height * channels];
    }

    fn row(&mut self, y: usize) -> &mut [u8] {
        assert_eq!(y, self.next, "rows come in order, each once");
        self.next += 1;
        let (width, _, channels) = self.size.expect("the size comes before any row");
        let bytes = width * channels;
        &mut self.pixels[y * bytes..(y + 1) * bytes]
    }
}

/// Rows handed over one by one make the image a whole decode gives: for a streaming baseline file, one
/// with a scan per component (whole planes) and progressive ones, at every shrink.
#[test]
fn rows_handed_over_make_the_whole_image() {
    let mut files: Vec<(String, Vec<u8>)> = libjpeg_progressive();
    for (name, color, sampling) in LAYOUTS {
        let one = encode(203, 117, color, |e| e.set_sampling_factor(sampling));
        let separate = encode(203, 117, color, |e| {
            e.set_sampling_factor(sampling);
            e.set_optimized_huffman_tables(true);
        });
        files.push((format!("{name} one scan"), one));
        files.push((format!("{name} a scan per component"), separate));
    }
    let mut buffers = Buffers::default();
    for (name, jpeg) in &files {
        for shrink in [1, 2, 4, 8] {
            let whole = decode(jpeg, shrink, u64::MAX).unwrap();
            let mut rows = Collect::default();
            decode_rows(jpeg, shrink, u64::MAX, &mut buffers, &mut rows).unwrap();
            let (w, h, c) = rows.size.unwrap();
            assert_eq!(
                (w as u32, h as u32, c as u8),
                (whole.width, whole.height, whole.channels),
                "{name} at 1/{shrink}"
            );
            assert_eq!(rows.next, h, "{name} at 1/{shrink}: every row");
            assert!(
                rows.pixels == whole.pixels,
                "{name} at 1/{shrink}: the same pixels"
            );
        }
    }
}
