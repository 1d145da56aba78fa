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
