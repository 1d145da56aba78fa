//! A validated resize job: what `imgkit resize` was asked to do, before any file is touched.

use std::path::PathBuf;

use imgkit::{Limits, Spec};

use super::scan::Scanner;
use super::walk::WalkOptions;

/// A validated resize job.
#[derive(Debug)]
pub struct Job {
    pub inputs: Vec<PathBuf>,
    pub output: PathBuf,
    /// `None` name: a single unnamed rendition written straight into the output directory.
    pub renditions: Vec<(Option<String>, Spec)>,
    pub limits: Limits,
    pub walk: WalkOptions,
    pub jobs: Option<usize>,
    pub max_memory: u64,
    /// `--scan-command`: run on each input before it is read; not run in a dry run.
    pub scan: Option<Scanner>,
    pub force: bool,
    pub dry_run: bool,
    pub report: Option<PathBuf>,
    pub verbose: bool,
    pub quiet: bool,
}

impl Job {
    /// The renditions' specs, in rendition order: what the core renders (the names only place outputs).
    pub fn specs(&self) -> Vec<Spec> {
        self.renditions.iter().map(|(_, spec)| *spec).collect()
    }
}
