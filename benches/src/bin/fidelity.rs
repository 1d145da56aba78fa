//! Fidelity of shrink-on-load, measured: for every JPEG in a folder, every thumbnail width asked for and
//! every DCT scale the decode could use, the PSNR of the thumbnail made from the scaled decode against the
//! exact one (full-size decode, Lanczos3), beside the residual shrink factor left to the resize after the
//! scaled decode. The rule `Processor` uses to pick a scale is derived from this table (README,
//! "Shrink-on-load").
//!
//! ```text
//! cargo run --release -p imgkit-benches --bin fidelity -- DIR [WIDTH,...]
//! ```
//! Prints one TSV row per (photo, width, scale): `photo width scale residual psnr_db`, then per scale the
//! smallest residual factor at which every photo stayed at or above 38 dB, then what the default rule
//! (`ShrinkOnLoad::Measured`) chose for every photo and width, and the PSNR it got.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use imgkit::{Limits, OutputFormat, Processor, Spec};
use imgkit_testkit::psnr_encoded;

const WIDTHS: [u32; 7] = [200, 320, 400, 640, 800, 1024, 1600];
const FLOOR_DB: f64 = 38.0;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        bail!("usage: fidelity DIR [WIDTH,...]");
    };
    let widths: Vec<u32> = match args.get(1) {
        Some(list) => list.split(',').map(str::parse).collect::<Result<_, _>>()?,
        None => WIDTHS.to_vec(),
    };
    let mut photos: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {dir}"))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg"))
        })
        .collect();
    photos.sort();
    let limits = Limits::default();
    let mut render = Processor::new(limits);
    let mut default = Processor::new(limits);
    // (photo, width, the size the default rule resized from, its PSNR).
    let mut chosen: Vec<(String, u32, (u32, u32), f64)> = Vec::new();
    // (scale, residual, psnr) over every photo and width.
    let mut points: Vec<(u32, f64, f64)> = Vec::new();
    println!("photo\twidth\tscale\tresidual\tpsnr_db");
    for path in &photos {
        let bytes = std::fs::read(path)?;
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let info = imgkit::probe(&bytes, &limits)?.into_info();
        let (display_w, _) = info.display_size();
        // The exact path: the whole image decoded at full size (chroma upsampled, RGB), then resized.
        let full = imgkit::decode(&bytes, &limits)?;
        let decodes: Vec<(u32, imgkit::Decoded)> = [2u32, 4, 8]
            .into_iter()
            .map(|s| Ok((s, imgkit::decode_scaled(&bytes, &limits, s)?)))
            .collect::<Result<_>>()?;
        for &width in &widths {
            let spec = Spec::new().with_width(width).with_format(OutputFormat::Png);
            let reference = render.render(&full, &spec)?;
            let ours = default.process(&bytes, &spec)?;
            chosen.push((
                name.clone(),
                width,
                ours.resized_from,
                psnr_encoded(&ours.bytes, &reference.bytes),
            ));
            for (s, decoded) in &decodes {
                let residual = f64::from(display_w) / f64::from(*s) / f64::from(width);
                if residual < 1.0 {
                    continue;
                }
                let out = render.render(decoded, &spec)?;
                let db = psnr_encoded(&out.bytes, &reference.bytes);
                println!("{name}\t{width}\t{s}\t{residual:.3}\t{db:.2}");
                points.push((*s, residual, db));
            }
        }
    }
    println!();
    println!("scale\tsmallest residual with every photo >= {FLOOR_DB} dB at or above it\tworst dB above it");
    for s in [2u32, 4, 8] {
        let mut at: Vec<(f64, f64)> = points.iter().filter(|p| p.0 == s).map(|p| (p.1, p.2)).collect();
        at.sort_by(|a, b| a.0.total_cmp(&b.0));
        // The smallest residual r such that every point with residual >= r is at or above the floor.
        let threshold = (0..at.len())
            .find(|&i| at[i..].iter().all(|p| p.1 >= FLOOR_DB))
            .map(|i| (at[i].0, at[i..].iter().map(|p| p.1).fold(f64::INFINITY, f64::min)));
        match threshold {
            Some((r, worst)) => println!("1/{s}\t{r:.3}\t{worst:.2}"),
            None => println!("1/{s}\tnone"),
        }
    }
    println!();
    println!("photo\twidth\tdefault rule resized from\tpsnr_db");
    for (name, width, from, db) in &chosen {
        println!("{name}\t{width}\t{}x{}\t{db:.2}", from.0, from.1);
    }
    let worst = chosen.iter().map(|c| c.3).fold(f64::INFINITY, f64::min);
    println!(
        "default rule: worst {worst:.2} dB over {} thumbnails",
        chosen.len()
    );
    Ok(())
}
