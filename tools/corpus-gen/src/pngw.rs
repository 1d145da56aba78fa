//! Hand-written PNG building blocks: chunk framing, CRC-32, zlib, scanlines, Adam7.
//!
//! The `png` crate refuses to write most of what the hostile set needs (zero width, 100000 px
//! wide headers, bogus CRCs, 20000 text chunks) and cannot write interlaced images, so those
//! files are assembled from these pieces.

use std::ops::Range;

use miniz_oxide::deflate::core::{compress_to_output, CompressorOxide, TDEFLFlush, TDEFLStatus};
use miniz_oxide::deflate::{compress_to_vec_zlib, CompressionLevel};
use miniz_oxide::DataFormat;
use png::{BlendOp, DisposeOp};

use crate::{err, Result};

/// The 8-byte PNG file signature.
pub(crate) const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// IHDR colour types (PNG spec table 11.1).
pub(crate) const GRAY: u8 = 0;
pub(crate) const RGB: u8 = 2;
pub(crate) const RGBA: u8 = 6;

/// CRC-32 (IEEE, reflected, poly 0xEDB88320) lookup table, built at compile time.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

/// Feeds `data` into a running (pre-inverted) CRC state.
fn crc32_update(mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        crc = CRC_TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc
}

/// CRC-32 as used by PNG chunks and ZIP entries.
pub(crate) fn crc32(data: &[u8]) -> u32 {
    crc32_update(0xFFFF_FFFF, data) ^ 0xFFFF_FFFF
}

/// Appends one chunk: length, type, data, CRC over type + data.
pub(crate) fn write_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32_update(crc32_update(0xFFFF_FFFF, kind), data) ^ 0xFFFF_FFFF;
    out.extend_from_slice(&crc.to_be_bytes());
}

/// IHDR payload. Compression and filter method are always 0 (the only defined values).
pub(crate) fn ihdr(width: u32, height: u32, depth: u8, color: u8, interlace: u8) -> [u8; 13] {
    let mut d = [0u8; 13];
    d[0..4].copy_from_slice(&width.to_be_bytes());
    d[4..8].copy_from_slice(&height.to_be_bytes());
    d[8] = depth;
    d[9] = color;
    d[12] = interlace;
    d
}

/// Incremental PNG writer: signature first, then whatever chunks the caller asks for.
pub(crate) struct PngBuilder(Vec<u8>);

impl PngBuilder {
    /// Starts a file with the signature and the given IHDR.
    pub(crate) fn new(ihdr_data: &[u8; 13]) -> Self {
        let mut out = SIGNATURE.to_vec();
        write_chunk(&mut out, b"IHDR", ihdr_data);
        Self(out)
    }

    pub(crate) fn chunk(mut self, kind: &[u8; 4], data: &[u8]) -> Self {
        write_chunk(&mut self.0, kind, data);
        self
    }

    /// Appends IEND and returns the bytes.
    pub(crate) fn finish(self) -> Vec<u8> {
        self.chunk(b"IEND", &[]).0
    }
}

/// zlib stream at the best compression (files stay small; speed is irrelevant here).
pub(crate) fn zlib(data: &[u8]) -> Vec<u8> {
    compress_to_vec_zlib(data, CompressionLevel::BestCompression as u8)
}

/// zlib stream of `len` copies of `byte`, compressed in a streaming fashion so that building
/// a 256 MiB bomb never holds 256 MiB in memory.
pub(crate) fn zlib_repeat(byte: u8, len: u64) -> Result<Vec<u8>> {
    const BLOCK: usize = 1 << 20;
    let zeros = vec![byte; BLOCK];
    let mut compressor =
        CompressorOxide::with_format_and_level(DataFormat::Zlib, CompressionLevel::BestCompression);
    let mut out = Vec::new();
    let mut left = len;
    loop {
        let take = usize::try_from(left.min(BLOCK as u64)).unwrap_or(BLOCK);
        left -= take as u64;
        let flush = if left == 0 {
            TDEFLFlush::Finish
        } else {
            TDEFLFlush::None
        };
        let (status, consumed) = compress_to_output(&mut compressor, &zeros[..take], flush, |chunk| {
            out.extend_from_slice(chunk);
            true
        });
        if consumed != take {
            return Err(err("deflate did not consume its input"));
        }
        match (status, left) {
            (TDEFLStatus::Done, 0) => return Ok(out),
            (TDEFLStatus::Okay, 1..) => {}
            (s, _) => return Err(err(format!("deflate failed: {s:?}"))),
        }
    }
}

/// Non-interlaced image data: each row of `row_bytes` prefixed with filter type 0 (None).
pub(crate) fn scanlines(raw: &[u8], row_bytes: usize) -> Vec<u8> {
    raw.chunks(row_bytes)
        .flat_map(|row| std::iter::once(0).chain(row.iter().copied()))
        .collect()
}

/// Adam7 image data for 8-bit-or-wider samples (`bpp` bytes per pixel): the seven reduced
/// images in order, each row with filter byte 0. Empty passes (possible for tiny images) are
/// skipped entirely, as the spec requires; that is an edge case decoders get wrong.
pub(crate) fn adam7(raw: &[u8], width: u32, height: u32, bpp: usize) -> Vec<u8> {
    const PASSES: [(u32, u32, u32, u32); 7] = [
        (0, 0, 8, 8),
        (4, 0, 8, 8),
        (0, 4, 4, 8),
        (2, 0, 4, 4),
        (0, 2, 2, 4),
        (1, 0, 2, 2),
        (0, 1, 1, 2),
    ];
    let mut out = Vec::new();
    for (x0, y0, dx, dy) in PASSES {
        if x0 >= width || y0 >= height {
            continue;
        }
        for y in (y0..height).step_by(dy as usize) {
            out.push(0);
            for x in (x0..width).step_by(dx as usize) {
                let at = (y as usize * width as usize + x as usize) * bpp;
                out.extend_from_slice(&raw[at..at + bpp]);
            }
        }
    }
    out
}

