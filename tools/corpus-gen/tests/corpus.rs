//! End-to-end tests: determinism, the on-disk check, and probes showing that each hostile file
//! fails (or passes) at the stage its manifest row claims, using only the `image` crate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::OnceLock;

use image::{ColorType, DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use imgkit_corpus_gen::animation::manifest::Animated;
use imgkit_corpus_gen::manifest::{Expect, Reject};
use imgkit_corpus_gen::{build, check, write, Corpus, Entry};

/// Building takes a second or two (the bombs are compressed for real), so do it once.
fn built() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| build().unwrap())
}

/// The files of the main manifest.
fn corpus() -> &'static [Entry] {
    &built().entries
}

fn bytes(file: &str) -> &'static [u8] {
    &corpus()
        .iter()
        .find(|e| e.row.file == file)
        .unwrap_or_else(|| panic!("{file} not generated"))
        .bytes
}

/// Limits for probing hostile bytes: no dimension limits (we want to *see* the header's
/// dimensions) but a small allocation cap so nothing big is ever allocated.
fn probe_limits() -> Limits {
    let mut l = Limits::no_limits();
    l.max_alloc = Some(64 << 20);
    l
}

/// Header parse only: format, stored dimensions and native colour type.
fn header(file: &str) -> image::ImageResult<(Option<ImageFormat>, (u32, u32), ColorType)> {
    let mut reader = ImageReader::new(Cursor::new(bytes(file)))
        .with_guessed_format()
        .unwrap();
    reader.limits(probe_limits());
    let format = reader.format();
    let decoder = reader.into_decoder()?;
    Ok((format, decoder.dimensions(), decoder.color_type()))
}

/// Full decode under the probe limits (only used on files with small declared dimensions).
fn decode(file: &str) -> image::ImageResult<DynamicImage> {
    let mut reader = ImageReader::new(Cursor::new(bytes(file)))
        .with_guessed_format()
        .unwrap();
    reader.limits(probe_limits());
    reader.decode()
}

#[test]
fn build_is_deterministic() {
    let again = build().unwrap();
    assert_eq!(again.entries.len(), corpus().len());
    for (a, b) in corpus().iter().zip(&again.entries) {
        assert_eq!(a.row, b.row);
        assert!(a.bytes == b.bytes, "{} differs between two builds", a.row.file);
    }
    assert_eq!(again.animation.len(), built().animation.len());
    for (a, b) in built().animation.iter().zip(&again.animation) {
        assert_eq!(a.row, b.row);
        assert!(a.bytes == b.bytes, "{} differs between two builds", a.row.file);
    }
}

#[test]
fn written_corpus_passes_check_and_is_small() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("corpus-test");
    write(&dir, built()).unwrap();
    // A stale file from an earlier run must disappear on the next write.
    std::fs::write(dir.join("hostile/stale.bin"), b"x").unwrap();
    std::fs::write(dir.join("animation/stale.gif"), b"x").unwrap();
    write(&dir, built()).unwrap();
    let summary = check(&dir).unwrap();
    assert_eq!(summary.main.files, corpus().len());
    assert!(
        summary.main.total_bytes < 3 << 20,
        "corpus is {} bytes",
        summary.main.total_bytes
    );
    assert_eq!(summary.animation.files, built().animation.len());
    assert!(
        summary.animation.total_bytes < 256 << 10,
        "the animation set is {} bytes",
        summary.animation.total_bytes
    );
    assert!(
        corpus()
            .iter()
            .filter(|e| e.row.file.starts_with("valid/"))
            .count()
            >= 40
    );
    assert!(
        corpus()
            .iter()
            .filter(|e| e.row.file.starts_with("hostile/"))
            .count()
            >= 30
    );
}

#[test]
fn every_listed_error_kind_is_exercised() {
    // The animation limits only ever refuse an animated rendition: the animation manifest's files.
    let animated = |kind| {
        built()
            .animation
            .iter()
            .any(|e| matches!(e.row.animated, Animated::Reject { kind: k, .. } if k == kind))
    };
    for kind in Reject::ALL {
        assert!(
            corpus().iter().any(|e| e.row.expect == Expect::Reject(kind)) || animated(kind),
            "no file expects {}",
            kind.as_str()
        );
    }
}

