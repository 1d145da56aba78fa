//! Deterministic "photo-like" pictures, their conversion to encoder pixel layouts, and the files cameras,
//! phones and web pages make of them: calibration's generated images. `imgkit-testkit` re-exports them for
//! the tests, benchmarks and corpus generator, so calibration and tests draw the same pictures.
//!
//! Flat colour would let codecs and resizers hide bugs (everything compresses and averages to
//! the same value), so every picture has smooth gradients, hard edges and mild noise. Only
//! `+ - * /`, `sqrt` and `floor` are used: they are correctly rounded in IEEE 754, so the pixels
//! do not depend on the platform's libm the way `sin`/`exp` results can.

use image::ImageEncoder;

pub use crate::prng::XorShift;

/// Straight (not premultiplied) RGBA with channels in `[0, 1]`.
#[derive(Clone)]
pub struct Picture {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row-major pixels.
    pub pixels: Vec<[f64; 4]>,
}

/// `v` within `[0, 1]`.
pub fn clamp01(v: f64) -> f64 {
    v.clamp(0.0, 1.0)
}

fn lerp(a: f64, b: f64, t: f64) -> f64 {
    a + (b - a) * clamp01(t)
}

fn smoothstep(edge0: f64, edge1: f64, x: f64) -> f64 {
    let t = clamp01((x - edge0) / (edge1 - edge0));
    t * t * (3.0 - 2.0 * t)
}

/// A periodic bump in `[0, 1]` (one parabola per period): a portable stand-in for `sin`.
fn wave(t: f64) -> f64 {
    let f = t - t.floor();
    4.0 * f * (1.0 - f)
}

fn q8(v: f64) -> u8 {
    // The value is clamped first, so the cast cannot saturate unexpectedly.
    (clamp01(v) * 255.0 + 0.5) as u8
}

fn q16(v: f64) -> [u8; 2] {
    ((clamp01(v) * 65535.0 + 0.5) as u16).to_be_bytes()
}

/// Rec. 601 luma: what a typical "convert to grey" does, good enough for test content.
pub fn luma(p: &[f64; 4]) -> f64 {
    0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]
}

impl Picture {
    /// Builds a picture from a per-pixel function of `(x, y)`.
    pub fn from_fn(width: u32, height: u32, mut f: impl FnMut(u32, u32) -> [f64; 4]) -> Self {
        let mut pixels = Vec::new();
        for y in 0..height {
            for x in 0..width {
                pixels.push(f(x, y));
            }
        }
        Self {
            width,
            height,
            pixels,
        }
    }

    /// A small landscape: sky gradient, sun with glow, hills with striped fields, a hard-edged
    /// house, plus noise. `seed` varies the layout so files are not rescaled copies of each other.
    pub fn photo(width: u32, height: u32, seed: u64) -> Self {
        Self::photo_with_noise(width, height, seed, 1.0)
    }

