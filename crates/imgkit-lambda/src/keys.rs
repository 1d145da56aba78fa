//! Where an upload's outputs go: deterministic, collision-free keys that always fit, and the recursion
//! guard.
//!
//! The readable form keeps the whole source key, extension included, and appends the extension of what
//! is written:
//!
//! - rendition: `<output-prefix>/<rendition>/<source key>.<ext>` (`thumb/photos/a.jpg.webp`)
//! - rejection record: `<output-prefix>/rejected/<source key>.json`
//!
//! (without `<output-prefix>/` when the prefix is empty). Appending never makes two source keys share
//! an output: extensions hold no `.`, so the source key is the output key up to its last `.`. The same
//! source key always maps to the same output keys, so at-least-once delivery overwrites rather than
//! duplicates.
//!
//! S3 keys are at most 1024 bytes. When any readable key of a source would be longer, every output of
//! that source takes the hashed form instead, in a folder no rendition may be named after:
//!
//! - `<output-prefix>/long-keys/<rendition>/<sha256 of the source key, hex>.<ext>`
//! - `<output-prefix>/long-keys/rejected/<sha256 of the source key, hex>.json`
//!
//! [`check_prefix`] refuses, at cold start, an output prefix too long for even the hashed form.

use sha2::{Digest, Sha256};

/// S3's longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// The folder, under the output prefix, that holds one JSON record per rejected input.
pub const REJECTED_FOLDER: &str = "rejected";

/// The folder, under the output prefix, that holds the hashed form of outputs whose readable key would
/// be too long.
pub const HASHED_FOLDER: &str = "long-keys";

/// The folder of the processed bucket that holds backfill manifests and reports (deploy/backfill.sh).
pub const BACKFILL_FOLDER: &str = "backfill";

/// Folder names under the output prefix that renditions may not take.
pub const RESERVED_FOLDERS: &[&str] = &[REJECTED_FOLDER, HASHED_FOLDER, BACKFILL_FOLDER];

/// The longest extension an output can have (`webp`, `json`); the key form is chosen before the
/// output format is known, so it assumes this length.
const MAX_EXTENSION_BYTES: usize = 4;

/// Which form a source's output keys take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyForm {
    /// `<folder>/<source key>.<ext>`.
    Readable,
    /// `long-keys/<folder>/<sha256 hex>.<ext>`: some readable key would exceed [`MAX_KEY_BYTES`].
    Hashed,
}

impl KeyForm {
    /// `readable` or `hashed`, as written in rejection records and logs.
    pub fn name(self) -> &'static str {
        match self {
            KeyForm::Readable => "readable",
            KeyForm::Hashed => "hashed",
        }
    }
}

/// The output keys of one source key, decided before anything is downloaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputKeys {
    prefix: String,
    form: KeyForm,
    /// The source key (readable form) or its SHA-256 in hex (hashed form).
    stem: String,
}

impl OutputKeys {
    /// The keys of `source_key` under `prefix` for renditions named `renditions`.
    pub fn new<'a>(
        prefix: &str,
        renditions: impl IntoIterator<Item = &'a str>,
        source_key: &str,
    ) -> OutputKeys {
        let longest_folder = renditions
            .into_iter()
            .map(str::len)
            .chain([REJECTED_FOLDER.len()])
            .max()
            .unwrap_or(0);
        let readable = readable_len(prefix, longest_folder, source_key.len()) <= MAX_KEY_BYTES;
        let (form, stem) = if readable {
            (KeyForm::Readable, source_key.to_string())
        } else {
            (KeyForm::Hashed, sha256_hex(source_key))
        };
        OutputKeys {
            prefix: prefix.to_string(),
            form,
            stem,
        }
    }

    /// The form every key of this source takes.
    pub fn form(&self) -> KeyForm {
        self.form
    }

    /// The key of the rendition `rendition` written with extension `ext` (no dot).
    pub fn rendition(&self, rendition: &str, ext: &str) -> String {
        self.key(rendition, ext)
    }

    /// The key of the rejection record.
    pub fn rejected(&self) -> String {
        self.key(REJECTED_FOLDER, "json")
    }

    fn key(&self, folder: &str, ext: &str) -> String {
        let mut key = String::with_capacity(self.prefix.len() + folder.len() + self.stem.len() + 24);
        if !self.prefix.is_empty() {
            key.push_str(&self.prefix);
            key.push('/');
        }
        if self.form == KeyForm::Hashed {
            key.push_str(HASHED_FOLDER);
            key.push('/');
        }
        // Folder, stem and extension are UTF-8, so the name is too.
        key.push_str(&imgkit::output_name(Some(folder), self.stem.as_str(), ext).to_string_lossy());
        key
    }
}

/// The longest folder name under the prefix: a rendition's, or `rejected`.
fn longest_folder<'a>(renditions: impl IntoIterator<Item = &'a str>) -> usize {
    renditions
        .into_iter()
        .map(str::len)
        .chain([REJECTED_FOLDER.len()])
        .max()
        .unwrap_or(0)
}

