//! Picture quality: PSNR, the fidelity measure every test, benchmark and comparison reports.

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

#[cfg(test)]
mod tests {
    use super::*;

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
