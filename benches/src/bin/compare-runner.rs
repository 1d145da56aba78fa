//! The imgkit side of the side-by-side comparison in `benches/compare/` (run it with
//! `bash benches/compare/run.sh`, which also runs sharp, pyvips and Pillow on the same jobs).
//!
//! ```text
//! compare-runner gen DIR
//!     writes the deterministic photo-like inputs: DIR/jpeg-12mp.jpg (4032x3024, q90 4:2:0),
//!     DIR/jpeg-3mp.jpg (2048x1536), DIR/jpeg-12mp-progressive.jpg (the 12 MP one, progressive) and
//!     DIR/png-14mp.png (4608x3072 RGB, default compression).
//! compare-runner exact WIDTH HEIGHT INPUT OUT
//!     writes the exact WIDTHxHEIGHT rendition of INPUT (full-size decode, Lanczos3, the whole image:
//!     the fidelity reference for a tool's output of that size) to OUT as PNG.
//! compare-runner psnr A B
//!     prints the PSNR in dB of image B against image A (same size; RGB).
//! compare-runner run SPECS INPUT ITERS WARMUP OUT_PREFIX
//!     SPECS is a comma-separated list of renditions, each WIDTH:jpeg:QUALITY or WIDTH:png
//!     (aspect ratio kept, Lanczos3). Runs WARMUP untimed and ITERS timed iterations in this
//!     process, on one thread, and prints one JSON line with the median and minimum milliseconds,
//!     the outputs and the peak RSS (VmHWM, plus its largest child's: the decoding sandbox for HEIC
//!     and AVIF). The outputs of the last iteration are
//!     written to OUT_PREFIX-WIDTH.EXT unless OUT_PREFIX is "-".
//! ```
//!
//! The peers' workers (`benches/compare/sharp_worker.js`, `benches/compare/py_worker.py`) take the
//! same arguments and print the same JSON.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use imgkit::{Fit, Limits, OutputFormat, Processor, Spec};

fn main() -> Result<()> {
    // HEIC and AVIF inputs decode in the sandbox's child: this program.
    imgkit::serve_sandbox_if_child();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["gen", dir] => generate(Path::new(dir)),
        ["exact", width, height, input, out] => exact(
            (width.parse().context("WIDTH")?, height.parse().context("HEIGHT")?),
            Path::new(input),
            Path::new(out),
        ),
        ["psnr", a, b] => {
            println!("{:.3}", psnr(Path::new(a), Path::new(b))?);
            Ok(())
        }
        ["run", specs, input, iters, warmup, out_prefix] => run(
            specs,
            Path::new(input),
            iters.parse().context("ITERS")?,
            warmup.parse().context("WARMUP")?,
            out_prefix,
        ),
        _ => bail!("usage: compare-runner gen DIR | compare-runner run SPECS INPUT ITERS WARMUP OUT_PREFIX"),
    }
}

fn generate(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, w, h) in [("jpeg-12mp.jpg", 4032, 3024), ("jpeg-3mp.jpg", 2048, 1536)] {
        write(&dir.join(name), &imgkit_testkit::encode::photo_jpeg(w, h, 90))?;
    }
    write(
        &dir.join("jpeg-12mp-progressive.jpg"),
        &imgkit_testkit::encode::photo_jpeg_progressive(4032, 3024, 90),
    )?;
    write(
        &dir.join("png-14mp.png"),
        &imgkit_testkit::encode::photo_png(4608, 3072),
    )
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("wrote {} ({} bytes)", path.display(), bytes.len());
    Ok(())
}

fn parse_spec(text: &str) -> Result<Spec> {
    let parts: Vec<&str> = text.split(':').collect();
    let width: u32 = parts
        .first()
        .context("empty spec")?
        .parse()
        .with_context(|| format!("width in {text:?}"))?;
    let format = match parts.get(1..).unwrap_or_default() {
        ["jpeg", quality] => OutputFormat::Jpeg {
            quality: quality.parse().with_context(|| format!("quality in {text:?}"))?,
        },
        ["png"] => OutputFormat::Png,
        _ => bail!("spec {text:?} is not WIDTH:jpeg:QUALITY or WIDTH:png"),
    };
    Ok(Spec::new().with_width(width).with_format(format))
}

