//! The corpus manifests: what every file under `corpus/` must come to (its format and sizes, or the
//! reason it is rejected). Tests read expectations from here, never from copies in their own code.

use std::path::{Path, PathBuf};

pub mod animation;

/// The manifests: the generated corpus, the hand-kept regressions found by fuzzing, and the hand-kept
/// files made by other encoders.
pub const MANIFESTS: [&str; 4] = [
    "manifest.tsv",
    "regression/manifest.tsv",
    "external/manifest.tsv",
    "heif/manifest.tsv",
];

/// The folders under `corpus/` whose files the manifests list exactly.
pub const FOLDERS: [&str; 5] = ["valid", "hostile", "regression", "external", "heif"];

/// The text every metadata block (EXIF, XMP, ICC description aside, text chunks, comments, IPTC) of the
/// corpus's `*-all-metadata.*` files holds, so a test can look for any of it in an output.
pub const METADATA_CANARY: &str = "imgkit-metadata-canary";

/// One manifest row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Path relative to `corpus/`.
    pub file: String,
    /// `Ok` with the format name (`jpeg`, …), or `Err` with the error kind (`limit:max_width`,
    /// `malformed`, …).
    pub expect: Result<String, String>,
    /// Displayed size (EXIF orientation applied), for ok rows.
    pub source: Option<(u32, u32)>,
    /// Size of the thumbnail at width 40, for ok rows.
    pub thumb: Option<(u32, u32)>,
    /// What the file is.
    pub note: String,
}

impl Row {
    /// The file's path.
    pub fn path(&self) -> PathBuf {
        corpus_dir().join(&self.file)
    }

    /// The file's bytes.
    ///
    /// # Panics
    /// If the file cannot be read.
    pub fn bytes(&self) -> Vec<u8> {
        file_bytes(&self.file)
    }

    /// Whether the file is under `hostile/`.
    pub fn is_hostile(&self) -> bool {
        self.file.starts_with("hostile/")
    }

    /// Whether it is HEIC or AVIF (the `heif/` folder, or by extension elsewhere), so that it comes out as
    /// listed only where imgkit has the `heic` and `avif` features.
    pub fn is_heif(&self) -> bool {
        let heif_extension = Path::new(&self.file)
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "heic" | "heif" | "avif"));
        self.file.starts_with("heif/") || heif_extension
    }

    /// Whether imgkit must accept it.
    pub fn is_ok(&self) -> bool {
        self.expect.is_ok()
    }

    /// The error kind it must be rejected with, if it must.
    pub fn reason(&self) -> Option<&str> {
        self.expect.as_ref().err().map(String::as_str)
    }
}

/// The bytes of `file` (relative to `corpus/`), panicking with its name: a test cannot go on without them.
fn file_bytes(file: &str) -> Vec<u8> {
    std::fs::read(corpus_dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The workspace's `corpus/` folder.
pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../corpus")
}

/// Every row of both manifests.
///
/// # Panics
/// On a missing manifest or a malformed row, naming the file and line.
pub fn rows() -> Vec<Row> {
    MANIFESTS.iter().flat_map(|name| read(name)).collect()
}

/// The row of `file` (relative to `corpus/`).
///
/// # Panics
/// If no manifest lists it.
pub fn row(file: &str) -> Row {
    rows()
        .into_iter()
        .find(|r| r.file == file)
        .unwrap_or_else(|| panic!("{file} is in no corpus manifest"))
}

pub(crate) fn size(s: &str) -> Option<(u32, u32)> {
    let (w, h) = s.split_once('x')?;
    Some((w.parse().ok()?, h.parse().ok()?))
}

/// The rows of one manifest, `name` relative to `corpus/`.
///
/// # Panics
/// On a missing manifest or a malformed row, naming the file and line.
pub fn read(name: &str) -> Vec<Row> {
    let path = corpus_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let at = || format!("{name} line {}", n + 1);
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(
            cols.len() >= 6,
            "{}: expected 6 columns, got {}",
            at(),
            cols.len()
        );
        let expect = match cols[1] {
            "ok" => Ok(cols[2].to_string()),
            "reject" => Err(cols[2].to_string()),
            other => panic!("{}: expect must be ok or reject, got {other:?}", at()),
        };
        let row = Row {
            file: cols[0].into(),
            source: size(cols[3]),
            thumb: size(cols[4]),
            note: cols[5].into(),
            expect,
        };
        assert!(
            row.expect.is_err() || (row.source.is_some() && row.thumb.is_some()),
            "{}: ok rows need sizes",
            at()
        );
        rows.push(row);
    }
    rows
}
