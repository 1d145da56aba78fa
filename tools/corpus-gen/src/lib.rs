//! Deterministic generator of the imgkit test corpus.
//!
//! [`build`] produces every file in memory, [`write`] lays them out as `valid/`, `hostile/`
//! and `manifest.tsv`, and [`check`] verifies a corpus on disk. Everything is derived from
//! fixed seeds, so two runs produce byte-identical files.
//!
//! The expected outcome of each file is knowledge of this generator (it knows what it built);
//! it is never obtained by running imgkit.

mod check;
mod gifw;
mod hostile;
mod jpeg;
pub mod manifest;
mod metadata;
mod picture;
mod pngw;
mod valid;
mod webpw;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

pub use check::{check, Summary};
use manifest::Row;

/// Errors are only reported to a developer, so a boxed error is all we need.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// Result alias used throughout the generator.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn err(msg: impl Into<String>) -> Error {
    msg.into().into()
}

/// The corpus sub-folders the generator owns (and empties before writing).
pub const SUBDIRS: [&str; 2] = ["valid", "hostile"];

/// One corpus file: its manifest row and its bytes.
pub struct Entry {
    /// Manifest row (path, expected outcome, note).
    pub row: Row,
    /// File content.
    pub bytes: Vec<u8>,
}

/// Builds the whole corpus in memory, checking that names are unique and well-placed.
pub fn build() -> Result<Vec<Entry>> {
    let mut entries = valid::entries()?;
    entries.extend(metadata::entries()?);
    entries.extend(hostile::entries()?);
    let mut seen = BTreeSet::new();
    for e in &entries {
        let ok_path = SUBDIRS
            .iter()
            .any(|d| e.row.file.strip_prefix(d).is_some_and(|r| r.starts_with('/')));
        if !ok_path || e.row.file.contains(['\t', '\n']) || e.row.note.contains(['\t', '\n']) {
            return Err(err(format!("bad file name or note for {}", e.row.file)));
        }
        if !seen.insert(e.row.file.as_str()) {
            return Err(err(format!("duplicate file {}", e.row.file)));
        }
    }
    Ok(entries)
}

/// Writes `entries` under `dir`: empties `valid/` and `hostile/` first (so renamed or dropped
/// files do not linger), then writes every file and `manifest.tsv`.
pub fn write(dir: &Path, entries: &[Entry]) -> Result<()> {
    for sub in SUBDIRS {
        let path = dir.join(sub);
        fs::create_dir_all(&path)?;
        for old in fs::read_dir(&path)? {
            let old = old?;
            if old.file_type()?.is_dir() {
                return Err(err(format!("unexpected directory {}", old.path().display())));
            }
            fs::remove_file(old.path())?;
        }
    }
    for e in entries {
        fs::write(dir.join(&e.row.file), &e.bytes)?;
    }
    let rows: Vec<Row> = entries.iter().map(|e| e.row.clone()).collect();
    fs::write(dir.join("manifest.tsv"), manifest::render(&rows))?;
    Ok(())
}
