//! EXIF orientation: read from the input's EXIF block, applied to the (already small) resized image.

use image::DynamicImage;

/// EXIF orientation of an input: how the stored pixels must be transformed for display.
///
/// Values outside 1–8, and EXIF blocks that cannot be read, count as [`Orientation::Normal`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Orientation {
    /// 1: as stored.
    #[default]
    Normal,
    /// 2: mirrored left-right.
    FlipHorizontal,
    /// 3: rotated 180°.
    Rotate180,
    /// 4: mirrored top-bottom.
    FlipVertical,
    /// 5: mirrored along the top-left to bottom-right diagonal.
    Transpose,
    /// 6: rotated 90° clockwise for display.
    Rotate90,
    /// 7: mirrored along the top-right to bottom-left diagonal.
    Transverse,
    /// 8: rotated 270° clockwise for display.
    Rotate270,
}

impl Orientation {
    /// The orientation for an EXIF value; anything outside 1–8 is `Normal`.
    pub fn from_exif(value: u16) -> Orientation {
        match value {
            2 => Orientation::FlipHorizontal,
            3 => Orientation::Rotate180,
            4 => Orientation::FlipVertical,
            5 => Orientation::Transpose,
            6 => Orientation::Rotate90,
            7 => Orientation::Transverse,
            8 => Orientation::Rotate270,
            _ => Orientation::Normal,
        }
    }

    /// The EXIF value, 1–8.
    pub fn exif(self) -> u16 {
        match self {
            Orientation::Normal => 1,
            Orientation::FlipHorizontal => 2,
            Orientation::Rotate180 => 3,
            Orientation::FlipVertical => 4,
            Orientation::Transpose => 5,
            Orientation::Rotate90 => 6,
            Orientation::Transverse => 7,
            Orientation::Rotate270 => 8,
        }
    }

    /// Whether displaying swaps width and height (orientations 5–8).
    pub fn swaps_dimensions(self) -> bool {
        self.exif() >= 5
    }

    pub(crate) fn from_image(o: image::metadata::Orientation) -> Orientation {
        Orientation::from_exif(o.to_exif().into())
    }

    /// The orientation an EXIF block states. The block is bare TIFF as the specifications have it
    /// (WebP `EXIF`, PNG `eXIf`, JPEG APP1 after its header), or keeps the `Exif\0\0` header of JPEG's
    /// APP1, as some writers leave it in WebP and PNG files. Unreadable blocks count as `Normal`.
    pub(crate) fn from_exif_block(exif: &[u8]) -> Orientation {
        let tiff = exif.strip_prefix(b"Exif\0\0").unwrap_or(exif);
        image::metadata::Orientation::from_exif_chunk(tiff)
            .map_or(Orientation::Normal, Orientation::from_image)
    }

    fn to_image(self) -> image::metadata::Orientation {
        match self {
            Orientation::Normal => image::metadata::Orientation::NoTransforms,
            Orientation::FlipHorizontal => image::metadata::Orientation::FlipHorizontal,
            Orientation::Rotate180 => image::metadata::Orientation::Rotate180,
            Orientation::FlipVertical => image::metadata::Orientation::FlipVertical,
            Orientation::Transpose => image::metadata::Orientation::Rotate90FlipH,
            Orientation::Rotate90 => image::metadata::Orientation::Rotate90,
            Orientation::Transverse => image::metadata::Orientation::Rotate270FlipH,
            Orientation::Rotate270 => image::metadata::Orientation::Rotate270,
        }
    }
}

impl Orientation {
    /// Where a rectangle `(left, top, width, height)` of a stored image of `size` is shown after this
    /// orientation is applied.
    pub(crate) fn display_rect(self, [l, t, w, h]: [f64; 4], (sw, sh): (f64, f64)) -> [f64; 4] {
        let (right, bottom) = (sw - (l + w), sh - (t + h));
        match self {
            Orientation::Normal => [l, t, w, h],
            Orientation::FlipHorizontal => [right, t, w, h],
            Orientation::Rotate180 => [right, bottom, w, h],
            Orientation::FlipVertical => [l, bottom, w, h],
            Orientation::Transpose => [t, l, h, w],
            Orientation::Rotate90 => [bottom, l, h, w],
            Orientation::Transverse => [bottom, right, h, w],
            Orientation::Rotate270 => [t, right, h, w],
        }
    }
}

/// Transforms stored pixels for display. The pipeline calls it after resizing, where the image is small.
pub(crate) fn apply(image: &mut DynamicImage, orientation: Orientation) {
    image.apply_orientation(orientation.to_image());
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    const RED: Rgb<u8> = Rgb([255, 0, 0]);

    /// A 3x2 image with one red pixel at stored position (x, y).
    fn marked(x: u32, y: u32) -> DynamicImage {
        let mut img = RgbImage::new(3, 2);
        img.put_pixel(x, y, RED);
        DynamicImage::ImageRgb8(img)
    }

    fn red_at(img: &DynamicImage) -> (u32, u32) {
        let rgb = img.to_rgb8();
        let (x, y, _) = rgb
            .enumerate_pixels()
            .find(|(_, _, p)| **p == RED)
            .expect("marker");
        (x, y)
    }

    #[test]
    fn each_exif_value_moves_the_stored_top_left_where_the_spec_says() {
        // EXIF: for each orientation, where the stored (0,0) pixel lands on a 3x2 stored image.
        let expected = [
            (1, (0, 0)),
            (2, (2, 0)),
            (3, (2, 1)),
            (4, (0, 1)),
            (5, (0, 0)),
            (6, (1, 0)),
            (7, (1, 2)),
            (8, (0, 2)),
        ];
        for (value, landing) in expected {
            let o = Orientation::from_exif(value);
            assert_eq!(o.exif(), value);
            let mut img = marked(0, 0);
            apply(&mut img, o);
            assert_eq!(red_at(&img), landing, "orientation {value}");
            let dims = if o.swaps_dimensions() { (2, 3) } else { (3, 2) };
            assert_eq!((img.width(), img.height()), dims, "orientation {value}");
        }
    }

    /// The rectangle a marked block of stored pixels lands on is the one `display_rect` says.
    #[test]
    fn display_rect_follows_the_pixels() {
        let (l, t, w, h) = (1u32, 2u32, 3u32, 1u32);
        for value in 1..=8 {
            let o = Orientation::from_exif(value);
            let mut img = RgbImage::new(7, 5);
            (l..l + w).for_each(|x| (t..t + h).for_each(|y| img.put_pixel(x, y, RED)));
            let mut img = DynamicImage::ImageRgb8(img);
            apply(&mut img, o);
            let red: Vec<(u32, u32)> = img
                .to_rgb8()
                .enumerate_pixels()
                .filter(|(_, _, p)| **p == RED)
                .map(|(x, y, _)| (x, y))
                .collect();
            let (x0, y0) = (
                red.iter().map(|p| p.0).min().unwrap(),
                red.iter().map(|p| p.1).min().unwrap(),
            );
            let (x1, y1) = (
                red.iter().map(|p| p.0).max().unwrap(),
                red.iter().map(|p| p.1).max().unwrap(),
            );
            let found = [x0, y0, x1 - x0 + 1, y1 - y0 + 1].map(f64::from);
            let rect = [l, t, w, h].map(f64::from);
            assert_eq!(o.display_rect(rect, (7.0, 5.0)), found, "orientation {value}");
        }
    }

    #[test]
    fn invalid_values_are_normal() {
        for value in [0, 9, 255, u16::MAX] {
            assert_eq!(Orientation::from_exif(value), Orientation::Normal);
        }
    }
}
