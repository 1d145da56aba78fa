//! `imgkit sizing`: recommends AWS Lambda settings (MemorySize, Timeout, SQS visibility timeout, maximum
//! concurrency, architecture) for a stated workload. A thin subcommand over `imgkit_sizing`, which holds
//! the capacity model the function runs by, the price model and the calibration; this binary is also the
//! calibration's child process (the hidden `--calibrate-one FILE`).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result};
use clap::Args;
use imgkit_sizing::calibrate::{calibrate_one, parse_aspect, SampleFormat};
use imgkit_sizing::{Workload, DEFAULT_RENDITIONS};

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
    /// Input format to calibrate with: jpeg, png, webp, heic, avif (heic and avif need --samples: no
    /// encoder here generates them; their decoding sandbox's child is measured too).
    #[arg(long, default_value_t = SampleFormat::Jpeg)]
    pub format: SampleFormat,
    /// A folder of your own uploads: the largest of --format there is measured, and the figures of the
    /// generated calibration images are scaled to what it needs (real photos need more than generated
    /// ones). The only calibration for heic and avif.
    #[arg(long, value_name = "DIR")]
    pub samples: Option<PathBuf>,
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
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "512,1024,1536,1769,2048,3008,3538,5307,7076,10240",
        value_name = "MB,..."
    )]
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

/// Runs the sub-command: 0 when a configuration meets the latency target, 1 when none does (the fastest
/// one that fits is still recommended and written), 2 on errors.
pub fn run(args: SizingArgs) -> ExitCode {
    let result = match &args.calibrate_one {
        Some(file) => calibrate_one(file, &renditions(&args), args.iterations).map(|line| {
            println!("{line}");
            true
        }),
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

fn renditions(args: &SizingArgs) -> Vec<String> {
    if args.renditions.is_empty() {
        DEFAULT_RENDITIONS.iter().map(|s| s.to_string()).collect()
    } else {
        args.renditions.clone()
    }
}

/// Returns whether a configuration meets the target.
fn sizing(args: &SizingArgs) -> Result<bool> {
    let workload = Workload {
        max_megapixels: args.max_megapixels,
        aspect: parse_aspect(&args.aspect)?,
        format: args.format,
        renditions: renditions(args),
        batch_size: args.batch_size,
        latency_ms: args.latency_ms,
        safety: args.safety,
        runtime_overhead_mb: args.runtime_overhead_mb,
        timeout_margin: args.timeout_margin,
        min_timeout: args.min_timeout,
        images_per_second: args.images_per_second,
        max_concurrency: args.max_concurrency,
        memory_sizes: args.memory_sizes.clone(),
        iterations: args.iterations,
        check: !args.no_check,
        samples: args.samples.clone(),
    };
    let exe = std::env::current_exe().context("locating the imgkit binary")?;
    let child = |file: &Path, renditions: &[String], iterations: u32| {
        let mut cmd = Command::new(&exe);
        cmd.args(["sizing", "--calibrate-one"]).arg(file);
        cmd.arg("--iterations").arg(iterations.to_string());
        for r in renditions {
            cmd.arg("--rendition").arg(r);
        }
        cmd
    };
    let sizing = imgkit_sizing::size(&workload, &child)?;
    if let Some(path) = &args.params_out {
        crate::resize::atomic_write(path, sizing.params.to_cloudformation()?.as_bytes())?;
    }
    if args.json {
        print!("{}", sizing.json()?);
    } else {
        print!("{}", sizing.text(args.params_out.as_deref()));
    }
    Ok(sizing.meets)
}