#[test]
fn floods_have_parseable_headers_with_the_claimed_size() {
    // If a decoder refused these headers the outcome would be `malformed`, not a limit.
    let cases: [(&str, (u32, u32), ColorType); 7] = [
        (
            "hostile/png-flood-100000x100000.png",
            (100_000, 100_000),
            ColorType::L8,
        ),
        (
            "hostile/png-flood-65535x65535.png",
            (65_535, 65_535),
            ColorType::L8,
        ),
        ("hostile/png-flood-1x70000.png", (1, 70_000), ColorType::L8),
        (
            "hostile/png-flood-10000x10000-gray8.png",
            (10_000, 10_000),
            ColorType::L8,
        ),
        (
            "hostile/png-alloc-7000x7000-rgba16.png",
            (7_000, 7_000),
            ColorType::Rgba16,
        ),
        (
            "hostile/png-zlib-bomb-16384x16384.png",
            (16_384, 16_384),
            ColorType::L8,
        ),
        (
            "hostile/jpeg-flood-65535x65535.jpg",
            (65_535, 65_535),
            ColorType::Rgb8,
        ),
    ];
    for (file, dims, color) in cases {
        let (_, got, got_color) = header(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!((got, got_color), (dims, color), "{file}");
    }
    // The alloc file must break only the alloc limit: pixels within 50 M, decoded bytes (of the
    // decoder's native colour type) over 256 MiB.
    let (_, (w, h), color) = header("hostile/png-alloc-7000x7000-rgba16.png").unwrap();
    let pixels = u64::from(w) * u64::from(h);
    assert!(pixels <= 50_000_000);
    assert!(pixels * u64::from(color.bytes_per_pixel()) > 256 << 20);
    for (file, dims) in [
        ("hostile/gif-flood-65535x65535.gif", (65_535, 65_535)),
        ("hostile/gif-0x0.gif", (0, 0)),
    ] {
        let (_, got, _) = header(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(got, dims, "{file}");
    }
    // No alpha flag in VP8X: 8000 * 8000 * 3 bytes = 192 MB stays under the 256 MiB alloc limit,
    // so max_pixels is the only limit this file breaks.
    let (_, got, color) = header("hostile/webp-vp8x-flood-8000x8000.webp").unwrap();
    assert_eq!((got, color), ((8_000, 8_000), ColorType::Rgb8));
}

#[test]
fn broken_headers_fail_at_header_parse() {
    // These must fail before dimensions exist, so they cannot turn into `empty_image`.
    for file in [
        "hostile/png-signature-only.png",
        "hostile/png-bad-ihdr-crc.png",
        "hostile/png-ihdr-width-0.png",
        "hostile/png-chunk-length-overflow.png",
        "hostile/jpeg-soi-only.jpg",
    ] {
        assert!(header(file).is_err(), "{file}: header parsed");
    }
}

#[test]
fn malformed_files_fail_in_the_decoder() {
    for file in [
        "hostile/png-signature-only.png",
        "hostile/png-truncated-idat.png",
        "hostile/png-bad-ihdr-crc.png",
        "hostile/png-ihdr-width-0.png",
        "hostile/png-chunk-length-overflow.png",
        "hostile/gif-truncated.gif",
        "hostile/webp-truncated.webp",
        "hostile/jpeg-soi-only.jpg",
    ] {
        assert!(decode(file).is_err(), "{file} decoded");
    }
    let e = decode("hostile/jpeg-progressive-2100-scans.jpg")
        .unwrap_err()
        .to_string();
    assert!(e.contains("scans"), "unexpected error: {e}");
}

#[test]
fn truncated_jpeg_has_no_eoi_after_sos() {
    // zune-jpeg in lenient mode decodes truncated data without error, which is why the
    // library requires an EOI after the first SOS. Make sure this file really lacks one.
    let b = bytes("hostile/jpeg-truncated-60pct.jpg");
    let sos = b.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    assert!(!b[sos..].windows(2).any(|w| w == [0xFF, 0xD9]));
    for file in [
        "hostile/jpeg-flood-65535x65535.jpg",
        "hostile/jpeg-progressive-2100-scans.jpg",
    ] {
        assert!(bytes(file).ends_with(&[0xFF, 0xD9]), "{file} must keep its EOI");
    }
}

#[test]
fn sniffing_rows_look_the_way_the_manifest_says() {
    let guess = |f: &str| image::guess_format(bytes(f)).ok();
    for e in corpus() {
        match e.row.expect {
            Expect::Reject(Reject::UnknownFormat) => assert_eq!(guess(&e.row.file), None, "{}", e.row.file),
            Expect::Reject(Reject::FormatMismatch) => {
                // image::guess_format refuses, while the infer-style check (bytes 8..12 ==
                // "WEBP", or a leading "GIF") accepts.
                assert_eq!(guess(&e.row.file), None, "{}", e.row.file);
                assert!(e.bytes.get(8..12) == Some(b"WEBP") || e.bytes.starts_with(b"GIF"));
            }
            _ => {}
        }
    }
    assert_eq!(guess("hostile/bmp-2x2.bmp"), Some(ImageFormat::Bmp));
    assert_eq!(guess("hostile/tiff-2x2.tif"), Some(ImageFormat::Tiff));
}
