//! AVIF against WebP and JPEG at equal visual quality, and AVIF's encoding time per speed: for every
//! JPEG in a folder, the exact thumbnail (full decode, Lanczos3) is encoded by imgkit at a range of
//! qualities in each format; each result is decoded again and scored by SSIM against the thumbnail, and
//! the bytes each format needs to reach a score are interpolated from those points. AVIF is scored at
//! speeds 10, 9, 8 and 6.
//!
//! ```text
//! PYTHON=benches/compare/.peers/venv/bin/python \
//!     cargo run --release -p imgkit-benches --bin avif-tradeoff -- DIR [WIDTH]
//! ```
//! AVIF files are decoded by Pillow (libavif with dav1d, an independent decoder) run by `$PYTHON`
//! (default `python3`, through `imgkit_testkit::pillow`); `benches/compare/run.sh` installs a Pillow
//! that reads AVIF.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use imgkit::{
    Limits, OutputFormat, Processor, Spec, DEFAULT_AVIF_QUALITY, DEFAULT_QUALITY, DEFAULT_WEBP_QUALITY,
};
use imgkit_testkit::{pillow, ssim_rgb};

/// The scores compared at: a visible loss, a slight one, and one most viewers cannot see.
const TARGETS: [f64; 3] = [0.95, 0.97, 0.98];
const QUALITIES: [u8; 12] = [20, 30, 40, 50, 55, 60, 65, 70, 75, 80, 85, 90];
const SPEEDS: [u8; 5] = [4, 6, 8, 9, 10];
/// The AVIF speeds scored for bytes at equal SSIM, with their names in the table.
const SCORED: [(u8, &str); 4] = [(10, "avif10"), (9, "avif9"), (8, "avif8"), (6, "avif6")];

