//! `imgkit probe`: what each file is and whether it passes the limits, from its header alone.

use std::path::PathBuf;

use anyhow::Result;
use imgkit::{probe, Error, ErrorKind, ImageInfo, Limits};
use serde_json::{json, Value};

/// One file's verdict.
struct Probed {
    path: PathBuf,
    /// The header, when it could be read at all (also for files over a size limit).
    info: Option<ImageInfo>,
    /// Why the file would be rejected under the configured limits.
    error: Option<String>,
    kind: Option<String>,
}

/// Probes every file; returns whether all of them pass.
pub fn run(files: &[PathBuf], limits: Limits, as_json: bool) -> Result<bool> {
    let results: Vec<Probed> = files.iter().map(|f| probe_file(f, &limits)).collect();
    if as_json {
        let list: Vec<Value> = results.iter().map(to_json).collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        for r in &results {
            println!("{}", to_line(r));
        }
    }
    Ok(results.iter().all(|r| r.error.is_none()))
}

fn probe_file(path: &std::path::Path, limits: &Limits) -> Probed {
    let verdict = |info, error: Option<&Error>, other: Option<String>| Probed {
        path: path.to_path_buf(),
        info,
        error: error.map(ToString::to_string).or(other.clone()),
        kind: error.map(|e| e.kind().to_string()).or(other.map(|_| "io".into())),
    };
    let len = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(e) => return verdict(None, None, Some(format!("cannot read: {e}"))),
    };
    let admitted = match limits.admit(len) {
        Ok(admitted) => admitted,
        Err(e) => return verdict(None, Some(&e), None),
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return verdict(None, None, Some(format!("cannot read: {e}"))),
    };
    let probed = admitted
        .sniff(&bytes)
        .and_then(|sniffed| sniffed.probe(&bytes))
        .map(imgkit::Probed::into_info);
    match probed {
        Ok(info) => verdict(Some(info), None, None),
        // Over a size limit: read the header again with the size limits lifted, to show what the file
        // declares. Only the header is parsed; the container limits that keep the probe itself cheap stay.
        Err(e) if matches!(e.kind(), ErrorKind::Limit(_)) => {
            let relaxed = Limits {
                max_width: u32::MAX,
                max_height: u32::MAX,
                max_pixels: u64::MAX,
                max_alloc: u64::MAX,
                max_frames: u32::MAX,
                ..*limits
            };
            verdict(
                probe(&bytes, &relaxed).ok().map(imgkit::Probed::into_info),
                Some(&e),
                None,
            )
        }
        Err(e) => verdict(None, Some(&e), None),
    }
}

fn to_line(r: &Probed) -> String {
    let mut line = format!("{}: ", r.path.display());
    if let Some(i) = &r.info {
        let (dw, dh) = i.display_size();
        line += &format!(
            "{} {}x{}, {} channel(s) x {} bit, alpha {}, frames {}, orientation {}",
            i.format,
            i.width,
            i.height,
            i.channels,
            i.bits_per_sample,
            if i.has_alpha { "yes" } else { "no" },
            i.frames,
            i.orientation.exif(),
        );
        if (dw, dh) != (i.width, i.height) {
            line += &format!(" (displayed {dw}x{dh})");
        }
        if i.has_icc_profile {
            line += ", ICC profile";
        }
        line += "; ";
    }
    match &r.error {
        None => line + "ok",
        Some(reason) => line + "rejected: " + reason,
    }
}

fn to_json(r: &Probed) -> Value {
    let info = r.info.as_ref().map(|i| {
        let (dw, dh) = i.display_size();
        json!({
            "format": i.format.name(),
            "width": i.width,
            "height": i.height,
            "display_width": dw,
            "display_height": dh,
            "channels": i.channels,
            "bits_per_sample": i.bits_per_sample,
            "has_alpha": i.has_alpha,
            "frames": i.frames,
            "orientation": i.orientation.exif(),
            "has_icc_profile": i.has_icc_profile,
            "decoded_bytes": i.decoded_bytes,
        })
    });
    json!({
        "path": r.path.display().to_string(),
        "ok": r.error.is_none(),
        "info": info,
        "error": r.error,
        "kind": r.kind,
    })
}
