//! The sizing run: a workload in, calibration on this machine, the model over memory sizes, a
//! recommendation out.

use std::path::Path;

use anyhow::{anyhow, bail, ensure, Context, Result};
use imgkit::Limits;

use crate::calibrate::{
    calibrate_file, calibrate_point, dimensions, largest_sample, ChildCommand, Line, Point,
};
use crate::model::{
    cheapest, fastest_fitting, max_concurrency, timeout_s, visibility_timeout_s, Model, Params,
    LAMBDA_MEMORY_MB, SQS_MAX_VISIBILITY_S,
};
use crate::report::{Estimate, SampleCalibration, Sizing};
use crate::workload::Workload;

/// Calibration sizes as fractions of the largest image's area.
const CALIBRATION_FRACTIONS: [f64; 3] = [0.125, 0.25, 0.5];

const MIB: f64 = 1024.0 * 1024.0;

/// Calibrates on this machine (each size in a process made by `child`) and sizes the function.
pub fn size(workload: &Workload, child: &ChildCommand<'_>) -> Result<Sizing> {
    workload.validate()?;
    let limits = Limits::default();
    let (max_width, max_height) = workload.max_size();
    let max_mp = f64::from(max_width) * f64::from(max_height) / 1e6;
    let aspect = f64::from(max_width) / f64::from(max_height);
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    calibrate_and_model(
        workload,
        child,
        dir.path(),
        &limits,
        (max_width, max_height),
        max_mp,
        aspect,
    )
}

fn calibrate_and_model(
    workload: &Workload,
    child: &ChildCommand<'_>,
    dir: &Path,
    limits: &Limits,
    (max_width, max_height): (u32, u32),
    max_mp: f64,
    aspect: f64,
) -> Result<Sizing> {
    let point = |name: &str, size: (u32, u32)| {
        let r = &workload.renditions;
        calibrate_point(
            child,
            dir,
            name,
            workload.format,
            size,
            r,
            workload.iterations,
            limits,
        )
    };
    let too_big = |(width, height): (u32, u32), bytes: u64| {
        anyhow!(
            "a {width}x{height} {} calibration image is {:.1} MiB, over the default max_input_bytes \
             ({:.0} MiB): imgkit rejects such inputs; lower --max-megapixels",
            workload.format,
            bytes as f64 / MIB,
            limits.max_input_bytes as f64 / MIB
        )
    };
    // The user's own largest upload of the format, measured as it is.
    let sample = match &workload.samples {
        Some(dir) => largest_sample(dir, workload.format, u64::from(max_width) * u64::from(max_height))?
            .map(|(file, size)| {
                calibrate_file(child, &file, size, &workload.renditions, workload.iterations)
                    .map(|point| (file, point))
            })
            .transpose()?,
        None => None,
    };
    if !workload.format.generated() {
        // HEIC and AVIF: no generated images, so the sample alone, scaled in proportion to megapixels
        // (a line through the origin, which overstates what a fixed part of the peak would add).
        let (file, measured) = sample.with_context(|| {
            format!(
                "{} calibration needs --samples DIR holding {} uploads (none is generated here)",
                workload.format, workload.format
            )
        })?;
        let through = |y: f64| Line {
            intercept: 0.0,
            slope: y / measured.megapixels(),
        };
        let (time, memory) = (through(measured.ms), through(measured.peak_mb));
        let predicted = Estimate {
            ms: time.at(max_mp).max(measured.ms),
            peak_mb: memory.at(max_mp).max(measured.peak_mb),
        };
        let calibration = SampleCalibration {
            file,
            measured: measured.clone(),
            generated: None,
            memory_factor: 1.0,
            time_factor: 1.0,
        };
        let input = through(measured.input_bytes as f64).at(max_mp);
        return model_and_recommend(
            workload,
            limits,
            (max_width, max_height, max_mp),
            Calibrated {
                points: vec![measured],
                time,
                memory,
                linearity: 0.0,
                input_bytes_at_max: input,
                predicted,
                check: None,
                used: predicted,
                sample: Some(calibration),
            },
        );
    }
    let mut points = Vec::new();
    for (i, fraction) in CALIBRATION_FRACTIONS.iter().enumerate() {
        let size = dimensions(max_mp * fraction, aspect);
        points.push(point(&format!("calibration-{i}"), size)?.map_err(|bytes| too_big(size, bytes))?);
    }

    // Extrapolate from the two larger sizes, the regime nearest the largest image: at the smallest,
    // a rendition may not even be a downscale. The smallest size shows how straight the line is.
    let fit = |near: &[Point], y: fn(&Point) -> f64| {
        Line::fit(&near.iter().map(|p| (p.megapixels(), y(p))).collect::<Vec<_>>())
    };
    let time = fit(&points[1..], |p| p.ms);
    let memory = fit(&points[1..], |p| p.peak_mb);
    let linearity = memory.at(points[0].megapixels()) / points[0].peak_mb - 1.0;
    let input = fit(&points, |p| p.input_bytes as f64);
    // Never predict less at the largest size than was measured at a smaller one.
    let largest = points.iter().fold((0.0_f64, 0.0_f64), |acc, p| {
        (acc.0.max(p.ms), acc.1.max(p.peak_mb))
    });
    let predicted = Estimate {
        ms: time.at(max_mp).max(largest.0),
        peak_mb: memory.at(max_mp).max(largest.1),
    };
    let input_bytes_at_max = input.at(max_mp).max(0.0);

    // The check: the largest image itself. JPEG shrink-on-load makes memory a sawtooth in megapixels
    // (each DCT scale step quarters the decode), which no line through smaller sizes follows.
    let check = if workload.check {
        point("largest", (max_width, max_height))?.ok()
    } else {
        None
    };
    let mut used = match &check {
        Some(c) => Estimate {
            ms: predicted.ms.max(c.ms),
            peak_mb: predicted.peak_mb.max(c.peak_mb),
        },
        None => predicted,
    };

    // A real upload is measured beside a generated image of its very size: their ratio carries the
    // generated figures over to real photos (which needed more on the shared photos, by how much
    // depending on the file: progressive, subsampling), never below what the sample itself needed.
    let sample = match sample {
        Some((file, measured)) => {
            let twin = point("sample-twin", (measured.width, measured.height))?
                .map_err(|bytes| too_big((measured.width, measured.height), bytes))?;
            let memory_factor = measured.peak_mb / twin.peak_mb.max(0.1);
            let time_factor = measured.ms / twin.ms.max(0.001);
            used = Estimate {
                ms: (used.ms * time_factor).max(measured.ms),
                peak_mb: (used.peak_mb * memory_factor).max(measured.peak_mb),
            };
            Some(SampleCalibration {
                file,
                measured,
                generated: Some(twin),
                memory_factor,
                time_factor,
            })
        }
        None => None,
    };
    model_and_recommend(
        workload,
        limits,
        (max_width, max_height, max_mp),
        Calibrated {
            points,
            time,
            memory,
            linearity,
            input_bytes_at_max,
            predicted,
            check,
            used,
            sample,
        },
    )
}

