//! Atomic output: a temporary file in the destination directory, renamed into place when complete.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// Writes `bytes` to `dest` so that `dest` is either absent, its old content, or complete: never half
/// written. The temporary file is removed if anything fails.
pub fn atomic_write(dest: &Path, bytes: &[u8]) -> Result<()> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".imgkit-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes).context("writing output")?;
    // Temporary files are created private (0600); outputs are ordinary files.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .context("setting permissions")?;
    }
    tmp.as_file().sync_data().context("syncing output")?;
    tmp.persist(dest)
        .with_context(|| format!("renaming into {}", dest.display()))?;
    Ok(())
}

/// Removes temporary files a killed run left in the output tree. Only names this module creates
/// (`.imgkit-*.tmp`) are touched; do not point two runs at the same output directory at once.
pub fn remove_stale_temporaries(output: &Path) -> Result<()> {
    if !output.is_dir() {
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(output).follow_links(false) {
        let entry = entry.with_context(|| format!("walking {}", output.display()))?;
        let name = entry.file_name().to_string_lossy();
        if entry.file_type().is_file() && name.starts_with(".imgkit-") && name.ends_with(".tmp") {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("removing stale {}", entry.path().display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_temporaries_go_and_everything_else_stays() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        let stale = sub.join(".imgkit-x1Y2z3.tmp");
        let keep = [
            sub.join("photo.jpg"),
            sub.join(".imgkit-notes"),
            dir.path().join("x.tmp"),
        ];
        std::fs::write(&stale, b"half").unwrap();
        keep.iter().for_each(|k| std::fs::write(k, b"k").unwrap());
        remove_stale_temporaries(dir.path()).unwrap();
        assert!(!stale.exists());
        assert!(keep.iter().all(|k| k.exists()));
    }

    #[test]
    fn atomic_write_replaces_whole_files_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("new/dir/out.png");
        atomic_write(&dest, b"first").unwrap();
        atomic_write(&dest, b"second").unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(dest.parent().unwrap())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["out.png"]);
    }
}
