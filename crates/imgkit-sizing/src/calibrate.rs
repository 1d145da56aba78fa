//! Calibration: the real pipeline (`Processor::process_many` with the workload's renditions) timed and
//! measured on generated photo-like images, or on the user's own sample uploads, each in a fresh child
//! process, so the peak memory is the whole process's high-water mark (`VmHWM`) and not an estimate;
//! plus, for HEIC and AVIF, the peak of the decoding sandbox's child, which holds its own memory beside it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use imgkit::{Limits, Processor, Rendition, Spec};

/// First word of the child's report line.
const REPORT_TAG: &str = "imgkit-calibration";

/// Makes the command of one calibration child: it must run [`calibrate_one`] on the file with the
/// renditions and iterations given, and print the line it returns.
pub type ChildCommand<'a> = dyn Fn(&Path, &[String], u32) -> Command + 'a;

/// Input format generated for calibration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SampleFormat {
    /// Baseline JPEG, 4:2:0, quality 90.
    Jpeg,
    /// 8-bit RGB PNG.
    Png,
    /// Lossy WebP, quality 90.
    Webp,
    /// HEIC (decoded in the sandbox child): calibrated only on samples, no encoder is linked.
    Heic,
    /// AVIF (decoded in the sandbox child): calibrated only on samples.
    Avif,
}

impl SampleFormat {
    /// `jpeg`, `png`, `webp`, `heic` or `avif`.
    pub fn name(self) -> &'static str {
        self.format().name()
    }

    /// The input format it is.
    pub fn format(self) -> imgkit::Format {
        match self {
            SampleFormat::Jpeg => imgkit::Format::Jpeg,
            SampleFormat::Png => imgkit::Format::Png,
            SampleFormat::Webp => imgkit::Format::WebP,
            SampleFormat::Heic => imgkit::Format::Heic,
            SampleFormat::Avif => imgkit::Format::Avif,
        }
    }

    /// Whether calibration can generate images of it (it needs samples otherwise).
    pub fn generated(self) -> bool {
        !matches!(self, SampleFormat::Heic | SampleFormat::Avif)
    }
}

impl FromStr for SampleFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<SampleFormat, String> {
        match s.to_ascii_lowercase().as_str() {
            "jpeg" | "jpg" => Ok(SampleFormat::Jpeg),
            "png" => Ok(SampleFormat::Png),
            "webp" => Ok(SampleFormat::Webp),
            "heic" => Ok(SampleFormat::Heic),
            "avif" => Ok(SampleFormat::Avif),
            _ => Err(format!("must be jpeg, png, webp, heic or avif, got {s:?}")),
        }
    }
}

impl std::fmt::Display for SampleFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A straight line fitted by least squares.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Line {
    /// Value at x = 0.
    pub intercept: f64,
    /// Change per unit of x.
    pub slope: f64,
}

impl Line {
    /// Least-squares fit; a flat line through the mean when all x are equal.
    pub fn fit(points: &[(f64, f64)]) -> Line {
        let n = points.len().max(1) as f64;
        let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
        let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
        let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
        let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
        let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
        Line {
            intercept: mean_y - slope * mean_x,
            slope,
        }
    }

    /// The line's value at `x`.
    pub fn at(&self, x: f64) -> f64 {
        self.intercept + self.slope * x
    }
}

/// One calibration size, measured in its own process.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Point {
    /// Image width.
    pub width: u32,
    /// Image height.
    pub height: u32,
    /// Size of the encoded input.
    pub input_bytes: u64,
    /// Median wall time per image, ms.
    #[serde(rename = "ms_per_image")]
    pub ms: f64,
    /// Process high-water mark before the input was read, MB.
    pub baseline_mb: f64,
    /// High-water mark above the baseline over all runs, plus the largest sandbox child's (HEIC and
    /// AVIF are decoded there, beside the process's own memory), MB.
    #[serde(rename = "peak_mb_per_image")]
    pub peak_mb: f64,
    /// Of which the largest sandbox child's high-water mark, MB (0 for formats decoded in-process).
    pub child_peak_mb: f64,
}

