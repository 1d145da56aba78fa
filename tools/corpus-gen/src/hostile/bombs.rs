//! Compression and count bombs.

use super::entry::{one_pixel_idat, reject, webp_anim, MIB};
use crate::gifw::{self, GifFrame};
use crate::manifest::Reject;
use crate::picture::Picture;
use crate::pngw::{self, PngBuilder};
use crate::{Entry, Result};

/// Compression and count bombs: small files that expand, or repeat, far beyond the limits.
pub(super) fn bombs() -> Result<Vec<Entry>> {
    use Reject::{MaxChunks, MaxFrames, MaxMetadataBytes, MaxPixels};
    let mut out = Vec::new();

    // 16384x16384 gray is 256 MiB of zero scanlines; the limits must refuse it from the header
    // (268 M pixels) without inflating anything. Its alloc (exactly 256 MiB) is not over.
    let side: u32 = 16_384;
    let raw_len = u64::from(side) * (u64::from(side) + 1);
    let idat = pngw::zlib_repeat(0, raw_len)?;
    let mut b = PngBuilder::new(&pngw::ihdr(side, side, 8, pngw::GRAY, 0));
    // Real encoders split IDAT; 64 KiB chunks also keep any single chunk unremarkable.
    for part in idat.chunks(64 * 1024) {
        b = b.chunk(b"IDAT", part);
    }
    out.push(reject(
        "png-zlib-bomb-16384x16384.png",
        MaxPixels,
        b.finish(),
        "Complete 16384x16384 all-black gray PNG, 256 MiB of scanlines deflated; refused from the header.",
    ));

    let bomb = || pngw::zlib_repeat(b' ', 64 * MIB);
    let mut iccp = b"bomb\0\0".to_vec();
    iccp.extend(pngw::zlib_repeat(0, 64 * MIB)?);
    out.push(reject(
        "png-iccp-bomb.png",
        MaxMetadataBytes,
        PngBuilder::new(&pngw::ihdr(1, 1, 8, pngw::GRAY, 0))
            .chunk(b"iCCP", &iccp)
            .chunk(b"IDAT", &one_pixel_idat())
            .finish(),
        "1x1 PNG whose iCCP profile inflates to 64 MiB of zeros.",
    ));
    let mut ztxt = b"Comment\0\0".to_vec();
    ztxt.extend(bomb()?);
    out.push(reject(
        "png-ztxt-bomb.png",
        MaxMetadataBytes,
        PngBuilder::new(&pngw::ihdr(1, 1, 8, pngw::GRAY, 0))
            .chunk(b"zTXt", &ztxt)
            .chunk(b"IDAT", &one_pixel_idat())
            .finish(),
        "1x1 PNG whose zTXt text inflates to 64 MiB of spaces.",
    ));
    // iTXt: keyword NUL, compressed=1, method=0, empty language NUL, empty translation NUL.
    let mut itxt = b"Comment\0\x01\0\0\0".to_vec();
    itxt.extend(bomb()?);
    out.push(reject(
        "png-itxt-bomb.png",
        MaxMetadataBytes,
        PngBuilder::new(&pngw::ihdr(1, 1, 8, pngw::GRAY, 0))
            .chunk(b"iTXt", &itxt)
            .chunk(b"IDAT", &one_pixel_idat())
            .finish(),
        "1x1 PNG whose compressed iTXt text inflates to 64 MiB of spaces.",
    ));

    let mut b = PngBuilder::new(&pngw::ihdr(1, 1, 8, pngw::GRAY, 0));
    for _ in 0..20_000 {
        b = b.chunk(b"tEXt", b"c\0");
    }
    out.push(reject(
        "png-text-chunks-20000.png",
        MaxChunks,
        b.chunk(b"IDAT", &one_pixel_idat()).finish(),
        "1x1 PNG with 20000 tiny tEXt chunks (chunk-count DoS, metadata bytes negligible).",
    ));

    // APNG: acTL claims a million frames; the one frame present is fine.
    out.push(reject(
        "apng-actl-1000000-frames.png",
        MaxFrames,
        PngBuilder::new(&pngw::ihdr(1, 1, 8, pngw::GRAY, 0))
            .chunk(b"acTL", &pngw::actl(1_000_000, 0))
            .chunk(b"fcTL", &pngw::FrameControl::full(1, 1, (1, 10)).payload(0))
            .chunk(b"IDAT", &one_pixel_idat())
            .finish(),
        "Valid 1x1 APNG whose acTL declares 1,000,000 frames.",
    ));

    let template = GifFrame::from_picture(&Picture::photo(1, 1, 69), None)?;
    let frames: Vec<GifFrame> = (0..2000u32)
        .map(|i| GifFrame {
            indices: vec![(i % 252) as u8],
            delay_cs: 1,
            ..template.clone()
        })
        .collect();
    out.push(reject(
        "gif-frames-2000.gif",
        MaxFrames,
        gifw::encode(1, 1, &frames, true)?,
        "1x1 animated GIF with 2000 frames.",
    ));
    out.push(reject(
        "webp-anmf-2000-frames.webp",
        MaxFrames,
        webp_anim((1, 1), 2000)?,
        "1x1 animated WebP with 2000 ANMF frames.",
    ));
    Ok(out)
}
