//! The batch runner: every input ends as processed, skipped (outputs up to date), rejected (its fault,
//! with the reason) or failed (not its fault, worth retrying). One bad file never stops the others.

use std::collections::hash_map;
use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use imgkit::{probe, Class, Error, Format, OutputFormat, Processor, Spec};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::args::Job;
use crate::budget::{estimate, Budget};
use crate::report::{self, Entry, OutputEntry};
use crate::walk::{self, Item};
use crate::write::{atomic_write, remove_stale_temporaries};

/// How one input ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Processed,
    /// All outputs exist and are newer than the input.
    Skipped,
    /// The input's fault: `(kind, reason)`. Never worth retrying.
    Rejected(String, String),
    /// Not the input's fault (I/O, encoder): worth retrying.
    Failed(String),
    /// Not started because the run was interrupted.
    NotStarted,
}

/// Totals of a run.
#[derive(Debug, Default)]
pub struct Summary {
    pub total: usize,
    pub processed: usize,
    pub skipped: usize,
    pub rejected: BTreeMap<String, usize>,
    pub failed: usize,
    pub not_started: usize,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub megapixels: f64,
    pub elapsed: Duration,
    pub interrupted: bool,
    /// Peak resident memory of this process (Linux), in bytes.
    pub peak_rss: Option<u64>,
}

impl Summary {
    pub fn all_ok(&self) -> bool {
        self.rejected.is_empty() && self.failed == 0
    }

    pub fn rejected_total(&self) -> usize {
        self.rejected.values().sum()
    }

    fn add(&mut self, entry: &Entry) {
        match &entry.outcome {
            Outcome::Processed => {
                self.processed += 1;
                self.bytes_in += entry.bytes_in;
                self.bytes_out += entry.outputs.iter().map(|o| o.bytes).sum::<u64>();
                if let Some((w, h)) = entry.source_size {
                    self.megapixels += f64::from(w) * f64::from(h) / 1e6;
                }
            }
            Outcome::Skipped => self.skipped += 1,
            Outcome::Rejected(kind, _) => *self.rejected.entry(kind.clone()).or_default() += 1,
            Outcome::Failed(_) => self.failed += 1,
            Outcome::NotStarted => self.not_started += 1,
        }
    }
}

/// Set by Ctrl-C / SIGTERM: workers finish the file they are on and start no new one.
pub fn install_interrupt_handler() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    // Failing to install (another handler exists) only loses the clean stop, never data: writes are atomic.
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    stop
}

pub fn run(job: Job, stop: &AtomicBool) -> Result<Summary> {
    walk::check_output_outside_inputs(&job.output, &job.inputs)?;
    let items = walk::collect(&job.inputs, &job.walk)?;
    if !job.dry_run {
        // Left behind only by a killed run (a clean stop removes its own); they are ours by name.
        remove_stale_temporaries(&job.output)?;
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(job.jobs.unwrap_or(0))
        .build()
        .context("starting worker threads")?;
    let specs: Vec<Spec> = job.renditions.iter().map(|(_, spec)| *spec).collect();
    let collisions = collisions(&items);
    let budget = Budget::new(job.max_memory);
    let progress = progress_bar(items.len() as u64, job.quiet || job.dry_run);
    let start = Instant::now();
    // One Processor per worker: it owns the resizer's scratch buffers. Files are the unit of parallelism;
    // the core is single-threaded per image, so nothing nests.
    let entries: Vec<Entry> = pool.install(|| {
        items
            .par_iter()
            .enumerate()
            .map_init(
                || Processor::new(job.limits),
                |processor, (i, item)| {
                    let entry = if stop.load(Ordering::SeqCst) {
                        Entry::new(item, Outcome::NotStarted)
                    } else if let Some(&first) = collisions.get(&i) {
                        let reason = format!(
                            "its outputs would overwrite those of {} (both are {} under their input), so it \
                             is not processed; run them with different -o directories",
                            items[first].path.display(),
                            item.relative.display()
                        );
                        Entry::new(item, Outcome::Rejected("output_collision".into(), reason))
                    } else {
                        process_one(processor, &job, &specs, &budget, item)
                    };
                    log(&progress, &job, &entry);
                    progress.inc(1);
                    entry
                },
            )
            .collect()
    });
    progress.finish_and_clear();
    let mut summary = Summary {
        total: entries.len(),
        interrupted: stop.load(Ordering::SeqCst),
        ..Summary::default()
    };
    entries.iter().for_each(|e| summary.add(e));
    summary.elapsed = start.elapsed();
    summary.peak_rss = peak_rss();
    if let Some(path) = &job.report {
        report::write(path, &summary, &entries)?;
    }
    if !job.quiet {
        print_summary(&summary);
    }
    Ok(summary)
}

fn progress_bar(len: u64, hidden: bool) -> ProgressBar {
    if hidden || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} files  {per_sec}  ETA {eta}  {msg}")
    {
        bar.set_style(style);
    }
    bar
}

