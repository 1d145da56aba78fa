//! Generated pictures as the files cameras, phones and web pages produce.

use image::ImageEncoder;

use crate::photo::{photo, Picture};

/// The seed of the pictures these functions encode.
const SEED: u64 = 1;

/// [`photo`] as a baseline 4:2:0 JPEG at `quality`, as a camera or phone writes it (`jpeg-encoder`;
/// `image`'s encoder writes 4:4:4).
///
/// # Panics
/// If a side exceeds JPEG's 65,535.
pub fn photo_jpeg(width: u32, height: u32, quality: u8) -> Vec<u8> {
    jpeg_of(&photo(width, height, SEED), quality, None, false)
}

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

/// `img` as a baseline 4:2:0 JPEG at `quality`, as a camera writes it.
///
/// # Panics
/// If a side exceeds JPEG's 65,535.
pub fn camera_jpeg(img: &image::RgbImage, quality: u8) -> Vec<u8> {
    jpeg_of(img, quality, None, false)
}

fn jpeg_of(img: &image::RgbImage, quality: u8, app1: Option<Vec<u8>>, progressive: bool) -> Vec<u8> {
    let (width, height) = img.dimensions();
    let side = |v: u32| u16::try_from(v).unwrap_or_else(|_| panic!("JPEG sides are at most 65535, got {v}"));
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    encoder.set_progressive(progressive);
    if let Some(app1) = app1 {
        encoder
            .add_app_segment(1, app1)
            .unwrap_or_else(|e| panic!("adding EXIF: {e}"));
    }
    encoder
        .encode(
            img.as_raw(),
            side(width),
            side(height),
            jpeg_encoder::ColorType::Rgb,
        )
        .unwrap_or_else(|e| panic!("encoding a {width}x{height} JPEG: {e}"));
    out
}

/// [`photo`] with a quarter of its noise, as an 8-bit RGB PNG at `image`'s default compression: a 14 MP
/// one is about 15 MB, like a camera photo saved as PNG (without noise it would compress to 1 MB, with
/// all of it to 24 MB).
pub fn photo_png(width: u32, height: u32) -> Vec<u8> {
    let img = Picture::photo_with_noise(width, height, SEED, 0.25).to_rgb_image();
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8)
        .unwrap_or_else(|e| panic!("encoding a {width}x{height} PNG: {e}"));
    out
}

/// [`photo`] as a lossy WebP at `quality` (libwebp, default method 4), like the WebP a CMS or phone
/// writes. WebP sides are at most 16,383.
pub fn photo_webp(width: u32, height: u32, quality: f32) -> Vec<u8> {
    let img = photo(width, height, SEED);
    webp::Encoder::from_rgb(img.as_raw(), width, height)
        .encode(quality)
        .to_vec()
}

/// A small photo-like PNG, for documentation examples and unit tests.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    photo_png(width, height)
}

/// A small photo-like JPEG (quality 90), for documentation examples and unit tests.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    photo_jpeg(width, height, 90)
}
