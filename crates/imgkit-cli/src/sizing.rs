//! `imgkit sizing`: recommends AWS Lambda settings (MemorySize, Timeout, SQS visibility timeout, maximum
//! concurrency, architecture) for a stated workload, from the measured time and peak memory of the real
//! pipeline on this machine.
//!
//! Calibration runs `Processor::process_many` with the workload's renditions on generated photo-like
//! images at 1/8, 1/4 and 1/2 of the largest allowed size, each size in a fresh child process (this binary
//! with the hidden `--calibrate-one FILE`), so the peak memory is the whole process's high-water mark
//! (`VmHWM`) and not an estimate. Time and peak memory are fitted as straight lines in megapixels and
//! extrapolated to the largest image. The model over memory sizes is pure arithmetic ([`Model`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use clap::{Args, ValueEnum};
use imgkit::{Fit, Limits, OutputFormat, Processor, Rendition, Spec};

/// AWS: CPU share is proportional to memory; 1,769 MB buys one vCPU.
pub const MB_PER_VCPU: f64 = 1769.0;
/// Lambda's largest function has about 5.8 vCPU; never model more than 6.
pub const MAX_VCPU: f64 = 6.0;
/// Lambda's standard memory range, MB.
pub const LAMBDA_MEMORY_MB: std::ops::RangeInclusive<u32> = 128..=10_240;
/// Lambda's longest timeout, seconds.
pub const LAMBDA_MAX_TIMEOUT_S: u32 = 900;
/// SQS's longest visibility timeout (12 hours), seconds.
pub const SQS_MAX_VISIBILITY_S: u32 = 43_200;
/// SQS event sources need a queue visibility timeout of at least this many function timeouts.
pub const VISIBILITY_PER_TIMEOUT: u32 = 6;
/// SQS `ScalingConfig.MaximumConcurrency` range.
pub const SQS_CONCURRENCY: std::ops::RangeInclusive<u32> = 2..=1000;
/// List price, US East, first tier, per GB-second (x86_64).
pub const PRICE_X86_64_GB_S: f64 = 0.000_016_666_7;
/// List price, US East, first tier, per GB-second (arm64).
pub const PRICE_ARM64_GB_S: f64 = 0.000_013_333_4;
/// List price per million requests (both architectures).
pub const PRICE_PER_MILLION_REQUESTS: f64 = 0.20;
/// Headroom on the concurrency derived from `--images-per-second`.
pub const CONCURRENCY_HEADROOM: f64 = 1.5;

const MIB: f64 = 1024.0 * 1024.0;
const DEFAULT_MEMORY_SIZES: &str = "512,1024,1536,1769,2048,3008,3538,5307,7076,10240";
const DEFAULT_RENDITIONS: [&str; 3] = [
    "large=1600w,jpeg:85",
    "medium=800w,webp:80",
    "thumb=200x200,cover,webp:80",
];
/// Calibration sizes as fractions of the largest image's area.
const CALIBRATION_FRACTIONS: [f64; 3] = [0.125, 0.25, 0.5];
/// Warn when the extrapolated memory misses a measurement by more than this fraction.
const CHECK_WARNING: f64 = 0.2;
/// First word of the child's report line.
const REPORT_TAG: &str = "imgkit-calibration";

/// Arguments of `imgkit sizing`.
#[derive(Args, Debug)]
pub struct SizingArgs {
    /// Largest input the workload accepts, in megapixels (1 MP = 1,000,000 pixels). The default
    /// `Limits` allow 50 MP; 24 MP covers most cameras and phones.
    #[arg(long, default_value_t = 24.0, value_name = "MP")]
    pub max_megapixels: f64,
    /// Aspect ratio of the largest input, W:H.
    #[arg(long, default_value = "4:3", value_name = "W:H")]
    pub aspect: String,
    /// Input format to calibrate with.
    #[arg(long, value_enum, default_value_t = InputFormat::Jpeg)]
    pub format: InputFormat,
    /// A rendition made from every input, `[NAME=]SPEC` as in `resize --rendition` (repeatable).
    /// Default: large=1600w,jpeg:85 medium=800w,webp:80 thumb=200x200,cover,webp:80.
    #[arg(long = "rendition", short = 'r', value_name = "[NAME=]SPEC")]
    pub renditions: Vec<String>,
    /// Images per invocation (the SQS event source's BatchSize).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub batch_size: u32,
    /// Latency target for one invocation (a whole batch of largest images), milliseconds.
    #[arg(long, default_value_t = 10_000.0, value_name = "MS")]
    pub latency_ms: f64,
    /// Safety factor on the peak memory per image.
    #[arg(long, default_value_t = 1.5)]
    pub safety: f64,
    /// Allowance on top of this binary's measured baseline for the Lambda runtime, the S3 client and
    /// its buffers, MB. Replace with "Max Memory Used" minus the image peaks once the function runs.
    #[arg(long, default_value_t = 48.0, value_name = "MB")]
    pub runtime_overhead_mb: f64,
    /// Timeout = max(--min-timeout, ceil(margin × estimated batch latency)).
    #[arg(long, default_value_t = 3.0)]
    pub timeout_margin: f64,
    /// Smallest Timeout recommended, seconds (covers cold start and S3 transfers of small batches).
    #[arg(long, default_value_t = 10, value_name = "S")]
    pub min_timeout: u32,
    /// Sustained arrival rate; derives MaxConcurrency (with 1.5× headroom) instead of --max-concurrency.
    #[arg(long, value_name = "RATE", conflicts_with = "max_concurrency")]
    pub images_per_second: Option<f64>,
    /// MaxConcurrency to recommend when no --images-per-second is given (SQS allows 2-1000).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub max_concurrency: u32,
    /// Memory sizes to tabulate, MB (comma-separated, 128-10240).
    #[arg(long, value_delimiter = ',', default_value = DEFAULT_MEMORY_SIZES, value_name = "MB,...")]
    pub memory_sizes: Vec<u32>,
    /// Timed runs per calibration size (the median is used; peak memory covers all runs).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub iterations: u32,
    /// Write the recommendation as a CloudFormation parameter file (JSON array) to PATH.
    #[arg(long, value_name = "PATH")]
    pub params_out: Option<PathBuf>,
    /// Print the result as JSON instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Skip measuring the largest image itself: faster, and the recommendation rests on the
    /// extrapolation from smaller sizes alone.
    #[arg(long)]
    pub no_check: bool,
    /// Internal: process FILE in this process and report time and peak memory (one calibration point).
    #[arg(long, hide = true, value_name = "FILE")]
    pub calibrate_one: Option<PathBuf>,
}

