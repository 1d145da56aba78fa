//! Finding the inputs: files and directory trees, with each file's path relative to its root.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use walkdir::WalkDir;

/// Extensions taken by default. Formats are sniffed from content; this only picks candidates, so that
/// READMEs and manifests beside the images are not reported as rejected images.
const IMAGE_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "jpe", "jfif", "png", "apng", "gif", "webp", "tif", "tiff", "bmp", "svg", "avif", "heic",
];

/// One input file and where its outputs go, relative to the output directory.
#[derive(Debug, Clone)]
pub struct Item {
    pub path: PathBuf,
    pub relative: PathBuf,
}

pub fn collect(inputs: &[PathBuf], all_files: bool) -> Result<Vec<Item>> {
    let mut items = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).with_context(|| format!("{}", input.display()))?;
        if meta.is_file() {
            let name = input.file_name().map(PathBuf::from).unwrap_or_default();
            items.push(Item {
                path: input.clone(),
                relative: name,
            });
            continue;
        }
        for entry in WalkDir::new(input)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| !is_hidden(e.path(), input))
        {
            let entry = entry.with_context(|| format!("walking {}", input.display()))?;
            if !entry.file_type().is_file() || !(all_files || has_image_extension(entry.path())) {
                continue;
            }
            let relative = entry
                .path()
                .strip_prefix(input)
                .unwrap_or(entry.path())
                .to_path_buf();
            items.push(Item {
                path: entry.path().to_path_buf(),
                relative,
            });
        }
    }
    Ok(items)
}

fn is_hidden(path: &Path, root: &Path) -> bool {
    path != root
        && path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'))
}

fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|known| known.eq_ignore_ascii_case(e)))
}

/// Refuses an output directory that is, or lies inside, an input directory: outputs would become inputs
/// on the next run, and nothing may ever be written over an input.
pub fn check_output_outside_inputs(output: &Path, inputs: &[PathBuf]) -> Result<()> {
    let out = absolute(output)?;
    for input in inputs {
        let input_abs = absolute(input)?;
        if out.starts_with(&input_abs) {
            bail!(
                "output directory {} is inside input {}",
                output.display(),
                input.display()
            );
        }
    }
    Ok(())
}

/// Canonical form of a path that may not exist yet: the nearest existing ancestor is canonicalised.
fn absolute(path: &Path) -> Result<PathBuf> {
    let abs = std::path::absolute(path).with_context(|| format!("{}", path.display()))?;
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut canonical = existing.canonicalize().unwrap_or_else(|_| existing.to_path_buf());
    canonical.extend(rest.iter().rev());
    Ok(canonical)
}
