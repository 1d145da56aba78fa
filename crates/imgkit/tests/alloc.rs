//! Peak heap while processing hostile input, measured by a counting global allocator.
//!
//! Counters are per thread (the core is single-threaded), so tests in this file may run in parallel.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a test failure

use imgkit_testkit::manifest;

use imgkit::{ErrorKind, Limit, Limits, Processor, Spec};
use imgkit_testkit::memory::{peak_heap_during, CountingAlloc};
use proptest::prelude::*;

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

const MIB: usize = 1024 * 1024;

/// Peak heap of this thread above its baseline while `f` runs.
fn peak_of(f: impl FnOnce()) -> usize {
    peak_heap_during(f).1
}

#[test]
fn no_corpus_file_allocates_past_the_limits() {
    let entries = manifest::rows();
    // A tight budget, so "max_alloc plus a small constant" is a real bound for every file.
    let tight = Limits {
        max_alloc: 8 * MIB as u64,
        ..Limits::default()
    };
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for entry in &entries {
        let bytes = entry.bytes();
        for (name, limits) in [("default", Limits::default()), ("tight", tight)] {
            let mut outcome = None;
            let peak = peak_of(|| {
                let mut processor = Processor::new(limits);
                outcome = Some(processor.process(&bytes, &Spec::new().with_width(40)).map(|_| ()));
            });
            let rejected = matches!(outcome, Some(Err(ref e)) if e.is_input_fault());
            // Rejections must come before any large allocation: at most a copy of the input (the JPEG
            // decoder buffers it) plus decoder bookkeeping. Everything must stay within max_alloc plus
            // that same constant.
            let small = 2 * bytes.len() + 2 * MIB;
            let bound = if rejected && entry.is_hostile() {
                small
            } else {
                limits.max_alloc as usize + small
            };
            report.push((peak, entry.file.clone(), name));
            if peak > bound {
                failures.push(format!(
                    "{} ({name} limits): peak {peak} B > bound {bound} B",
                    entry.file
                ));
            }
        }
    }
    report.sort();
    let hostile = report.iter().filter(|(_, file, _)| file.starts_with("hostile/"));
    for (peak, file, name) in report.iter().rev().take(3).chain(hostile.rev().take(3)) {
        eprintln!("peak {peak:>10} B  {file} ({name} limits)");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A PNG that is only a header: IHDR declaring `w × h` in the given colour type and bit depth, an IDAT
/// holding an empty zlib stream (the decoder reads up to the first IDAT for its header), then IEND.
fn header_only_png(w: u32, h: u32, color_type: u8, bit_depth: u8) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[bit_depth, color_type, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

proptest! {
    /// For any limits and any declared size, an over-limit header is rejected by the first limit it
    /// breaks (width, height, pixels, alloc, in that order) before anything near its size is allocated.
    #[test]
    fn over_limit_headers_are_rejected_before_allocation(
        w in 1u32..200_000, h in 1u32..200_000,
        (color_type, channels) in prop_oneof![Just((0u8, 1u64)), Just((2, 3)), Just((4, 2)), Just((6, 4))],
        sixteen: bool,
        max_width in 1u32..40_000, max_height in 1u32..40_000,
        max_pixels in 1u64..400_000_000, max_alloc in 1u64..(1 << 31),
    ) {
        let limits = Limits { max_width, max_height, max_pixels, max_alloc, ..Limits::default() };
        let depth = if sixteen { 16 } else { 8 };
        let png = header_only_png(w, h, color_type, depth);
        let decoded = u64::from(w) * u64::from(h) * channels * u64::from(depth / 8);
        let expected = if w > max_width {
            Some(Limit::Width)
        } else if h > max_height {
            Some(Limit::Height)
        } else if u64::from(w) * u64::from(h) > max_pixels {
            Some(Limit::Pixels)
        } else if decoded > max_alloc {
            Some(Limit::Alloc)
        } else {
            None
        };
        let mut result = None;
        let peak = peak_of(|| result = Some(Processor::new(limits).process(&png, &Spec::new().with_width(8))));
        let err = result.unwrap().expect_err("a header-only PNG never decodes");
        match expected {
            Some(limit) => prop_assert_eq!(err.kind(), ErrorKind::Limit(limit), "{}", err),
            // Within every limit, the decoder itself finds there is no image data.
            None => prop_assert_eq!(err.kind(), ErrorKind::Malformed, "{}", err),
        }
        if expected.is_some() {
            prop_assert!(peak < 256 * 1024, "peak {} B before rejecting {}", peak, err);
        }
    }
}

/// The largest rendition of a baseline JPEG is resized from rows as they are decoded, so the decoded
/// image (here 18 MB of RGB) never exists. Measured against the same job on the same picture made
/// progressive, whose decode holds the whole frame: the baseline file's peak is lower by at least half
/// the frame. (A bound on the peak alone would measure the encoder too: mozjpeg's holds its whole
/// output as planes and coefficients, 8 B a pixel, 12 MB for the 1500 px rendition here.)
#[test]
fn a_large_rendition_of_a_baseline_jpeg_never_holds_the_decoded_image() {
    let (width, height) = (3000, 2000);
    let frame = (width * height * 3) as usize;
    let specs = [
        Spec::new().with_width(1500),
        Spec::new().with_width(640),
        Spec::new().with_width(200),
    ];
    let job = |jpeg: &[u8]| {
        let mut outputs = None;
        let peak = peak_of(|| {
            // The default rule: 1500 of 3000 px is decoded at full size, the others cascade from it.
            let mut processor = Processor::new(Limits::default());
            outputs = Some(processor.process_many(jpeg, &specs).unwrap());
        });
        let outputs = outputs.unwrap();
        assert_eq!(
            (outputs[0].width, outputs[0].resized_from),
            (1500, (width, height))
        );
        peak
    };
    let streamed = job(&imgkit_testkit::encode::photo_jpeg(width, height, 85));
    let whole = job(&imgkit_testkit::encode::photo_jpeg_progressive(width, height, 85));
    eprintln!("peak {streamed} B from rows, {whole} B from the whole frame ({frame} B)");
    assert!(
        streamed + frame / 2 < whole,
        "peak {streamed} B from rows is not half a frame ({frame} B) under {whole} B from the whole frame"
    );
}