impl Point {
    /// Width × height, in millions.
    pub fn megapixels(&self) -> f64 {
        f64::from(self.width) * f64::from(self.height) / 1e6
    }
}

/// Width and height of an image of `megapixels` at `aspect` (W/H), both even and at least 2.
pub fn dimensions(megapixels: f64, aspect: f64) -> (u32, u32) {
    let height = (megapixels * 1e6 / aspect).sqrt();
    let even = |v: f64| ((v / 2.0).floor() as u32 * 2).max(2);
    (even(height * aspect), even(height))
}

/// `W:H` as the ratio W/H, between 1:10 and 10:1.
pub fn parse_aspect(s: &str) -> Result<f64> {
    let (w, h) = s
        .split_once(':')
        .with_context(|| format!("--aspect must look like 4:3, got {s:?}"))?;
    let w: f64 = w.trim().parse().with_context(|| format!("--aspect {s:?}"))?;
    let h: f64 = h.trim().parse().with_context(|| format!("--aspect {s:?}"))?;
    let ratio = w / h;
    ensure!(
        ratio.is_finite() && (0.1..=10.0).contains(&ratio),
        "--aspect must be between 1:10 and 10:1, got {s:?}"
    );
    Ok(ratio)
}

/// `[NAME=]SPEC` strings to specs (a bare spec gets a generated name). `bg=` inside a spec is not a name.
pub fn parse_renditions(list: &[String]) -> Result<Vec<(String, Spec)>> {
    list.iter()
        .enumerate()
        .map(|(i, s)| match s.split_once('=') {
            Some((name, _)) if !name.contains(',') => {
                let r: Rendition = s.parse().with_context(|| format!("--rendition {s:?}"))?;
                Ok((r.name, r.spec))
            }
            _ => {
                let spec: Spec = s.parse().with_context(|| format!("--rendition {s:?}"))?;
                Ok((format!("r{}", i + 1), spec))
            }
        })
        .collect()
}

/// A generated photo encoded as `format`, as a camera or phone would write it: JPEG 4:2:0 q90, lossy WebP
/// q90, or PNG.
fn sample(format: SampleFormat, width: u32, height: u32) -> Result<Vec<u8>> {
    use crate::photo;
    Ok(match format {
        SampleFormat::Jpeg => photo::photo_jpeg(width, height, 90),
        SampleFormat::Png => photo::photo_png(width, height),
        SampleFormat::Webp => photo::photo_webp(width, height, 90.0),
        SampleFormat::Heic | SampleFormat::Avif => anyhow::bail!(
            "no {format} encoder is linked to generate calibration images: give --samples DIR with {format} uploads"
        ),
    })
}

/// Writes a sample of `format` at `width` × `height` into `dir` and measures it in a child process; the
/// sample's size instead when it is over `limits.max_input_bytes` (imgkit would reject it).
#[allow(clippy::too_many_arguments)]
pub fn calibrate_point(
    child: &ChildCommand<'_>,
    dir: &Path,
    name: &str,
    format: SampleFormat,
    (width, height): (u32, u32),
    renditions: &[String],
    iterations: u32,
    limits: &Limits,
) -> Result<Result<Point, u64>> {
    let bytes = sample(format, width, height)?;
    if bytes.len() as u64 > limits.max_input_bytes {
        return Ok(Err(bytes.len() as u64));
    }
    let file: PathBuf = dir.join(format!("{name}.{}", format.name()));
    std::fs::write(&file, &bytes).with_context(|| format!("writing {}", file.display()))?;
    calibrate_file(child, &file, (width, height), renditions, iterations).map(Ok)
}

/// The largest sample (in pixels, at most `max_pixels`: the workload's largest input) of `format` among
/// the files under `dir`, with its size: the upload nearest the largest the workload allows. Files
/// imgkit rejects are passed over.
pub fn largest_sample(
    dir: &Path,
    format: SampleFormat,
    max_pixels: u64,
) -> Result<Option<(PathBuf, (u32, u32))>> {
    let limits = Limits::default();
    let mut best: Option<(PathBuf, (u32, u32))> = None;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder).with_context(|| format!("reading {}", folder.display()))?;
        for entry in entries {
            let path = entry
                .with_context(|| format!("reading {}", folder.display()))?
                .path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else { continue };
            let Ok(probed) = imgkit::probe(&bytes, &limits) else {
                continue;
            };
            let info = probed.into_info();
            let pixels = |(w, h): (u32, u32)| u64::from(w) * u64::from(h);
            let here = pixels((info.width, info.height));
            if info.format == format.format()
                && here <= max_pixels
                && best.as_ref().is_none_or(|(_, size)| here > pixels(*size))
            {
                best = Some((path, (info.width, info.height)));
            }
        }
    }
    Ok(best)
}