/// acTL payload: the frames an APNG declares, and how many times it plays (0: forever).
pub(crate) fn actl(frames: u32, plays: u32) -> [u8; 8] {
    let mut d = [0u8; 8];
    d[0..4].copy_from_slice(&frames.to_be_bytes());
    d[4..8].copy_from_slice(&plays.to_be_bytes());
    d
}

/// How one APNG frame is placed, shown and composed: an fcTL but for its sequence number.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FrameControl {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) x: u32,
    pub(crate) y: u32,
    /// Seconds as `numerator / denominator`; a denominator of 0 means 100, as the APNG spec says.
    pub(crate) delay: (u16, u16),
    pub(crate) dispose: DisposeOp,
    pub(crate) blend: BlendOp,
}

impl FrameControl {
    /// A full-canvas frame shown for `delay`, replacing the canvas and left in place after.
    pub(crate) fn full(width: u32, height: u32, delay: (u16, u16)) -> Self {
        Self {
            width,
            height,
            x: 0,
            y: 0,
            delay,
            dispose: DisposeOp::None,
            blend: BlendOp::Source,
        }
    }

    /// The fcTL payload, `sequence` being its place among the file's fcTL and fdAT chunks.
    pub(crate) fn payload(&self, sequence: u32) -> [u8; 26] {
        let mut d = [0u8; 26];
        for (i, v) in [sequence, self.width, self.height, self.x, self.y]
            .iter()
            .enumerate()
        {
            d[i * 4..i * 4 + 4].copy_from_slice(&v.to_be_bytes());
        }
        d[20..22].copy_from_slice(&self.delay.0.to_be_bytes());
        d[22..24].copy_from_slice(&self.delay.1.to_be_bytes());
        d[24] = self.dispose as u8;
        d[25] = self.blend as u8;
        d
    }
}

/// One APNG frame: its control and its 8-bit RGBA pixels (`width × height` of the control).
pub(crate) struct ApngFrame {
    pub(crate) control: FrameControl,
    pub(crate) rgba: Vec<u8>,
}

/// An 8-bit RGBA APNG, written by hand so that acTL can disagree with the frames held (`declared`) and
/// delays can have a zero denominator, neither of which the png crate writes. With `default` (full-canvas
/// RGBA) the IDAT is an image outside the animation, as the spec allows; without, the first frame is the
/// IDAT.
pub(crate) fn apng(
    (width, height): (u32, u32),
    declared: u32,
    plays: u32,
    default: Option<&[u8]>,
    frames: &[ApngFrame],
) -> Vec<u8> {
    let image_data = |rgba: &[u8], w: u32| zlib(&scanlines(rgba, w as usize * 4));
    let mut b = PngBuilder::new(&ihdr(width, height, 8, RGBA, 0)).chunk(b"acTL", &actl(declared, plays));
    if let Some(rgba) = default {
        b = b.chunk(b"IDAT", &image_data(rgba, width));
    }
    let mut sequence = 0u32;
    for (i, frame) in frames.iter().enumerate() {
        b = b.chunk(b"fcTL", &frame.control.payload(sequence));
        sequence += 1;
        let data = image_data(&frame.rgba, frame.control.width);
        if i == 0 && default.is_none() {
            b = b.chunk(b"IDAT", &data);
        } else {
            b = b.chunk(b"fdAT", &[&sequence.to_be_bytes()[..], &data].concat());
            sequence += 1;
        }
    }
    b.finish()
}

/// Walks an existing PNG and returns `(type, data range)` of every complete chunk.
pub(crate) fn chunks(png: &[u8]) -> Vec<([u8; 4], Range<usize>)> {
    let mut out = Vec::new();
    let mut at = SIGNATURE.len();
    while at + 12 <= png.len() {
        let len = u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]) as usize;
        let kind = [png[at + 4], png[at + 5], png[at + 6], png[at + 7]];
        let data = at + 8..at + 8 + len;
        if data.end + 4 > png.len() {
            break;
        }
        at = data.end + 4;
        out.push((kind, data));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_known_values() {
        // Check value from the CRC catalogue, and the well-known CRC of an IEND chunk.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn zlib_repeat_roundtrip() {
        let z = zlib_repeat(0, 3 << 20).unwrap();
        let back = miniz_oxide::inflate::decompress_to_vec_zlib(&z).unwrap();
        assert_eq!(back.len(), 3 << 20);
        assert!(back.iter().all(|&b| b == 0));
    }

    #[test]
    fn adam7_keeps_every_pixel_once() {
        let (w, h) = (13u32, 7u32);
        let raw: Vec<u8> = (0..w * h).map(|i| i as u8).collect();
        let data = adam7(&raw, w, h, 1);
        // One filter byte per non-empty reduced row, plus every pixel exactly once.
        let mut pixels: Vec<u8> = data.clone();
        pixels.sort_unstable();
        assert!(data.len() > raw.len());
        let mut expect = raw.clone();
        expect.sort_unstable();
        let zeros = data.len() - raw.len();
        assert_eq!(&pixels[zeros..], &expect[..]);
    }
}
