//! Cheap container walks that run before any decoder sees the bytes.
//!
//! They read only structure (chunk headers, block lengths, markers), allocate nothing proportional to the
//! input except a fixed inflate window, and stop as soon as a limit is passed. They exist for what the
//! decoders do eagerly and unbounded: `png` inflates iCCP and text chunks while reading the header, GIF and
//! WebP animations are only counted by walking them, and zune-jpeg (non-strict inside `image`) turns a
//! truncated JPEG into grey pixels instead of an error.

use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZFlush, MZStatus};

use crate::error::{Error, Result};
use crate::{Format, Limits};

/// What a container walk measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Container {
    /// Frames declared or found; 1 for still images.
    pub frames: u32,
    /// How many times an animation plays, in WebP's terms (0: forever): a GIF's NETSCAPE count n plays
    /// n + 1 times and a GIF without one plays once, as browsers and gif2webp read them; a WebP's ANIM
    /// loop count and an APNG's `num_plays` count plays already. 1 for still images.
    pub plays: u32,
    /// PNG ancillary chunks other than image data.
    pub chunks: u32,
    /// Metadata bytes after inflation.
    pub metadata_bytes: u64,
    /// The size a header declares, where the walk can read it and the decoder allocates while reading the
    /// header (`png` sizes its row buffers from IHDR), so the limits can run before the decoder does.
    pub declared: Option<Declared>,
    /// A JPEG whose frame header before its first scan is progressive (SOF2).
    pub progressive: bool,
}

/// Width, height and decoded size as a header declares them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Declared {
    pub width: u32,
    pub height: u32,
    /// At least the decoded size `image` reports after reading the header (see `png_declared`).
    pub decoded_bytes: u64,
}

