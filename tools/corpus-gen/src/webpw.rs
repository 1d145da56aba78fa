//! WebP encoding (pure-Rust lossless via `image`, lossy and animated via libwebp) and RIFF
//! chunk helpers for the hand-made hostile files.

use image::codecs::webp::WebPEncoder;
use image::ExtendedColorType;
use webp::{AnimEncoder, AnimFrame, WebPConfig};

use crate::picture::Picture;
use crate::{err, Result};

/// Lossless VP8L via image-webp (the pure-Rust encoder the library itself ships).
pub(crate) fn lossless(pic: &Picture, alpha: bool) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let (data, color) = if alpha {
        (pic.rgba8(), ExtendedColorType::Rgba8)
    } else {
        (pic.rgb8(), ExtendedColorType::Rgb8)
    };
    WebPEncoder::new_lossless(&mut out).encode(&data, pic.width, pic.height, color)?;
    Ok(out)
}

/// Lossy VP8 via libwebp; with `alpha` libwebp adds VP8X + ALPH.
pub(crate) fn lossy(pic: &Picture, alpha: bool, quality: f32) -> Result<Vec<u8>> {
    let (rgb, rgba);
    let enc = if alpha {
        rgba = pic.rgba8();
        webp::Encoder::from_rgba(&rgba, pic.width, pic.height)
    } else {
        rgb = pic.rgb8();
        webp::Encoder::from_rgb(&rgb, pic.width, pic.height)
    };
    let mem = enc
        .encode_simple(false, quality)
        .map_err(|e| err(format!("libwebp: {e:?}")))?;
    Ok(mem.to_vec())
}

/// Animated WebP (VP8X + ANIM + ANMF) via libwebp's animation encoder, lossy frames.
pub(crate) fn animated(frames: &[Picture], frame_ms: i32) -> Result<Vec<u8>> {
    let first = frames.first().ok_or_else(|| err("no frames"))?;
    let mut config = WebPConfig::new().map_err(|()| err("WebPConfig::new failed"))?;
    config.lossless = 0;
    config.quality = 80.0;
    let pixels: Vec<Vec<u8>> = frames.iter().map(Picture::rgba8).collect();
    let mut enc = AnimEncoder::new(first.width, first.height, &config);
    enc.set_loop_count(0);
    for (i, (pic, data)) in frames.iter().zip(&pixels).enumerate() {
        let ts = i32::try_from(i)? * frame_ms;
        enc.add_frame(AnimFrame::from_rgba(data, pic.width, pic.height, ts));
    }
    let mem = enc
        .try_encode()
        .map_err(|e| err(format!("libwebp anim: {e:?}")))?;
    Ok(mem.to_vec())
}

/// One RIFF sub-chunk: FourCC, little-endian size, payload, pad byte to an even length.
pub(crate) fn chunk(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut out = kind.to_vec();
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    if payload.len() % 2 == 1 {
        out.push(0);
    }
    out
}

/// Wraps already-framed chunks into `RIFF <size> WEBP ...`.
pub(crate) fn riff(chunks: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = chunks.concat();
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend_from_slice(&body);
    out
}

/// A VP8X chunk's payload: `flags` (ICC 0x20, alpha 0x10, EXIF 0x08, XMP 0x04, animation 0x02) and the
/// canvas size.
pub(crate) fn vp8x(flags: u8, width: u32, height: u32) -> Vec<u8> {
    let mut payload = vec![flags, 0, 0, 0];
    payload.extend_from_slice(&u24(width - 1));
    payload.extend_from_slice(&u24(height - 1));
    payload
}

/// Little-endian 24-bit field, as used by VP8X and ANMF.
pub(crate) fn u24(v: u32) -> [u8; 3] {
    let b = v.to_le_bytes();
    [b[0], b[1], b[2]]
}

/// Payload of the first chunk of type `kind` in a simple (non-nested) WebP file.
pub(crate) fn find_chunk<'a>(webp: &'a [u8], kind: &[u8; 4]) -> Result<&'a [u8]> {
    let mut at = 12;
    while at + 8 <= webp.len() {
        let len = u32::from_le_bytes([webp[at + 4], webp[at + 5], webp[at + 6], webp[at + 7]]) as usize;
        let end = (at + 8 + len).min(webp.len());
        if &webp[at..at + 4] == kind {
            return Ok(&webp[at + 8..end]);
        }
        at = at + 8 + len + (len & 1);
    }
    Err(err(format!("chunk {} not found", String::from_utf8_lossy(kind))))
}
