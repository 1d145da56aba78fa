//! The corpus manifest (`corpus/manifest.tsv`), shared by the corpus-driven tests.

#![allow(dead_code)]

use std::path::PathBuf;

/// One manifest row.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Path relative to `corpus/`.
    pub file: String,
    /// `Ok` with the format name, or `Err` with the error kind (`limit:max_width`, `malformed`, …).
    pub expect: Result<String, String>,
    /// Displayed size for ok rows.
    pub source: Option<(u32, u32)>,
    /// Expected size of the width-40 thumbnail for ok rows.
    pub thumb: Option<(u32, u32)>,
    pub note: String,
}

impl Entry {
    pub fn path(&self) -> PathBuf {
        corpus_dir().join(&self.file)
    }

    pub fn bytes(&self) -> Vec<u8> {
        std::fs::read(self.path()).unwrap_or_else(|e| panic!("{}: {e}", self.file))
    }

    pub fn is_hostile(&self) -> bool {
        self.file.starts_with("hostile/")
    }
}

pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../corpus")
}

fn size(s: &str) -> Option<(u32, u32)> {
    let (w, h) = s.split_once('x')?;
    Some((w.parse().ok()?, h.parse().ok()?))
}

/// The manifests: the generated corpus, and the hand-kept regressions found by fuzzing.
pub const MANIFESTS: [&str; 2] = ["manifest.tsv", "regression/manifest.tsv"];

/// The folders under `corpus/` whose files the manifests must list exactly.
pub const FOLDERS: [&str; 3] = ["valid", "hostile", "regression"];

/// Reads both manifests; panics with the file and line number on a malformed row.
pub fn manifest() -> Vec<Entry> {
    MANIFESTS.iter().flat_map(|name| read_manifest(name)).collect()
}

fn read_manifest(name: &str) -> Vec<Entry> {
    let path = corpus_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut entries = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(
            cols.len() >= 6,
            "{name} line {}: expected 6 columns, got {}",
            n + 1,
            cols.len()
        );
        let expect = match cols[1] {
            "ok" => Ok(cols[2].to_string()),
            "reject" => Err(cols[2].to_string()),
            other => panic!(
                "{name} line {}: expect must be ok or reject, got {other:?}",
                n + 1
            ),
        };
        let entry = Entry {
            file: cols[0].into(),
            source: size(cols[3]),
            thumb: size(cols[4]),
            note: cols[5].into(),
            expect,
        };
        assert!(
            entry.expect.is_err() || (entry.source.is_some() && entry.thumb.is_some()),
            "{name} line {}: ok rows need sizes",
            n + 1
        );
        entries.push(entry);
    }
    entries
}