/// One encoding of the thumbnail: its format's name, quality, bytes and score.
struct Point {
    format: &'static str,
    quality: u8,
    bytes: usize,
    ssim: f64,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        bail!("usage: avif-tradeoff DIR [WIDTH]");
    };
    let width: u32 = args.get(1).map_or(Ok(400), |w| w.parse())?;
    let python = PathBuf::from(std::env::var("PYTHON").unwrap_or_else(|_| "python3".into()));
    let out_dir = std::env::temp_dir().join(format!("imgkit-avif-tradeoff-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir)?;
    let mut photos: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {dir}"))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("jpg")))
        .collect();
    photos.sort();
    ensure!(!photos.is_empty(), "no .jpg in {dir}");

    println!("# bytes to reach an SSIM, thumbnails {width} px wide (interpolated between qualities)");
    let mut header = String::from("photo\tssim\tjpeg_bytes\twebp_bytes");
    for (_, avif) in SCORED {
        header += &format!("\t{avif}_bytes\t{avif}/jpeg\t{avif}/webp");
    }
    println!("{header}");
    let mut speed_rows = Vec::new();
    let mut matches = Vec::new();
    for photo in &photos {
        let name = photo
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("photo")
            .to_string();
        let bytes = std::fs::read(photo)?;
        let exact = Processor::new(Limits::default()).shrink_on_load(None).process(
            &bytes,
            &Spec::new().with_width(width).with_format(OutputFormat::Png),
        )?;
        let reference = image::load_from_memory(&exact.bytes)?.to_rgb8();
        let (w, h) = (reference.width() as usize, reference.height() as usize);
        let encode = |format: OutputFormat| -> Result<(Vec<u8>, Duration)> {
            let out = Processor::new(Limits::default())
                .process(&exact.bytes, &Spec::new().with_width(width).with_format(format))?;
            ensure!((out.width, out.height) == (w as u32, h as u32), "size changed");
            Ok((out.bytes, out.timings.encode))
        };

        let mut points = Vec::new();
        let mut avif_files = Vec::new();
        for &quality in &QUALITIES {
            let avifs = SCORED.map(|(speed, name)| (name, OutputFormat::Avif { quality, speed }));
            for (format, output) in [
                ("jpeg", OutputFormat::Jpeg { quality }),
                ("webp", OutputFormat::WebP { quality }),
            ]
            .into_iter()
            .chain(avifs)
            {
                let (encoded, _) = encode(output)?;
                let ssim = if matches!(output, OutputFormat::Avif { .. }) {
                    let path = out_dir.join(format!("{name}-{format}-{quality}.avif"));
                    std::fs::write(&path, &encoded)?;
                    avif_files.push((path, points.len()));
                    f64::NAN // scored below, once Pillow has decoded them all
                } else {
                    let decoded = image::load_from_memory(&encoded)?.to_rgb8();
                    ssim_rgb(reference.as_raw(), decoded.as_raw(), w, h)
                };
                points.push(Point {
                    format,
                    quality,
                    bytes: encoded.len(),
                    ssim,
                });
            }
        }
        let paths: Vec<PathBuf> = avif_files.iter().map(|(p, _)| p.clone()).collect();
        for ((path, at), decoded) in avif_files.iter().zip(pillow::decode_rgb(&python, &paths)) {
            ensure!(
                (decoded.width() as usize, decoded.height() as usize) == (w, h),
                "{}: Pillow read another size",
                path.display()
            );
            points[*at].ssim = ssim_rgb(reference.as_raw(), decoded.as_raw(), w, h);
        }
        for target in TARGETS {
            let at = |format| bytes_at(&points, format, target);
            let show = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.0}"));
            let ratio = |a: Option<f64>, b: Option<f64>| {
                a.zip(b).map_or("-".into(), |(a, b)| format!("{:.2}", a / b))
            };
            let (jpeg, webp) = (at("jpeg"), at("webp"));
            let mut row = format!("{name}\t{target}\t{}\t{}", show(jpeg), show(webp));
            for (_, avif) in SCORED {
                let bytes = at(avif);
                row += &format!(
                    "\t{}\t{}\t{}",
                    show(bytes),
                    ratio(bytes, jpeg),
                    ratio(bytes, webp)
                );
            }
            println!("{row}");
        }
        // Which AVIF quality scores like the default WebP and JPEG.
        let score = |format: &str, quality: u8| {
            points
                .iter()
                .find(|p| p.format == format && p.quality == quality)
                .map(|p| p.ssim)
        };
        let nearest = |format: &str, q: u8| {
            let measured = QUALITIES.iter().min_by_key(|&&x| x.abs_diff(q)).copied()?;
            score(format, measured)
        };
        matches.push((
            name.clone(),
            nearest("webp", DEFAULT_WEBP_QUALITY),
            nearest("jpeg", DEFAULT_QUALITY),
            score(SCORED[0].1, DEFAULT_AVIF_QUALITY),
        ));

        for speed in SPEEDS {
            let mut best = Duration::MAX;
            let mut size = 0;
            for _ in 0..3 {
                let (encoded, took) = encode(OutputFormat::Avif {
                    quality: DEFAULT_AVIF_QUALITY,
                    speed,
                })?;
                best = best.min(took);
                size = encoded.len();
            }
            speed_rows.push(format!(
                "{name}\t{w}x{h}\t{speed}\t{:.1}\t{size}",
                best.as_secs_f64() * 1e3
            ));
        }
    }
    println!("\n# SSIM at the defaults (JPEG and WebP at the nearest measured qualities to {DEFAULT_QUALITY} and {DEFAULT_WEBP_QUALITY})");
    println!("photo\twebp\tjpeg\tavif:{DEFAULT_AVIF_QUALITY}");
    let show = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.4}"));
    for (name, webp, jpeg, avif) in matches {
        println!("{name}\t{}\t{}\t{}", show(webp), show(jpeg), show(avif));
    }
    println!("\n# AVIF encoding at quality {DEFAULT_AVIF_QUALITY}, one thread, best of 3");
    println!("photo\tsize\tspeed\tms\tbytes");
    for row in speed_rows {
        println!("{row}");
    }
    std::fs::remove_dir_all(&out_dir).ok();
    Ok(())
}

/// The bytes `format` needs to reach `target`, interpolated linearly between the two measured points
/// around it; `None` when no quality reached it, or every one did.
fn bytes_at(points: &[Point], format: &str, target: f64) -> Option<f64> {
    let mut curve: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.format == format && p.ssim.is_finite())
        .map(|p| (p.ssim, p.bytes as f64))
        .collect();
    curve.sort_by(|a, b| a.0.total_cmp(&b.0));
    curve.windows(2).find_map(|pair| {
        let ((s0, b0), (s1, b1)) = (pair[0], pair[1]);
        (s0 <= target && target <= s1 && s1 > s0).then(|| b0 + (b1 - b0) * (target - s0) / (s1 - s0))
    })
}
