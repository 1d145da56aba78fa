//! Dimension floods: tiny files whose headers declare huge images.

use super::entry::{png_header_only, reject, webp_anim};
use crate::gifw::{self};
use crate::jpeg::{self, Options, SOF0};
use crate::manifest::Reject;
use crate::picture::Picture;
use crate::pngw::{self};
use crate::{Entry, Result};

/// Dimension floods: tiny files whose headers declare huge images.
pub(super) fn floods() -> Result<Vec<Entry>> {
    use Reject::{MaxAlloc, MaxHeight, MaxPixels, MaxWidth};
    // Header-only PNGs (a lone empty IDAT): name, limit, width, height, bit depth, colour type, note.
    let pngs = [
        (
            "png-flood-100000x100000.png",
            MaxWidth,
            100_000,
            100_000,
            8,
            pngw::GRAY,
            "Header-only 8-bit gray PNG declaring 100000x100000 (10 G pixels); width is checked first.",
        ),
        (
            "png-flood-65535x65535.png",
            MaxWidth,
            65_535,
            65_535,
            8,
            pngw::GRAY,
            "Header-only 8-bit gray PNG declaring 65535x65535; width is checked first.",
        ),
        (
            "png-flood-1x70000.png",
            MaxHeight,
            1,
            70_000,
            8,
            pngw::GRAY,
            "Header-only PNG 1 pixel wide and 70000 tall: only the height limit is exceeded.",
        ),
        (
            "png-flood-10000x10000-gray8.png",
            MaxPixels,
            10_000,
            10_000,
            8,
            pngw::GRAY,
            "Header-only 8-bit gray PNG of 10000x10000: both sides fine, 100 M pixels too many, 100 MB alloc fine.",
        ),
        (
            "png-alloc-7000x7000-rgba16.png",
            MaxAlloc,
            7_000,
            7_000,
            16,
            pngw::RGBA,
            "Header-only 16-bit RGBA PNG of 7000x7000: 49 M pixels is allowed but 392 MB decoded is not.",
        ),
    ];
    let mut out: Vec<Entry> = pngs
        .into_iter()
        .map(|(name, kind, width, height, depth, color, note)| {
            reject(name, kind, png_header_only(width, height, depth, color), note)
        })
        .collect();
    out.extend([
        reject(
            "gif-flood-65535x65535.gif",
            MaxWidth,
            gifw::header_only(65_535, 65_535),
            "GIF whose logical screen and frame are 65535x65535 in 40 bytes; width is checked first.",
        ),
        reject(
            "webp-vp8x-flood-8000x8000.webp",
            MaxPixels,
            webp_anim((8_000, 8_000), 1)?,
            "Animated WebP with an 8000x8000 VP8X canvas and one 1x1 frame: 64 M pixels, 192 MB RGB alloc.",
        ),
    ]);

    let mut jpeg = jpeg::encode(&Picture::photo(64, 48, 68), Options::default())?;
    let sof = jpeg::find_segment(&jpeg, SOF0)?;
    // SOF0: FF C0, length (2), precision (1), height (2), width (2).
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    out.push(reject(
        "jpeg-flood-65535x65535.jpg",
        MaxWidth,
        jpeg,
        "Baseline 64x48 JPEG whose SOF0 is patched to 65535x65535 (EOI kept); width is checked first.",
    ));
    Ok(out)
}
