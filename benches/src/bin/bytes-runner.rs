//! The imgkit side of the bytes-versus-score benchmark (`benches/compare/bytes.py`, run by
//! `BYTES=1 IMAGES=DIR bash benches/compare/run.sh`): encodes a thumbnail with imgkit's encoders and
//! the JPEG candidates it was chosen from, and scores decoded images by SSIMULACRA2.
//!
//! ```text
//! bytes-runner encode PNG ENCODER QUALITY ITERS OUT
//!     encodes the pixels of PNG ITERS times with ENCODER at QUALITY and prints one JSON line with the
//!     median encoding milliseconds and the bytes; writes the last encoding to OUT. ENCODER is
//!     imgkit-jpeg, imgkit-webp or imgkit-avif (imgkit's own output, through `Processor` at the PNG's
//!     size, so the time is `Timings::encode`), or a JPEG candidate: jpeg-encoder (imgkit's encoder
//!     until December 2026, baseline), mozjpeg-trellis (mozjpeg-rs, progressive with trellis
//!     quantisation) or mozjpeg-max (mozjpeg-rs's smallest, C mozjpeg's defaults: what sharp's
//!     `mozjpeg: true` runs).
//! bytes-runner score REFERENCE IMAGE...
//!     prints, per IMAGE (PNG, JPEG or WebP of REFERENCE's size), its SSIMULACRA2 score against
//!     REFERENCE: 100 is identical, 90 visually lossless, 70 high quality, 50 medium.
//! ```

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use imgkit::{Limits, OutputFormat, Processor, Spec};
use ssimulacra2::{compute_frame_ssimulacra2, ColorPrimaries, Rgb, TransferCharacteristic};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["encode", png, encoder, quality, iters, out] => encode(
            Path::new(png),
            encoder,
            quality.parse().context("QUALITY")?,
            iters.parse().context("ITERS")?,
            Path::new(out),
        ),
        ["score", reference, images @ ..] => {
            let reference = read_rgb(Path::new(reference))?;
            for image in images {
                println!("{image}\t{:.3}", score(&reference, &read_rgb(Path::new(image))?)?);
            }
            Ok(())
        }
        _ => bail!("usage: bytes-runner encode PNG ENCODER QUALITY ITERS OUT | bytes-runner score REFERENCE IMAGE..."),
    }
}

fn read_rgb(path: &Path) -> Result<image::RgbImage> {
    Ok(image::open(path)
        .with_context(|| format!("decoding {}", path.display()))?
        .to_rgb8())
}

fn encode(png: &Path, encoder: &str, quality: u8, iters: usize, out: &Path) -> Result<()> {
    let bytes = std::fs::read(png).with_context(|| format!("reading {}", png.display()))?;
    let rgb = image::load_from_memory(&bytes)?.to_rgb8();
    let (w, h) = rgb.dimensions();
    let mut processor = Processor::new(Limits::default());
    let mut once = || -> Result<(Vec<u8>, f64)> {
        let imgkit = |format: OutputFormat, processor: &mut Processor| -> Result<(Vec<u8>, f64)> {
            let output = processor.process(&bytes, &Spec::new().with_size(w, h).with_format(format))?;
            Ok((output.bytes, output.timings.encode.as_secs_f64() * 1e3))
        };
        let timed = |f: &dyn Fn() -> Result<Vec<u8>>| -> Result<(Vec<u8>, f64)> {
            let start = Instant::now();
            let out = f()?;
            Ok((out, start.elapsed().as_secs_f64() * 1e3))
        };
        let moz = |preset: mozjpeg_rs::Preset| -> Result<Vec<u8>> {
            Ok(mozjpeg_rs::Encoder::new(preset)
                .quality(quality)
                .subsampling(mozjpeg_rs::Subsampling::S420)
                .encode_rgb(rgb.as_raw(), w, h)?)
        };
        match encoder {
            "imgkit-jpeg" => imgkit(OutputFormat::Jpeg { quality }, &mut processor),
            "imgkit-webp" => imgkit(OutputFormat::WebP { quality }, &mut processor),
            "imgkit-avif" => imgkit(
                OutputFormat::Avif {
                    quality,
                    speed: imgkit::DEFAULT_AVIF_SPEED,
                },
                &mut processor,
            ),
            "jpeg-encoder" => timed(&|| {
                let mut out = Vec::new();
                let mut e = jpeg_encoder::Encoder::new(&mut out, quality);
                e.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
                e.encode(rgb.as_raw(), w as u16, h as u16, jpeg_encoder::ColorType::Rgb)?;
                Ok(out)
            }),
            "mozjpeg-trellis" => timed(&|| moz(mozjpeg_rs::Preset::ProgressiveBalanced)),
            "mozjpeg-max" => timed(&|| moz(mozjpeg_rs::Preset::ProgressiveSmallest)),
            other => bail!("unknown encoder {other:?}"),
        }
    };
    let mut times = Vec::new();
    let mut last = Vec::new();
    for _ in 0..iters.max(1) {
        let (out, ms) = once()?;
        times.push(ms);
        last = out;
    }
    times.sort_by(f64::total_cmp);
    std::fs::write(out, &last).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "{{\"encoder\":\"{encoder}\",\"quality\":{quality},\"bytes\":{},\"encode_ms\":{:.3}}}",
        last.len(),
        times[times.len() / 2]
    );
    Ok(())
}

/// SSIMULACRA2 of `image` against `reference` (both sRGB).
fn score(reference: &image::RgbImage, image: &image::RgbImage) -> Result<f64> {
    ensure!(
        reference.dimensions() == image.dimensions(),
        "sizes differ: {:?} and {:?}",
        reference.dimensions(),
        image.dimensions()
    );
    let frame = |im: &image::RgbImage| -> Result<Rgb> {
        let data = im.pixels().map(|p| p.0.map(|v| f32::from(v) / 255.0)).collect();
        Ok(Rgb::new(
            data,
            im.width() as usize,
            im.height() as usize,
            TransferCharacteristic::SRGB,
            ColorPrimaries::BT709,
        )?)
    };
    Ok(compute_frame_ssimulacra2(frame(reference)?, frame(image)?)?)
}
