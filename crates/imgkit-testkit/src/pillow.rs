//! Reading images with Pillow (libavif and dav1d for AVIF): a decoder independent of imgkit, for the
//! formats imgkit writes but does not read.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Decodes each of `files` to RGB with the Pillow of `python` (an interpreter path, e.g. a venv's
/// `bin/python`), through a PNG written beside each file.
///
/// # Panics
/// If `python` cannot run, Pillow fails on a file, or a PNG it wrote does not decode.
pub fn decode_rgb(python: &Path, files: &[PathBuf]) -> Vec<image::RgbImage> {
    let script = "import sys\nfrom PIL import Image\nfor p in sys.argv[1:]:\n    \
                  Image.open(p).convert('RGB').save(p + '.png')\n";
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "Pillow ({}) failed: {}",
        python.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    files
        .iter()
        .map(|f| {
            let png = format!("{}.png", f.display());
            image::open(&png)
                .unwrap_or_else(|e| panic!("{png}: {e}"))
                .to_rgb8()
        })
        .collect()
}