/// The fidelity reference: the whole image, full-size decode (chroma upsampled, RGB), Lanczos3, at
/// exactly `size` (tools round the free side differently, so each is compared with the exact rendition
/// of its own size). Decoded whole, then rendered, so no shortcut of the pipeline's is in it.
fn exact(size: (u32, u32), input: &Path, out: &Path) -> Result<()> {
    let bytes = std::fs::read(input).with_context(|| format!("reading {}", input.display()))?;
    let spec = Spec::new()
        .with_size(size.0, size.1)
        .with_fit(Fit::Fill)
        .with_format(OutputFormat::Png);
    let decoded = imgkit::decode(&bytes, &Limits::default())?;
    let rendition = Processor::new(Limits::default()).render(&decoded, &spec)?;
    std::fs::write(out, &rendition.bytes).with_context(|| format!("writing {}", out.display()))
}

/// PSNR of `b` against `a`, over RGB.
fn psnr(a: &Path, b: &Path) -> Result<f64> {
    let read = |p: &Path| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
    Ok(imgkit_testkit::psnr_encoded(&read(a)?, &read(b)?))
}

fn run(specs: &str, input: &Path, iters: usize, warmup: usize, out_prefix: &str) -> Result<()> {
    let specs = specs.split(',').map(parse_spec).collect::<Result<Vec<_>>>()?;
    let bytes = std::fs::read(input).with_context(|| format!("reading {}", input.display()))?;
    let mut processor = Processor::new(Limits::default());
    let job = |processor: &mut Processor| -> Result<Vec<imgkit::Output>> {
        Ok(if let [spec] = specs.as_slice() {
            vec![processor.process(&bytes, spec)?]
        } else {
            processor.process_many(&bytes, &specs)?
        })
    };
    for _ in 0..warmup {
        job(&mut processor)?;
    }
    let mut times = Vec::new();
    let mut outputs = Vec::new();
    for _ in 0..iters.max(1) {
        let start = Instant::now();
        outputs = job(&mut processor)?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let mut outs_json = Vec::new();
    for out in &outputs {
        outs_json.push(format!(
            "{{\"w\":{},\"h\":{},\"bytes\":{}}}",
            out.width,
            out.height,
            out.bytes.len()
        ));
        if out_prefix != "-" {
            let ext = if out.format == imgkit::Format::Png {
                "png"
            } else {
                "jpg"
            };
            std::fs::write(format!("{out_prefix}-{}.{ext}", out.width), &out.bytes)?;
        }
    }
    let info = imgkit::probe(&bytes, &Limits::default())?.into_info();
    times.sort_by(f64::total_cmp);
    let n = times.len();
    let median = (times[(n - 1) / 2] + times[n / 2]) / 2.0;
    println!(
        "{{\"tool\":\"imgkit\",\"version\":\"{}\",\"input\":{{\"w\":{},\"h\":{}}},\"iters\":{n},\"median_ms\":{median:.3},\"min_ms\":{:.3},\"outputs\":[{}],\"vmhwm_kb\":{}}}",
        env!("CARGO_PKG_VERSION"),
        info.width,
        info.height,
        times[0],
        outs_json.join(","),
        // Plus the largest sandbox child's (HEIC, AVIF): both are alive while the parent waits for the
        // pixels, so the sum bounds what the job holds at once.
        imgkit_testkit::memory::peak_rss_kib(None).unwrap_or(0) + children_peak_rss_kib()
    );
    Ok(())
}

/// The largest peak RSS of this process's finished children (the decoding sandbox's), in KiB.
fn children_peak_rss_kib() -> u64 {
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .map_or(0, |usage| u64::try_from(usage.max_rss()).unwrap_or(0))
}
