//! Generated pictures as the files cameras, phones and web pages produce. The baseline JPEG, PNG and
//! WebP files are those `imgkit sizing` calibrates with ([`imgkit_sizing::photo`]).

pub use imgkit_sizing::photo::{camera_jpeg, photo_jpeg, photo_png, photo_webp};
use imgkit_sizing::photo::{jpeg as jpeg_of, photo, SEED};

/// [`photo_jpeg`] written progressive (spectral selection and successive approximation scans, as
/// `jpegtran -progressive` and many web tools write).
///
/// # Panics
/// If a side exceeds JPEG's 65,535.
pub fn photo_jpeg_progressive(width: u32, height: u32, quality: u8) -> Vec<u8> {
    jpeg_of(&photo(width, height, SEED), quality, None, true)
}

/// [`photo_jpeg`] carrying an EXIF orientation tag (APP1) of `orientation`: the pixels are stored as
/// generated, so a reader that applies the tag displays them turned or mirrored (orientations 5-8 swap
/// the displayed width and height).
///
/// # Panics
/// If a side exceeds JPEG's 65,535.
pub fn photo_jpeg_oriented(width: u32, height: u32, quality: u8, orientation: u16) -> Vec<u8> {
    let app1 = crate::exif::orientation_app1(orientation);
    jpeg_of(&photo(width, height, SEED), quality, Some(app1), false)
}

/// A small photo-like PNG, for documentation examples and unit tests.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    photo_png(width, height)
}

/// A small photo-like JPEG (quality 90), for documentation examples and unit tests.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    photo_jpeg(width, height, 90)
}

/// An animated GIF of `width × height` with one frame per entry of `delays_ms` (multiples of 10: GIF
/// counts hundredths of a second), looping forever: a gradient with a square that moves one step
/// right, and changes colour, every frame, so no two frames are alike.
///
/// # Panics
/// If a side exceeds GIF's 65,535, or `delays_ms` is empty.
#[allow(clippy::expect_used)] // A test picture: a failure to make one is the test's failure.
pub fn animated_gif(width: u32, height: u32, delays_ms: &[u32]) -> Vec<u8> {
    use image::codecs::gif::{GifEncoder, Repeat};
    use image::{Delay, Frame, Rgba, RgbaImage};
    assert!(!delays_ms.is_empty(), "an animation needs a frame");
    let side = (width.min(height) / 3).max(1);
    let step = (width.saturating_sub(side) / delays_ms.len() as u32).max(1);
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut out, 10);
        encoder.set_repeat(Repeat::Infinite).expect("set the loop");
        for (i, &delay) in delays_ms.iter().enumerate() {
            let i = i as u32;
            let (left, top) = (
                (i * step) % width.saturating_sub(side).max(1),
                (height - side) / 2,
            );
            let colour = [[230, 40, 40], [40, 200, 60], [40, 60, 230], [240, 200, 30]][i as usize % 4];
            let image = RgbaImage::from_fn(width, height, |x, y| {
                if (left..left + side).contains(&x) && (top..top + side).contains(&y) {
                    Rgba([colour[0], colour[1], colour[2], 255])
                } else {
                    let g = (x * 200 / width.max(1)) as u8;
                    Rgba([g, g / 2 + 40, 120, 255])
                }
            });
            let delay = Delay::from_numer_denom_ms(delay, 1);
            encoder
                .encode_frame(Frame::from_parts(image, 0, 0, delay))
                .expect("encode a frame");
        }
    }
    out
}
