//! Time and fidelity of key-frame settings on a pan across a photo: `cargo run --release --example
//! keyframes -p imgkit-webp-anim -- PHOTO.jpg` (measurement for the choice of the default).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Instant;

use imgkit_webp_anim::{Encoder, Options};

fn main() {
    let path = std::env::args().nth(1).expect("a photo");
    let photo = image::open(path).unwrap().to_rgba8();
    let (w, h, n) = (200u32, 150u32, 100u32);
    // Frames: a window panning across the photo (across a tenth of it with SLOW=1), scaled to 200x150.
    let span = if std::env::var_os("SLOW").is_some() { 10 } else { 1 };
    let frames: Vec<Vec<u8>> = (0..n)
        .map(|t| {
            let cw = photo.width() / 2;
            let ch = cw * 3 / 4;
            let x = (photo.width() - cw) * t / n / span;
            let crop = image::imageops::crop_imm(&photo, x, (photo.height() - ch) / 2, cw, ch).to_image();
            image::imageops::resize(&crop, w, h, image::imageops::FilterType::Triangle).into_raw()
        })
        .collect();
    for key in [(0, 0), (3, 5), (4, 5), (9, 17)] {
        let start = Instant::now();
        let mut encoder = Encoder::new(w, h, Options::new(82).with_key_frames(key.0, key.1)).unwrap();
        for f in &frames {
            encoder.add_rgba(f, 80).unwrap();
        }
        let webp = encoder.finish().unwrap();
        let ms = start.elapsed().as_secs_f64() * 1e3;
        let mut decoder = image_webp::WebPDecoder::new(std::io::Cursor::new(&webp)).unwrap();
        let ch = if decoder.has_alpha() { 4 } else { 3 };
        let (mut t, mut scores) = (0u32, Vec::new());
        for _ in 0..decoder.num_frames() {
            let mut buf = vec![0; (w * h * ch) as usize];
            let d = decoder.read_frame(&mut buf).unwrap();
            let want = &frames[(t / 80) as usize];
            let mse: f64 = want
                .chunks(4)
                .zip(buf.chunks(ch as usize))
                .map(|(p, q)| {
                    (0..3)
                        .map(|c| (f64::from(p[c]) - f64::from(q[c])).powi(2))
                        .sum::<f64>()
                })
                .sum::<f64>()
                / f64::from(w * h * 3);
            scores.push(10.0 * (255.0f64.powi(2) / mse.max(1e-9)).log10());
            t += d;
        }
        let mean = scores.iter().sum::<f64>() / scores.len() as f64;
        let worst = scores.iter().copied().fold(f64::INFINITY, f64::min);
        println!(
            "kmin {} kmax {}: {ms:.0} ms, {} bytes, {} frames, PSNR mean {mean:.2} worst {worst:.2}",
            key.0,
            key.1,
            webp.len(),
            scores.len()
        );
    }
}