/// Length of `<prefix>/<folder>/<stem>.<ext>` at the longest extension.
fn readable_len(prefix: &str, folder: usize, stem: usize) -> usize {
    let prefix = if prefix.is_empty() { 0 } else { prefix.len() + 1 };
    prefix + folder + 1 + stem + 1 + MAX_EXTENSION_BYTES
}

/// SHA-256 of `text`, lower-case hex.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Refuses an output prefix with which even the hashed form of some output (the longest rendition
/// name, or `rejected`) would exceed [`MAX_KEY_BYTES`].
pub fn check_prefix<'a>(prefix: &str, renditions: impl IntoIterator<Item = &'a str>) -> Result<(), String> {
    let hashed = readable_len(prefix, HASHED_FOLDER.len() + 1 + longest_folder(renditions), 64);
    if hashed > MAX_KEY_BYTES {
        return Err(format!(
            "is {} bytes: with it, hashed output keys would be {hashed} bytes, over S3's {MAX_KEY_BYTES}",
            prefix.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn keys(prefix: &str, source: &str) -> OutputKeys {
        OutputKeys::new(prefix, ["thumb", "m"], source)
    }

    #[test]
    fn readable_keys_keep_the_source_name_and_append_the_extension() {
        assert_eq!(
            keys("", "a/b/c.JPG").rendition("thumb", "webp"),
            "thumb/a/b/c.JPG.webp"
        );
        assert_eq!(
            keys("out", "c.tar.png").rendition("thumb", "jpg"),
            "out/thumb/c.tar.png.jpg"
        );
        assert_eq!(keys("out/x", "noext").rendition("m", "png"), "out/x/m/noext.png");
        assert_eq!(
            keys("", "red flower.jpg").rendition("m", "png"),
            "m/red flower.jpg.png"
        );
        assert_eq!(keys("", "u/x.svg").rejected(), "rejected/u/x.svg.json");
        assert_eq!(keys("p", "x").rejected(), "p/rejected/x.json");
        assert_eq!(keys("p", "x").form(), KeyForm::Readable);
    }

    #[test]
    fn sources_differing_only_in_extension_never_share_an_output() {
        let sources = [
            "a",
            "a.jpg",
            "a.jpeg",
            "a.png",
            "a.webp",
            "a.jpg.webp",
            "a.jpg.png",
            "a.",
            ".a",
        ];
        let mut seen = HashMap::new();
        for src in sources {
            for ext in ["webp", "jpg", "png", "gif"] {
                for folder in ["thumb", "m"] {
                    let key = keys("p", src).rendition(folder, ext);
                    if let Some(other) = seen.insert(key.clone(), src) {
                        assert_eq!(other, src, "{key} is shared by {other} and {src}");
                    }
                }
            }
            let rejected = keys("p", src).rejected();
            assert!(seen.insert(rejected, src).is_none());
        }
    }

    #[test]
    fn long_source_keys_take_the_hashed_form_for_every_output() {
        let long = format!("uploads/{}.jpg", "é".repeat(506)); // 8 + 1012 + 4 = 1024 bytes
        assert_eq!(long.len(), MAX_KEY_BYTES);
        let k = keys("thumbs", &long);
        assert_eq!(k.form(), KeyForm::Hashed);
        let hash = sha256_hex(&long);
        assert_eq!(
            k.rendition("thumb", "webp"),
            format!("thumbs/long-keys/thumb/{hash}.webp")
        );
        assert_eq!(k.rejected(), format!("thumbs/long-keys/rejected/{hash}.json"));
        // Deterministic, and distinct for distinct keys.
        assert_eq!(k, keys("thumbs", &long));
        let other = format!("uploads/{}.png", "é".repeat(506));
        assert_ne!(keys("thumbs", &other).rejected(), k.rejected());
    }

    #[test]
    fn every_output_key_fits_for_every_legal_source_key_length() {
        let renditions = [
            "t",
            "a-rendition-name-of-sixty-four-characters-xxxxxxxxxxxxxxxxxxxxxx",
        ];
        assert_eq!(renditions[1].len(), 64);
        let prefix = "p".repeat(800);
        check_prefix(&prefix, renditions).unwrap();
        let mut forms = HashSet::new();
        for len in 1..=MAX_KEY_BYTES {
            let src = "k".repeat(len);
            let k = OutputKeys::new(&prefix, renditions, &src);
            forms.insert(k.form());
            for r in renditions {
                assert!(k.rendition(r, "webp").len() <= MAX_KEY_BYTES, "{len}");
            }
            assert!(k.rejected().len() <= MAX_KEY_BYTES, "{len}");
        }
        assert_eq!(forms.len(), 2, "both forms are exercised");
    }

    #[test]
    fn a_prefix_too_long_for_the_hashed_form_is_refused() {
        let renditions = ["thumb"];
        // prefix/long-keys/rejected/<64>.json = p + 1 + 10 + 9 + 64 + 5.
        let fits = "p".repeat(MAX_KEY_BYTES - 89);
        check_prefix(&fits, renditions).unwrap();
        let e = check_prefix(&format!("{fits}p"), renditions).unwrap_err();
        assert!(e.contains("1025 bytes"), "{e}");
    }
}