/// What calibration found, before the model.
struct Calibrated {
    points: Vec<Point>,
    time: Line,
    memory: Line,
    linearity: f64,
    input_bytes_at_max: f64,
    predicted: Estimate,
    check: Option<Point>,
    /// The figures the model uses.
    used: Estimate,
    sample: Option<SampleCalibration>,
}

/// The model over memory sizes from the calibrated figures, and the recommendation.
fn model_and_recommend(
    workload: &Workload,
    limits: &Limits,
    (max_width, max_height, max_mp): (u32, u32, f64),
    calibrated: Calibrated,
) -> Result<Sizing> {
    let c = calibrated;
    let process_baseline_mb = c.points.iter().map(|p| p.baseline_mb).fold(0.0, f64::max);

    let model = Model {
        baseline_mb: process_baseline_mb + workload.runtime_overhead_mb,
        peak_mb_per_image: c.used.peak_mb,
        ms_per_image: c.used.ms,
        batch_size: workload.batch_size,
        safety: workload.safety,
        latency_target_ms: workload.latency_ms,
    };
    let rows = model.table(&workload.memory_sizes);
    let (chosen, meets) = match cheapest(&rows) {
        Some(i) => (i, true),
        None => match fastest_fitting(&rows) {
            Some(i) => (i, false),
            None => bail!(
                "no memory size fits: one largest image needs {:.0} MB; add a larger --memory-sizes entry \
                 or lower --max-megapixels",
                model.row(*LAMBDA_MEMORY_MB.end()).needed_mb
            ),
        },
    };
    let row = &rows[chosen];
    let timeout = timeout_s(row.batch_ms, workload.timeout_margin, workload.min_timeout)?;
    let visibility = visibility_timeout_s(timeout);
    ensure!(
        visibility <= SQS_MAX_VISIBILITY_S,
        "visibility timeout {visibility} s exceeds SQS's {SQS_MAX_VISIBILITY_S} s"
    );
    let params = Params {
        memory_mb: row.memory_mb,
        timeout_s: timeout,
        visibility_timeout_s: visibility,
        max_concurrency: max_concurrency(
            workload.images_per_second,
            row,
            workload.batch_size,
            workload.max_concurrency,
        ),
        architecture: row.architecture(),
        batch_size: workload.batch_size,
    };
    Ok(Sizing {
        workload: workload.clone(),
        max_width,
        max_height,
        max_mp,
        points: c.points,
        time: c.time,
        memory: c.memory,
        process_baseline_mb,
        input_bytes_at_max: c.input_bytes_at_max,
        linearity: c.linearity,
        predicted: c.predicted,
        check: c.check,
        sample: c.sample,
        model,
        rows,
        chosen,
        meets,
        params,
        max_input_bytes: limits.max_input_bytes,
    })
}
