//! Independent verification of a generated corpus directory.
//!
//! It re-reads the files from disk (not the generator's memory) and checks them with the
//! `image` crate, the decoder stack imgkit builds on. It never runs imgkit itself: expected
//! outcomes are the generator's knowledge, this only proves the files are what they claim
//! (for the animation set: the frames, delays and loop count each file holds, where its
//! truncation cuts, and that its hostile counts do pass imgkit's limits).

use std::collections::BTreeSet;
use std::fs;
use std::io::Cursor;
use std::path::Path;

use image::codecs::gif::GifDecoder;
use image::codecs::png::PngDecoder;
use image::codecs::webp::WebPDecoder;
use image::metadata::{LoopCount, Orientation};
use image::{AnimationDecoder, DynamicImage, Frames, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::animation::manifest::{self as anim_manifest, Animated};
use crate::animation::{self, MAX_ANIMATED_OUTPUT_PIXELS, MAX_ANIMATION_PIXELS, MAX_FRAMES};
use crate::manifest::{self, thumb, Expect, Format, Reject};
use crate::{err, gifw, pngw, Result, SUBDIRS};

/// What [`check`] looked at, in one manifest.
#[derive(Debug, Default)]
pub struct Counts {
    /// Rows in the manifest (= files in its folders).
    pub files: usize,
    /// `ok` rows that were decoded and matched their declared size (for the animation set: frames, delays
    /// and loop count).
    pub decoded: usize,
    /// Sum of all file sizes in bytes.
    pub total_bytes: u64,
}

/// What [`check`] looked at.
#[derive(Debug)]
pub struct Summary {
    /// `manifest.tsv` and `valid/`, `hostile/`.
    pub main: Counts,
    /// `animation/manifest.tsv` and `animation/`.
    pub animation: Counts,
}

fn image_format(f: Format) -> ImageFormat {
    match f {
        Format::Jpeg => ImageFormat::Jpeg,
        Format::Png => ImageFormat::Png,
        Format::Gif => ImageFormat::Gif,
        Format::Webp => ImageFormat::WebP,
    }
}

fn swaps_axes(o: Orientation) -> bool {
    matches!(
        o,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// Checks `dir`: both manifests well-formed and sorted, rows and files in one-to-one correspondence,
/// every `ok` row decodes to a stored size that matches its displayed size once its EXIF orientation is
/// applied, content checks for the orientation and alpha files, and the animation set's claims
/// ([`check_animation`]).
pub fn check(dir: &Path) -> Result<Summary> {
    Ok(Summary {
        main: check_main(dir)?,
        animation: check_animation(dir)?,
    })
}

/// Files under `sub` of `dir` (but a manifest there), as `sub/name`.
fn files_in(dir: &Path, sub: &str) -> Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    for entry in fs::read_dir(dir.join(sub))? {
        let name = entry?
            .file_name()
            .into_string()
            .map_err(|n| err(format!("non-UTF-8 name {n:?}")))?;
        if name != "manifest.tsv" {
            out.insert(format!("{sub}/{name}"));
        }
    }
    Ok(out)
}

/// Sorted, and the same files as `on_disk`.
fn check_listing<'a>(
    listed: impl Iterator<Item = &'a str> + Clone,
    on_disk: &BTreeSet<String>,
) -> Result<()> {
    for (a, b) in listed.clone().zip(listed.clone().skip(1)) {
        if a >= b {
            return Err(err(format!("manifest not strictly sorted at {b}")));
        }
    }
    let listed: BTreeSet<&str> = listed.collect();
    if let Some(extra) = on_disk.iter().find(|f| !listed.contains(f.as_str())) {
        return Err(err(format!("{extra} exists but is not in the manifest")));
    }
    if let Some(missing) = listed.iter().find(|f| !on_disk.contains(**f)) {
        return Err(err(format!("{missing} is listed but does not exist")));
    }
    Ok(())
}

fn check_main(dir: &Path) -> Result<Counts> {
    let rows = manifest::parse(&fs::read_to_string(dir.join("manifest.tsv"))?)?;
    let mut on_disk = BTreeSet::new();
    for sub in SUBDIRS {
        on_disk.extend(files_in(dir, sub)?);
    }
    check_listing(rows.iter().map(|r| r.file.as_str()), &on_disk)?;

    let mut summary = Counts {
        files: rows.len(),
        ..Counts::default()
    };
    for row in &rows {
        let bytes = fs::read(dir.join(&row.file))?;
        summary.total_bytes += bytes.len() as u64;
        let trusted = row.file.starts_with("valid/");
        match row.expect {
            Expect::Ok {
                format,
                width,
                height,
            } => {
                check_ok(&row.file, &bytes, format, (width, height), trusted)
                    .map_err(|e| err(format!("{}: {e}", row.file)))?;
                summary.decoded += 1;
            }
            Expect::Reject(_) if trusted => {
                return Err(err(format!("{} is under valid/ but rejected", row.file)))
            }
            Expect::Reject(_) => {}
        }
    }
    Ok(summary)
}

/// The animation set: every file is the format and canvas it claims; an `ok` row's frames, delays and
/// loop count are what `image` decodes (the loop count in WebP's terms: plays); a file that fails
/// mid-animation decodes exactly the frames its row says before it fails; a file refused by a limit does
/// pass that limit (and no other animation limit first); an accepted still decodes.
fn check_animation(dir: &Path) -> Result<Counts> {
    let path = dir.join(animation::DIR).join("manifest.tsv");
    let rows = anim_manifest::parse(&fs::read_to_string(path)?)?;
    check_listing(
        rows.iter().map(|r| r.file.as_str()),
        &files_in(dir, animation::DIR)?,
    )?;
    let mut summary = Counts {
        files: rows.len(),
        ..Counts::default()
    };
    for row in &rows {
        let bytes = fs::read(dir.join(&row.file))?;
        summary.total_bytes += bytes.len() as u64;
        let decoded = check_animated(row, &bytes).map_err(|e| err(format!("{}: {e}", row.file)))?;
        summary.decoded += usize::from(decoded);
    }
    Ok(summary)
}

/// Whether the row was an `ok` one (decoded frame by frame).
fn check_animated(row: &anim_manifest::Row, bytes: &[u8]) -> Result<bool> {
    let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    if reader.format() != Some(image_format(row.format)) {
        return Err(err(format!(
            "sniffed as {:?}, manifest says {}",
            reader.format(),
            row.format.as_str()
        )));
    }
    let stored = reader.into_decoder()?.dimensions();
    if stored != row.canvas {
        return Err(err(format!("canvas {stored:?}, manifest {:?}", row.canvas)));
    }
    let pixels = |(w, h): (u32, u32)| u64::from(w) * u64::from(h);
    let count = || frame_count(row.format, bytes);
    match &row.animated {
        Animated::Ok { delays_ms, loops } => {
            let (frames, loop_count) = frames_of(row.format, bytes)?;
            // A frame identical to the one before it is that frame shown longer.
            let mut delays: Vec<u32> = Vec::new();
            let mut before: Option<image::RgbaImage> = None;
            for frame in frames {
                let frame = frame?;
                let (numer, denom) = frame.delay().numer_denom_ms();
                let ms = (numer + denom / 2) / denom.max(1);
                let canvas = frame.into_buffer();
                match delays.last_mut() {
                    Some(last) if before.as_ref() == Some(&canvas) => *last += ms,
                    _ => delays.push(ms),
                }
                before = Some(canvas);
            }
            if delays != *delays_ms {
                return Err(err(format!("frame delays {delays:?}, manifest {delays_ms:?}")));
            }
            let plays = plays(row.format, bytes, loop_count);
            if plays != *loops {
                return Err(err(format!("plays {plays} times, manifest {loops}")));
            }
        }
        Animated::Reject {
            kind: Reject::Malformed,
            decoded: Some(n),
        } => {
            let (mut frames, _) = frames_of(row.format, bytes)?;
            for i in 0..*n {
                frames
                    .next()
                    .ok_or_else(|| err(format!("ends after {i} frames")))?
                    .map_err(|e| err(format!("frame {i} fails: {e}")))?;
            }
            if !matches!(frames.next(), Some(Err(_))) {
                return Err(err(format!("frame {n} does not fail")));
            }
        }
        Animated::Reject {
            kind: Reject::MaxFrames,
            decoded: None,
        } if u64::from(count()?) > u64::from(MAX_FRAMES) => {}
        Animated::Reject {
            kind: Reject::MaxAnimationPixels,
            decoded: None,
        } if u64::from(count()?) * pixels(row.canvas) > MAX_ANIMATION_PIXELS => {}
        Animated::Reject {
            kind: Reject::MaxAnimatedOutputPixels,
            decoded: None,
        } if u64::from(count()?) * pixels(thumb(row.canvas.0, row.canvas.1)) > MAX_ANIMATED_OUTPUT_PIXELS
            && u64::from(count()?) * pixels(row.canvas) <= MAX_ANIMATION_PIXELS => {}
        Animated::Reject { kind, .. } => {
            return Err(err(format!("does not hold what {} needs", kind.as_str())));
        }
    }
    match row.still {
        None => {
            let still = ImageReader::new(Cursor::new(bytes))
                .with_guessed_format()?
                .decode()?;
            if (still.width(), still.height()) != row.canvas {
                return Err(err("the still decodes to another size"));
            }
        }
        Some(Reject::MaxFrames) if count()? > MAX_FRAMES => {}
        Some(kind) => {
            return Err(err(format!(
                "the still does not hold what {} needs",
                kind.as_str()
            )))
        }
    }
    Ok(matches!(row.animated, Animated::Ok { .. }))
}

/// The frames of an animation as `image` composes them, and its loop count.
fn frames_of(format: Format, bytes: &[u8]) -> Result<(Frames<'_>, LoopCount)> {
    let cursor = Cursor::new(bytes);
    Ok(match format {
        Format::Gif => {
            let decoder = GifDecoder::new(cursor)?;
            let loops = decoder.loop_count();
            (decoder.into_frames(), loops)
        }
        Format::Png => {
            let decoder = PngDecoder::new(cursor)?.apng()?;
            let loops = decoder.loop_count();
            (decoder.into_frames(), loops)
        }
        Format::Webp => {
            let decoder = WebPDecoder::new(cursor)?;
            let loops = decoder.loop_count();
            (decoder.into_frames(), loops)
        }
        Format::Jpeg => return Err(err("a JPEG has no frames")),
    })
}

/// How many times the file plays, in WebP's terms (see [`crate::animation`]): `image` reads a GIF's
/// NETSCAPE loop count as it is written and a GIF without one as looping forever.
fn plays(format: Format, bytes: &[u8], loops: LoopCount) -> u32 {
    let netscape = bytes.windows(11).any(|w| w == b"NETSCAPE2.0");
    match (format, loops) {
        (Format::Gif, _) if !netscape => 1,
        (Format::Gif, LoopCount::Finite(n)) => n.get() + 1,
        (_, LoopCount::Finite(n)) => n.get(),
        (_, LoopCount::Infinite) => 0,
    }
}

/// Frames counted from the container, without decoding (GIF image descriptors, APNG fcTL chunks).
fn frame_count(format: Format, bytes: &[u8]) -> Result<u32> {
    let count = match format {
        Format::Gif => gifw::frame_data(bytes).len(),
        Format::Png => pngw::chunks(bytes)
            .iter()
            .filter(|(kind, _)| kind == b"fcTL")
            .count(),
        _ => return Err(err(format!("no frame walk for {}", format.as_str()))),
    };
    Ok(u32::try_from(count)?)
}

fn check_ok(file: &str, bytes: &[u8], format: Format, displayed: (u32, u32), trusted: bool) -> Result<()> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    if reader.format() != Some(image_format(format)) {
        return Err(err(format!(
            "sniffed as {:?}, manifest says {}",
            reader.format(),
            format.as_str()
        )));
    }
    // The valid set was built here, so decoding it unbounded is safe. The hostile-but-ok rows
    // get modest limits anyway: they exist to probe parsers.
    reader.limits(if trusted {
        Limits::no_limits()
    } else {
        let mut l = Limits::default();
        l.max_image_width = Some(4096);
        l.max_image_height = Some(4096);
        l.max_alloc = Some(64 << 20);
        l
    });
    let mut decoder = reader.into_decoder()?;
    // The EXIF block may keep JPEG's `Exif\0\0` header in WebP and PNG too (some writers do); a viewer
    // that handles those files strips it, so the manifest's displayed size assumes so.
    let orientation = match decoder.exif_metadata()? {
        Some(exif) => {
            let tiff = exif.strip_prefix(b"Exif\0\0").unwrap_or(&exif);
            image::metadata::Orientation::from_exif_chunk(tiff)
                .unwrap_or(image::metadata::Orientation::NoTransforms)
        }
        None => image::metadata::Orientation::NoTransforms,
    };
    let stored = decoder.dimensions();
    let mut img = DynamicImage::from_decoder(decoder)?;
    if (img.width(), img.height()) != stored {
        return Err(err(format!(
            "header says {stored:?}, decoded {}x{}",
            img.width(),
            img.height()
        )));
    }
    let shown = if swaps_axes(orientation) {
        (stored.1, stored.0)
    } else {
        stored
    };
    if shown != displayed {
        return Err(err(format!(
            "displayed {shown:?} (stored {stored:?}, {orientation:?}), manifest {displayed:?}"
        )));
    }

    let name = file.rsplit('/').next().unwrap_or(file);
    if trusted && name.contains("orientation-") {
        img.apply_orientation(orientation);
        let rgb = img.to_rgb8();
        let px = |x, y| rgb.get_pixel(x, y).0;
        let near = |p: [u8; 3], q: [u8; 3]| p.iter().zip(q).all(|(&a, b)| a.abs_diff(b) <= 40);
        for (x, y, want) in [
            (4, 4, [255, 0, 0]),
            (58, 42, [0, 0, 255]),
            (32, 24, [255, 255, 255]),
            (58, 4, [255, 255, 255]),
        ] {
            if !near(px(x, y), want) {
                return Err(err(format!(
                    "after orientation, pixel ({x},{y}) is {:?}, want {want:?}",
                    px(x, y)
                )));
            }
        }
    }
    if ["alpha", "rgba", "trns", "transparent"]
        .iter()
        .any(|k| name.contains(k))
    {
        if !img.color().has_alpha() {
            return Err(err("expected an alpha channel"));
        }
        let rgba = img.to_rgba8();
        let (cx, cy) = (rgba.width() / 2, rgba.height() / 2);
        let (corner, centre) = (rgba.get_pixel(0, 0).0[3], rgba.get_pixel(cx, cy).0[3]);
        if corner != 0 || centre != 255 {
            return Err(err(format!(
                "alpha corner {corner} / centre {centre}, want 0 / 255"
            )));
        }
    }
    Ok(())
}
