//! The decoded planes to the caller's pixels: upsampled and colour-converted a row at a time.

use crate::colour::ycbcr_row;
use crate::frame::{Component, Frame};
use crate::upsample::{self, Plane, Scratch};
use crate::Image;

/// The `width`×`height` image the planes of `frame` hold, written into `pixels` (`width × height` times
/// the component count); three components are YCbCr when `ycbcr`, otherwise RGB already.
pub(crate) fn image(frame: &Frame, width: usize, height: usize, ycbcr: bool, mut pixels: Vec<u8>) -> Image {
    let planes = &frame.components;
    let channels = planes.len();
    debug_assert_eq!(pixels.len(), width * height * channels);
    if channels == 1 {
        let c = &planes[0];
        for (y, out) in pixels.chunks_exact_mut(width).enumerate() {
            out.copy_from_slice(&c.plane[y * c.stride..][..width]);
        }
    } else {
        let views = [view(&planes[0]), view(&planes[1]), view(&planes[2])];
        let [mut s0, mut s1, mut s2] = [(); 3].map(|()| Scratch::default());
        let mut planar = Vec::new();
        for (y, out) in pixels.chunks_exact_mut(width * 3).enumerate() {
            let a = upsample::row(&views[0], y, width, height, &mut s0);
            let b = upsample::row(&views[1], y, width, height, &mut s1);
            let c = upsample::row(&views[2], y, width, height, &mut s2);
            if ycbcr {
                ycbcr_row(a, b, c, out, &mut planar);
            } else {
                for (((px, &r), &g), &b) in out.chunks_exact_mut(3).zip(a).zip(b).zip(c) {
                    px.copy_from_slice(&[r, g, b]);
                }
            }
        }
    }
    Image {
        width: width as u32,
        height: height as u32,
        channels: channels as u8,
        pixels,
    }
}

fn view(c: &Component) -> Plane<'_> {
    Plane {
        samples: &c.plane,
        stride: c.stride,
        up_x: c.up_x,
        up_y: c.up_y,
    }
}