/// The process's peak resident memory so far, KiB.
fn vm_hwm_kib() -> Result<u64> {
    crate::memory::peak_rss_kib(None).context("calibration reads VmHWM from /proc/self/status (Linux only)")
}

/// Child side: processes `file` `iterations` times with `renditions` in this process and returns the one
/// report line the parent reads ([`measure`]).
pub fn calibrate_one(file: &Path, renditions: &[String], iterations: u32) -> Result<String> {
    let start_kib = vm_hwm_kib()?;
    let specs: Vec<Spec> = parse_renditions(renditions)?
        .into_iter()
        .map(|(_, spec)| spec)
        .collect();
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let mut processor = Processor::new(Limits::default());
    let mut times = Vec::new();
    let mut first_kib = 0;
    for i in 0..iterations.max(1) {
        let t = Instant::now();
        let outputs = processor
            .process_many(&bytes, &specs)
            .with_context(|| format!("processing {}", file.display()))?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        drop(outputs);
        if i == 0 {
            first_kib = vm_hwm_kib()?;
        }
    }
    let end_kib = vm_hwm_kib()?;
    // The largest of the sandbox children this process started and waited for (Linux: KiB).
    let child_kib = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .map_or(0, |usage| usage.max_rss().max(0));
    let ms: Vec<String> = times.iter().map(|t| format!("{t:.3}")).collect();
    Ok(format!(
        "{REPORT_TAG} hwm_start_kib={start_kib} hwm_first_kib={first_kib} hwm_end_kib={end_kib} \
         child_hwm_kib={child_kib} ms={}",
        ms.join(",")
    ))
}

