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