/// Input format generated for calibration.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    Jpeg,
    Png,
    Webp,
}

impl InputFormat {
    fn name(self) -> &'static str {
        match self {
            InputFormat::Jpeg => "jpeg",
            InputFormat::Png => "png",
            InputFormat::Webp => "webp",
        }
    }
}

/// Runs the sub-command: 0 when a configuration meets the latency target, 1 when none does (the fastest
/// one that fits is still recommended and written), 2 on errors.
pub fn run(args: SizingArgs) -> ExitCode {
    let result = match &args.calibrate_one {
        Some(file) => calibrate_one(file, &args).map(|()| true),
        None => sizing(&args),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            eprintln!("imgkit sizing: {err:#}");
            ExitCode::from(2)
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// The model: pure arithmetic over memory sizes.
// ---------------------------------------------------------------------------------------------------

/// What the model needs to know about the workload and the calibration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Model {
    /// Memory that does not depend on images in flight (process baseline + runtime allowance), MB.
    pub baseline_mb: f64,
    /// Peak memory of one image of the largest size, above the baseline, MB.
    pub peak_mb_per_image: f64,
    /// Wall time of one image of the largest size on one full vCPU, ms.
    pub ms_per_image: f64,
    /// Images per invocation.
    pub batch_size: u32,
    /// Safety factor on the per-image peak.
    pub safety: f64,
    /// Latency target per invocation, ms.
    pub latency_target_ms: f64,
}

/// One memory size under the model.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Lambda MemorySize, MB.
    pub memory_mb: u32,
    /// CPU share.
    pub vcpu: f64,
    /// Images processed at once.
    pub in_flight: u32,
    /// Memory the model needs at that concurrency, MB.
    pub needed_mb: f64,
    /// `needed_mb <= memory_mb`.
    pub fits: bool,
    /// Estimated wall time of one batch of largest images, ms.
    pub batch_ms: f64,
    /// `batch_ms <= latency target`.
    pub meets_target: bool,
    /// Dollars per million images on arm64.
    pub cost_arm64: f64,
    /// Dollars per million images on x86_64.
    pub cost_x86_64: f64,
}

impl Row {
    /// Fits in memory and meets the latency target.
    pub fn ok(&self) -> bool {
        self.fits && self.meets_target
    }

    /// The cheaper architecture for this row (arm64 on a tie).
    pub fn architecture(&self) -> &'static str {
        if self.cost_arm64 <= self.cost_x86_64 {
            "arm64"
        } else {
            "x86_64"
        }
    }

    fn cost(&self) -> f64 {
        self.cost_arm64.min(self.cost_x86_64)
    }
}

impl Model {
    /// The model at one memory size.
    pub fn row(&self, memory_mb: u32) -> Row {
        let vcpu = (f64::from(memory_mb) / MB_PER_VCPU).min(MAX_VCPU);
        let batch = self.batch_size.max(1);
        // The core is single-threaded: one image per whole vCPU, at least one; a fraction of a vCPU
        // slows the one image down proportionally.
        let in_flight = (vcpu.floor() as u32).clamp(1, batch);
        let ms_per_image = self.ms_per_image / vcpu.min(1.0);
        let waves = batch.div_ceil(in_flight);
        let batch_ms = f64::from(waves) * ms_per_image;
        let needed_mb = self.baseline_mb + f64::from(in_flight) * self.peak_mb_per_image * self.safety;
        let gb_seconds_per_image = f64::from(memory_mb) / 1024.0 * batch_ms / 1000.0 / f64::from(batch);
        let requests = PRICE_PER_MILLION_REQUESTS / f64::from(batch);
        Row {
            memory_mb,
            vcpu,
            in_flight,
            needed_mb,
            fits: needed_mb <= f64::from(memory_mb),
            batch_ms,
            meets_target: batch_ms <= self.latency_target_ms,
            cost_arm64: gb_seconds_per_image * PRICE_ARM64_GB_S * 1e6 + requests,
            cost_x86_64: gb_seconds_per_image * PRICE_X86_64_GB_S * 1e6 + requests,
        }
    }

    /// The model at every memory size, in the order given.
    pub fn table(&self, sizes: &[u32]) -> Vec<Row> {
        sizes.iter().map(|&mb| self.row(mb)).collect()
    }
}

/// Cost order, with costs equal to within rounding counted equal: below one vCPU, time scales inversely
/// with memory, so those rows all cost the same per image.
fn same_cost(a: &Row, b: &Row) -> std::cmp::Ordering {
    let (x, y) = (a.cost(), b.cost());
    if (x - y).abs() <= 1e-9 * x.abs().max(y.abs()) {
        std::cmp::Ordering::Equal
    } else {
        x.total_cmp(&y)
    }
}

/// The cheapest row that fits and meets the target; on a tie the smaller memory, which costs less when
/// batches arrive partly full.
pub fn cheapest(rows: &[Row]) -> Option<usize> {
    rows.iter()
        .enumerate()
        .filter(|(_, r)| r.ok())
        .min_by(|(_, a), (_, b)| same_cost(a, b).then(a.memory_mb.cmp(&b.memory_mb)))
        .map(|(i, _)| i)
}

/// When nothing meets the target: the fastest row that fits (the cheaper one on a tie).
pub fn fastest_fitting(rows: &[Row]) -> Option<usize> {
    rows.iter()
        .enumerate()
        .filter(|(_, r)| r.fits)
        .min_by(|(_, a), (_, b)| {
            a.batch_ms
                .total_cmp(&b.batch_ms)
                .then(a.cost().total_cmp(&b.cost()))
        })
        .map(|(i, _)| i)
}

/// Function timeout in seconds: `max(min, ceil(margin × batch latency))`, at most Lambda's 900 s.
pub fn timeout_s(batch_ms: f64, margin: f64, min_s: u32) -> Result<u32> {
    let needed = (batch_ms * margin / 1000.0).ceil();
    ensure!(
        needed <= f64::from(LAMBDA_MAX_TIMEOUT_S),
        "a batch needs a {needed} s timeout, more than Lambda's {LAMBDA_MAX_TIMEOUT_S} s: lower --batch-size"
    );
    Ok((needed as u32).max(min_s))
}

