//! Picture quality: PSNR, the fidelity measure every test, benchmark and comparison reports, and SSIM
//! for comparing codecs at equal visual quality.

/// PSNR in dB of `b` against `a`, sample by sample (8-bit samples of the same layout); 99 dB-ish (capped
/// by a tiny floor on the error) for identical buffers.
///
/// # Panics
/// If the buffers differ in length.
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "PSNR of buffers of different sizes");
    let mse = a
        .iter()
        .zip(b)
        .map(|(&p, &q)| (f64::from(p) - f64::from(q)).powi(2))
        .sum::<f64>()
        / a.len().max(1) as f64;
    10.0 * (255.0 * 255.0 / mse.max(1e-9)).log10()
}

/// PSNR in dB of `b` against `exact`, both packed RGB (`exact` unrounded, e.g. from [`box_mean`]), on
/// each plane of JPEG's YCbCr (JFIF's full-range BT.601, unrounded): `[Y, Cb, Cr]`. A decoder's chroma
/// is judged where it lives, not mixed into RGB.
///
/// # Panics
/// If the buffers differ in length or are not whole pixels.
pub fn psnr_ycbcr(exact: &[f64], b: &[u8]) -> [f64; 3] {
    assert!(
        exact.len() == b.len() && b.len().is_multiple_of(3),
        "PSNR of buffers of different sizes"
    );
    let ycbcr = |r: f64, g: f64, b: f64| {
        [
            0.299 * r + 0.587 * g + 0.114 * b,
            -0.168_736 * r - 0.331_264 * g + 0.5 * b,
            0.5 * r - 0.418_688 * g - 0.081_312 * b,
        ]
    };
    let mut sums = [0f64; 3];
    for (p, q) in exact.chunks_exact(3).zip(b.chunks_exact(3)) {
        let p = ycbcr(p[0], p[1], p[2]);
        let q = ycbcr(f64::from(q[0]), f64::from(q[1]), f64::from(q[2]));
        for i in 0..3 {
            sums[i] += (p[i] - q[i]).powi(2);
        }
    }
    let pixels = (b.len() / 3).max(1) as f64;
    sums.map(|sum| 10.0 * (255.0 * 255.0 / (sum / pixels).max(1e-9)).log10())
}

/// The means of `scale`×`scale` boxes of `pixels` (`width`×`height`, `channels` interleaved), the last
/// ones partial when a side is not a multiple, unrounded: what a decode at 1/`scale` approximates.
pub fn box_mean(pixels: &[u8], width: usize, height: usize, channels: usize, scale: usize) -> Vec<f64> {
    let (w, h) = (width.div_ceil(scale), height.div_ceil(scale));
    let mut out = Vec::new();
    for y in 0..h {
        for x in 0..w {
            for ch in 0..channels {
                let (mut sum, mut n) = (0u32, 0u32);
                for yy in y * scale..((y + 1) * scale).min(height) {
                    for xx in x * scale..((x + 1) * scale).min(width) {
                        sum += u32::from(pixels[(yy * width + xx) * channels + ch]);
                        n += 1;
                    }
                }
                out.push(f64::from(sum) / f64::from(n));
            }
        }
    }
    out
}

/// [`box_mean`], rounded to 8 bits.
pub fn box_down(pixels: &[u8], width: usize, height: usize, channels: usize, scale: usize) -> Vec<u8> {
    box_mean(pixels, width, height, channels, scale)
        .into_iter()
        .map(|v| v.round() as u8)
        .collect()
}

/// PSNR in dB of encoded image `b` against encoded image `a` (PNG or JPEG), over RGB.
///
/// # Panics
/// If either does not decode, or their sizes differ.
pub fn psnr_encoded(a: &[u8], b: &[u8]) -> f64 {
    let decode = |bytes: &[u8]| {
        image::load_from_memory(bytes)
            .unwrap_or_else(|e| panic!("decoding an image to compare: {e}"))
            .to_rgb8()
    };
    let (a, b) = (decode(a), decode(b));
    assert_eq!(
        a.dimensions(),
        b.dimensions(),
        "PSNR of images of different sizes"
    );
    psnr(a.as_raw(), b.as_raw())
}

/// Mean SSIM (Wang et al. 2004) of `b` against `a`, both packed RGB of `width` × `height`, on BT.601
/// luma over 8×8 windows every 4 pixels, with the usual constants (K1 0.01, K2 0.03): 1 for identical
/// images, lower as structure is lost. Codecs are compared by the bytes they need to reach one score.
///
/// # Panics
/// If a buffer is not `width` × `height` × 3 bytes, or the image is smaller than one window.
pub fn ssim_rgb(a: &[u8], b: &[u8], width: usize, height: usize) -> f64 {
    const WINDOW: usize = 8;
    const STEP: usize = 4;
    assert!(
        a.len() == width * height * 3 && b.len() == a.len(),
        "SSIM of buffers of another size"
    );
    assert!(
        width >= WINDOW && height >= WINDOW,
        "SSIM needs at least one {WINDOW}x{WINDOW} window"
    );
    let luma = |rgb: &[u8]| -> Vec<f64> {
        rgb.chunks_exact(3)
            .map(|p| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
            .collect()
    };
    let (x, y) = (luma(a), luma(b));
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let n = (WINDOW * WINDOW) as f64;
    let (mut total, mut windows) = (0.0, 0usize);
    for top in (0..=height - WINDOW).step_by(STEP) {
        for left in (0..=width - WINDOW).step_by(STEP) {
            let (mut sx, mut sy, mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for row in top..top + WINDOW {
                for i in row * width + left..row * width + left + WINDOW {
                    let (p, q) = (x[i], y[i]);
                    sx += p;
                    sy += q;
                    sxx += p * p;
                    syy += q * q;
                    sxy += p * q;
                }
            }
            let (mx, my) = (sx / n, sy / n);
            let (vx, vy, cov) = (sxx / n - mx * mx, syy / n - my * my, sxy / n - mx * my);
            total += ((2.0 * mx * my + c1) * (2.0 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
            windows += 1;
        }
    }
    total / windows as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssim_is_one_for_the_same_image_and_falls_with_noise() {
        let (w, h) = (32, 24);
        let a: Vec<u8> = (0..w * h * 3).map(|i| ((i * 37) % 251) as u8).collect();
        assert!((ssim_rgb(&a, &a, w, h) - 1.0).abs() < 1e-12);
        let noisy = |amp: usize| -> Vec<u8> {
            a.iter()
                .enumerate()
                .map(|(i, &v)| v.saturating_add(((i * 7919) % (amp + 1)) as u8))
                .collect()
        };
        let (slight, heavy) = (ssim_rgb(&a, &noisy(4), w, h), ssim_rgb(&a, &noisy(60), w, h));
        assert!(1.0 > slight && slight > heavy, "{slight} {heavy}");
    }

    #[test]
    fn psnr_falls_with_the_error() {
        let a = [100u8; 64];
        let mut b = a;
        b[0] = 110;
        let one = psnr(&a, &b);
        b[1] = 110;
        assert!(psnr(&a, &b) < one);
        assert!(psnr(&a, &a) > 90.0);
        // 10 levels on one sample of 64: MSE 100/64.
        assert!((one - 10.0 * (255.0f64 * 255.0 / (100.0 / 64.0)).log10()).abs() < 1e-9);
    }
}
