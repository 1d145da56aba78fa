//! The decoded planes to the caller's pixels: upsampled and colour-converted a row at a time, all at once
//! after the last scan or (a streaming frame) as each row of units completes.

use crate::color::ycbcr_row;
use crate::frame::{Component, Frame};
use crate::upsample::{self, Plane, Scratch};

/// Decoded pixels: 8-bit gray (`channels` 1) or RGB (3), rows top to bottom, no padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// Width in pixels: the JPEG's width divided by the shrink, rounded up.
    pub width: u32,
    /// Height in pixels: the JPEG's height divided by the shrink, rounded up.
    pub height: u32,
    /// 1 (gray) or 3 (RGB).
    pub channels: u8,
    /// `width × height × channels` bytes.
    pub pixels: Vec<u8>,
}

/// Takes a decode's rows as they are completed, so that the whole image never needs to exist at once
/// (see [`decode_rows`](crate::decode_rows)).
pub trait Rows {
    /// The output's size and channels (1: gray, 3: RGB), told once, before any row.
    fn start(&mut self, width: usize, height: usize, channels: usize);

    /// Memory for row `y`, exactly `width × channels` bytes, which the decoder then fills. Rows are asked
    /// for in order, top to bottom, each once, so every row above `y` is complete when `y` is asked for;
    /// the last one is complete when [`decode_rows`](crate::decode_rows) returns `Ok`.
    fn row(&mut self, y: usize) -> &mut [u8];
}

/// Where the rows go: an image's pixels, or the caller's [`Rows`].
pub(crate) enum Target<'a> {
    Pixels(Vec<u8>),
    Rows(&'a mut dyn Rows),
}

impl Target<'_> {
    /// Row `y`, `bytes` long, to write.
    fn row(&mut self, y: usize, bytes: usize) -> &mut [u8] {
        match self {
            Target::Pixels(pixels) => &mut pixels[y * bytes..(y + 1) * bytes],
            Target::Rows(rows) => rows.row(y),
        }
    }
}

/// The pixels being written, and how many rows are done.
pub(crate) struct Output<'a> {
    target: Target<'a>,
    width: usize,
    height: usize,
    channels: usize,
    /// Three components are YCbCr, otherwise RGB already.
    ycbcr: bool,
    done: usize,
    scratch: [Scratch; 3],
    planar: Vec<u8>,
}

impl<'a> Output<'a> {
    /// An image of `width`×`height`×`channels` (1 or 3) to write into `target` (pixels that long, or rows
    /// told the size already).
    pub(crate) fn new(target: Target<'a>, width: usize, height: usize, channels: usize, ycbcr: bool) -> Self {
        debug_assert!(
            matches!(&target, Target::Pixels(p) if p.len() == width * height * channels)
                || matches!(target, Target::Rows(_))
        );
        Output {
            target,
            width,
            height,
            channels,
            ycbcr,
            done: 0,
            scratch: Default::default(),
            planar: Vec::new(),
        }
    }

    pub(crate) fn height(&self) -> usize {
        self.height
    }

    /// Writes the rows from the last one done up to `until` from the planes of `frame`, which must hold
    /// every sample those rows read.
    pub(crate) fn rows(&mut self, frame: &Frame, until: usize) {
        let (width, height) = (self.width, self.height);
        // Never backwards: a hostile file may scan its components again after the output is written.
        let rows = self.done..until.min(height).max(self.done);
        let bytes = width * self.channels;
        let planes = &frame.components;
        if self.channels == 1 {
            let c = view(&planes[0]);
            for y in rows.clone() {
                self.target.row(y, bytes).copy_from_slice(upsample::row(
                    &c,
                    y,
                    width,
                    height,
                    &mut self.scratch[0],
                ));
            }
        } else {
            let views = [view(&planes[0]), view(&planes[1]), view(&planes[2])];
            let [s0, s1, s2] = &mut self.scratch;
            for y in rows.clone() {
                let out = self.target.row(y, bytes);
                let a = upsample::row(&views[0], y, width, height, s0);
                let b = upsample::row(&views[1], y, width, height, s1);
                let c = upsample::row(&views[2], y, width, height, s2);
                if self.ycbcr {
                    ycbcr_row(a, b, c, out, &mut self.planar);
                } else {
                    for (((px, &r), &g), &b) in out.chunks_exact_mut(3).zip(a).zip(b).zip(c) {
                        px.copy_from_slice(&[r, g, b]);
                    }
                }
            }
        }
        self.done = self.done.max(rows.end);
    }

    /// The image, once every row is done; `None` when the rows went to the caller's [`Rows`].
    pub(crate) fn finish(self) -> Option<Image> {
        debug_assert_eq!(self.done, self.height);
        match self.target {
            Target::Pixels(pixels) => Some(Image {
                width: self.width as u32,
                height: self.height as u32,
                channels: self.channels as u8,
                pixels,
            }),
            Target::Rows(_) => None,
        }
    }
}

fn view(c: &Component) -> Plane<'_> {
    Plane {
        samples: &c.plane,
        stride: c.stride,
        rows: c.plane.len() / c.stride.max(1),
        up_x: c.up_x,
        up_y: c.up_y,
    }
}
