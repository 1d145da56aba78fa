//! The price and latency model over Lambda memory sizes: pure arithmetic on a calibration's figures, and
//! the parameters it recommends.

use anyhow::{ensure, Result};
use serde::Serialize;

use crate::capacity::Capacity;

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

/// The memory sizes tabulated when the workload names none, MB.
pub const DEFAULT_MEMORY_SIZES: [u32; 10] = [512, 1024, 1536, 1769, 2048, 3008, 3538, 5307, 7076, 10240];

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
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// Lambda MemorySize, MB.
    pub memory_mb: u32,
    /// CPU share.
    pub vcpu: f64,
    /// Images processed at once ([`Capacity::images_in_flight`], at most the batch).
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
    /// The model at one memory size: the function runs [`Capacity::of`] images at once (at most the
    /// batch), and each takes longer when they share less than a vCPU each.
    pub fn row(&self, memory_mb: u32) -> Row {
        let capacity = Capacity::of(u64::from(memory_mb), None);
        let batch = self.batch_size.max(1);
        let in_flight = u32::try_from(capacity.images_in_flight)
            .unwrap_or(u32::MAX)
            .clamp(1, batch);
        let ms_per_image = self.ms_per_image * capacity.slowdown(in_flight as usize);
        let waves = batch.div_ceil(in_flight);
        let batch_ms = f64::from(waves) * ms_per_image;
        let needed_mb = self.baseline_mb + f64::from(in_flight) * self.peak_mb_per_image * self.safety;
        let gb_seconds_per_image = f64::from(memory_mb) / 1024.0 * batch_ms / 1000.0 / f64::from(batch);
        let requests = PRICE_PER_MILLION_REQUESTS / f64::from(batch);
        Row {
            memory_mb,
            vcpu: capacity.vcpu,
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Params {
    /// Lambda MemorySize, MB.
    #[serde(rename = "MemorySize")]
    pub memory_mb: u32,
    /// Lambda Timeout, s.
    #[serde(rename = "Timeout")]
    pub timeout_s: u32,
    /// SQS VisibilityTimeout, s.
    #[serde(rename = "VisibilityTimeout")]
    pub visibility_timeout_s: u32,
    /// SQS event source ScalingConfig.MaximumConcurrency.
    #[serde(rename = "MaxConcurrency")]
    pub max_concurrency: u32,
    /// `arm64` or `x86_64`.
    #[serde(rename = "Architecture")]
    pub architecture: &'static str,
    /// SQS event source BatchSize the model assumed.
    #[serde(rename = "BatchSize")]
    pub batch_size: u32,
}

/// One entry of a CloudFormation parameter file.
#[derive(Serialize)]
struct Parameter {
    #[serde(rename = "ParameterKey")]
    key: &'static str,
    #[serde(rename = "ParameterValue")]
    value: String,
}

impl Params {
    /// CloudFormation parameter-file JSON: `[{"ParameterKey": ..., "ParameterValue": ...}, ...]`, every
    /// value a string.
    pub fn to_cloudformation(&self) -> Result<String> {
        let list = [
            ("MemorySize", self.memory_mb.to_string()),
            ("Timeout", self.timeout_s.to_string()),
            ("VisibilityTimeout", self.visibility_timeout_s.to_string()),
            ("MaxConcurrency", self.max_concurrency.to_string()),
            ("Architecture", self.architecture.to_string()),
            ("BatchSize", self.batch_size.to_string()),
        ]
        .map(|(key, value)| Parameter { key, value });
        Ok(serde_json::to_string_pretty(&list)? + "\n")
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
        DEFAULT_MEMORY_SIZES.to_vec()
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

        // A hair over one vCPU: the function runs two images at once (sharing the CPU), so memory for two
        // and about the same batch time.
        let over = m.row(1770);
        assert_eq!(over.in_flight, 2);
        assert!((over.needed_mb - (50.0 + 2.0 * 300.0)).abs() < 1e-9);
        assert!((over.batch_ms - 5.0 * 400.0 * 2.0 * 1769.0 / 1770.0).abs() < 1e-6);

        // 3538 MB = 2 vCPU: two images at once, five waves, twice the memory.
        let two = m.row(3538);
        assert_eq!(two.in_flight, 2);
        assert!((two.batch_ms - 2000.0).abs() < 1e-9);
        assert!((two.needed_mb - (50.0 + 2.0 * 300.0)).abs() < 1e-9);

        // 10,240 MB is 5.79 vCPU on 6 cores: six at once (each slowed by 6 / 5.79), two waves.
        let max = m.row(10_240);
        assert_eq!(max.in_flight, 6);
        assert!((max.batch_ms - 2.0 * 400.0 * 6.0 * 1769.0 / 10_240.0).abs() < 1e-6);

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
        let text = p.to_cloudformation().unwrap();
        let list: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(list.as_array().unwrap().len(), 6);
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
                list.as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["ParameterKey"] == k && e["ParameterValue"] == v),
                "{k} in {text}"
            );
        }
        assert_eq!(text.matches("ParameterKey").count(), 6);
    }
}
