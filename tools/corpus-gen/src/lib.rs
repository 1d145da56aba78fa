//! Deterministic generator of the imgkit test corpus.
//!
//! [`build`] produces every file in memory, [`write`] lays them out as `valid/`, `hostile/`
//! and `manifest.tsv`, and `animation/` with its own `animation/manifest.tsv`, and [`check`]
//! verifies a corpus on disk. Everything is derived from fixed seeds, so two runs produce
//! byte-identical files.
//!
//! The expected outcome of each file is knowledge of this generator (it knows what it built);
//! it is never obtained by running imgkit.

pub mod animation;
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

pub use check::{check, Counts, Summary};
use manifest::Row;

/// Errors are only reported to a developer, so a boxed error is all we need.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// Result alias used throughout the generator.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn err(msg: impl Into<String>) -> Error {
    msg.into().into()
}

/// The corpus sub-folders the main manifest lists (the generator empties them before writing).
pub const SUBDIRS: [&str; 2] = ["valid", "hostile"];

/// One corpus file: its manifest row (of the main manifest unless said otherwise) and its bytes.
pub struct Entry<R = Row> {
    /// Manifest row (path, expected outcome, note).
    pub row: R,
    /// File content.
    pub bytes: Vec<u8>,
}

/// The whole corpus the generator writes.
pub struct Corpus {
    /// The files of the main manifest.
    pub entries: Vec<Entry>,
    /// The files of the animation manifest.
    pub animation: Vec<animation::AnimEntry>,
}

/// Builds the whole corpus in memory, checking that names are unique and well-placed.
pub fn build() -> Result<Corpus> {
    let mut entries = valid::entries()?;
    entries.extend(metadata::entries()?);
    entries.extend(hostile::entries()?);
    check_names(
        entries.iter().map(|e| (e.row.file.as_str(), e.row.note.as_str())),
        &SUBDIRS,
    )?;
    let animation = animation::entries()?;
    check_names(
        animation
            .iter()
            .map(|e| (e.row.file.as_str(), e.row.note.as_str())),
        &[animation::DIR],
    )?;
    Ok(Corpus { entries, animation })
}

/// Every file under one of `dirs`, once, and no tab or newline in a name or note (a manifest is TSV).
fn check_names<'a>(rows: impl Iterator<Item = (&'a str, &'a str)>, dirs: &[&str]) -> Result<()> {
    let mut seen = BTreeSet::new();
    for (file, note) in rows {
        let ok_path = dirs
            .iter()
            .any(|d| file.strip_prefix(d).is_some_and(|r| r.starts_with('/')));
        if !ok_path || file.contains(['\t', '\n']) || note.contains(['\t', '\n']) {
            return Err(err(format!("bad file name or note for {file}")));
        }
        if !seen.insert(file) {
            return Err(err(format!("duplicate file {file}")));
        }
    }
    Ok(())
}

/// Empties `path` of files, creating it if needed, so renamed or dropped files do not linger.
fn empty_dir(path: &Path) -> Result<()> {
    fs::create_dir_all(path)?;
    for old in fs::read_dir(path)? {
        let old = old?;
        if old.file_type()?.is_dir() {
            return Err(err(format!("unexpected directory {}", old.path().display())));
        }
        fs::remove_file(old.path())?;
    }
    Ok(())
}

/// Writes `corpus` under `dir`: empties `valid/`, `hostile/` and `animation/` first, then writes every
/// file, `manifest.tsv` and `animation/manifest.tsv`.
pub fn write(dir: &Path, corpus: &Corpus) -> Result<()> {
    for sub in SUBDIRS.into_iter().chain([animation::DIR]) {
        empty_dir(&dir.join(sub))?;
    }
    for e in &corpus.entries {
        fs::write(dir.join(&e.row.file), &e.bytes)?;
    }
    for e in &corpus.animation {
        fs::write(dir.join(&e.row.file), &e.bytes)?;
    }
    let rows: Vec<Row> = corpus.entries.iter().map(|e| e.row.clone()).collect();
    fs::write(dir.join("manifest.tsv"), manifest::render(&rows))?;
    let rows: Vec<animation::manifest::Row> = corpus.animation.iter().map(|e| e.row.clone()).collect();
    fs::write(
        dir.join(animation::DIR).join("manifest.tsv"),
        animation::manifest::render(&rows),
    )?;
    Ok(())
}
