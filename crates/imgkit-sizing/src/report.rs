//! What sizing found and recommends: the table for a terminal, and the same as JSON.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::calibrate::{Line, Point};
use crate::capacity::{MAX_CORES, MB_PER_VCPU};
use crate::model::{
    Model, Params, Row, CONCURRENCY_HEADROOM, PRICE_ARM64_GB_S, PRICE_PER_MILLION_REQUESTS,
    PRICE_X86_64_GB_S, VISIBILITY_PER_TIMEOUT,
};
use crate::workload::Workload;

/// Warn when the extrapolated memory misses a measurement by more than this fraction.
const CHECK_WARNING: f64 = 0.2;

const MIB: f64 = 1024.0 * 1024.0;

/// Time and peak memory of one image of the largest size.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Estimate {
    /// Wall time on one vCPU, ms.
    pub ms: f64,
    /// Peak above the process baseline, MB.
    pub peak_mb: f64,
}

/// The user's sample upload that calibrated the figures (`--samples`).
#[derive(Clone, Debug, Serialize)]
pub struct SampleCalibration {
    /// The largest upload of the workload's format in the folder.
    pub file: std::path::PathBuf,
    /// It, measured.
    pub measured: Point,
    /// A generated image of its very size, measured (none for HEIC and AVIF, which are not generated).
    pub generated: Option<Point>,
    /// measured ÷ generated peak memory, applied to the generated figures (1 without a twin).
    pub memory_factor: f64,
    /// measured ÷ generated time, applied likewise.
    pub time_factor: f64,
}

/// The result of [`size`](crate::size).
#[derive(Clone, Debug)]
pub struct Sizing {
    /// What was sized.
    pub workload: Workload,
    /// The largest image's width.
    pub max_width: u32,
    /// The largest image's height.
    pub max_height: u32,
    /// Its megapixels.
    pub max_mp: f64,
    /// The calibration sizes, smallest first.
    pub points: Vec<Point>,
    /// Time per image, fitted in megapixels.
    pub time: Line,
    /// Peak memory per image, fitted in megapixels.
    pub memory: Line,
    /// This binary's own high-water mark before any image, MB.
    pub process_baseline_mb: f64,
    /// Input size of a largest image, extrapolated, bytes.
    pub input_bytes_at_max: f64,
    /// Relative miss of the memory line at the smallest calibration size.
    pub linearity: f64,
    /// Extrapolated to the largest size.
    pub predicted: Estimate,
    /// Measured at the largest size (unless skipped or over the input limit).
    pub check: Option<Point>,
    /// The sample upload that calibrated the figures (`--samples`).
    pub sample: Option<SampleCalibration>,
    /// The model with the figures used.
    pub model: Model,
    /// The model at every memory size.
    pub rows: Vec<Row>,
    /// The recommended row.
    pub chosen: usize,
    /// Whether it meets the latency target.
    pub meets: bool,
    /// The recommended parameters.
    pub params: Params,
    /// imgkit's input size limit, bytes.
    pub max_input_bytes: u64,
}

#[derive(Serialize)]
struct RowJson<'a> {
    #[serde(flatten)]
    row: &'a Row,
    recommended: bool,
}

#[derive(Serialize)]
struct SizingJson<'a> {
    max_megapixels: f64,
    max_width: u32,
    max_height: u32,
    format: &'static str,
    batch_size: u32,
    latency_target_ms: f64,
    safety: f64,
    process_baseline_mb: f64,
    baseline_mb: f64,
    predicted_peak_mb_per_image: f64,
    predicted_ms_per_image: f64,
    memory_line_error_at_smallest: f64,
    check: Option<&'a Point>,
    sample: Option<&'a SampleCalibration>,
    peak_mb_per_image: f64,
    ms_per_image: f64,
    calibration: &'a [Point],
    rows: Vec<RowJson<'a>>,
    meets_target: bool,
    parameters: &'a Params,
    warnings: Vec<String>,
}

