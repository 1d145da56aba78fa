//! `--report FILE`: one JSON entry per input, for machines (what happened, why, where the outputs are).

use std::path::{Path, PathBuf};

use anyhow::Result;
use imgkit::{Format, Output};
use serde::Serialize;

use crate::batch::{Outcome, Summary};
use crate::walk::Item;
use crate::write::atomic_write;

/// One input's record.
#[derive(Debug, Clone)]
pub struct Entry {
    pub input: PathBuf,
    pub outcome: Outcome,
    pub bytes_in: u64,
    pub format: Option<Format>,
    /// Displayed size of the input, when its header could be read.
    pub source_size: Option<(u32, u32)>,
    pub outputs: Vec<OutputEntry>,
}

/// One rendition written (or found up to date).
#[derive(Debug, Clone, Serialize)]
pub struct OutputEntry {
    pub rendition: Option<String>,
    pub path: PathBuf,
    pub format: Option<&'static str>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub bytes: u64,
    pub timings_ms: Option<Timings>,
}

/// Per-stage wall time in milliseconds (probe and decode are shared by the renditions of one input).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Timings {
    pub probe: f64,
    pub decode: f64,
    pub resize: f64,
    pub encode: f64,
}

impl Entry {
    pub fn new(item: &Item, outcome: Outcome) -> Entry {
        Entry {
            input: item.path.clone(),
            outcome,
            bytes_in: 0,
            format: None,
            source_size: None,
            outputs: Vec::new(),
        }
    }
}

impl OutputEntry {
    pub fn written(rendition: Option<&str>, path: &Path, out: &Output) -> OutputEntry {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        OutputEntry {
            rendition: rendition.map(String::from),
            path: path.to_path_buf(),
            format: Some(out.format.name()),
            width: Some(out.width),
            height: Some(out.height),
            bytes: out.bytes.len() as u64,
            timings_ms: Some(Timings {
                probe: ms(out.timings.probe),
                decode: ms(out.timings.decode),
                resize: ms(out.timings.resize),
                encode: ms(out.timings.encode),
            }),
        }
    }

    /// An output left from an earlier run (or, in a dry run, the one that would be written).
    pub fn existing(path: &PathBuf) -> OutputEntry {
        OutputEntry {
            rendition: None,
            path: path.clone(),
            format: None,
            width: None,
            height: None,
            bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            timings_ms: None,
        }
    }
}

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
}

/// Writes the report atomically, like every other output.
pub fn write(path: &Path, summary: &Summary, entries: &[Entry]) -> Result<()> {
    let files = entries
        .iter()
        .map(|e| {
            let (outcome, kind, reason) = match &e.outcome {
                Outcome::Processed => ("processed", None, None),
                Outcome::Skipped => ("skipped", None, None),
                Outcome::Rejected(kind, reason) => ("rejected", Some(kind.as_str()), Some(reason.as_str())),
                Outcome::Failed(reason) => ("failed", None, Some(reason.as_str())),
                Outcome::NotStarted => ("not_started", None, None),
            };
            FileJson {
                input: &e.input,
                outcome,
                kind,
                reason,
                bytes_in: e.bytes_in,
                format: e.format.map(Format::name),
                width: e.source_size.map(|s| s.0),
                height: e.source_size.map(|s| s.1),
                outputs: &e.outputs,
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
