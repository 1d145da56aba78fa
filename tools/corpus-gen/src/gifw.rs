//! GIF encoding via the `gif` crate, plus hand-made blocks for headers it refuses to write.

use std::borrow::Cow;
use std::ops::Range;

use gif::{DisposalMethod, Encoder, Frame, Repeat};

use crate::picture::{CubePalette, Picture};
use crate::Result;

/// Palette index reserved for transparency (outside the 252-colour cube).
pub(crate) const TRANSPARENT: u8 = 255;

/// One frame to encode: palette indices already chosen.
#[derive(Clone)]
pub(crate) struct GifFrame {
    pub(crate) left: u16,
    pub(crate) top: u16,
    pub(crate) width: u16,
    pub(crate) height: u16,
    pub(crate) indices: Vec<u8>,
    pub(crate) transparent: Option<u8>,
    pub(crate) interlaced: bool,
    pub(crate) delay_cs: u16,
    pub(crate) dispose: DisposalMethod,
}

impl GifFrame {
    /// A full-canvas frame quantised to the cube palette.
    pub(crate) fn from_picture(pic: &Picture, transparent: Option<u8>) -> Result<Self> {
        Ok(Self {
            left: 0,
            top: 0,
            width: u16::try_from(pic.width)?,
            height: u16::try_from(pic.height)?,
            indices: CubePalette::indices(pic, transparent),
            transparent,
            interlaced: false,
            delay_cs: 0,
            dispose: DisposalMethod::Keep,
        })
    }
}

/// The 256-entry global palette: the colour cube padded with black.
pub(crate) fn global_palette() -> Vec<u8> {
    let mut p = CubePalette::rgb();
    p.resize(256 * 3, 0);
    p
}

/// Rows in the order an interlaced GIF stores them (passes every 8th from 0, every 8th from
/// 4, every 4th from 2, every 2nd from 1). The gif crate writes the buffer as given, so the
/// reordering is ours to do.
fn interlace_rows(indices: &[u8], width: usize, height: usize) -> Vec<u8> {
    let order = (0..height)
        .step_by(8)
        .chain((4..height).step_by(8))
        .chain((2..height).step_by(4))
        .chain((1..height).step_by(2));
    order
        .flat_map(|y| indices[y * width..(y + 1) * width].iter().copied())
        .collect()
}

/// Encodes a GIF89a; `animated` adds a NETSCAPE2.0 loop-forever block.
pub(crate) fn encode(width: u16, height: u16, frames: &[GifFrame], animated: bool) -> Result<Vec<u8>> {
    encode_looping(width, height, frames, animated.then_some(Repeat::Infinite))
}

/// Encodes a GIF89a with the NETSCAPE2.0 block `repeat` asks for, or none (a GIF that plays once).
pub(crate) fn encode_looping(
    width: u16,
    height: u16,
    frames: &[GifFrame],
    repeat: Option<Repeat>,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let palette = global_palette();
        let mut enc = Encoder::new(&mut out, width, height, &palette)?;
        if let Some(repeat) = repeat {
            enc.set_repeat(repeat)?;
        }
        for f in frames {
            let buffer = if f.interlaced {
                interlace_rows(&f.indices, usize::from(f.width), usize::from(f.height))
            } else {
                f.indices.clone()
            };
            let frame = Frame {
                delay: f.delay_cs,
                dispose: f.dispose,
                transparent: f.transparent,
                left: f.left,
                top: f.top,
                width: f.width,
                height: f.height,
                interlaced: f.interlaced,
                buffer: Cow::Owned(buffer),
                ..Frame::default()
            };
            enc.write_frame(&frame)?;
        }
    }
    Ok(out)
}

/// Where each frame's LZW sub-blocks lie in a GIF, in file order: where to cut a file so that the cut
/// falls inside a chosen frame. Stops at the trailer or at the first block it does not know.
pub(crate) fn frame_data(gif: &[u8]) -> Vec<Range<usize>> {
    let table_len = |flags: u8| {
        if flags & 0x80 != 0 {
            3 << ((flags & 7) + 1)
        } else {
            0
        }
    };
    // Sub-blocks from `at` to just past their zero terminator.
    let sub_blocks_end = |mut at: usize| {
        while let Some(&len) = gif.get(at) {
            at += 1 + usize::from(len);
            if len == 0 {
                return Some(at);
            }
        }
        None
    };
    let mut out = Vec::new();
    let Some(&flags) = gif.get(10) else { return out };
    let mut at = 13 + table_len(flags);
    while let Some(&block) = gif.get(at) {
        let next = match block {
            0x21 => sub_blocks_end(at + 2),
            0x2C => gif.get(at + 9).and_then(|&local| {
                // Descriptor (10 bytes), local colour table, LZW minimum code size, then the data.
                let data = at + 10 + table_len(local) + 1;
                let end = sub_blocks_end(data)?;
                out.push(data..end);
                Some(end)
            }),
            _ => None,
        };
        let Some(next) = next else { break };
        at = next;
    }
    out
}

/// A GIF89a with no global palette and one frame whose LZW data is just CLEAR + EOI.
/// Screen and frame size are free, so the header can claim anything (0x0, 65535x65535) in a
/// few dozen bytes; the pixel data is deliberately never sufficient because decoding must be
/// refused before it starts.
pub(crate) fn header_only(width: u16, height: u16) -> Vec<u8> {
    let mut out = b"GIF89a".to_vec();
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(&height.to_le_bytes());
    out.extend_from_slice(&[0x00, 0x00, 0x00]); // no global colour table, bg 0, aspect 0
    out.push(0x2C); // image descriptor
    out.extend_from_slice(&[0, 0, 0, 0]); // left, top
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(&height.to_le_bytes());
    out.push(0x80); // local colour table, 2 entries
    out.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
    // LZW minimum code size 2 -> CLEAR = 4, EOI = 5, 3-bit codes packed LSB first:
    // 100 then 101 -> 0b00_101_100 = 0x2C.
    out.extend_from_slice(&[0x02, 0x01, 0x2C, 0x00]);
    out.push(0x3B); // trailer
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interlace_order_for_ten_rows() {
        let rows: Vec<u8> = (0..10).collect();
        assert_eq!(interlace_rows(&rows, 1, 10), vec![0, 8, 4, 2, 6, 1, 3, 5, 7, 9]);
    }

    #[test]
    fn frame_data_finds_every_frame() {
        let frame = GifFrame::from_picture(&Picture::photo(5, 4, 1), None).unwrap();
        let gif = encode_looping(5, 4, &[frame.clone(), frame], Some(Repeat::Finite(2))).unwrap();
        let ranges = frame_data(&gif);
        assert_eq!(ranges.len(), 2);
        assert!(ranges[0].end < ranges[1].start && ranges[1].end < gif.len());
        assert_eq!(gif[ranges[1].end - 1], 0, "ends on the sub-block terminator");
    }
}