    /// [`Picture::photo`] with its sensor-like noise scaled by `noise` (0: none, like a photo that went
    /// through a JPEG once, which keeps PNGs of it photo-sized; 1: as [`Picture::photo`]).
    pub fn photo_with_noise(width: u32, height: u32, seed: u64, noise: f64) -> Self {
        let mut rng = XorShift::new(seed);
        let sun_u = 0.55 + 0.3 * rng.next_f64();
        let sun_v = 0.12 + 0.2 * rng.next_f64();
        let phase = rng.next_f64();
        let horizon = 0.55 + 0.15 * rng.next_f64();
        let aspect = f64::from(width) / f64::from(height);
        Self::from_fn(width, height, |x, y| {
            let u = (f64::from(x) + 0.5) / f64::from(width);
            let v = (f64::from(y) + 0.5) / f64::from(height);
            // Sky: deep blue at the top fading to haze at the horizon.
            let t = v / horizon;
            let mut c = [lerp(0.16, 0.78, t), lerp(0.32, 0.80, t), lerp(0.72, 0.86, t)];
            // Sun: a soft glow and a disc; distances are aspect-corrected so it stays round.
            let (du, dv) = ((u - sun_u) * aspect, v - sun_v);
            let d = (du * du + dv * dv).sqrt();
            let glow = clamp01(1.0 - d / 0.35);
            let glow = glow * glow;
            c = [c[0] + 0.35 * glow, c[1] + 0.25 * glow, c[2] + 0.05 * glow];
            let disc = 1.0 - smoothstep(0.07, 0.085, d);
            c = [
                lerp(c[0], 1.0, disc),
                lerp(c[1], 0.93, disc),
                lerp(c[2], 0.62, disc),
            ];
            // Hills: an undulating ridge; striped fields give mid-frequency texture.
            let ridge = horizon + 0.08 * (wave(u * 1.3 + phase) - 0.5);
            if v > ridge {
                let depth = clamp01((v - ridge) / (1.0 - ridge));
                let stripe = wave(u * 7.0 + v * 3.0 + phase);
                c = [
                    lerp(0.22, 0.45, depth) + 0.06 * stripe,
                    lerp(0.48, 0.30, depth) + 0.05 * stripe,
                    lerp(0.18, 0.12, depth),
                ];
            }
            // House: hard edges exercise ringing in lossy codecs and resize filters.
            if (0.18..0.36).contains(&u) && v > ridge - 0.18 && v < ridge + 0.06 {
                c = [0.55, 0.20, 0.16];
                if (0.23..0.29).contains(&u) && (ridge - 0.13..ridge - 0.06).contains(&v) {
                    c = [0.95, 0.88, 0.55];
                }
            }
            // Mild sensor-like noise, mostly luminance with a little chroma.
            let n = rng.symmetric(0.02) * noise;
            [
                clamp01(c[0] + n + rng.symmetric(0.006) * noise),
                clamp01(c[1] + n + rng.symmetric(0.006) * noise),
                clamp01(c[2] + n + rng.symmetric(0.006) * noise),
                1.0,
            ]
        })
    }

    /// Makes the picture a cut-out: a fully transparent margin around an opaque ellipse with a
    /// ~1.5 px soft edge, so both alpha = 0, alpha = 255 and partial alpha occur. Colour is kept
    /// under transparent pixels on purpose: a resizer that forgets to premultiply will bleed it.
    pub fn with_transparent_border(mut self) -> Self {
        let (w, h) = (f64::from(self.width), f64::from(self.height));
        let border = (w.min(h) / 8.0).max(1.0);
        let (rx, ry) = (w / 2.0 - border, h / 2.0 - border);
        let edge_px = rx.min(ry);
        for (i, p) in self.pixels.iter_mut().enumerate() {
            let x = (i % self.width as usize) as f64 + 0.5;
            let y = (i / self.width as usize) as f64 + 0.5;
            let (dx, dy) = ((x - w / 2.0) / rx, (y - h / 2.0) / ry);
            let r = (dx * dx + dy * dy).sqrt();
            p[3] = clamp01((1.0 - r) * edge_px / 1.5);
        }
        self
    }

    /// 8-bit RGB, row-major.
    pub fn rgb8(&self) -> Vec<u8> {
        self.pixels
            .iter()
            .flat_map(|p| [q8(p[0]), q8(p[1]), q8(p[2])])
            .collect()
    }

    /// 8-bit straight RGBA, row-major.
    pub fn rgba8(&self) -> Vec<u8> {
        self.pixels
            .iter()
            .flat_map(|p| [q8(p[0]), q8(p[1]), q8(p[2]), q8(p[3])])
            .collect()
    }

    /// 8-bit luma (Rec. 601).
    pub fn gray8(&self) -> Vec<u8> {
        self.pixels.iter().map(|p| q8(luma(p))).collect()
    }

    /// 8-bit luma and alpha.
    pub fn gray_alpha8(&self) -> Vec<u8> {
        self.pixels.iter().flat_map(|p| [q8(luma(p)), q8(p[3])]).collect()
    }

    /// 16-bit samples in PNG (big-endian) byte order.
    pub fn rgb16be(&self) -> Vec<u8> {
        self.pixels
            .iter()
            .flat_map(|p| [q16(p[0]), q16(p[1]), q16(p[2])])
            .flatten()
            .collect()
    }

    /// 16-bit samples in PNG (big-endian) byte order.
    pub fn rgba16be(&self) -> Vec<u8> {
        self.pixels
            .iter()
            .flat_map(|p| [q16(p[0]), q16(p[1]), q16(p[2]), q16(p[3])])
            .flatten()
            .collect()
    }

