//! Every corpus file against its expected outcome in `corpus/manifest.tsv` and the fuzz regressions'
//! `corpus/regression/manifest.tsv` (one test per file).
//!
//! Ok rows: the probe agrees on format and displayed size, a width-40 thumbnail has the size the manifest
//! states and decodes again to that size in every output format. Reject rows: `probe` and `process` both
//! fail with the stated error kind, classified as the input's fault.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a test failure

use imgkit_testkit::manifest;

use imgkit::{probe, Class, Format, Limits, OutputFormat, Processor, Spec};
use libtest_mimic::{Arguments, Failed, Trial};
use manifest::Row as Entry;

fn check(entry: &Entry) -> Result<(), Failed> {
    let bytes = entry.bytes();
    let limits = Limits::default();
    let mut processor = Processor::new(limits);
    match &entry.expect {
        Ok(format) => {
            let info = probe(&bytes, &limits)
                .map_err(|e| format!("probe failed: {e}"))?
                .into_info();
            if info.format.name() != format {
                return Err(format!("format: expected {format}, probed {}", info.format).into());
            }
            if Some(info.display_size()) != entry.source {
                return Err(format!(
                    "displayed size: expected {:?}, probed {:?}",
                    entry.source,
                    info.display_size()
                )
                .into());
            }
            if entry.file.starts_with("heif/") {
                upright(&mut processor, &bytes, entry.source.unwrap())?;
            }
            let specs = [
                Spec::new().with_width(40),
                Spec::new()
                    .with_width(40)
                    .with_format(OutputFormat::Jpeg { quality: 80 }),
                Spec::new().with_width(40).with_format(OutputFormat::Png),
                Spec::new()
                    .with_width(40)
                    .with_format(OutputFormat::WebP { quality: 80 }),
            ];
            let outputs = processor
                .process_many(&bytes, &specs)
                .map_err(|e| format!("process failed: {e}"))?;
            for out in outputs {
                if Some((out.width, out.height)) != entry.thumb {
                    return Err(format!(
                        "{} thumbnail: expected {:?}, got {}x{}",
                        out.format, entry.thumb, out.width, out.height
                    )
                    .into());
                }
                // Our own output is trusted, so the plain decoder is fine here.
                let back = image::load_from_memory(&out.bytes)
                    .map_err(|e| format!("{} output does not decode: {e}", out.format))?;
                if (back.width(), back.height()) != (out.width, out.height) {
                    return Err(format!(
                        "{} output decodes to {}x{}",
                        out.format,
                        back.width(),
                        back.height()
                    )
                    .into());
                }
            }
            Ok(())
        }
        Err(kind) => {
            let err = match processor.process(&bytes, &Spec::new().with_width(40)) {
                Ok(out) => {
                    return Err(format!(
                        "expected {kind}, got an Ok {}x{} {}",
                        out.width, out.height, out.format
                    )
                    .into())
                }
                Err(e) => e,
            };
            if err.kind().to_string() != *kind {
                return Err(format!("expected {kind}, got {} ({err})", err.kind()).into());
            }
            if err.class() != Class::Rejected {
                return Err(format!("{kind} must be the input's fault, got {:?}", err.class()).into());
            }
            // The probe runs every check that does not need pixels; decode-stage failures pass it.
            if let Err(probe_err) = probe(&bytes, &limits) {
                if probe_err.kind() != err.kind() {
                    return Err(
                        format!("probe says {} but process says {}", probe_err.kind(), err.kind()).into(),
                    );
                }
            } else if !matches!(err, imgkit::Error::Malformed { .. }) {
                return Err(format!(
                    "probe accepted a file that process rejects with {kind} before decoding"
                )
                .into());
            }
            Ok(())
        }
    }
}

/// The HEIF corpus draws one picture, stored transformed by the inverse of its `irot`/`imir` (and alpha
/// only on the right half): shown as displayed, red is at the top-left and blue at the bottom-right.
fn upright(processor: &mut Processor, bytes: &[u8], (w, h): (u32, u32)) -> Result<(), Failed> {
    let out = processor
        .process(bytes, &Spec::new().with_width(w).with_format(OutputFormat::Png))
        .map_err(|e| format!("full-size render failed: {e}"))?;
    let img = image::load_from_memory(&out.bytes)?.to_rgba8();
    let (tl, br) = (img.get_pixel(4, 4).0, img.get_pixel(w - 5, h - 5).0);
    if !(tl[0] > 180 && tl[2] < 80 && br[2] > 150 && br[0] < 80) {
        return Err(format!("not upright: top-left {tl:?} (red?), bottom-right {br:?} (blue?)").into());
    }
    Ok(())
}

fn main() {
    // HEIC and AVIF rows decode in the sandbox's child: this program.
    imgkit::serve_sandbox_if_child();
    let args = Arguments::from_args();
    let entries = manifest::rows();
    let hostile = entries.iter().filter(|e| e.is_hostile()).count();
    assert!(
        entries.len() >= 60 && hostile >= 20,
        "corpus too small: {} files, {hostile} hostile",
        entries.len()
    );
    let mut listed: Vec<String> = entries.iter().map(|e| e.file.clone()).collect();
    listed.sort();
    let mut on_disk: Vec<String> = manifest::FOLDERS
        .iter()
        .flat_map(|dir| {
            std::fs::read_dir(manifest::corpus_dir().join(dir))
                .into_iter()
                .flatten()
                .flatten()
                .map(move |e| format!("{dir}/{}", e.file_name().to_string_lossy()))
        })
        .filter(|f| !manifest::MANIFESTS.contains(&f.as_str()))
        .collect();
    on_disk.sort();
    assert_eq!(
        listed, on_disk,
        "manifest and corpus folders list different files"
    );

    let trials = entries
        .into_iter()
        .map(|entry| {
            // Without the `heic` and `avif` features (`cargo test -p imgkit` alone) HEIF rows cannot
            // come out as listed: shown as ignored, not passed.
            let heif_off = !(Format::Heic.decoder_compiled() && Format::Avif.decoder_compiled());
            let ignored = heif_off && entry.is_heif();
            Trial::test(entry.file.clone(), move || check(&entry)).with_ignored_flag(ignored)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
