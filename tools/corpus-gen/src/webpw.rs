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

/// Animated WebP (VP8X + ANIM + ANMF) via libwebp's animation encoder, lossy frames, each shown for its
/// entry of `durations_ms` and the whole played `loop_count` times (0: forever).
///
/// The webp crate ends the animation with a timestamp libwebp refuses, and libwebp then gives the last
/// frame the mean duration of the others (rounded down). The last duration must be that mean, so that
/// the caller's table states what the file holds.
pub(crate) fn animated(frames: &[Picture], durations_ms: &[i32], loop_count: i32) -> Result<Vec<u8>> {
    let first = frames.first().ok_or_else(|| err("no frames"))?;
    let (last, shown) = durations_ms.split_last().ok_or_else(|| err("no durations"))?;
    if durations_ms.len() != frames.len() {
        return Err(err("one duration per frame"));
    }
    if !shown.is_empty() && *last != shown.iter().sum::<i32>() / i32::try_from(shown.len())? {
        return Err(err(
            "libwebp gives the last frame the mean duration of the others",
        ));
    }
    let mut config = WebPConfig::new().map_err(|()| err("WebPConfig::new failed"))?;
    config.lossless = 0;
    config.quality = 80.0;
    let pixels: Vec<Vec<u8>> = frames.iter().map(Picture::rgba8).collect();
    let mut enc = AnimEncoder::new(first.width, first.height, &config);
    enc.set_loop_count(loop_count);
    let mut start = 0;
    for ((pic, data), duration) in frames.iter().zip(&pixels).zip(durations_ms) {
        enc.add_frame(AnimFrame::from_rgba(data, pic.width, pic.height, start));
        start += duration;
    }
    let mem = enc
        .try_encode()
        .map_err(|e| err(format!("libwebp anim: {e:?}")))?;
    Ok(mem.to_vec())
}

/// One frame of an animation assembled here (rather than by libwebp, which chooses its own rectangles,
/// blending and keyframes): where it lies on the canvas, how long it shows, how it composes, and its
/// image chunks (VP8L, or ALPH + VP8).
#[derive(Clone)]
pub(crate) struct Anmf {
    /// Left edge; even, as ANMF stores half of it.
    pub(crate) x: u32,
    /// Top edge; even.
    pub(crate) y: u32,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) duration_ms: u32,
    /// Alpha-blended over the canvas; else it replaces its rectangle.
    pub(crate) blend: bool,
    /// Its rectangle is cleared to the background colour once it has been shown.
    pub(crate) dispose: bool,
    /// The frame's image chunks, as [`Anmf::of`] takes them from a still.
    pub(crate) image: Vec<u8>,
}

impl Anmf {
    /// A frame of `still` (a whole still WebP of `size`, as [`lossless`] or [`lossy`] write it) at the
    /// canvas origin, blended, not disposed, shown for `duration_ms`.
    pub(crate) fn of(still: &[u8], (width, height): (u32, u32), duration_ms: u32) -> Result<Self> {
        let image = match find_chunk(still, b"VP8L") {
            Ok(vp8l) => chunk(b"VP8L", vp8l),
            Err(_) => {
                let alph = find_chunk(still, b"ALPH").map_or_else(|_| Vec::new(), |a| chunk(b"ALPH", a));
                [alph, chunk(b"VP8 ", find_chunk(still, b"VP8 ")?)].concat()
            }
        };
        Ok(Self {
            x: 0,
            y: 0,
            width,
            height,
            duration_ms,
            blend: true,
            dispose: false,
            image,
        })
    }

    /// The ANMF chunk.
    fn chunk(&self) -> Vec<u8> {
        let flags = if self.blend { 0 } else { 0x02 } | u8::from(self.dispose);
        let header = [
            &u24(self.x / 2)[..],
            &u24(self.y / 2),
            &u24(self.width - 1),
            &u24(self.height - 1),
            &u24(self.duration_ms),
            &[flags],
        ]
        .concat();
        chunk(b"ANMF", &[&header[..], &self.image].concat())
    }
}

/// An animated WebP of `frames` on a `canvas` (VP8X with the animation flag, and the alpha flag with
/// `alpha`), a transparent background colour, played `loop_count` times (0: forever).
pub(crate) fn animation(canvas: (u32, u32), alpha: bool, loop_count: u16, frames: &[Anmf]) -> Vec<u8> {
    let flags = 0x02 | if alpha { 0x10 } else { 0 };
    let mut anim = vec![0; 4]; // background colour (B, G, R, A)
    anim.extend_from_slice(&loop_count.to_le_bytes());
    let mut chunks = vec![
        chunk(b"VP8X", &vp8x(flags, canvas.0, canvas.1)),
        chunk(b"ANIM", &anim),
    ];
    chunks.extend(frames.iter().map(Anmf::chunk));
    riff(&chunks)
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