    /// 16-bit samples in PNG (big-endian) byte order.
    pub fn gray16be(&self) -> Vec<u8> {
        self.pixels.iter().flat_map(|p| q16(luma(p))).collect()
    }

    /// The picture as an `image` RGB buffer.
    pub fn to_rgb_image(&self) -> image::RgbImage {
        // rgb8 has exactly width x height x 3 bytes, so the buffer always fits.
        image::RgbImage::from_raw(self.width, self.height, self.rgb8()).unwrap_or_default()
    }

    /// Naive RGB -> CMYK (ink amounts, 0 = no ink). jpeg-encoder inverts them itself, the
    /// Adobe way, so the JPEG looks like the RGB picture to a CMYK-aware decoder.
    pub fn cmyk8(&self) -> Vec<u8> {
        self.pixels
            .iter()
            .flat_map(|p| {
                let k = 1.0 - p[0].max(p[1]).max(p[2]);
                let ink = |c: f64| if k >= 1.0 { 0.0 } else { (1.0 - c - k) / (1.0 - k) };
                [q8(ink(p[0])), q8(ink(p[1])), q8(ink(p[2])), q8(k)]
            })
            .collect()
    }
}

/// [`Picture::photo`] as an 8-bit RGB image: a landscape with smooth gradients, hard edges and mild
/// sensor-like noise, so codecs and resizers cannot hide bugs in flat colour; `seed` varies the layout.
/// About as hard to compress as a camera photo. Deterministic on every platform.
///
/// ```
/// use imgkit_sizing::photo::photo;
/// let a = photo(64, 48, 7);
/// assert_eq!(a, photo(64, 48, 7));
/// assert_ne!(a, photo(64, 48, 8));
/// ```
pub fn photo(width: u32, height: u32, seed: u64) -> image::RgbImage {
    Picture::photo(width, height, seed).to_rgb_image()
}

/// The seed of the pictures the `photo_*` functions encode.
pub const SEED: u64 = 1;

/// [`photo`] as a baseline 4:2:0 JPEG at `quality`, as a camera or phone writes it (`jpeg-encoder`;
/// `image`'s encoder writes 4:4:4).
///
/// # Panics
/// If a side exceeds JPEG's 65,535.
pub fn photo_jpeg(width: u32, height: u32, quality: u8) -> Vec<u8> {
    camera_jpeg(&photo(width, height, SEED), quality)
}

/// `img` as a baseline 4:2:0 JPEG at `quality`, as a camera writes it.
///
/// # Panics
/// If a side exceeds JPEG's 65,535.
pub fn camera_jpeg(img: &image::RgbImage, quality: u8) -> Vec<u8> {
    jpeg(img, quality, None, false)
}

/// `img` as a 4:2:0 JPEG at `quality`, baseline or `progressive` (spectral selection and successive
/// approximation scans, as `jpegtran -progressive` and many web tools write), with an APP1 segment
/// (EXIF, as cameras write) when `app1` is given.
///
/// # Panics
/// If a side exceeds JPEG's 65,535.
pub fn jpeg(img: &image::RgbImage, quality: u8, app1: Option<Vec<u8>>, progressive: bool) -> Vec<u8> {
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

/// [`photo`] with a quarter of its noise, as an 8-bit RGB PNG at `image`'s default compression: about as
/// large as a camera photo saved as PNG (without noise it would compress far smaller, with all of it it
/// would be far larger).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photo_is_not_flat_and_is_reproducible() {
        let a = Picture::photo(64, 48, 7).rgb8();
        let b = Picture::photo(64, 48, 7).rgb8();
        assert_eq!(a, b);
        let distinct: std::collections::BTreeSet<_> = a.chunks(3).collect();
        assert!(distinct.len() > 500, "only {} distinct colours", distinct.len());
    }

    #[test]
    fn transparent_border_has_clear_corners_and_opaque_centre() {
        let p = Picture::photo(80, 60, 1).with_transparent_border();
        assert_eq!(p.pixels[0][3], 0.0);
        assert_eq!(p.pixels[30 * 80 + 40][3], 1.0);
        assert!(p.pixels.iter().any(|px| px[3] > 0.0 && px[3] < 1.0));
    }
}