pub(crate) fn scan(format: Format, bytes: &[u8], limits: &Limits) -> Result<Container> {
    let still = Container {
        frames: 1,
        plays: 1,
        ..Container::default()
    };
    match format {
        Format::Png => png(bytes, limits),
        Format::Gif => {
            let (frames, loops) = gif_walk(bytes, limits.max_frames);
            let plays = match loops {
                None => 1,
                Some(0) => 0,
                Some(n) => u32::from(n) + 1,
            };
            Ok(Container {
                frames: frames.max(1),
                plays,
                ..still
            })
        }
        Format::WebP => {
            let (frames, plays) = webp_walk(bytes, limits.max_frames);
            Ok(Container {
                frames: frames.max(1),
                plays,
                ..still
            })
        }
        Format::Jpeg => match jpeg_walk(bytes) {
            Some(progressive) => Ok(Container { progressive, ..still }),
            None => Err(Error::malformed(
                Format::Jpeg,
                "truncated: no end-of-image marker after the image data",
            )),
        },
        _ => Ok(still),
    }
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        bytes.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        bytes.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// Walks PNG chunks. Stops early once chunk count or metadata passes its limit (the caller then rejects).
/// A walk that runs off the end before IEND is a truncated file: `png` would decode whatever image data
/// came before the cut, so, as with JPEG, completeness is checked here.
fn png(bytes: &[u8], limits: &Limits) -> Result<Container> {
    let mut out = Container {
        frames: 1,
        plays: 1,
        ..Container::default()
    };
    let mut ihdr = None;
    let mut pos = 8usize;
    while let (Some(len), Some(kind)) = (be32(bytes, pos), bytes.get(pos + 4..pos + 8)) {
        let start = pos + 8;
        let Some(data) = start
            .checked_add(len as usize)
            .and_then(|end| bytes.get(start..end))
        else {
            break;
        };
        let ancillary = kind[0].is_ascii_lowercase();
        if ancillary && kind != b"fdAT" {
            out.chunks += 1;
        }
        let budget = limits.max_metadata_bytes.saturating_sub(out.metadata_bytes);
        out.metadata_bytes += match kind {
            b"iCCP" => compressed_after_keyword(data, 1).map_or(0, |z| inflated_len(z, budget)),
            b"zTXt" => compressed_after_keyword(data, 1).map_or(0, |z| inflated_len(z, budget)),
            b"iTXt" => itxt_len(data, budget),
            b"tEXt" => data.len() as u64,
            _ => 0,
        };
        match kind {
            b"acTL" => {
                out.frames = be32(data, 0).unwrap_or(1).max(1);
                out.plays = be32(data, 4).unwrap_or(0);
            }
            b"IHDR" if ihdr.is_none() => ihdr = Some(data),
            _ => {}
        }
        if kind == b"IEND" || out.chunks > limits.max_chunks || out.metadata_bytes > limits.max_metadata_bytes
        {
            out.declared = ihdr.and_then(png_declared);
            return Ok(out);
        }
        pos = start + len as usize + 4;
    }
    Err(Error::malformed(
        Format::Png,
        "truncated: the chunk list ends before IEND",
    ))
}

/// At least what `image`'s PNG decoder will produce from this IHDR: it expands palettes and bit depths
/// below 8. A tRNS chunk may add an alpha channel, or be ignored (misplaced, too long), as `png` decides;
/// it is not counted, so the size is never more than the decoder's and the exact check after the header
/// still runs. `None` for a header the decoder will refuse anyway.
fn png_declared(ihdr: &[u8]) -> Option<Declared> {
    let (width, height) = (be32(ihdr, 0)?, be32(ihdr, 4)?);
    let (&depth, &color_type) = (ihdr.get(8)?, ihdr.get(9)?);
    let channels: u64 = match color_type {
        0 => 1,
        2 | 3 => 3,
        4 => 2,
        6 => 4,
        _ => return None,
    };
    let sample_bytes = if depth == 16 { 2 } else { 1 };
    Some(Declared {
        width,
        height,
        decoded_bytes: u64::from(width)
            .saturating_mul(u64::from(height))
            .saturating_mul(channels * sample_bytes),
    })
}

/// `keyword\0` followed by `skip` bytes (compression method) and then the zlib stream.
fn compressed_after_keyword(data: &[u8], skip: usize) -> Option<&[u8]> {
    let nul = data.iter().position(|&b| b == 0)?;
    data.get(nul + 1 + skip..)
}

/// iTXt: keyword\0 flag method language\0 translated\0 text (zlib if flag is 1).
fn itxt_len(data: &[u8], budget: u64) -> u64 {
    let Some(nul) = data.iter().position(|&b| b == 0) else {
        return data.len() as u64;
    };
    let compressed = data.get(nul + 1) == Some(&1);
    let mut rest = data.get(nul + 3..).unwrap_or_default();
    for _ in 0..2 {
        let Some(n) = rest.iter().position(|&b| b == 0) else {
            return data.len() as u64;
        };
        rest = &rest[n + 1..];
    }
    if compressed {
        inflated_len(rest, budget)
    } else {
        rest.len() as u64
    }
}

/// Inflates a zlib stream into a fixed window, counting output; stops once the count passes `budget`.
/// A corrupt stream counts what it produced: the decoder will judge it.
fn inflated_len(stream: &[u8], budget: u64) -> u64 {
    let mut state = InflateState::new_boxed(DataFormat::Zlib);
    let mut window = vec![0u8; 32 * 1024];
    let mut input = stream;
    let mut total = 0u64;
    loop {
        let res = inflate(&mut state, input, &mut window, MZFlush::None);
        input = &input[res.bytes_consumed..];
        total += res.bytes_written as u64;
        let stalled = res.bytes_consumed == 0 && res.bytes_written == 0;
        if total > budget || stalled || !matches!(res.status, Ok(MZStatus::Ok)) {
            return total;
        }
    }
}

/// Counts GIF image descriptors by skipping sub-blocks (no LZW decoding), and reads the NETSCAPE2.0 (or
/// ANIMEXTS1.0) loop count if there is one. Stops past `max + 1` frames.
fn gif_walk(bytes: &[u8], max: u32) -> (u32, Option<u16>) {
    let Some(&flags) = bytes.get(10) else {
        return (0, None);
    };
    let mut pos = 13 + color_table_len(flags);
    let mut frames = 0u32;
    let mut loops = None;
    while let Some(&block) = bytes.get(pos) {
        match block {
            0x2C => {
                frames += 1;
                if frames > max {
                    break;
                }
                let Some(&local) = bytes.get(pos + 9) else { break };
                // Descriptor (10 bytes), local colour table, LZW minimum code size, then sub-blocks.
                pos = skip_sub_blocks(bytes, pos + 10 + color_table_len(local) + 1);
            }
            0x21 => {
                // Application extension: label FF, an 11-byte identifier, then a 3-byte sub-block of
                // 1 and the little-endian loop count.
                let netscape = bytes.get(pos + 1..pos + 18).and_then(|b| match b {
                    [0xFF, 11, id @ .., 3, 1, lo, hi] if id == b"NETSCAPE2.0" || id == b"ANIMEXTS1.0" => {
                        Some(u16::from_le_bytes([*lo, *hi]))
                    }
                    _ => None,
                });
                loops = loops.or(netscape);
                pos = skip_sub_blocks(bytes, pos + 2);
            }
            _ => break, // 0x3B trailer, or garbage the decoder will judge.
        }
    }
    (frames, loops)
}

fn color_table_len(flags: u8) -> usize {
    if flags & 0x80 != 0 {
        3 << ((flags & 7) + 1)
    } else {
        0
    }
}

fn skip_sub_blocks(bytes: &[u8], mut pos: usize) -> usize {
    while let Some(&len) = bytes.get(pos) {
        pos += 1 + usize::from(len);
        if len == 0 {
            return pos;
        }
    }
    usize::MAX
}

/// Counts ANMF chunks in a RIFF WebP, and reads the ANIM chunk's loop count (0: forever, also when
/// there is none). Stops past `max + 1` frames.
pub(crate) fn webp_walk(bytes: &[u8], max: u32) -> (u32, u32) {
    let mut pos = 12usize;
    let (mut frames, mut plays) = (0u32, 0u32);
    while let (Some(kind), Some(len)) = (bytes.get(pos..pos + 4), le32(bytes, pos + 4)) {
        let len = len as usize;
        if kind == b"ANMF" {
            frames += 1;
            if frames > max {
                break;
            }
        } else if kind == b"ANIM" {
            // Background colour (4 bytes), then the loop count (2).
            plays = bytes
                .get(pos + 12..pos + 14)
                .map_or(0, |b| u32::from(u16::from_le_bytes([b[0], b[1]])));
        }
        pos = pos.saturating_add(8 + len + (len & 1));
    }
    (frames, plays)
}

/// `None` unless an EOI marker follows the first SOS; otherwise whether a progressive frame header (SOF2)
/// came before that scan. 0xFF is byte-stuffed inside entropy-coded data, so an `FF D9` after the first
/// scan can only be a real marker; markers before it are walked by length, so an `FF D9` inside an EXIF
/// thumbnail does not count.
fn jpeg_walk(bytes: &[u8]) -> Option<bool> {
    let mut pos = 2usize;
    let mut progressive = false;
    let sos = loop {
        let &[0xFF, marker] = bytes.get(pos..pos + 2)? else {
            return None;
        };
        match marker {
            0xFF => pos += 1, // fill byte
            0xDA => break pos,
            0x01 | 0xD0..=0xD8 => pos += 2,
            _ => {
                progressive |= marker == 0xC2;
                let &[hi, lo] = bytes.get(pos + 2..pos + 4)? else {
                    return None;
                };
                pos += 2 + usize::from(u16::from_be_bytes([hi, lo]));
            }
        }
    };
    // From the end: in a whole file the marker is (nearly) the last thing, so this is O(1) where a
    // forward search read every byte of a 12 MP photo (several ms per image).
    bytes[sos..]
        .windows(2)
        .rev()
        .any(|w| w == [0xFF, 0xD9])
        .then_some(progressive)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zlib(data: &[u8]) -> Vec<u8> {
        miniz_oxide::deflate::compress_to_vec_zlib(data, 9)
    }

    #[test]
    fn inflated_len_counts_and_stops_at_budget() {
        let z = zlib(&vec![0u8; 1 << 20]);
        assert_eq!(inflated_len(&z, u64::MAX), 1 << 20);
        let capped = inflated_len(&z, 1000);
        assert!(capped > 1000 && capped <= 1000 + 32 * 1024, "{capped}");
        assert_eq!(inflated_len(b"not zlib at all", u64::MAX), 0);
    }

    #[test]
    fn jpeg_eoi_must_follow_the_scan() {
        let header = b"\xFF\xD8\xFF\xE0\x00\x04\xFF\xD9\xFF\xDA\x00\x02";
        assert_eq!(
            jpeg_walk(header),
            None,
            "an FF D9 inside a segment before SOS is not an EOI"
        );
        let mut full = header.to_vec();
        full.extend_from_slice(b"\x12\x34\xFF\x00\xFF\xD9");
        assert_eq!(jpeg_walk(&full), Some(false));
        assert_eq!(jpeg_walk(b"\xFF\xD8\xFF"), None);
    }

    #[test]
    fn the_jpeg_walk_tells_progressive_frames() {
        let baseline = imgkit_testkit::encode::photo_jpeg(64, 48, 90);
        let progressive = imgkit_testkit::encode::photo_jpeg_progressive(64, 48, 90);
        assert_eq!(jpeg_walk(&baseline), Some(false));
        assert_eq!(jpeg_walk(&progressive), Some(true));
    }

    #[test]
    fn gif_frames_are_counted_without_decoding() {
        let mut gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00".to_vec();
        for _ in 0..5 {
            gif.extend_from_slice(b"\x21\xF9\x04\x00\x00\x00\x00\x00");
            gif.extend_from_slice(b"\x2C\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00");
        }
        gif.push(0x3B);
        assert_eq!(gif_walk(&gif, 100).0, 5);
        assert_eq!(gif_walk(&gif, 2).0, 3, "stops one past the limit");
    }
}