/// SQS queue visibility timeout for a function timeout: 6 × the timeout.
pub fn visibility_timeout_s(timeout_s: u32) -> u32 {
    timeout_s.saturating_mul(VISIBILITY_PER_TIMEOUT)
}

/// MaxConcurrency: from a sustained rate (instances needed to keep up, with headroom), or the stated
/// default; clamped to what SQS allows.
pub fn max_concurrency(images_per_second: Option<f64>, row: &Row, batch_size: u32, default: u32) -> u32 {
    let wanted = match images_per_second {
        Some(rate) => {
            let per_instance = f64::from(batch_size) / (row.batch_ms / 1000.0);
            (rate / per_instance * CONCURRENCY_HEADROOM)
                .ceil()
                .min(f64::from(u32::MAX)) as u32
        }
        None => default,
    };
    wanted.clamp(*SQS_CONCURRENCY.start(), *SQS_CONCURRENCY.end())
}

/// The recommendation, as written to the parameter file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Lambda MemorySize, MB.
    pub memory_mb: u32,
    /// Lambda Timeout, s.
    pub timeout_s: u32,
    /// SQS VisibilityTimeout, s.
    pub visibility_timeout_s: u32,
    /// SQS event source ScalingConfig.MaximumConcurrency.
    pub max_concurrency: u32,
    /// `arm64` or `x86_64`.
    pub architecture: &'static str,
    /// SQS event source BatchSize the model assumed.
    pub batch_size: u32,
}

impl Params {
    /// CloudFormation parameter-file JSON: `[{"ParameterKey": ..., "ParameterValue": ...}, ...]`.
    pub fn to_cloudformation(&self) -> String {
        let pairs = [
            ("MemorySize", self.memory_mb.to_string()),
            ("Timeout", self.timeout_s.to_string()),
            ("VisibilityTimeout", self.visibility_timeout_s.to_string()),
            ("MaxConcurrency", self.max_concurrency.to_string()),
            ("Architecture", self.architecture.to_string()),
            ("BatchSize", self.batch_size.to_string()),
        ];
        let body: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("  {{\"ParameterKey\": \"{k}\", \"ParameterValue\": \"{v}\"}}"))
            .collect();
        format!("[\n{}\n]\n", body.join(",\n"))
    }
}

// ---------------------------------------------------------------------------------------------------
// Calibration.
// ---------------------------------------------------------------------------------------------------

/// A straight line fitted by least squares.
#[derive(Clone, Copy, Debug, PartialEq)]
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
#[derive(Clone, Debug)]
struct Point {
    width: u32,
    height: u32,
    input_bytes: u64,
    /// Median wall time per image, ms.
    ms: f64,
    /// Process high-water mark before the input was read, MB.
    baseline_mb: f64,
    /// High-water mark above the baseline over all runs, MB.
    peak_mb: f64,
}

impl Point {
    fn megapixels(&self) -> f64 {
        f64::from(self.width) * f64::from(self.height) / 1e6
    }
}

/// Width and height of an image of `megapixels` at `aspect` (W/H), both even and at least 2.
fn dimensions(megapixels: f64, aspect: f64) -> (u32, u32) {
    let height = (megapixels * 1e6 / aspect).sqrt();
    let even = |v: f64| ((v / 2.0).floor() as u32 * 2).max(2);
    (even(height * aspect), even(height))
}

