//! The animation manifest, `corpus/animation/manifest.tsv`: what an animated WebP rendition at width 40
//! (`40w,webp`) of each file under `corpus/animation/` must come to (its frames, their delays, the loop
//! count, or why it is refused), and what the still of it (`40w,webp,still`) must.
//!
//! Its own file rather than rows of the main manifests: its columns differ, and the main manifests' readers
//! (the corpus, CLI and Lambda tests) would each have to learn them.

use std::path::PathBuf;

use super::{corpus_dir, file_bytes, size};

/// The manifest, relative to `corpus/`.
pub const MANIFEST: &str = "animation/manifest.tsv";

/// The folder it lists exactly, relative to `corpus/`.
pub const FOLDER: &str = "animation";

/// One row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Path relative to `corpus/`.
    pub file: String,
    /// The animated rendition: what it keeps, or why it is refused.
    pub animated: Result<Animation, Rejection>,
    /// Canvas size (no file here has an EXIF orientation).
    pub source: (u32, u32),
    /// Output size at width 40, of either rendition.
    pub thumb: (u32, u32),
    /// The still rendition: accepted, or the error kind (`limit:max_frames`, …).
    pub still: Result<(), String>,
    /// What the file is.
    pub note: String,
}

/// What an accepted animated rendition keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Animation {
    /// The input's format name (`gif`, `png`, `webp`).
    pub format: String,
    /// Each frame's delay in milliseconds, one per frame of the output.
    pub delays_ms: Vec<u32>,
    /// How many times the output plays (WebP's loop count); 0 is forever.
    pub loops: u32,
}

impl Animation {
    /// Frames of the output.
    pub fn frames(&self) -> u32 {
        u32::try_from(self.delays_ms.len()).unwrap_or(u32::MAX)
    }
}

/// Why an animated rendition is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The error kind (`limit:max_animation_pixels`, `malformed`, …).
    pub kind: String,
    /// For a file that fails while its frames are decoded, the frames decoded before the one that fails (the
    /// error names it: `frame N`); `None` if refused before decoding.
    pub decoded_before_failure: Option<u32>,
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
}

/// Delays as the manifest writes them: comma-separated milliseconds, `ms*n` for `n` frames of `ms`.
fn delays(s: &str) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let (ms, count) = part.split_once('*').unwrap_or((part, "1"));
        let (ms, count): (u32, usize) = (ms.parse().ok()?, count.parse().ok()?);
        out.extend(std::iter::repeat_n(ms, count));
    }
    Some(out)
}

/// Every row of the animation manifest.
///
/// # Panics
/// On a missing manifest or a malformed row, naming the line.
pub fn rows() -> Vec<Row> {
    let path = corpus_dir().join(MANIFEST);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let at = || format!("{MANIFEST} line {}", n + 1);
        let cols: Vec<&str> = line.split('\t').collect();
        let [file, expect, detail, source, thumb, frames, delays_col, loops, still, note] = cols[..] else {
            panic!("{}: expected 10 columns, got {}", at(), cols.len());
        };
        let number = |s: &str, what: &str| -> u32 {
            s.parse()
                .unwrap_or_else(|_| panic!("{}: {what} must be a number, got {s:?}", at()))
        };
        let animated = match expect {
            "ok" => {
                let delays_ms =
                    delays(delays_col).unwrap_or_else(|| panic!("{}: bad delays {delays_col:?}", at()));
                let animation = Animation {
                    format: detail.into(),
                    delays_ms,
                    loops: number(loops, "loops"),
                };
                assert_eq!(
                    animation.frames(),
                    number(frames, "frames"),
                    "{}: one delay per frame",
                    at()
                );
                Ok(animation)
            }
            "reject" => Err(Rejection {
                kind: detail.into(),
                decoded_before_failure: (frames != "-").then(|| number(frames, "frames")),
            }),
            other => panic!("{}: expect must be ok or reject, got {other:?}", at()),
        };
        let wxh = |s: &str| size(s).unwrap_or_else(|| panic!("{}: bad size {s:?}", at()));
        rows.push(Row {
            file: file.into(),
            animated,
            source: wxh(source),
            thumb: wxh(thumb),
            still: if still == "ok" { Ok(()) } else { Err(still.into()) },
            note: note.into(),
        });
    }
    rows
}
