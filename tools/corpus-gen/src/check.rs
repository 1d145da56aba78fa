//! Independent verification of a generated corpus directory.
//!
//! It re-reads the files from disk (not the generator's memory) and checks them with the
//! `image` crate, the decoder stack imgkit builds on. It never runs imgkit itself: expected
//! outcomes are the generator's knowledge, this only proves the files are what they claim.

use std::collections::BTreeSet;
use std::fs;
use std::io::Cursor;
use std::path::Path;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::manifest::{self, Expect, Format};
use crate::{err, Result, SUBDIRS};

/// What [`check`] looked at.
#[derive(Debug)]
pub struct Summary {
    /// Rows in the manifest (= files in the corpus).
    pub files: usize,
    /// `ok` rows that were decoded and matched their declared size.
    pub decoded: usize,
    /// Sum of all file sizes in bytes.
    pub total_bytes: u64,
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

/// Checks `dir`: manifest well-formed and sorted, rows and files in one-to-one correspondence,
/// every `ok` row decodes to a stored size that matches its displayed size once its EXIF
/// orientation is applied, and content checks for the orientation and alpha files.
pub fn check(dir: &Path) -> Result<Summary> {
    let rows = manifest::parse(&fs::read_to_string(dir.join("manifest.tsv"))?)?;
    for pair in rows.windows(2) {
        if pair[0].file >= pair[1].file {
            return Err(err(format!("manifest not strictly sorted at {}", pair[1].file)));
        }
    }
    let listed: BTreeSet<&str> = rows.iter().map(|r| r.file.as_str()).collect();
    let mut on_disk = BTreeSet::new();
    for sub in SUBDIRS {
        for entry in fs::read_dir(dir.join(sub))? {
            let name = entry?
                .file_name()
                .into_string()
                .map_err(|n| err(format!("non-UTF-8 name {n:?}")))?;
            on_disk.insert(format!("{sub}/{name}"));
        }
    }
    if let Some(extra) = on_disk.iter().find(|f| !listed.contains(f.as_str())) {
        return Err(err(format!("{extra} exists but is not in the manifest")));
    }

    let mut summary = Summary {
        files: rows.len(),
        decoded: 0,
        total_bytes: 0,
    };
    for row in &rows {
        if !on_disk.contains(&row.file) {
            return Err(err(format!("{} is listed but does not exist", row.file)));
        }
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
