//! One input file, start to end: size check, malware scan, memory reservation, read, probe and plan once,
//! output names from that probe, resume check, decode and render exactly the probed bytes, atomic writes.

use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use imgkit::{Admitted, Class, Error, Format, OutputFormat, Planned, Processor, Spec};

use super::budget::Budget;
use super::job::Job;
use super::outcome::{FileOutcome, FileReport, OutputEntry};
use super::scan::Verdict;
use super::walk::Input;
use super::write::atomic_write;

/// Processes one input; every way it can end is in the report. `stop` ends a malware scan in progress (the
/// file is then not started).
pub fn process(
    processor: &mut Processor,
    job: &Job,
    budget: &Budget,
    input: &Input,
    stop: &AtomicBool,
) -> FileReport {
    let mut report = FileReport::new(input, FileOutcome::NotStarted);
    report.outcome = match run(processor, job, budget, input, stop, &mut report) {
        Ok(outcome) | Err(outcome) => outcome,
    };
    report
}

fn failed(what: &str, e: &dyn std::fmt::Display) -> FileOutcome {
    FileOutcome::Failed(format!("{what}: {e}"))
}

fn rejected(e: Error) -> FileOutcome {
    FileOutcome::Rejected(e.kind().to_string(), e.to_string())
}

fn over_budget(why: String) -> FileOutcome {
    FileOutcome::Rejected("limit:max_memory".into(), why)
}

/// `--scan-command`, unless this is a dry run. `Ok(true)`: scanned, and clean.
fn scan(job: &Job, input: &Input, stop: &AtomicBool) -> Result<bool, FileOutcome> {
    let Some(scanner) = job.scan.as_ref().filter(|_| !job.dry_run) else {
        return Ok(false);
    };
    match scanner.scan(&input.path, stop) {
        Verdict::Clean => Ok(true),
        Verdict::Infected(why) => Err(FileOutcome::Rejected("malware".into(), why)),
        Verdict::Error(why) => Err(FileOutcome::Failed(why)),
        Verdict::Interrupted => Err(FileOutcome::NotStarted),
    }
}

/// The bytes read are those the scanner saw: same length, and the file not modified since `before`, its
/// metadata from before the scan.
fn unchanged_since_scan(path: &Path, before: &Metadata, bytes: &[u8]) -> bool {
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    bytes.len() as u64 == before.len() && modified == before.modified().ok()
}

fn run(
    processor: &mut Processor,
    job: &Job,
    budget: &Budget,
    input: &Input,
    stop: &AtomicBool,
    report: &mut FileReport,
) -> Result<FileOutcome, FileOutcome> {
    let meta = std::fs::metadata(&input.path).map_err(|e| failed("cannot read", &e))?;
    // Checked before reading, so an oversized file is never loaded into memory.
    let admitted = processor.limits().admit(meta.len()).map_err(rejected)?;
    // Before a byte of it is read, and before it holds any of the memory budget.
    let scanned = scan(job, input, stop)?;
    let mut reservation = budget.reserve(meta.len()).map_err(over_budget)?;
    let read = || {
        let bytes = std::fs::read(&input.path).map_err(|e| failed("cannot read", &e))?;
        if scanned && !unchanged_since_scan(&input.path, &meta, &bytes) {
            return Err(FileOutcome::Failed(
                "changed after its malware scan, so what was scanned is not what would be decoded; run \
                 again"
                    .into(),
            ));
        }
        Ok(bytes)
    };
    let specs = job.specs();
    let mut bytes = read()?;
    let mut planned = plan(processor, admitted, &bytes, &specs, report)?;
    let destinations = destinations(job, input, &planned);
    if !job.force && up_to_date(&destinations, meta.modified().ok()) {
        report.outputs = destinations.iter().map(|d| OutputEntry::existing(d)).collect();
        return Ok(FileOutcome::Skipped);
    }
    let cost = planned.peak_bytes();
    let mut destinations = destinations;
    if !reservation.try_grow(cost.saturating_sub(report.bytes_in)) {
        // Wait holding nothing, so that workers never block each other with partial reservations. The
        // file may change meanwhile: read and plan it again, and name its outputs from what is decoded.
        drop(planned);
        drop(bytes);
        drop(reservation);
        reservation = budget.reserve(cost).map_err(over_budget)?;
        if job.dry_run {
            report.outputs = destinations.iter().map(|d| OutputEntry::existing(d)).collect();
            return Ok(FileOutcome::Processed);
        }
        bytes = read()?;
        planned = plan(processor, admitted, &bytes, &specs, report)?;
        destinations = self::destinations(job, input, &planned);
    }
    if job.dry_run {
        report.outputs = destinations.iter().map(|d| OutputEntry::existing(d)).collect();
        return Ok(FileOutcome::Processed);
    }
    let outputs = processor.process_planned(planned).map_err(by_class)?;
    drop(bytes);
    report.thumbhash = outputs
        .first()
        .and_then(|o| o.thumbhash.as_deref())
        .map(|h| BASE64.encode(h));
    for (((name, _), output), dest) in job.renditions.iter().zip(&outputs).zip(&destinations) {
        atomic_write(dest, &output.bytes).map_err(|e| FileOutcome::Failed(format!("{e:#}")))?;
        report
            .outputs
            .push(OutputEntry::written(name.as_deref(), dest, output));
    }
    drop(reservation);
    Ok(FileOutcome::Processed)
}

