//! `imgkit resize`: every input ends as processed, skipped (outputs up to date), rejected (its fault, with
//! the reason) or failed (not its fault, worth retrying). One bad file never stops the others.
//!
//! The stages, in the order a file meets them: [`walk`] (find the inputs) → [`scan`] (the malware scanner,
//! with `--scan-command`) → [`budget`] (room in memory) → [`file`] (probe once, name the outputs, render,
//! [`write`] atomically) → [`outcome`] (how it ended) → [`report`] (the summary and `--report`). The
//! [`job`] is what was asked; [`progress`] draws the bar while it runs.

mod budget;
mod file;
mod job;
mod outcome;
mod progress;
mod report;
mod scan;
mod walk;
mod write;

use std::collections::{hash_map, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use imgkit::Processor;
use rayon::prelude::*;

pub use budget::{default_total as default_memory, parse_size};
pub use job::Job;
pub use outcome::Summary;
pub use scan::{ScanCommand, Scanner};
pub use walk::{globs, WalkOptions};
pub use write::atomic_write;

use budget::Budget;
use outcome::{FileOutcome, FileReport};
use progress::Progress;
use walk::Input;
use write::remove_stale_temporaries;

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
    let collisions = collisions(&items);
    let budget = Budget::new(job.max_memory);
    let progress = Progress::new(items.len() as u64, job.quiet || job.dry_run);
    let start = Instant::now();
    // One Processor per worker: it owns the resizer's scratch buffers. Files are the unit of parallelism;
    // the core is single-threaded per image, so nothing nests.
    let entries: Vec<FileReport> = pool.install(|| {
        items
            .par_iter()
            .enumerate()
            .map_init(
                || Processor::new(job.limits).placeholder(true),
                |processor, (i, item)| {
                    let entry = if stop.load(Ordering::SeqCst) {
                        FileReport::new(item, FileOutcome::NotStarted)
                    } else if let Some(&first) = collisions.get(&i) {
                        let reason = format!(
                            "its outputs would overwrite those of {} (both are {} under their input), so it \
                             is not processed; run them with different -o directories",
                            items[first].path.display(),
                            item.relative.display()
                        );
                        FileReport::new(item, FileOutcome::Rejected("output_collision".into(), reason))
                    } else {
                        file::process(processor, &job, &budget, item, stop)
                    };
                    log(progress.bar(), &job, &entry);
                    progress.finished(&entry);
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
    summary.peak_rss = imgkit_sizing::memory::peak_rss_kib(None).map(|kib| kib * 1024);
    if let Some(path) = &job.report {
        report::write(path, &summary, &entries)?;
    }
    if !job.quiet {
        report::print_summary(&summary);
    }
    Ok(summary)
}

/// Errors always go to stderr as `path: reason`; `--verbose` adds one line per file.
fn log(progress: &indicatif::ProgressBar, job: &Job, entry: &FileReport) {
    let line = match &entry.outcome {
        FileOutcome::Rejected(_, reason) | FileOutcome::Failed(reason) => {
            Some(format!("{}: {reason}", entry.input.display()))
        }
        FileOutcome::Processed if job.verbose || job.dry_run => {
            let outs: Vec<String> = entry
                .outputs
                .iter()
                .map(|o| o.path.display().to_string())
                .collect();
            let verb = if job.dry_run { "would write" } else { "wrote" };
            Some(format!("{}: {verb} {}", entry.input.display(), outs.join(", ")))
        }
        FileOutcome::Skipped if job.verbose || job.dry_run => {
            Some(format!("{}: skipped, outputs up to date", entry.input.display()))
        }
        _ => None,
    };
    if let Some(line) = line {
        progress.suspend(|| eprintln!("{line}"));
    }
    if matches!(entry.outcome, FileOutcome::Rejected(..) | FileOutcome::Failed(_)) {
        progress.set_message("(errors so far are listed above)");
    }
}

/// Inputs that would write another input's outputs: the same relative path under two input roots
/// (`imgkit resize a/ b/ -o out` with `a/x.jpg` and `b/x.jpg`). Maps each later input to the first one
/// (in walk order), which alone is processed.
fn collisions(items: &[Input]) -> HashMap<usize, usize> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn the_same_relative_path_under_two_roots_is_a_collision() {
        let item = |root: &str, rel: &str| Input {
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
}
