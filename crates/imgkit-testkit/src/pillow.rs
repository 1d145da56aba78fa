//! The tests' Python venv, and Pillow in it (libjpeg-turbo, libavif and dav1d): a decoder independent of
//! imgkit, for the formats imgkit writes but does not read and for libjpeg-turbo's scaled JPEG decodes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The tests' venv (moto, PyYAML, Pillow), installed by `support/test-venv.sh` when missing (`.ci/run`
/// installs it up front; the first install needs PyPI).
///
/// # Panics
/// If the install fails.
pub fn venv() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("support/test-venv.sh");
    let out = Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    assert!(out.status.success(), "{} failed", script.display());
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// The venv's interpreter (see [`venv`]).
pub fn python() -> PathBuf {
    venv().join("bin/python")
}

/// Decodes each of `files` to RGB with the Pillow of `python` (an interpreter path, e.g. a venv's
/// `bin/python`), through a PNG written beside each file.
///
/// # Panics
/// If `python` cannot run, Pillow fails on a file, or a PNG it wrote does not decode.
pub fn decode_rgb(python: &Path, files: &[PathBuf]) -> Vec<image::RgbImage> {
    let jobs: Vec<(PathBuf, u32)> = files.iter().map(|f| (f.clone(), 1)).collect();
    draft_rgb(python, &jobs)
}

/// Decodes each JPEG of `jobs` at 1/`scale` (1, 2, 4 or 8) to RGB the way libjpeg-turbo does, DCT
/// scaling and all (Pillow's `draft`; scale 1 is a plain decode of any format), through a PNG written
/// beside each file as `<file>.<scale>.png`.
///
/// # Panics
/// As [`decode_rgb`], and if Pillow's decode is not the file's size divided by the scale, rounded up.
pub fn draft_rgb(python: &Path, jobs: &[(PathBuf, u32)]) -> Vec<image::RgbImage> {
    // draft() picks the largest scale that leaves at least the requested size, from the sizes' floor.
    let script = "import sys\nfrom PIL import Image\nargs = sys.argv[1:]\n\
                  for p, s in zip(args[::2], args[1::2]):\n    \
                  s = int(s)\n    im = Image.open(p)\n    w, h = im.size\n    \
                  if s > 1:\n        im.draft('RGB', (max(1, w // s), max(1, h // s)))\n        \
                  assert im.size == (-(-w // s), -(-h // s)), (p, s, im.size)\n    \
                  im.convert('RGB').save(f'{p}.{s}.png')\n";
    let args = jobs
        .iter()
        .flat_map(|(file, scale)| [file.as_os_str().to_owned(), scale.to_string().into()]);
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "Pillow ({}) failed: {}",
        python.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    jobs.iter()
        .map(|(file, scale)| {
            let png = format!("{}.{scale}.png", file.display());
            image::open(&png)
                .unwrap_or_else(|e| panic!("{png}: {e}"))
                .to_rgb8()
        })
        .collect()
}
