//! Deterministic, photo-like inputs for the imgkit benchmarks, so they run anywhere without shipping
//! large files. (Issue: a directory of real photos can replace them.)

use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, RgbImage};

/// A smooth gradient with texture, roughly as hard to compress as a photo.
pub fn photo(width: u32, height: u32) -> RgbImage {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    RgbImage::from_fn(width, height, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let noise = (seed % 24) as u32;
        let r = (x * 200 / width.max(1) + noise) as u8;
        let g = (y * 200 / height.max(1) + noise) as u8;
        let b = (((x ^ y) & 0x3F) + 96 + noise) as u8;
        image::Rgb([r, g, b])
    })
}

/// `photo` as a JPEG at quality 90.
pub fn photo_jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = photo(width, height);
    let mut out = Vec::new();
    // Encoding an in-memory RGB buffer of valid size into a Vec does not fail.
    let _ = JpegEncoder::new_with_quality(&mut out, 90).write_image(
        img.as_raw(),
        width,
        height,
        image::ExtendedColorType::Rgb8,
    );
    out
}
