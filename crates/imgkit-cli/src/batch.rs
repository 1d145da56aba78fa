//! The batch runner: every input ends as processed, rejected (its fault, with the reason) or failed
//! (not its fault, worth retrying). One bad file never stops the others.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use imgkit::{Class, Processor, Spec};
use rayon::prelude::*;

use crate::args::Job;
use crate::walk::{self, Item};
use crate::write::atomic_write;

/// How one input ended.
#[derive(Debug)]
pub enum Outcome {
    Processed { bytes_in: u64, bytes_out: u64 },
    Rejected(String),
    Failed(String),
}

/// Totals of a run.
#[derive(Debug, Default)]
pub struct Summary {
    pub processed: usize,
    pub rejected: usize,
    pub failed: usize,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub elapsed: Duration,
}

impl Summary {
    pub fn all_ok(&self) -> bool {
        self.rejected == 0 && self.failed == 0
    }

    fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Processed { bytes_in, bytes_out } => {
                self.processed += 1;
                self.bytes_in += bytes_in;
                self.bytes_out += bytes_out;
            }
            Outcome::Rejected(_) => self.rejected += 1,
            Outcome::Failed(_) => self.failed += 1,
        }
    }
}

pub fn run(job: Job) -> Result<Summary> {
    walk::check_output_outside_inputs(&job.output, &job.inputs)?;
    let items = walk::collect(&job.inputs, job.all_files)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(job.jobs.unwrap_or(0))
        .build()
        .context("starting worker threads")?;
    let specs: Vec<Spec> = job.renditions.iter().map(|(_, spec)| *spec).collect();
    let start = Instant::now();
    // One Processor per worker: it owns the resizer's scratch buffers. Files are the unit of
    // parallelism; the core is single-threaded, so nothing nests.
    let outcomes: Vec<Outcome> = pool.install(|| {
        items
            .par_iter()
            .map_init(
                || Processor::new(job.limits),
                |processor, item| {
                    let outcome = process_one(processor, &job, &specs, item);
                    if let Outcome::Rejected(reason) | Outcome::Failed(reason) = &outcome {
                        eprintln!("{}: {reason}", item.path.display());
                    }
                    outcome
                },
            )
            .collect()
    });
    let mut summary = Summary::default();
    outcomes.iter().for_each(|o| summary.add(o));
    summary.elapsed = start.elapsed();
    if !job.quiet {
        print_summary(&summary);
    }
    Ok(summary)
}

fn process_one(processor: &mut Processor, job: &Job, specs: &[Spec], item: &Item) -> Outcome {
    // Checked before reading, so an oversized file is never loaded into memory.
    let len = match std::fs::metadata(&item.path) {
        Ok(meta) => meta.len(),
        Err(e) => return Outcome::Failed(format!("cannot read: {e}")),
    };
    if let Err(e) = processor
        .limits()
        .check_input_len(usize::try_from(len).unwrap_or(usize::MAX))
    {
        return Outcome::Rejected(e.to_string());
    }
    let bytes = match std::fs::read(&item.path) {
        Ok(bytes) => bytes,
        Err(e) => return Outcome::Failed(format!("cannot read: {e}")),
    };
    let outputs = match processor.process_many(&bytes, specs) {
        Ok(outputs) => outputs,
        Err(e) if e.class() == Class::Rejected => return Outcome::Rejected(e.to_string()),
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let mut bytes_out = 0;
    for ((name, _), output) in job.renditions.iter().zip(&outputs) {
        let dest = destination(
            &job.output,
            name.as_deref(),
            &item.relative,
            output.format.extension(),
        );
        if let Err(e) = atomic_write(&dest, &output.bytes) {
            return Outcome::Failed(format!("{e:#}"));
        }
        bytes_out += output.bytes.len() as u64;
    }
    Outcome::Processed {
        bytes_in: len,
        bytes_out,
    }
}

/// `OUTPUT_DIR[/rendition]/relative/path.ext`, with the extension of the format actually written.
pub fn destination(output: &Path, rendition: Option<&str>, relative: &Path, extension: &str) -> PathBuf {
    let mut dest = output.to_path_buf();
    if let Some(name) = rendition {
        dest.push(name);
    }
    dest.push(relative);
    dest.set_extension(extension);
    dest
}

fn print_summary(s: &Summary) {
    let secs = s.elapsed.as_secs_f64();
    let total = s.processed + s.rejected + s.failed;
    let rate = if secs > 0.0 { total as f64 / secs } else { 0.0 };
    eprintln!(
        "imgkit: {} processed, {} rejected, {} failed; {:.1} MB in, {:.1} MB out; {:.2} s, {:.0} files/s",
        s.processed,
        s.rejected,
        s.failed,
        s.bytes_in as f64 / 1e6,
        s.bytes_out as f64 / 1e6,
        secs,
        rate
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destination_mirrors_and_swaps_extension() {
        let d = destination(
            Path::new("out"),
            Some("thumb"),
            Path::new("a/b/photo.jpeg"),
            "webp",
        );
        assert_eq!(d, Path::new("out/thumb/a/b/photo.webp"));
        assert_eq!(
            destination(Path::new("out"), None, Path::new("x.png"), "jpg"),
            Path::new("out/x.jpg")
        );
    }
}