/// Probes the bytes read (their length and format were admitted from the file's metadata and first
/// bytes; bytes that changed since are checked whole) and plans every rendition, recording what the
/// probe learnt.
fn plan<'a>(
    processor: &Processor,
    admitted: Admitted,
    bytes: &'a [u8],
    specs: &[Spec],
    report: &mut FileReport,
) -> Result<Planned<'a>, FileOutcome> {
    let probed = admitted
        .sniff(bytes)
        .and_then(|s| s.probe(bytes))
        .map_err(rejected)?;
    report.bytes_in = bytes.len() as u64;
    report.source_size = Some(probed.info().display_size());
    report.format = Some(probed.info().format);
    processor.plan(probed, specs).map_err(by_class)
}

fn by_class(e: Error) -> FileOutcome {
    match e.class() {
        Class::Rejected => rejected(e),
        _ => FileOutcome::Failed(e.to_string()),
    }
}

/// Every output path of `input`, in rendition order, from its probed format.
fn destinations(job: &Job, input: &Input, planned: &Planned<'_>) -> Vec<PathBuf> {
    let probed = planned.probed().info().format;
    job.renditions
        .iter()
        .map(|(name, spec)| {
            let format = resolve(spec.format(), probed);
            destination(&job.output, name.as_deref(), &input.relative, format.extension())
        })
        .collect()
}

/// The format `process_planned` will write, known before decoding so finished outputs can be found.
fn resolve(requested: OutputFormat, input: Format) -> Format {
    requested.resolve(input).format().unwrap_or(Format::Png)
}

/// Every output exists and is at least as new as the input.
fn up_to_date(destinations: &[PathBuf], input_modified: Option<SystemTime>) -> bool {
    let Some(input_modified) = input_modified else {
        return false;
    };
    destinations.iter().all(|d| {
        std::fs::metadata(d)
            .and_then(|m| m.modified())
            .is_ok_and(|out| out >= input_modified)
    })
}