fn parse_aspect(s: &str) -> Result<f64> {
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
fn parse_renditions(list: &[String]) -> Result<Vec<(String, Spec)>> {
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

fn rendition_strings(args: &SizingArgs) -> Vec<String> {
    if args.renditions.is_empty() {
        DEFAULT_RENDITIONS.iter().map(|s| s.to_string()).collect()
    } else {
        args.renditions.clone()
    }
}

/// A smooth gradient with texture, roughly as hard to compress and decode as a photo. Deterministic.
fn photo(width: u32, height: u32) -> image::RgbImage {
    let mut seed = 0x2545_F491_4F6C_DD1D_u64;
    image::RgbImage::from_fn(width, height, |x, y| {
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

/// A generated photo encoded as `format`: PNG by the `image` crate, JPEG (4:2:0, q90) and lossy WebP
/// (q90) by imgkit's own encoders, as a camera or phone would write them.
fn sample(format: InputFormat, width: u32, height: u32) -> Result<Vec<u8>> {
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    use image::ImageEncoder;
    let img = photo(width, height);
    let mut png = Vec::new();
    PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::Adaptive)
        .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8)
        .context("encoding a calibration image")?;
    drop(img);
    let output = match format {
        InputFormat::Png => return Ok(png),
        InputFormat::Jpeg => OutputFormat::Jpeg { quality: 90 },
        InputFormat::Webp => OutputFormat::WebP { quality: 90 },
    };
    let spec = Spec::size(width, height).fit(Fit::Fill).format(output);
    // Our own PNG, not untrusted input: a noisy PNG may be larger than max_input_bytes.
    let limits = Limits {
        max_input_bytes: u64::MAX,
        ..Limits::default()
    };
    let out = Processor::new(limits)
        .process(&png, &spec)
        .context("encoding a calibration image")?;
    Ok(out.bytes)
}

/// The process's peak resident memory so far, KiB.
fn vm_hwm_kib() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")
        .context("calibration reads /proc/self/status (Linux only)")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/self/status")
}

/// Child side: process `file` `iterations` times and print one report line.
fn calibrate_one(file: &Path, args: &SizingArgs) -> Result<()> {
    let start_kib = vm_hwm_kib()?;
    let specs: Vec<Spec> = parse_renditions(&rendition_strings(args))?
        .into_iter()
        .map(|(_, spec)| spec)
        .collect();
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let mut processor = Processor::new(Limits::default());
    let mut times = Vec::new();
    let mut first_kib = 0;
    for i in 0..args.iterations.max(1) {
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
    let ms: Vec<String> = times.iter().map(|t| format!("{t:.3}")).collect();
    println!(
        "{REPORT_TAG} hwm_start_kib={start_kib} hwm_first_kib={first_kib} hwm_end_kib={end_kib} ms={}",
        ms.join(",")
    );
    Ok(())
}

/// `taskset` from util-linux, where installed.
fn which_taskset() -> Option<PathBuf> {
    ["/usr/bin/taskset", "/bin/taskset"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Parent side: run one calibration size in a fresh process of this binary.
fn measure(file: &Path, renditions: &[String], iterations: u32) -> Result<(f64, f64, f64)> {
    let exe = std::env::current_exe().context("locating the imgkit binary")?;
    // One CPU, as one Lambda vCPU: jpeg-decoder's scaled decode starts IDCT helper threads that would
    // otherwise borrow a second core and flatter the time. Without taskset the figure is a lower bound.
    let mut cmd = match which_taskset() {
        Some(taskset) => {
            let mut c = Command::new(taskset);
            c.args(["-c", "0"]).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    cmd.arg("sizing").arg("--calibrate-one").arg(file);
    cmd.arg("--iterations").arg(iterations.to_string());
    for r in renditions {
        cmd.arg("--rendition").arg(r);
    }
    let out = cmd.output().context("running a calibration process")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    ensure!(
        out.status.success(),
        "calibration process failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    parse_report(&stdout).with_context(|| format!("calibration report {stdout:?}"))
}

/// (median ms, baseline MB, peak above baseline MB) from the child's report line.
fn parse_report(text: &str) -> Result<(f64, f64, f64)> {
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
    let median = ms[ms.len() / 2];
    Ok((median, start / 1024.0, (end - start).max(0.0) / 1024.0))
}

// ---------------------------------------------------------------------------------------------------
// The sub-command.
// ---------------------------------------------------------------------------------------------------

struct Validated {
    renditions: Vec<String>,
    max_width: u32,
    max_height: u32,
    limits: Limits,
}

fn validate(args: &SizingArgs) -> Result<Validated> {
    let limits = Limits::default();
    let renditions = rendition_strings(args);
    parse_renditions(&renditions)?;
    let aspect = parse_aspect(&args.aspect)?;
    let mp = args.max_megapixels;
    ensure!(
        mp.is_finite() && mp >= 0.1,
        "--max-megapixels must be at least 0.1, got {mp}"
    );
    let (max_width, max_height) = dimensions(mp, aspect);
    let pixels = u64::from(max_width) * u64::from(max_height);
    ensure!(
        pixels <= limits.max_pixels && max_width <= limits.max_width && max_height <= limits.max_height,
        "{max_width}x{max_height} ({mp} MP) is beyond the default limits ({} MP, {}x{}): imgkit would reject it",
        limits.max_pixels as f64 / 1e6,
        limits.max_width,
        limits.max_height
    );
    ensure!(
        args.format != InputFormat::Webp || (max_width <= 16383 && max_height <= 16383),
        "WebP images cannot be larger than 16383 pixels a side"
    );
    ensure!(
        (1..=10_000).contains(&args.batch_size),
        "--batch-size must be 1-10000 (SQS's limit)"
    );
    ensure!(
        args.latency_ms.is_finite() && args.latency_ms > 0.0,
        "--latency-ms must be positive"
    );
    ensure!(
        args.safety.is_finite() && args.safety >= 1.0,
        "--safety must be at least 1"
    );
    ensure!(
        args.runtime_overhead_mb.is_finite() && args.runtime_overhead_mb >= 0.0,
        "--runtime-overhead-mb must not be negative"
    );
    ensure!(
        args.timeout_margin.is_finite() && args.timeout_margin >= 1.0,
        "--timeout-margin must be at least 1"
    );
    ensure!(
        (1..=LAMBDA_MAX_TIMEOUT_S).contains(&args.min_timeout),
        "--min-timeout must be 1-{LAMBDA_MAX_TIMEOUT_S} s"
    );
    ensure!(
        SQS_CONCURRENCY.contains(&args.max_concurrency),
        "--max-concurrency must be 2-1000 (SQS's range)"
    );
    if let Some(rate) = args.images_per_second {
        ensure!(
            rate.is_finite() && rate > 0.0,
            "--images-per-second must be positive"
        );
    }
    ensure!(!args.memory_sizes.is_empty(), "--memory-sizes is empty");
    if let Some(bad) = args.memory_sizes.iter().find(|mb| !LAMBDA_MEMORY_MB.contains(mb)) {
        bail!("--memory-sizes: {bad} MB is outside Lambda's 128-10240 MB");
    }
    ensure!((1..=100).contains(&args.iterations), "--iterations must be 1-100");
    Ok(Validated {
        renditions,
        max_width,
        max_height,
        limits,
    })
}

/// Returns whether a configuration meets the target.
fn sizing(args: &SizingArgs) -> Result<bool> {
    let v = validate(args)?;
    let max_mp = f64::from(v.max_width) * f64::from(v.max_height) / 1e6;
    let aspect = f64::from(v.max_width) / f64::from(v.max_height);

    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let calibrate = |name: &str, width: u32, height: u32| -> Result<Result<Point, f64>> {
        let bytes = sample(args.format, width, height)?;
        if bytes.len() as u64 > v.limits.max_input_bytes {
            return Ok(Err(bytes.len() as f64));
        }
        let file = dir.path().join(format!("{name}.{}", args.format.name()));
        std::fs::write(&file, &bytes).with_context(|| format!("writing {}", file.display()))?;
        let (ms, baseline_mb, peak_mb) = measure(&file, &v.renditions, args.iterations)?;
        Ok(Ok(Point {
            width,
            height,
            input_bytes: bytes.len() as u64,
            ms,
            baseline_mb,
            peak_mb,
        }))
    };
    let too_big = |width: u32, height: u32, bytes: f64| {
        anyhow::anyhow!(
            "a {width}x{height} {} calibration image is {:.1} MiB, over the default max_input_bytes \
             ({:.0} MiB): imgkit rejects such inputs; lower --max-megapixels",
            args.format.name(),
            bytes / MIB,
            v.limits.max_input_bytes as f64 / MIB
        )
    };
    let mut points = Vec::new();
    for (i, fraction) in CALIBRATION_FRACTIONS.iter().enumerate() {
        let (width, height) = dimensions(max_mp * fraction, aspect);
        let point = calibrate(&format!("calibration-{i}"), width, height)?
            .map_err(|bytes| too_big(width, height, bytes))?;
        points.push(point);
    }

    // Extrapolate from the two larger sizes, the regime nearest the largest image: at the smallest,
    // a rendition may not even be a downscale. The smallest size shows how straight the line is.
    let near = &points[1..];
    let time = Line::fit(&near.iter().map(|p| (p.megapixels(), p.ms)).collect::<Vec<_>>());
    let memory = Line::fit(
        &near
            .iter()
            .map(|p| (p.megapixels(), p.peak_mb))
            .collect::<Vec<_>>(),
    );
    let linearity = memory.at(points[0].megapixels()) / points[0].peak_mb - 1.0;
    let input = Line::fit(
        &points
            .iter()
            .map(|p| (p.megapixels(), p.input_bytes as f64))
            .collect::<Vec<_>>(),
    );
    // Never predict less at the largest size than was measured at a smaller one.
    let largest = points.iter().fold((0.0_f64, 0.0_f64), |acc, p| {
        (acc.0.max(p.ms), acc.1.max(p.peak_mb))
    });
    let predicted = Estimate {
        ms: time.at(max_mp).max(largest.0),
        peak_mb: memory.at(max_mp).max(largest.1),
    };
    let process_baseline_mb = points.iter().map(|p| p.baseline_mb).fold(0.0, f64::max);
    let input_bytes_at_max = input.at(max_mp).max(0.0);

    // The check: the largest image itself. JPEG shrink-on-load makes memory a sawtooth in megapixels
    // (each DCT scale step quarters the decode), which no line through smaller sizes follows.
    let check = if args.no_check {
        None
    } else {
        calibrate("largest", v.max_width, v.max_height)?.ok()
    };
    let used = match &check {
        Some(c) => Estimate {
            ms: predicted.ms.max(c.ms),
            peak_mb: predicted.peak_mb.max(c.peak_mb),
        },
        None => predicted,
    };

    let model = Model {
        baseline_mb: process_baseline_mb + args.runtime_overhead_mb,
        peak_mb_per_image: used.peak_mb,
        ms_per_image: used.ms,
        batch_size: args.batch_size,
        safety: args.safety,
        latency_target_ms: args.latency_ms,
    };
    let rows = model.table(&args.memory_sizes);
    let (chosen, meets) = match cheapest(&rows) {
        Some(i) => (i, true),
        None => match fastest_fitting(&rows) {
            Some(i) => (i, false),
            None => bail!(
                "no memory size fits: one largest image needs {:.0} MB; add a larger --memory-sizes entry \
                 or lower --max-megapixels",
                model.row(LAMBDA_MEMORY_MB.end().to_owned()).needed_mb
            ),
        },
    };
    let row = &rows[chosen];
    let timeout = timeout_s(row.batch_ms, args.timeout_margin, args.min_timeout)?;
    let visibility = visibility_timeout_s(timeout);
    ensure!(
        visibility <= SQS_MAX_VISIBILITY_S,
        "visibility timeout {visibility} s exceeds SQS's {SQS_MAX_VISIBILITY_S} s"
    );
    let params = Params {
        memory_mb: row.memory_mb,
        timeout_s: timeout,
        visibility_timeout_s: visibility,
        max_concurrency: max_concurrency(args.images_per_second, row, args.batch_size, args.max_concurrency),
        architecture: row.architecture(),
        batch_size: args.batch_size,
    };
    if let Some(path) = &args.params_out {
        crate::write::atomic_write(path, params.to_cloudformation().as_bytes())?;
    }

    let report = Report {
        args,
        v: &v,
        max_mp,
        points: &points,
        time,
        memory,
        process_baseline_mb,
        input_bytes_at_max,
        linearity,
        predicted,
        check: check.as_ref(),
        model,
        rows: &rows,
        chosen,
        meets,
        params: &params,
    };
    if args.json {
        print!("{}", report.json());
    } else {
        print!("{}", report.text());
    }
    Ok(meets)
}

/// Time and peak memory of one image of the largest size.
#[derive(Clone, Copy, Debug)]
struct Estimate {
    /// Wall time on one vCPU, ms.
    ms: f64,
    /// Peak above the process baseline, MB.
    peak_mb: f64,
}

struct Report<'a> {
    args: &'a SizingArgs,
    v: &'a Validated,
    max_mp: f64,
    points: &'a [Point],
    time: Line,
    memory: Line,
    process_baseline_mb: f64,
    input_bytes_at_max: f64,
    /// Relative miss of the memory line at the smallest calibration size.
    linearity: f64,
    /// Extrapolated to the largest size.
    predicted: Estimate,
    /// Measured at the largest size (unless skipped or over the input limit).
    check: Option<&'a Point>,
    model: Model,
    rows: &'a [Row],
    chosen: usize,
    meets: bool,
    params: &'a Params,
}

impl Report<'_> {
    fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if cfg!(debug_assertions) {
            w.push(
                "this is a debug build: its timings are far slower than a release build; \
                 size with `cargo run --release -p imgkit-cli -- sizing ...`"
                    .to_string(),
            );
        }
        let limit = self.v.limits.max_input_bytes as f64;
        if self.input_bytes_at_max > limit {
            w.push(format!(
                "a largest {} input is about {:.1} MiB, over the default max_input_bytes ({:.0} MiB): \
                 such files would be rejected",
                self.args.format.name(),
                self.input_bytes_at_max / MIB,
                limit / MIB
            ));
        }
        if let Some(c) = self.check {
            let off = self.predicted.peak_mb / c.peak_mb - 1.0;
            if off.abs() > CHECK_WARNING {
                w.push(format!(
                    "the line through smaller sizes predicted {:.1} MB per largest image, {:+.0}% off the \
                     {:.1} MB measured (JPEG shrink-on-load steps or renditions larger than the calibration \
                     images make memory non-linear); the larger figure is used",
                    self.predicted.peak_mb,
                    off * 100.0,
                    c.peak_mb
                ));
            }
        } else if self.linearity.abs() > CHECK_WARNING {
            let p = &self.points[0];
            w.push(format!(
                "peak memory is not linear in megapixels over the calibration sizes (the line through the \
                 two larger sizes is {:+.0}% off at {:.1} MP): a rendition larger than the smallest image, or \
                 a JPEG shrink-on-load step, changes the cost per megapixel; without the check at the largest \
                 size (--no-check) the prediction may be off either way",
                self.linearity * 100.0,
                p.megapixels()
            ));
        }
        if !self.meets {
            w.push(format!(
                "no memory size meets the {:.0} ms target for a batch of {}: recommending the fastest that \
                 fits; lower --batch-size or raise --latency-ms",
                self.args.latency_ms, self.args.batch_size
            ));
        }
        w
    }

    fn text(&self) -> String {
        let a = self.args;
        let m = &self.model;
        let mut s = String::new();
        let _ = writeln!(s, "imgkit sizing");
        let _ = writeln!(
            s,
            "  workload: largest input {:.1} MP ({}x{} {}), renditions {}",
            self.max_mp,
            self.v.max_width,
            self.v.max_height,
            a.format.name(),
            self.v.renditions.join(" ")
        );
        let _ = writeln!(
            s,
            "            {} images per invocation, latency target {:.0} ms per invocation, safety x{}",
            a.batch_size, a.latency_ms, a.safety
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "calibration: real pipeline, pinned to one CPU, a fresh process per size, median of {} run(s)",
            a.iterations
        );
        let _ = writeln!(
            s,
            "  {:>11} {:>6} {:>9} {:>10} {:>13}",
            "size", "MP", "input KB", "ms/image", "peak MB/image"
        );
        for p in self.points {
            let _ = writeln!(
                s,
                "  {:>11} {:>6.2} {:>9} {:>10.1} {:>13.1}",
                format!("{}x{}", p.width, p.height),
                p.megapixels(),
                p.input_bytes / 1024,
                p.ms,
                p.peak_mb
            );
        }
        let _ = writeln!(
            s,
            "  line through the two larger sizes: time {:.1} + {:.2}/MP ms, peak {:.1} + {:.2}/MP MB \
             ({:+.0}% at the smallest); process baseline {:.1} MB",
            self.time.intercept,
            self.time.slope,
            self.memory.intercept,
            self.memory.slope,
            self.linearity * 100.0,
            self.process_baseline_mb
        );
        let _ = writeln!(
            s,
            "  predicted at {:.1} MP: {:.0} ms/image on one vCPU, peak {:.1} MB/image above the baseline",
            self.max_mp, self.predicted.ms, self.predicted.peak_mb
        );
        match self.check {
            Some(c) => {
                let _ = writeln!(
                    s,
                    "  measured at {:.1} MP ({}x{}, {} KB): {:.0} ms/image, peak {:.1} MB/image (the \
                     prediction is {:+.0}% off)",
                    c.megapixels(),
                    c.width,
                    c.height,
                    c.input_bytes / 1024,
                    c.ms,
                    c.peak_mb,
                    (self.predicted.peak_mb / c.peak_mb - 1.0) * 100.0
                );
            }
            None => {
                let why = if a.no_check {
                    "--no-check"
                } else {
                    "its input would be over max_input_bytes"
                };
                let _ = writeln!(s, "  largest size not measured ({why})");
            }
        }
        let _ = writeln!(
            s,
            "  used: {:.0} ms/image, {:.1} MB/image (the larger of predicted and measured)",
            m.ms_per_image, m.peak_mb_per_image
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "  {:>6} {:>5} {:>9} {:>8} {:>4} {:>9} {:>5} {:>10} {:>11}",
            "MB", "vCPU", "in flight", "needs MB", "fits", "batch ms", "meets", "arm64 $/M", "x86_64 $/M"
        );
        for (i, r) in self.rows.iter().enumerate() {
            let yn = |b: bool| if b { "yes" } else { "no" };
            let _ = writeln!(
                s,
                "{} {:>6} {:>5.2} {:>9} {:>8.0} {:>4} {:>9.0} {:>5} {:>10.2} {:>11.2}",
                if i == self.chosen { "*" } else { " " },
                r.memory_mb,
                r.vcpu,
                r.in_flight,
                r.needed_mb,
                yn(r.fits),
                r.batch_ms,
                yn(r.meets_target),
                r.cost_arm64,
                r.cost_x86_64
            );
        }
        let row = &self.rows[self.chosen];
        let p = self.params;
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "recommended ({}): MemorySize {} MB, {}, Timeout {} s, VisibilityTimeout {} s, MaxConcurrency {}, \
             BatchSize {}; about ${:.2} per million images",
            if self.meets {
                "* the cheapest that fits and meets the target"
            } else {
                "* the fastest that fits; NOT meeting the target"
            },
            p.memory_mb,
            p.architecture,
            p.timeout_s,
            p.visibility_timeout_s,
            p.max_concurrency,
            p.batch_size,
            row.cost_arm64.min(row.cost_x86_64)
        );
        match &a.params_out {
            Some(path) => {
                let _ = writeln!(s, "parameters written to {}", path.display());
            }
            None => {
                let _ = writeln!(s, "parameters not written (pass --params-out PATH)");
            }
        }
        for w in self.warnings() {
            let _ = writeln!(s, "WARNING: {w}");
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "assumptions:");
        for line in self.assumptions() {
            let _ = writeln!(s, "  - {line}");
        }
        s
    }

    fn assumptions(&self) -> Vec<String> {
        let a = self.args;
        let m = &self.model;
        let sizes: Vec<String> = self
            .points
            .iter()
            .map(|p| format!("{:.1}", p.megapixels()))
            .collect();
        vec![
            format!(
                "Times were measured on this machine ({} {}, one CPU) and are assumed for Lambda's CPUs; \
                 arm64 is assumed as fast as x86_64. Confirm both on the target.",
                std::env::consts::OS,
                std::env::consts::ARCH
            ),
            format!(
                "CPU share is MemorySize / {MB_PER_VCPU:.0} vCPU (AWS). The core is single-threaded: a \
                 function processes floor(vCPU) images at once (at least 1, at most the batch); below one vCPU \
                 an image takes proportionally longer; a fraction above a whole vCPU is unused."
            ),
            format!(
                "Memory needed = baseline {:.1} MB (this binary {:.1} MB + {:.0} MB allowance for the Lambda \
                 runtime and S3 client, --runtime-overhead-mb) + images in flight x {:.1} MB x safety {}.",
                m.baseline_mb, self.process_baseline_mb, a.runtime_overhead_mb, m.peak_mb_per_image, a.safety
            ),
            format!(
                "Peak per image is the process high-water mark (VmHWM) above its start, over all runs, \
                 including the input bytes and all renditions; measured at {} MP, extrapolated linearly in \
                 megapixels (from the two larger sizes) to {:.1} MP, and checked on an image of exactly that \
                 size; the larger of prediction and check is used (time likewise). Generated \
                 noise-and-gradient images stand in for photos.",
                sizes.join(", "),
                self.max_mp
            ),
            "Every image of a batch is the largest allowed (worst case). Cold start, S3 download and upload \
             and queue time are not in the batch latency; the Timeout margin covers them."
                .to_string(),
            format!(
                "Timeout = max({} s, ceil({} x batch latency)); VisibilityTimeout = {VISIBILITY_PER_TIMEOUT} x \
                 Timeout (AWS's minimum for SQS event sources).",
                a.min_timeout, a.timeout_margin
            ),
            match a.images_per_second {
                Some(rate) => format!(
                    "MaxConcurrency = ceil({rate} images/s / (batch / batch latency) x {CONCURRENCY_HEADROOM}), \
                     within SQS's 2-1000."
                ),
                None => format!(
                    "MaxConcurrency = {} (--max-concurrency; give --images-per-second to derive it).",
                    a.max_concurrency
                ),
            },
            format!(
                "Cost per million images = MemorySize/1024 GB x batch latency / batch size x 1e6 x price per \
                 GB-s (x86_64 ${PRICE_X86_64_GB_S}, arm64 ${PRICE_ARM64_GB_S}; US East, first tier) + \
                 ${PRICE_PER_MILLION_REQUESTS:.2} per million requests / batch size. Free tier and \
                 /tmp above 512 MB not included."
            ),
        ]
    }

    fn json(&self) -> String {
        let a = self.args;
        let m = &self.model;
        let point = |p: &Point| {
            format!(
                "{{\"width\": {}, \"height\": {}, \"megapixels\": {:.3}, \"input_bytes\": {}, \
                 \"ms_per_image\": {:.3}, \"baseline_mb\": {:.3}, \"peak_mb_per_image\": {:.3}}}",
                p.width,
                p.height,
                p.megapixels(),
                p.input_bytes,
                p.ms,
                p.baseline_mb,
                p.peak_mb
            )
        };
        let points: Vec<String> = self.points.iter().map(point).collect();
        let rows: Vec<String> = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                format!(
                    "{{\"memory_mb\": {}, \"vcpu\": {:.3}, \"in_flight\": {}, \"needed_mb\": {:.1}, \
                     \"fits\": {}, \"batch_ms\": {:.1}, \"meets_target\": {}, \"cost_arm64\": {:.4}, \
                     \"cost_x86_64\": {:.4}, \"recommended\": {}}}",
                    r.memory_mb,
                    r.vcpu,
                    r.in_flight,
                    r.needed_mb,
                    r.fits,
                    r.batch_ms,
                    r.meets_target,
                    r.cost_arm64,
                    r.cost_x86_64,
                    i == self.chosen
                )
            })
            .collect();
        let p = self.params;
        let warnings: Vec<String> = self
            .warnings()
            .iter()
            .map(|w| format!("\"{}\"", w.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect();
        let fields: Vec<(&str, String)> = vec![
            ("max_megapixels", format!("{:.3}", self.max_mp)),
            ("max_width", self.v.max_width.to_string()),
            ("max_height", self.v.max_height.to_string()),
            ("format", format!("\"{}\"", a.format.name())),
            ("batch_size", a.batch_size.to_string()),
            ("latency_target_ms", a.latency_ms.to_string()),
            ("safety", a.safety.to_string()),
            ("process_baseline_mb", format!("{:.3}", self.process_baseline_mb)),
            ("baseline_mb", format!("{:.3}", m.baseline_mb)),
            ("predicted_peak_mb_per_image", format!("{:.3}", self.predicted.peak_mb)),
            ("predicted_ms_per_image", format!("{:.3}", self.predicted.ms)),
            ("memory_line_error_at_smallest", format!("{:.3}", self.linearity)),
            ("check", self.check.map_or_else(|| "null".to_string(), point)),
            ("peak_mb_per_image", format!("{:.3}", m.peak_mb_per_image)),
            ("ms_per_image", format!("{:.3}", m.ms_per_image)),
            ("calibration", format!("[\n    {}\n  ]", points.join(",\n    "))),
            ("rows", format!("[\n    {}\n  ]", rows.join(",\n    "))),
            ("meets_target", self.meets.to_string()),
            (
                "parameters",
                format!(
                    "{{\"MemorySize\": {}, \"Timeout\": {}, \"VisibilityTimeout\": {}, \"MaxConcurrency\": {}, \
                     \"Architecture\": \"{}\", \"BatchSize\": {}}}",
                    p.memory_mb,
                    p.timeout_s,
                    p.visibility_timeout_s,
                    p.max_concurrency,
                    p.architecture,
                    p.batch_size
                ),
            ),
            ("warnings", format!("[{}]", warnings.join(", "))),
        ];
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("  \"{k}\": {v}")).collect();
        format!("{{\n{}\n}}\n", body.join(",\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        Model {
            baseline_mb: 50.0,
            peak_mb_per_image: 200.0,
            ms_per_image: 400.0,
            batch_size: 10,
            safety: 1.5,
            latency_target_ms: 5000.0,
        }
    }

    fn sizes() -> Vec<u32> {
        DEFAULT_MEMORY_SIZES
            .split(',')
            .map(|s| s.parse().unwrap())
            .collect()
    }

    #[test]
    fn cpu_share_concurrency_and_latency_follow_memory() {
        let m = model();
        let half = m.row(884);
        assert!((half.vcpu - 884.0 / 1769.0).abs() < 1e-9);
        assert_eq!(half.in_flight, 1);
        // Half a vCPU: each image takes twice as long, ten in a row.
        assert!((half.batch_ms - 10.0 * 400.0 * 1769.0 / 884.0).abs() < 1e-6);

        let one = m.row(1769);
        assert_eq!(one.in_flight, 1);
        assert!((one.batch_ms - 4000.0).abs() < 1e-9);
        assert!((one.needed_mb - (50.0 + 200.0 * 1.5)).abs() < 1e-9);
        assert!(one.fits);

        // 3538 MB = 2 vCPU: two images at once, five waves, twice the memory.
        let two = m.row(3538);
        assert_eq!(two.in_flight, 2);
        assert!((two.batch_ms - 2000.0).abs() < 1e-9);
        assert!((two.needed_mb - (50.0 + 2.0 * 300.0)).abs() < 1e-9);

        // 10,240 MB is 5.79 vCPU: five at once, two waves.
        let max = m.row(10_240);
        assert_eq!(max.in_flight, 5);
        assert!((max.batch_ms - 800.0).abs() < 1e-9);

        // Never more in flight than the batch.
        let single = Model { batch_size: 1, ..m }.row(10_240);
        assert_eq!(single.in_flight, 1);
        assert!((single.batch_ms - 400.0).abs() < 1e-9);
    }

    #[test]
    fn fits_compares_needed_memory_with_memory_size() {
        let m = model();
        assert!(!m.row(256).fits); // needs 350
        assert!(m.row(512).fits);
        // 7076 MB = 4 vCPU: 4 x 300 + 50 = 1250 MB needed.
        let r = m.row(7076);
        assert_eq!(r.in_flight, 4);
        assert!(r.fits);
        let greedy = Model {
            peak_mb_per_image: 2000.0,
            ..m
        };
        assert!(!greedy.row(7076).fits); // 4 x 3000 + 50
    }

    #[test]
    fn cost_is_gb_seconds_times_price_plus_requests() {
        let r = model().row(1024);
        // 1 GB, 10 images x 400 ms / (1024/1769) vCPU, per image.
        let seconds_per_image = 0.4 * 1769.0 / 1024.0;
        let requests = 0.20 / 10.0;
        assert!((r.cost_x86_64 - (seconds_per_image * 0.000_016_666_7 * 1e6 + requests)).abs() < 1e-9);
        assert!((r.cost_arm64 - (seconds_per_image * 0.000_013_333_4 * 1e6 + requests)).abs() < 1e-9);
        assert_eq!(r.architecture(), "arm64");
    }

    #[test]
    fn cheapest_row_that_fits_and_meets_the_target_is_chosen() {
        let m = model();
        let rows = m.table(&sizes());
        let i = cheapest(&rows).unwrap();
        // Up to one vCPU the cost per image is the same (time scales inversely with memory): 512 and
        // 1024 MB miss the 5 s target, 1536 MB meets it, and 1769 MB costs the same (the tie goes to the
        // smaller). Above one vCPU the fraction is unused until a second image runs in parallel.
        assert_eq!(rows[i].memory_mb, 1536);
        assert!(rows[3].ok() && (rows[3].cost_arm64 - rows[i].cost_arm64).abs() < 1e-9);
        assert!(rows[4].ok() && rows[4].cost_arm64 > rows[i].cost_arm64);
        assert!(rows[i].ok());
        for r in rows.iter().filter(|r| r.ok()) {
            assert!(r.cost_arm64 >= rows[i].cost_arm64 - 1e-12);
        }
        // A tight target moves the choice to parallel rows.
        let tight = Model {
            latency_target_ms: 1000.0,
            ..m
        };
        let rows = tight.table(&sizes());
        let i = cheapest(&rows).unwrap();
        assert_eq!(rows[i].memory_mb, 10_240);
        // An impossible target: nothing is chosen, the fastest fitting row is the fallback.
        let impossible = Model {
            latency_target_ms: 10.0,
            ..m
        };
        let rows = impossible.table(&sizes());
        assert_eq!(cheapest(&rows), None);
        assert_eq!(rows[fastest_fitting(&rows).unwrap()].memory_mb, 10_240);
        // Nothing fits at all.
        let huge = Model {
            peak_mb_per_image: 1e6,
            ..m
        };
        let rows = huge.table(&sizes());
        assert_eq!(cheapest(&rows), None);
        assert_eq!(fastest_fitting(&rows), None);
    }

    #[test]
    fn timeout_visibility_and_concurrency() {
        assert_eq!(timeout_s(4000.0, 3.0, 10).unwrap(), 12);
        assert_eq!(timeout_s(100.0, 3.0, 10).unwrap(), 10);
        assert_eq!(timeout_s(4001.0, 3.0, 1).unwrap(), 13);
        assert!(timeout_s(400_000.0, 3.0, 10).is_err());
        for t in [1, 10, 12, 900] {
            assert_eq!(visibility_timeout_s(t), 6 * t);
        }
        let row = model().row(1769); // 10 images in 4 s: 2.5 images/s per instance
        assert_eq!(max_concurrency(None, &row, 10, 10), 10);
        assert_eq!(max_concurrency(Some(25.0), &row, 10, 10), 15);
        assert_eq!(max_concurrency(Some(0.1), &row, 10, 10), 2);
        assert_eq!(max_concurrency(Some(1e9), &row, 10, 10), 1000);
    }

    #[test]
    fn parameter_file_is_a_cloudformation_parameter_list() {
        let p = Params {
            memory_mb: 1769,
            timeout_s: 12,
            visibility_timeout_s: 72,
            max_concurrency: 10,
            architecture: "arm64",
            batch_size: 10,
        };
        let text = p.to_cloudformation();
        assert!(text.starts_with('[') && text.trim_end().ends_with(']'));
        for (k, v) in [
            ("MemorySize", "1769"),
            ("Timeout", "12"),
            ("VisibilityTimeout", "72"),
            ("MaxConcurrency", "10"),
            ("Architecture", "arm64"),
            ("BatchSize", "10"),
        ] {
            assert!(
                text.contains(&format!(
                    "{{\"ParameterKey\": \"{k}\", \"ParameterValue\": \"{v}\"}}"
                )),
                "{k} in {text}"
            );
        }
        assert_eq!(text.matches("ParameterKey").count(), 6);
    }

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
        assert_eq!(r[1].1.background_rgb(), [255, 255, 255]);
        assert!(parse_renditions(&["nonsense".into()]).is_err());

        let (ms, base, peak) = parse_report(
            "imgkit-calibration hwm_start_kib=2048 hwm_first_kib=9000 hwm_end_kib=10240 ms=30,10,20\n",
        )
        .unwrap();
        assert_eq!((ms, base, peak), (20.0, 2.0, 8.0));
        assert!(parse_report("garbage").is_err());
    }
}
