//! How one input ended, what it wrote, and the totals of a run: what the runner produces and the report
//! and summary print.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use imgkit::{Format, Output, Timings};
use serde::{Serialize, Serializer};

use super::walk::Input;

/// How one input ended.
#[derive(Debug, Clone, PartialEq)]
pub enum FileOutcome {
    /// Every output written.
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

impl FileOutcome {
    /// `processed`, `skipped`, `rejected`, `failed` or `not_started`.
    pub fn name(&self) -> &'static str {
        match self {
            FileOutcome::Processed => "processed",
            FileOutcome::Skipped => "skipped",
            FileOutcome::Rejected(..) => "rejected",
            FileOutcome::Failed(_) => "failed",
            FileOutcome::NotStarted => "not_started",
        }
    }
}

/// One input's record.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The input file.
    pub input: PathBuf,
    /// How it ended.
    pub outcome: FileOutcome,
    /// Bytes read.
    pub bytes_in: u64,
    /// The format its header declared, once probed.
    pub format: Option<Format>,
    /// Displayed size of the input, when its header could be read.
    pub source_size: Option<(u32, u32)>,
    /// Outputs written (or found up to date).
    pub outputs: Vec<OutputEntry>,
    /// The input's ThumbHash placeholder, base64, once processed.
    pub thumbhash: Option<String>,
}

impl FileReport {
    /// A record of `input` that ended as `outcome`, with nothing measured yet.
    pub fn new(input: &Input, outcome: FileOutcome) -> FileReport {
        FileReport {
            input: input.path.clone(),
            outcome,
            bytes_in: 0,
            format: None,
            source_size: None,
            outputs: Vec::new(),
            thumbhash: None,
        }
    }
}

/// One rendition written (or found up to date).
#[derive(Debug, Clone, Serialize)]
pub struct OutputEntry {
    /// The rendition's name, for named renditions.
    pub rendition: Option<String>,
    /// Where it is.
    pub path: PathBuf,
    /// Its format, when written by this run.
    pub format: Option<&'static str>,
    /// Width as displayed, when written by this run.
    pub width: Option<u32>,
    /// Height as displayed, when written by this run.
    pub height: Option<u32>,
    /// Its size in bytes.
    pub bytes: u64,
    /// Frames, when written by this run: every frame of an animation kept as animated WebP, else 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames: Option<u32>,
    /// For a cover crop, the part of the source shown: left, top, width, height in source pixels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crop: Option<[u32; 4]>,
    /// Per-stage wall time in milliseconds (probe and decode are shared by the renditions of one input).
    #[serde(rename = "timings_ms", serialize_with = "timings_ms")]
    pub timings: Option<Timings>,
}

fn timings_ms<S: Serializer>(timings: &Option<Timings>, s: S) -> Result<S::Ok, S::Error> {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    timings
        .map(|t| {
            BTreeMap::from([
                ("probe", ms(t.probe)),
                ("decode", ms(t.decode)),
                ("resize", ms(t.resize)),
                ("encode", ms(t.encode)),
                ("placeholder", ms(t.placeholder)),
                ("focus", ms(t.focus)),
            ])
        })
        .serialize(s)
}

impl OutputEntry {
    /// An output this run wrote.
    pub fn written(rendition: Option<&str>, path: &Path, out: &Output) -> OutputEntry {
        OutputEntry {
            rendition: rendition.map(String::from),
            path: path.to_path_buf(),
            format: Some(out.format.name()),
            width: Some(out.width),
            height: Some(out.height),
            bytes: out.bytes.len() as u64,
            frames: Some(out.frames),
            crop: out.crop,
            timings: Some(out.timings),
        }
    }

    /// An output left from an earlier run (or, in a dry run, the one that would be written).
    pub fn existing(path: &Path) -> OutputEntry {
        OutputEntry {
            rendition: None,
            path: path.to_path_buf(),
            format: None,
            width: None,
            height: None,
            bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            frames: None,
            crop: None,
            timings: None,
        }
    }
}

/// Totals of a run.
#[derive(Debug, Default)]
pub struct Summary {
    /// Inputs found.
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

    pub(super) fn add(&mut self, entry: &FileReport) {
        match &entry.outcome {
            FileOutcome::Processed => {
                self.processed += 1;
                self.bytes_in += entry.bytes_in;
                self.bytes_out += entry.outputs.iter().map(|o| o.bytes).sum::<u64>();
                if let Some((w, h)) = entry.source_size {
                    self.megapixels += f64::from(w) * f64::from(h) / 1e6;
                }
            }
            FileOutcome::Skipped => self.skipped += 1,
            FileOutcome::Rejected(kind, _) => *self.rejected.entry(kind.clone()).or_default() += 1,
            FileOutcome::Failed(_) => self.failed += 1,
            FileOutcome::NotStarted => self.not_started += 1,
        }
    }
}
