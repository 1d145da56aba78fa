//! What a run tells: the `--report` JSON (one entry per input) and the summary on stderr.

use std::path::Path;

use anyhow::Result;
use imgkit::Format;
use serde::Serialize;

use super::outcome::{FileOutcome, FileReport, OutputEntry, Summary};
use super::write::atomic_write;

#[derive(Serialize)]
struct Report<'a> {
    summary: SummaryJson<'a>,
    files: Vec<FileJson<'a>>,
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    total: usize,
    processed: usize,
    skipped: usize,
    rejected: usize,
    rejected_by_reason: &'a std::collections::BTreeMap<String, usize>,
    failed: usize,
    not_started: usize,
    interrupted: bool,
    bytes_in: u64,
    bytes_out: u64,
    seconds: f64,
    megapixels: f64,
    peak_rss_bytes: Option<u64>,
}

#[derive(Serialize)]
struct FileJson<'a> {
    input: &'a Path,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    bytes_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<u32>,
    outputs: &'a [OutputEntry],
    #[serde(skip_serializing_if = "Option::is_none")]
    thumbhash: Option<&'a str>,
}

/// Writes the report atomically, like every other output.
pub fn write(path: &Path, summary: &Summary, entries: &[FileReport]) -> Result<()> {
    let files = entries
        .iter()
        .map(|e| {
            let (kind, reason) = match &e.outcome {
                FileOutcome::Rejected(kind, reason) => (Some(kind.as_str()), Some(reason.as_str())),
                FileOutcome::Failed(reason) => (None, Some(reason.as_str())),
                _ => (None, None),
            };
            FileJson {
                input: &e.input,
                outcome: e.outcome.name(),
                kind,
                reason,
                bytes_in: e.bytes_in,
                format: e.format.map(Format::name),
                width: e.source_size.map(|s| s.0),
                height: e.source_size.map(|s| s.1),
                outputs: &e.outputs,
                thumbhash: e.thumbhash.as_deref(),
            }
        })
        .collect();
    let report = Report {
        summary: SummaryJson {
            total: summary.total,
            processed: summary.processed,
            skipped: summary.skipped,
            rejected: summary.rejected_total(),
            rejected_by_reason: &summary.rejected,
            failed: summary.failed,
            not_started: summary.not_started,
            interrupted: summary.interrupted,
            bytes_in: summary.bytes_in,
            bytes_out: summary.bytes_out,
            seconds: summary.elapsed.as_secs_f64(),
            megapixels: summary.megapixels,
            peak_rss_bytes: summary.peak_rss,
        },
        files,
    };
    let json = serde_json::to_vec_pretty(&report)?;
    atomic_write(path, &json)
}

/// The run's summary on stderr, and how to finish an interrupted run.
pub fn print_summary(s: &Summary) {
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