/// Errors always go to stderr as `path: reason`; `--verbose` adds one line per file.
fn log(progress: &ProgressBar, job: &Job, entry: &Entry) {
    let line = match &entry.outcome {
        Outcome::Rejected(_, reason) | Outcome::Failed(reason) => {
            Some(format!("{}: {reason}", entry.input.display()))
        }
        Outcome::Processed if job.verbose || job.dry_run => {
            let outs: Vec<String> = entry
                .outputs
                .iter()
                .map(|o| o.path.display().to_string())
                .collect();
            let verb = if job.dry_run { "would write" } else { "wrote" };
            Some(format!("{}: {verb} {}", entry.input.display(), outs.join(", ")))
        }
        Outcome::Skipped if job.verbose || job.dry_run => {
            Some(format!("{}: skipped, outputs up to date", entry.input.display()))
        }
        _ => None,
    };
    if let Some(line) = line {
        progress.suspend(|| eprintln!("{line}"));
    }
    if matches!(entry.outcome, Outcome::Rejected(..) | Outcome::Failed(_)) {
        progress.set_message("(errors so far are listed above)");
    }
}

fn process_one(processor: &mut Processor, job: &Job, specs: &[Spec], budget: &Budget, item: &Item) -> Entry {
    let mut entry = Entry::new(item, Outcome::NotStarted);
    entry.outcome = match try_process(processor, job, specs, budget, item, &mut entry) {
        Ok(outcome) => outcome,
        Err(outcome) => outcome,
    };
    entry
}

fn try_process(
    processor: &mut Processor,
    job: &Job,
    specs: &[Spec],
    budget: &Budget,
    item: &Item,
    entry: &mut Entry,
) -> Result<Outcome, Outcome> {
    let failed = |what: &str, e: &dyn std::fmt::Display| Outcome::Failed(format!("{what}: {e}"));
    let rejected = |e: Error| Outcome::Rejected(e.kind().to_string(), e.to_string());
    let over_budget = |why| Outcome::Rejected("limit:max_memory".into(), why);
    let meta = std::fs::metadata(&item.path).map_err(|e| failed("cannot read", &e))?;
    // Checked before reading, so an oversized file is never loaded into memory.
    processor
        .limits()
        .check_input_len(usize::try_from(meta.len()).unwrap_or(usize::MAX))
        .map_err(rejected)?;
    let mut reservation = budget.reserve(meta.len()).map_err(over_budget)?;
    let read = || std::fs::read(&item.path).map_err(|e| failed("cannot read", &e));
    let mut bytes = read()?;
    entry.bytes_in = bytes.len() as u64;
    let info = probe(&bytes, processor.limits()).map_err(rejected)?;
    entry.source_size = Some(info.display_size());
    entry.format = Some(info.format);

    let destinations: Vec<PathBuf> = job
        .renditions
        .iter()
        .map(|(name, spec)| {
            let format = resolve(spec.output_format(), info.format);
            destination(&job.output, name.as_deref(), &item.relative, format.extension())
        })
        .collect();
    if !job.force && up_to_date(&destinations, meta.modified().ok()) {
        entry.outputs = destinations.iter().map(OutputEntry::existing).collect();
        return Ok(Outcome::Skipped);
    }
    let cost = estimate(&info, entry.bytes_in, specs);
    if !reservation.try_grow(cost.saturating_sub(entry.bytes_in)) {
        // Wait holding nothing, so that workers never block each other with partial reservations.
        drop(bytes);
        drop(reservation);
        reservation = budget.reserve(cost).map_err(over_budget)?;
        if job.dry_run {
            bytes = Vec::new();
        } else {
            bytes = read()?;
        }
    }
    if job.dry_run {
        entry.outputs = destinations.iter().map(OutputEntry::existing).collect();
        return Ok(Outcome::Processed);
    }
    let outputs = processor
        .process_many(&bytes, specs)
        .map_err(|e| match e.class() {
            Class::Rejected => rejected(e),
            _ => Outcome::Failed(e.to_string()),
        })?;
    drop(bytes);
    for (((name, _), output), dest) in job.renditions.iter().zip(&outputs).zip(&destinations) {
        atomic_write(dest, &output.bytes).map_err(|e| Outcome::Failed(format!("{e:#}")))?;
        entry
            .outputs
            .push(OutputEntry::written(name.as_deref(), dest, output));
    }
    drop(reservation);
    Ok(Outcome::Processed)
}

