//! What to size for: the workload `imgkit sizing` describes, and the checks on it.

use std::path::PathBuf;

use anyhow::{bail, ensure, Result};
use imgkit::Limits;

use crate::calibrate::{dimensions, parse_renditions, SampleFormat};
use crate::model::{LAMBDA_MAX_TIMEOUT_S, LAMBDA_MEMORY_MB, SQS_CONCURRENCY};

/// The renditions sized when the workload names none.
pub const DEFAULT_RENDITIONS: [&str; 3] = [
    "large=1600w,jpeg:85",
    "medium=800w,webp:80",
    "thumb=200x200,cover,webp:80",
];

/// What to size for.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Largest input, in megapixels.
    pub max_megapixels: f64,
    /// Aspect ratio (W/H) of the largest input.
    pub aspect: f64,
    /// Input format to calibrate with.
    pub format: SampleFormat,
    /// `[NAME=]SPEC` renditions made from every input.
    pub renditions: Vec<String>,
    /// Images per invocation (the SQS event source's BatchSize).
    pub batch_size: u32,
    /// Latency target for one invocation (a batch of largest images), ms.
    pub latency_ms: f64,
    /// Safety factor on the peak memory per image.
    pub safety: f64,
    /// Allowance for the Lambda runtime and the S3 client on top of the measured baseline, MB.
    pub runtime_overhead_mb: f64,
    /// Timeout = max(`min_timeout`, ceil(margin × batch latency)).
    pub timeout_margin: f64,
    /// Smallest Timeout recommended, s.
    pub min_timeout: u32,
    /// Sustained arrival rate, when known: derives MaxConcurrency.
    pub images_per_second: Option<f64>,
    /// MaxConcurrency without a rate.
    pub max_concurrency: u32,
    /// Memory sizes to tabulate, MB.
    pub memory_sizes: Vec<u32>,
    /// Timed runs per calibration size.
    pub iterations: u32,
    /// Also measure the largest image itself (not only the extrapolation).
    pub check: bool,
    /// A folder of the user's own uploads: the largest of the workload's format calibrates the
    /// generated images' figures (and is the only calibration for HEIC and AVIF, which are not generated).
    pub samples: Option<PathBuf>,
}

impl Workload {
    /// Refuses values the model cannot use, naming the flag of `imgkit sizing` that set them.
    pub fn validate(&self) -> Result<()> {
        let limits = Limits::default();
        parse_renditions(&self.renditions)?;
        let mp = self.max_megapixels;
        ensure!(
            mp.is_finite() && mp >= 0.1,
            "--max-megapixels must be at least 0.1, got {mp}"
        );
        let (max_width, max_height) = dimensions(mp, self.aspect);
        let pixels = u64::from(max_width) * u64::from(max_height);
        ensure!(
            pixels <= limits.max_pixels && max_width <= limits.max_width && max_height <= limits.max_height,
            "{max_width}x{max_height} ({mp} MP) is beyond the default limits ({} MP, {}x{}): imgkit would reject it",
            limits.max_pixels as f64 / 1e6,
            limits.max_width,
            limits.max_height
        );
        ensure!(
            self.format != SampleFormat::Webp || (max_width <= 16383 && max_height <= 16383),
            "WebP images cannot be larger than 16383 pixels a side"
        );
        ensure!(
            (1..=10_000).contains(&self.batch_size),
            "--batch-size must be 1-10000 (SQS's limit)"
        );
        ensure!(
            self.latency_ms.is_finite() && self.latency_ms > 0.0,
            "--latency-ms must be positive"
        );
        ensure!(
            self.safety.is_finite() && self.safety >= 1.0,
            "--safety must be at least 1"
        );
        ensure!(
            self.runtime_overhead_mb.is_finite() && self.runtime_overhead_mb >= 0.0,
            "--runtime-overhead-mb must not be negative"
        );
        ensure!(
            self.timeout_margin.is_finite() && self.timeout_margin >= 1.0,
            "--timeout-margin must be at least 1"
        );
        ensure!(
            (1..=LAMBDA_MAX_TIMEOUT_S).contains(&self.min_timeout),
            "--min-timeout must be 1-{LAMBDA_MAX_TIMEOUT_S} s"
        );
        ensure!(
            SQS_CONCURRENCY.contains(&self.max_concurrency),
            "--max-concurrency must be 2-1000 (SQS's range)"
        );
        if let Some(rate) = self.images_per_second {
            ensure!(
                rate.is_finite() && rate > 0.0,
                "--images-per-second must be positive"
            );
        }
        ensure!(!self.memory_sizes.is_empty(), "--memory-sizes is empty");
        if let Some(bad) = self.memory_sizes.iter().find(|mb| !LAMBDA_MEMORY_MB.contains(mb)) {
            bail!("--memory-sizes: {bad} MB is outside Lambda's 128-10240 MB");
        }
        ensure!((1..=100).contains(&self.iterations), "--iterations must be 1-100");
        Ok(())
    }

    /// The largest image's width and height.
    pub fn max_size(&self) -> (u32, u32) {
        dimensions(self.max_megapixels, self.aspect)
    }
}
