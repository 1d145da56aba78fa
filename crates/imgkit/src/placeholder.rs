//! Placeholder: a ThumbHash of the source, made from its smallest rendition's finished pixels (oriented,
//! in sRGB), so a page can show a blurred stand-in of about 25 bytes while the thumbnail loads.

use image::DynamicImage;

use crate::error::Result;
use crate::resize::Resizer;
use crate::scale::Region;
use crate::Filter;

/// The longest side the ThumbHash encoder takes; more only slows it (the hash holds at most 7×7
/// luminance coefficients).
const MAX_SIDE: u32 = 100;

/// The shortest side hashed. With fewer pixels across than coefficients, the reference encoder aliases:
/// a uniform 1×1 or 100×1 image decodes 30 to 70 levels darker than it is.
const MIN_SIDE: u32 = 3;

/// The ThumbHash of `image`, first resized so its longest side is 100 pixels (a smaller rendition is
/// enlarged: the encoder aliases on a few pixels, and a placeholder is shown blurred anyway).
pub(crate) fn thumbhash(image: &DynamicImage, resizer: &mut Resizer) -> Result<Vec<u8>> {
    let size = (image.width(), image.height());
    let (width, height) = fit(size);
    let small = if (width, height) == size {
        image.to_rgba8()
    } else {
        let region = Region::centred(size, None);
        resizer
            .resize(image, width, height, region, Filter::default())?
            .to_rgba8()
    };
    Ok(thumbhash::rgba_to_thumb_hash(
        width as usize,
        height as usize,
        small.as_raw(),
    ))
}

/// `size` scaled so its longest side is [`MAX_SIDE`], the shortest at least [`MIN_SIDE`].
fn fit((width, height): (u32, u32)) -> (u32, u32) {
    let longest = u64::from(width.max(height).max(1));
    let scale = |side: u32| {
        let scaled = (u64::from(side) * u64::from(MAX_SIDE) + longest / 2) / longest;
        scaled.clamp(u64::from(MIN_SIDE), u64::from(MAX_SIDE)) as u32
    };
    (scale(width), scale(height))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};

    #[test]
    fn sizes_are_100_on_the_longest_side_and_3_at_least() {
        assert_eq!(fit((400, 300)), (100, 75));
        assert_eq!(fit((300, 4000)), (8, 100));
        assert_eq!(fit((20000, 1)), (100, 3));
        assert_eq!(fit((64, 48)), (100, 75));
        assert_eq!(fit((1, 1)), (100, 100));
        assert_eq!(fit((100, 100)), (100, 100));
    }

    /// Decoded back with the reference decoder, the hash of a two-colour image keeps its mean colour
    /// and its aspect ratio.
    #[test]
    fn the_hash_decodes_to_the_source_mean_colour() {
        for (w, h) in [(1, 1), (100, 1), (2, 300)] {
            let flat = RgbaImage::from_pixel(w, h, Rgba([183, 191, 214, 255]));
            let hash = thumbhash(&DynamicImage::ImageRgba8(flat), &mut Resizer::default()).unwrap();
            let (_, _, decoded) = thumbhash::thumb_hash_to_rgba(&hash).unwrap();
            assert!(
                decoded[..3]
                    .iter()
                    .zip([183, 191, 214])
                    .all(|(&a, b)| a.abs_diff(b) <= 6),
                "{w}x{h}: {:?}",
                &decoded[..3]
            );
        }
        let image = RgbaImage::from_fn(300, 200, |x, _| {
            if x < 100 {
                Rgba([200, 40, 30, 255])
            } else {
                Rgba([30, 90, 220, 255])
            }
        });
        let mean = |px: &[u8]| -> [f64; 3] {
            let n = (px.len() / 4) as f64;
            let mut sum = [0.0; 3];
            for p in px.chunks_exact(4) {
                (0..3).for_each(|c| sum[c] += f64::from(p[c]));
            }
            sum.map(|s| s / n)
        };
        let hash = thumbhash(&DynamicImage::ImageRgba8(image.clone()), &mut Resizer::default()).unwrap();
        assert!(hash.len() <= 30, "{} bytes", hash.len());
        let (w, h, decoded) = thumbhash::thumb_hash_to_rgba(&hash).unwrap();
        let (want, got) = (mean(image.as_raw()), mean(&decoded));
        for c in 0..3 {
            assert!(
                (want[c] - got[c]).abs() < 8.0,
                "channel {c}: {want:?} against {got:?}"
            );
        }
        let ratio = w as f64 / h as f64;
        assert!((ratio - 1.5).abs() < 0.2, "aspect {w}x{h}");
    }
}