/// The format `process_many` will write, known before decoding so finished outputs can be found.
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

/// `OUTPUT_DIR[/rendition]/relative/path.<ext>`: the input's whole relative path, its extension kept,
/// and the extension of the format written appended (`photos/a.jpg` → `photos/a.jpg.webp`), the key
/// scheme of the Lambda adapter. Inputs that differ in name never share an output, whatever their
/// extensions.
pub fn destination(output: &Path, rendition: Option<&str>, relative: &Path, extension: &str) -> PathBuf {
    let mut dest = output.to_path_buf();
    if let Some(name) = rendition {
        dest.push(name);
    }
    dest.push(relative);
    let mut dest = dest.into_os_string();
    dest.push(".");
    dest.push(extension);
    PathBuf::from(dest)
}

/// Inputs that would write another input's outputs: the same relative path under two input roots
/// (`imgkit resize a/ b/ -o out` with `a/x.jpg` and `b/x.jpg`). Maps each later input to the first one
/// (in walk order), which alone is processed.
fn collisions(items: &[Item]) -> HashMap<usize, usize> {
    let mut first: HashMap<&Path, usize> = HashMap::new();
    let mut later = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        match first.entry(item.relative.as_path()) {
            hash_map::Entry::Vacant(v) => {
                v.insert(i);
            }
            hash_map::Entry::Occupied(o) => {
                later.insert(i, *o.get());
            }
        }
    }
    later
}

/// `VmHWM` from `/proc/self/status`: the most resident memory this process has had.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(kib * 1024)
}

fn print_summary(s: &Summary) {
    let secs = s.elapsed.as_secs_f64().max(1e-9);
    let done = s.total - s.not_started;
    let rejected = if s.rejected.is_empty() {
        String::new()
    } else {
        let by: Vec<String> = s.rejected.iter().map(|(k, n)| format!("{n} {k}")).collect();
        format!(" ({})", by.join(", "))
    };
    eprintln!(
        "imgkit: {} processed, {} skipped, {} rejected{rejected}, {} failed; {:.1} MB in, {:.1} MB out; \
         {:.2} s, {:.0} files/s, {:.1} MP/s{}",
        s.processed,
        s.skipped,
        s.rejected_total(),
        s.failed,
        s.bytes_in as f64 / 1e6,
        s.bytes_out as f64 / 1e6,
        secs,
        done as f64 / secs,
        s.megapixels / secs,
        s.peak_rss
            .map(|b| format!(", peak RSS {:.0} MB", b as f64 / 1e6))
            .unwrap_or_default(),
    );
    if s.interrupted {
        eprintln!(
            "imgkit: interrupted after {done} of {} files; {} not started. Run again to finish (finished \
             outputs are skipped).",
            s.total, s.not_started
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn the_same_relative_path_under_two_roots_is_a_collision() {
        let item = |root: &str, rel: &str| Item {
            path: Path::new(root).join(rel),
            relative: PathBuf::from(rel),
        };
        let items = [
            item("a", "x.jpg"),
            item("a", "x.png"),
            item("b", "x.jpg"),
            item("c", "x.jpg"),
        ];
        assert_eq!(collisions(&items), HashMap::from([(2, 0), (3, 0)]));
    }

    #[test]
    fn same_format_resolves_like_the_core() {
        let png = imgkit::doc_png(8, 8);
        let out = Processor::new(imgkit::Limits::default())
            .process(&png, &Spec::width(4))
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
