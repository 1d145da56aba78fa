//! Finding the inputs: files and directory trees, with each file's path relative to its root.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

/// Extensions taken by default. Formats are sniffed from content; this only picks candidates, so that
/// READMEs and manifests beside the images are not reported as rejected images.
const IMAGE_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "jpe", "jfif", "png", "apng", "gif", "webp", "tif", "tiff", "bmp", "svg", "avif", "heic",
];

/// One input file, and its path relative to its input root (where its outputs go under the output
/// directory).
#[derive(Debug, Clone)]
pub struct Input {
    pub path: PathBuf,
    pub relative: PathBuf,
}

/// Which files of the input trees are taken.
#[derive(Debug, Default)]
pub struct WalkOptions {
    /// Every file, not only those with an image extension.
    pub all_files: bool,
    /// Globs on the path relative to its input root (or the file name of a file input); when any are
    /// given, a file must match one.
    pub include: Option<GlobSet>,
    /// Globs on the same relative path; a match is skipped.
    pub exclude: Option<GlobSet>,
    /// Also walk hidden (dot) files and directories.
    pub hidden: bool,
    /// Follow symbolic links (off by default: a link can point anywhere, including at the output).
    pub follow_symlinks: bool,
}

impl WalkOptions {
    fn selects(&self, relative: &Path) -> bool {
        self.include.as_ref().is_none_or(|g| g.is_match(relative))
            && !self.exclude.as_ref().is_some_and(|g| g.is_match(relative))
    }
}

/// Compiles `--include`/`--exclude` patterns (`**/*.jpg`, `raw/**`, …).
pub fn globs(patterns: &[String], flag: &str) -> Result<Option<GlobSet>> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut set = GlobSetBuilder::new();
    for p in patterns {
        set.add(
            GlobBuilder::new(p)
                .literal_separator(true)
                .build()
                .with_context(|| format!("{flag} {p:?}"))?,
        );
    }
    Ok(Some(set.build().with_context(|| flag.to_string())?))
}

pub fn collect(inputs: &[PathBuf], options: &WalkOptions) -> Result<Vec<Input>> {
    let mut inputs_found = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).with_context(|| format!("{}", input.display()))?;
        if meta.is_file() {
            let name = input.file_name().map(PathBuf::from).unwrap_or_default();
            if options.selects(&name) {
                inputs_found.push(Input {
                    path: input.clone(),
                    relative: name,
                });
            }
            continue;
        }
        for entry in WalkDir::new(input)
            .follow_links(options.follow_symlinks)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| options.hidden || !is_hidden(e.path(), input))
        {
            let entry = entry.with_context(|| format!("walking {}", input.display()))?;
            if !entry.file_type().is_file() || !(options.all_files || has_image_extension(entry.path())) {
                continue;
            }
            let relative = entry
                .path()
                .strip_prefix(input)
                .unwrap_or(entry.path())
                .to_path_buf();
            if !options.selects(&relative) {
                continue;
            }
            inputs_found.push(Input {
                path: entry.path().to_path_buf(),
                relative,
            });
        }
    }
    Ok(inputs_found)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "a.jpg",
            "b.png",
            "notes.txt",
            "raw/c.jpg",
            "raw/deep/d.webp",
            ".hidden/e.jpg",
            ".f.jpg",
        ] {
            let path = dir.path().join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"x").unwrap();
        }
        dir
    }

    fn names(dir: &Path, options: &WalkOptions) -> Vec<String> {
        collect(&[dir.to_path_buf()], options)
            .unwrap()
            .into_iter()
            .map(|i| i.relative.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn image_files_only_hidden_skipped_by_default() {
        let dir = tree();
        assert_eq!(
            names(dir.path(), &WalkOptions::default()),
            ["a.jpg", "b.png", "raw/c.jpg", "raw/deep/d.webp"]
        );
        let all = WalkOptions {
            all_files: true,
            hidden: true,
            ..WalkOptions::default()
        };
        assert_eq!(names(dir.path(), &all).len(), 7);
    }

    #[test]
    fn include_and_exclude_match_relative_paths() {
        let dir = tree();
        let only_jpg = WalkOptions {
            include: globs(&["**/*.jpg".into()], "--include").unwrap(),
            ..WalkOptions::default()
        };
        assert_eq!(names(dir.path(), &only_jpg), ["a.jpg", "raw/c.jpg"]);
        let no_raw = WalkOptions {
            exclude: globs(&["raw/**".into()], "--exclude").unwrap(),
            ..WalkOptions::default()
        };
        assert_eq!(names(dir.path(), &no_raw), ["a.jpg", "b.png"]);
        assert!(globs(&["[".into()], "--include").is_err());
    }
}