/// `taskset` from util-linux, where installed.
fn which_taskset() -> Option<PathBuf> {
    ["/usr/bin/taskset", "/bin/taskset"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Parent side: measures `file` (a generated calibration image, or a user's sample upload) of `size`
/// pixels in a fresh process, `child`, which must run [`calibrate_one`] on `file` and print its line
/// (for `imgkit sizing`: the binary itself with `--calibrate-one`). It runs
/// pinned to one CPU, as one Lambda vCPU, where `taskset` is installed: jpeg-decoder's progressive decode
/// starts IDCT helper threads that would otherwise borrow a second core and flatter the time; without
/// taskset the figure is a lower bound.
pub fn calibrate_file(
    child: &ChildCommand<'_>,
    file: &Path,
    (width, height): (u32, u32),
    renditions: &[String],
    iterations: u32,
) -> Result<Point> {
    let inner = child(file, renditions, iterations);
    let mut cmd = match which_taskset() {
        Some(taskset) => {
            let mut c = Command::new(taskset);
            c.args(["-c", "0"])
                .arg(inner.get_program())
                .args(inner.get_args());
            c
        }
        None => inner,
    };
    let out = cmd.output().context("running a calibration process")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    ensure!(
        out.status.success(),
        "calibration process failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let report = parse_report(&stdout).with_context(|| format!("calibration report {stdout:?}"))?;
    Ok(Point {
        width,
        height,
        input_bytes: std::fs::metadata(file).map_or(0, |m| m.len()),
        ms: report.ms,
        baseline_mb: report.baseline_mb,
        peak_mb: report.peak_mb + report.child_peak_mb,
        child_peak_mb: report.child_peak_mb,
    })
}

/// What one calibration process reported.
#[derive(Debug, PartialEq)]
struct Report {
    /// Median ms per image.
    ms: f64,
    /// High-water mark before the input was read, MB.
    baseline_mb: f64,
    /// High-water mark above it, MB.
    peak_mb: f64,
    /// The largest sandbox child's high-water mark, MB.
    child_peak_mb: f64,
}

/// The child's report line, parsed.
fn parse_report(text: &str) -> Result<Report> {
    let line = text
        .lines()
        .find(|l| l.starts_with(REPORT_TAG))
        .context("no report line")?;
    let field = |key: &str| -> Result<&str> {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
            .with_context(|| format!("no {key}"))
    };
    let start: f64 = field("hwm_start_kib")?.parse()?;
    let end: f64 = field("hwm_end_kib")?.parse()?;
    let mut ms: Vec<f64> = field("ms")?
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    ensure!(!ms.is_empty(), "no timings");
    ms.sort_by(f64::total_cmp);
    let child: f64 = field("child_hwm_kib")?.parse()?;
    Ok(Report {
        ms: ms[ms.len() / 2],
        baseline_mb: start / 1024.0,
        peak_mb: (end - start).max(0.0) / 1024.0,
        child_peak_mb: child / 1024.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_fit_and_helpers() {
        let l = Line::fit(&[(1.0, 12.0), (2.0, 22.0), (4.0, 42.0)]);
        assert!((l.slope - 10.0).abs() < 1e-9 && (l.intercept - 2.0).abs() < 1e-9);
        assert!((l.at(24.0) - 242.0).abs() < 1e-9);
        let flat = Line::fit(&[(3.0, 5.0), (3.0, 7.0)]);
        assert_eq!((flat.slope, flat.intercept), (0.0, 6.0));

        let (w, h) = dimensions(12.0, 4.0 / 3.0);
        assert_eq!((w, h), (4000, 3000));
        let (w, h) = dimensions(24.0, 4.0 / 3.0);
        assert!(w % 2 == 0 && h % 2 == 0 && f64::from(w * h) <= 24e6 && f64::from(w * h) > 23.9e6);
        assert!((parse_aspect("3:2").unwrap() - 1.5).abs() < 1e-12);
        assert!(parse_aspect("3x2").is_err() && parse_aspect("100:1").is_err());

        let r = parse_renditions(&["a=400w,webp".into(), "800w,jpeg,bg=ffffff".into()]).unwrap();
        assert_eq!(r[0].0, "a");
        assert_eq!(r[1].0, "r2");
        assert_eq!(r[1].1.background(), [255, 255, 255]);
        assert!(parse_renditions(&["nonsense".into()]).is_err());

        let report = parse_report(
            "imgkit-calibration hwm_start_kib=2048 hwm_first_kib=9000 hwm_end_kib=10240 child_hwm_kib=5120 \
             ms=30,10,20\n",
        )
        .unwrap();
        let want = Report {
            ms: 20.0,
            baseline_mb: 2.0,
            peak_mb: 8.0,
            child_peak_mb: 5.0,
        };
        assert_eq!(report, want);
        assert!(parse_report("garbage").is_err());
    }

    /// The corpus's iPhone photos are the largest HEIC there; the JPEGs are not HEIC.
    #[test]
    fn the_largest_sample_of_the_format() {
        let corpus = imgkit_testkit::manifest::corpus_dir();
        let (path, size) = largest_sample(&corpus.join("valid"), SampleFormat::Jpeg, u64::MAX)
            .unwrap()
            .unwrap();
        let want = imgkit_testkit::manifest::rows()
            .into_iter()
            .filter(|r| r.file.starts_with("valid/") && r.expect.as_deref() == Ok("jpeg"))
            .filter_map(|r| r.source.map(|(w, h)| (u64::from(w) * u64::from(h), r.file)))
            .max()
            .unwrap();
        assert_eq!(
            u64::from(size.0) * u64::from(size.1),
            want.0,
            "{}",
            path.display()
        );
        assert!(
            largest_sample(&corpus.join("valid"), SampleFormat::Heic, u64::MAX)
                .unwrap()
                .is_none()
        );
        // Larger than the workload allows: not a sample of it.
        let (_, smaller) = largest_sample(&corpus.join("valid"), SampleFormat::Jpeg, want.0 - 1)
            .unwrap()
            .unwrap();
        assert!(u64::from(smaller.0) * u64::from(smaller.1) < want.0);
    }
}
