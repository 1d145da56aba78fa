//! The decoded planes to the caller's pixels: upsampled and colour-converted a row at a time, all at once
//! after the last scan or (a streaming frame) as each row of units completes.

use crate::colour::ycbcr_row;
use crate::frame::{Component, Frame};
use crate::upsample::{self, Plane, Scratch};
use crate::Image;

/// The pixels being written, and how many rows are done.
pub(crate) struct Output {
    pixels: Vec<u8>,
    width: usize,
    height: usize,
    channels: usize,
    /// Three components are YCbCr, otherwise RGB already.
    ycbcr: bool,
    done: usize,
    scratch: [Scratch; 3],
    planar: Vec<u8>,
}

impl Output {
    /// An image of `width`×`height`×`channels` (1 or 3) to write into `pixels` (that long).
    pub(crate) fn new(pixels: Vec<u8>, width: usize, height: usize, channels: usize, ycbcr: bool) -> Output {
        debug_assert_eq!(pixels.len(), width * height * channels);
        Output {
            pixels,
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
        let out = self.pixels[rows.start * bytes..rows.end * bytes].chunks_exact_mut(bytes);
        let planes = &frame.components;
        if self.channels == 1 {
            let c = view(&planes[0]);
            for (y, out) in rows.clone().zip(out) {
                out.copy_from_slice(upsample::row(&c, y, width, height, &mut self.scratch[0]));
            }
        } else {
            let views = [view(&planes[0]), view(&planes[1]), view(&planes[2])];
            let [s0, s1, s2] = &mut self.scratch;
            for (y, out) in rows.clone().zip(out) {
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

    /// The image, once every row is done.
    pub(crate) fn finish(self) -> Image {
        debug_assert_eq!(self.done, self.height);
        Image {
            width: self.width as u32,
            height: self.height as u32,
            channels: self.channels as u8,
            pixels: self.pixels,
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