/// `OUTPUT_DIR[/rendition]/relative/path.<ext>`: the naming scheme of [`imgkit::output_name`] (the
/// Lambda adapter's too) under the output directory.
pub fn destination(output: &Path, rendition: Option<&str>, relative: &Path, extension: &str) -> PathBuf {
    output.join(imgkit::output_name(rendition, relative, extension))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use imgkit::probe;

    use crate::resize::walk::WalkOptions;

    fn job(output: &Path) -> Job {
        Job {
            inputs: Vec::new(),
            output: output.to_path_buf(),
            renditions: vec![(None, Spec::new().with_width(16))],
            limits: imgkit::Limits::default(),
            walk: WalkOptions::default(),
            jobs: Some(1),
            max_memory: 0,
            scan: None,
            force: false,
            dry_run: false,
            report: None,
            verbose: false,
            quiet: true,
        }
    }

    /// A file replaced while its worker waits for memory is read again after the wait: its outputs are
    /// named from what is then decoded, never from the first read (a PNG's name on JPEG bytes).
    #[test]
    fn outputs_are_named_from_the_bytes_that_are_decoded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upload");
        let png = imgkit_testkit::png(64, 48);
        let jpeg = imgkit_testkit::jpeg(64, 48);
        std::fs::write(&path, &png).unwrap();
        let input = Input {
            path: path.clone(),
            relative: PathBuf::from("upload"),
        };
        let job = job(&dir.path().join("out"));
        let specs = [Spec::new().with_width(16)];
        // Room for the file's bytes, not for its whole estimate: the worker reads, probes, then waits.
        let processor = Processor::new(job.limits);
        let peak = |bytes: &[u8]| {
            let planned = processor.plan(probe(bytes, &job.limits).unwrap(), &specs);
            planned.unwrap().peak_bytes()
        };
        let cost = peak(&png).max(peak(&jpeg));
        let budget = Budget::new(cost);
        let held = budget.reserve(cost - png.len() as u64).unwrap();
        let report = std::thread::scope(|scope| {
            let worker = scope.spawn(|| {
                let mut processor = Processor::new(job.limits);
                process(&mut processor, &job, &budget, &input, &AtomicBool::new(false))
            });
            while budget.waiting() == 0 {
                assert!(!worker.is_finished(), "the worker did not wait");
                std::thread::sleep(Duration::from_millis(5));
            }
            std::fs::write(&path, &jpeg).unwrap();
            drop(held);
            worker.join().unwrap()
        });
        assert_eq!(report.outcome, FileOutcome::Processed, "{report:?}");
        assert_eq!(report.format, Some(Format::Jpeg));
        let written = &report.outputs[0].path;
        assert_eq!(written, &dir.path().join("out/upload.jpg"));
        let out = probe(&std::fs::read(written).unwrap(), &job.limits)
            .unwrap()
            .into_info();
        assert_eq!(out.format, Format::Jpeg);
        assert!(!dir.path().join("out/upload.png").exists());
    }

    #[test]
    fn destination_mirrors_and_appends_the_extension() {
        let d = destination(
            Path::new("out"),
            Some("thumb"),
            Path::new("a/b/photo.jpeg"),
            "webp",
        );
        assert_eq!(d, Path::new("out/thumb/a/b/photo.jpeg.webp"));
        assert_eq!(
            destination(Path::new("out"), None, Path::new("x.png"), "jpg"),
            Path::new("out/x.png.jpg")
        );
        assert_eq!(
            destination(Path::new("out"), None, Path::new("noext"), "png"),
            Path::new("out/noext.png")
        );
    }

    #[test]
    fn same_format_resolves_like_the_core() {
        let png = imgkit_testkit::png(8, 8);
        let out = Processor::new(imgkit::Limits::default())
            .process(&png, &Spec::new().with_width(4))
            .unwrap();
        assert_eq!(resolve(OutputFormat::Same, Format::Png), out.format);
        assert_eq!(resolve(OutputFormat::Same, Format::Gif), Format::Png);
        assert_eq!(resolve(OutputFormat::Png, Format::Jpeg), Format::Png);
    }

    #[test]
    fn missing_or_older_outputs_are_not_up_to_date() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a.jpg");
        let now = SystemTime::now();
        assert!(!up_to_date(std::slice::from_ref(&out), Some(now)));
        std::fs::write(&out, b"x").unwrap();
        let written = std::fs::metadata(&out).unwrap().modified().unwrap();
        assert!(up_to_date(std::slice::from_ref(&out), Some(written)));
        assert!(!up_to_date(
            std::slice::from_ref(&out),
            Some(written + Duration::from_secs(5))
        ));
    }
}
