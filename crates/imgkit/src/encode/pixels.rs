//! Pixel preparation shared by the encoders: sides as the 16-bit values the formats store, and alpha
//! flattened for formats without it.

use image::{DynamicImage, RgbImage};

use crate::error::{Error, Result};
use crate::Format;

/// `side` as the 16-bit value JPEG and WebP headers hold.
pub(super) fn dim16(side: u32, format: Format) -> Result<u16> {
    u16::try_from(side).map_err(|_| Error::Encode {
        format,
        reason: format!("side {side} exceeds 65535"),
    })
}

/// Composites alpha onto `background`; opaque layouts pass through unchanged.
pub(super) fn flatten(image: DynamicImage, background: [u8; 3]) -> DynamicImage {
    if !image.color().has_alpha() {
        return image;
    }
    let rgba = image.into_rgba8();
    let (w, h) = rgba.dimensions();
    let mut rgb = RgbImage::new(w, h);
    for (dst, src) in rgb.pixels_mut().zip(rgba.pixels()) {
        let a = u16::from(src[3]);
        for c in 0..3 {
            let v = u16::from(src[c]) * a + u16::from(background[c]) * (255 - a);
            dst[c] = ((v + 127) / 255) as u8;
        }
    }
    DynamicImage::ImageRgb8(rgb)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};

    #[test]
    fn flatten_blends_onto_background() {
        let img = RgbaImage::from_fn(2, 1, |x, _| {
            if x == 0 {
                Rgba([0, 0, 0, 0])
            } else {
                Rgba([0, 0, 0, 128])
            }
        });
        let flat = flatten(DynamicImage::ImageRgba8(img), [255, 0, 0]).to_rgb8();
        assert_eq!(
            flat.get_pixel(0, 0).0,
            [255, 0, 0],
            "fully transparent shows the background"
        );
        assert_eq!(
            flat.get_pixel(1, 0).0,
            [127, 0, 0],
            "half transparent black over red"
        );
    }
}
