//! Deterministic, photo-like inputs for the imgkit benchmarks, so they run anywhere without shipping
//! large files. The criterion suite (`benches/benches/pipeline.rs`) encodes [`photo_like`] scenes with
//! [`photo_like_jpeg`], [`photo_like_png`] and [`photo_like_webp`]; `IMGKIT_BENCH_IMAGES=DIR` replaces them
//! with real photos.

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

/// A deterministic, photo-like scene for the side-by-side comparison (`benches/compare/`): a sky gradient,
/// low-frequency hills, hard-edged objects, fine "foliage" texture and mild sensor noise. It compresses
/// about as well as a camera photo (a 12 MP JPEG at quality 90 is a few MB), unlike [`photo`], whose
/// per-pixel noise makes JPEG and PNG files far larger than real photos of the same size. `noise` is the
/// largest deviation of the per-pixel noise: about 6 gives camera-like JPEG sizes; 0 gives PNG sizes like a
/// photo that went through a JPEG once (its noise smoothed away).
pub fn photo_like(width: u32, height: u32, noise: u8) -> RgbImage {
    let span = 2 * u64::from(noise) + 1;
    let (w, h) = (width.max(1) as f32, height.max(1) as f32);
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    // A few discs (centre x, centre y, radius as fractions of the width, colour).
    let discs: [(f32, f32, f32, [f32; 3]); 4] = [
        (0.22, 0.30, 0.07, [250.0, 230.0, 170.0]),
        (0.62, 0.58, 0.12, [160.0, 40.0, 35.0]),
        (0.80, 0.25, 0.05, [40.0, 60.0, 150.0]),
        (0.40, 0.78, 0.09, [230.0, 200.0, 60.0]),
    ];
    RgbImage::from_fn(width, height, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let (u, v) = (x as f32 / w, y as f32 / h);
        let horizon = 0.45 + 0.08 * (u * 9.0).sin() + 0.04 * (u * 23.0 + 1.3).sin();
        let mut rgb = if v < horizon {
            // Sky: blue to pale towards the horizon, soft clouds.
            let t = v / horizon;
            let cloud = 18.0 * ((u * 13.0 + v * 5.0).sin() * (u * 4.0 - v * 17.0).cos()).max(0.0);
            [
                90.0 + 110.0 * t + cloud,
                140.0 + 80.0 * t + cloud,
                220.0 + 20.0 * t + cloud,
            ]
        } else {
            // Ground: green-brown hills with fine texture that fades towards the horizon.
            let t = (v - horizon) / (1.0 - horizon);
            let hills = 25.0 * (u * 6.0 + v * 11.0).sin() + 15.0 * (u * 31.0 - v * 7.0).cos();
            let fine = ((x.wrapping_mul(7) ^ y.wrapping_mul(13)) & 0x1F) as f32 * t;
            [
                70.0 + 40.0 * t + hills + fine,
                110.0 - 30.0 * t + hills + fine * 1.2,
                50.0 + 10.0 * t + hills * 0.5 + fine * 0.6,
            ]
        };
        for (cx, cy, r, colour) in discs {
            let (dx, dy) = (u - cx, (v - cy) * h / w);
            let d2 = dx * dx + dy * dy;
            if d2 < r * r {
                // Shaded: brighter towards the upper left.
                let shade = 0.75 + 0.25 * (1.0 - (dx + dy) / (2.0 * r));
                rgb = colour.map(|c| c * shade);
            }
        }
        let noise = (seed % span) as f32 - f32::from(noise);
        image::Rgb(rgb.map(|c| (c + noise).clamp(0.0, 255.0) as u8))
    })
}

/// [`photo_like`] with camera-like noise (6), as a baseline 4:2:0 JPEG at `quality` (`jpeg-encoder`, as a
/// camera or phone writes it; `image`'s encoder writes 4:4:4). `None` if a side exceeds 65,535.
pub fn photo_like_jpeg(width: u32, height: u32, quality: u8) -> Option<Vec<u8>> {
    let img = photo_like(width, height, 6);
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    encoder
        .encode(
            img.as_raw(),
            u16::try_from(width).ok()?,
            u16::try_from(height).ok()?,
            jpeg_encoder::ColorType::Rgb,
        )
        .ok()?;
    Some(out)
}

/// [`photo_like`] without noise (like a photo that went through a JPEG once), as an 8-bit RGB PNG at
/// `image`'s default compression. A 14 MP one is about 13 MB.
pub fn photo_like_png(width: u32, height: u32) -> Vec<u8> {
    let img = photo_like(width, height, 0);
    let mut out = Vec::new();
    // Encoding an in-memory RGB buffer of valid size into a Vec does not fail.
    let _ = image::codecs::png::PngEncoder::new(&mut out).write_image(
        img.as_raw(),
        width,
        height,
        image::ExtendedColorType::Rgb8,
    );
    out
}

/// [`photo_like`] with camera-like noise (6), as a lossy WebP at `quality` (libwebp through the `webp`
/// crate, default method 4), like the WebP a CMS or phone writes. WebP sides are at most 16,383.
pub fn photo_like_webp(width: u32, height: u32, quality: f32) -> Vec<u8> {
    let img = photo_like(width, height, 6);
    webp::Encoder::from_rgb(img.as_raw(), width, height)
        .encode(quality)
        .to_vec()
}