impl Sizing {
    /// What the reader should know before trusting the recommendation.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if cfg!(debug_assertions) {
            w.push(
                "this is a debug build: its timings are far slower than a release build; \
                 size with `cargo run --release -p imgkit-cli -- sizing ...`"
                    .to_string(),
            );
        }
        let limit = self.max_input_bytes as f64;
        if self.input_bytes_at_max > limit {
            w.push(format!(
                "a largest {} input is about {:.1} MiB, over the default max_input_bytes ({:.0} MiB): \
                 such files would be rejected",
                self.workload.format.name(),
                self.input_bytes_at_max / MIB,
                limit / MIB
            ));
        }
        if let Some(c) = &self.check {
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
                self.workload.latency_ms, self.workload.batch_size
            ));
        }
        w
    }

    /// The table, the recommendation, the warnings and the assumptions, for a terminal.
    /// `params_out` is where the parameter file was written, if it was.
    pub fn text(&self, params_out: Option<&Path>) -> String {
        let a = &self.workload;
        let m = &self.model;
        let mut s = String::new();
        let _ = writeln!(s, "imgkit sizing");
        let _ = writeln!(
            s,
            "  workload: largest input {:.1} MP ({}x{} {}), renditions {}",
            self.max_mp,
            self.max_width,
            self.max_height,
            a.format.name(),
            a.renditions.join(" ")
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
        for p in &self.points {
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
        match &self.check {
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
                let why = if !a.format.generated() {
                    "no generated images of this format"
                } else if !a.check {
                    "--no-check"
                } else {
                    "its input would be over max_input_bytes"
                };
                let _ = writeln!(s, "  largest size not measured ({why})");
            }
        }
        if let Some(c) = &self.sample {
            let m = &c.measured;
            let _ = writeln!(
                s,
                "  sample upload {} ({}x{}, {:.1} MP): {:.0} ms/image, peak {:.1} MB/image ({:.1} MB of it \
                 in the decoding sandbox's child)",
                c.file.display(),
                m.width,
                m.height,
                m.megapixels(),
                m.ms,
                m.peak_mb,
                m.child_peak_mb
            );
            match &c.generated {
                Some(g) => {
                    let _ = writeln!(
                        s,
                        "    a generated image of its size: {:.0} ms, {:.1} MB; figures scaled by x{:.2} \
                         (memory) and x{:.2} (time)",
                        g.ms, g.peak_mb, c.memory_factor, c.time_factor
                    );
                }
                None => {
                    let _ = writeln!(s, "    scaled in proportion to megapixels");
                }
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
        let p = &self.params;
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
        match params_out {
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

    /// The model's assumptions, spelled out.
    pub fn assumptions(&self) -> Vec<String> {
        let a = &self.workload;
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
                "CPU share is MemorySize / {MB_PER_VCPU} vCPU (AWS). The function processes min(cores, \
                 ceil(MemorySize / {MB_PER_VCPU})) images at once, at most the batch (imgkit_sizing::capacity, \
                 the model the function itself runs by; at most {MAX_CORES} cores); each image is \
                 single-threaded, and images that share less than a vCPU each take proportionally longer."
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
}

impl Sizing {
    /// Everything as one JSON document.
    pub fn json(&self) -> serde_json::Result<String> {
        let doc = SizingJson {
            max_megapixels: self.max_mp,
            max_width: self.max_width,
            max_height: self.max_height,
            format: self.workload.format.name(),
            batch_size: self.workload.batch_size,
            latency_target_ms: self.workload.latency_ms,
            safety: self.workload.safety,
            process_baseline_mb: self.process_baseline_mb,
            baseline_mb: self.model.baseline_mb,
            predicted_peak_mb_per_image: self.predicted.peak_mb,
            predicted_ms_per_image: self.predicted.ms,
            memory_line_error_at_smallest: self.linearity,
            check: self.check.as_ref(),
            sample: self.sample.as_ref(),
            peak_mb_per_image: self.model.peak_mb_per_image,
            ms_per_image: self.model.ms_per_image,
            calibration: &self.points,
            rows: self
                .rows
                .iter()
                .enumerate()
                .map(|(i, row)| RowJson {
                    row,
                    recommended: i == self.chosen,
                })
                .collect(),
            meets_target: self.meets,
            parameters: &self.params,
            warnings: self.warnings(),
        };
        Ok(serde_json::to_string_pretty(&doc)? + "\n")
    }
}
