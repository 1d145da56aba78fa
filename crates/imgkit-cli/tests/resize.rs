//! Runs the real `imgkit` binary over the corpus: every valid image becomes a thumbnail at the mirrored
//! path, every hostile one is reported with its reason, and the exit code says some inputs were rejected.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a test failure

use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus() -> PathBuf {
    imgkit_testkit::manifest::corpus_dir()
}

fn imgkit() -> Command {
    Command::new(env!("CARGO_BIN_EXE_imgkit"))
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn resizes_the_corpus_and_reports_every_hostile_file() {
    let out = tempfile::tempdir().unwrap();
    let report_dir = tempfile::tempdir().unwrap();
    let report_path = report_dir.path().join("report.json");
    let run = imgkit()
        .args(["resize", "--width", "40", "--format", "png", "-o"])
        .arg(out.path())
        .arg("--report")
        .arg(&report_path)
        .arg(corpus())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(
        run.status.code(),
        Some(1),
        "rejections must give exit 1\n{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    let reported = |file: &str| -> &serde_json::Value {
        let path = corpus().join(file);
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| Path::new(f["input"].as_str().unwrap()) == path)
            .unwrap_or_else(|| panic!("{file}: not in the report"))
    };

    // The generated corpus and the fuzz regressions (the run walks both folders).
    let rows = imgkit_testkit::manifest::rows();
    for row in &rows {
        let file = &row.file;
        let dest = out.path().join(format!("{file}.png"));
        match &row.expect {
            Ok(_) => {
                let img = image::open(&dest)
                    .unwrap_or_else(|e| panic!("{file}: no readable output at {}: {e}", dest.display()));
                assert_eq!(Some((img.width(), img.height())), row.thumb, "{file}");
                let placeholder = reported(file)["thumbhash"].as_str();
                let placeholder = placeholder.unwrap_or_else(|| panic!("{file}: no thumbhash"));
                assert_placeholder_of(placeholder, &img.to_rgba8(), file);
            }
            Err(kind) => {
                assert!(!dest.exists(), "{file}: rejected input must not produce output");
                let shown = corpus().join(file).display().to_string();
                let line = stderr
                    .lines()
                    .find(|l| l.starts_with(&format!("{shown}: ")))
                    .unwrap_or_else(|| panic!("{file}: no error line ({kind})\n{stderr}"));
                let entry = reported(file);
                assert_eq!(entry["outcome"], "rejected", "{file}: {line}");
                assert_eq!(entry["kind"], kind.as_str(), "{file}: {line}");
                assert!(
                    line.ends_with(entry["reason"].as_str().unwrap()),
                    "{file}: {line}"
                );
            }
        }
    }
    // The animations: a PNG rendition is a still, as the animation manifest's `still` column says.
    let animations = imgkit_testkit::manifest::animation::rows();
    for row in &animations {
        let file = &row.file;
        let dest = out.path().join(format!("{file}.png"));
        match &row.still {
            Ok(()) => {
                let img = image::open(&dest).unwrap_or_else(|e| panic!("{file}: no readable still: {e}"));
                assert_eq!((img.width(), img.height()), row.thumb, "{file}");
            }
            Err(kind) => {
                assert!(!dest.exists(), "{file}: rejected input must not produce output");
                assert_eq!(reported(file)["kind"], kind.as_str(), "{file}");
            }
        }
    }
    let written = files_under(out.path());
    assert_eq!(
        written.len(),
        rows.iter().filter(|r| r.is_ok()).count() + animations.iter().filter(|r| r.still.is_ok()).count(),
        "exactly one output per valid input"
    );
    assert!(
        written.iter().all(|p| !p.to_string_lossy().contains(".imgkit-")),
        "temporary files left behind"
    );
    assert!(stderr.contains("processed"), "summary missing\n{stderr}");
}

/// The report's ThumbHash, decoded by the reference decoder, has the picture's mean colour within a few
/// levels (for a picture with transparency, the hash's own average, weighted by alpha as the encoder
/// weighs it), and its aspect ratio.
fn assert_placeholder_of(base64: &str, picture: &image::RgbaImage, file: &str) {
    use base64::Engine;
    let hash = base64::engine::general_purpose::STANDARD.decode(base64).unwrap();
    let (w, h, rgba) = thumbhash::thumb_hash_to_rgba(&hash).unwrap();
    let mean = |px: &[u8]| {
        let (mut sum, mut weight) = ([0.0f64; 3], 0.0);
        for p in px.chunks_exact(4) {
            let a = f64::from(p[3]) / 255.0;
            (0..3).for_each(|c| sum[c] += a * f64::from(p[c]));
            weight += a;
        }
        (weight > 0.0).then(|| sum.map(|s| s / weight))
    };
    let opaque = picture.pixels().all(|p| p[3] == 255);
    let got = if opaque {
        mean(&rgba)
    } else {
        let (r, g, b, _) = thumbhash::thumb_hash_to_average_rgba(&hash).unwrap();
        Some([r, g, b].map(|c| f64::from(c) * 255.0))
    };
    if let (Some(want), Some(got)) = (mean(picture.as_raw()), got) {
        for c in 0..3 {
            assert!(
                (want[c] - got[c]).abs() < 12.0,
                "{file}: channel {c}: {want:?} against {got:?}"
            );
        }
    }
    let (want, got) = (
        f64::from(picture.width()) / f64::from(picture.height()),
        w as f64 / h as f64,
    );
    assert!(
        (want.ln() - got.ln()).abs() < 0.35 || want.max(1.0 / want) > 5.0,
        "{file}: aspect {want} against {got}"
    );
}

/// Four different pictures that share a stem: each gets its own output, none is skipped as "up to date"
/// because a sibling wrote first. The same relative path under two input roots cannot: the second is
/// reported, naming the first, and the first's output is left alone.
#[test]
fn inputs_that_share_a_stem_never_share_an_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    let pictures = [
        ("a.jpg", "valid/jpeg-320x200.jpg"),
        ("a.jpeg", "valid/jpeg-baseline-420.jpg"),
        ("a.png", "valid/png-rgb8.png"),
        ("a.webp", "valid/webp-lossy.webp"),
    ];
    for (name, file) in pictures {
        std::fs::copy(corpus().join(file), input.join(name)).unwrap();
    }
    let out = dir.path().join("out");
    let run = imgkit()
        .args(["resize", "--width", "32", "--format", "png", "-o"])
        .arg(&out)
        .arg(&input)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("4 processed, 0 skipped"), "{stderr}");
    for (name, file) in pictures {
        let got = image::open(out.join(format!("{name}.png"))).unwrap();
        let want = image::open(corpus().join(file)).unwrap();
        let want_h = (f64::from(want.height()) * 32.0 / f64::from(want.width())).round() as u32;
        assert_eq!(
            (got.width(), got.height()),
            (32, want_h),
            "{name}: another input's picture"
        );
    }
    assert_eq!(files_under(&out).len(), 4);

    // The same relative path under two roots.
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(corpus().join("valid/png-palette.png"), other.join("a.png")).unwrap();
    let before = std::fs::read(out.join("a.png.png")).unwrap();
    let run = imgkit()
        .args(["resize", "--width", "32", "--format", "png", "--force", "-o"])
        .arg(&out)
        .arg(&input)
        .arg(&other)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with(&other.join("a.png").display().to_string()))
        .unwrap_or_else(|| panic!("the colliding input is not reported\n{stderr}"));
    assert!(
        line.contains(&input.join("a.png").display().to_string()),
        "{line}"
    );
    assert_eq!(
        std::fs::read(out.join("a.png.png")).unwrap(),
        before,
        "overwritten by the other root's a.png"
    );
}

#[test]
fn usage_errors_exit_2_and_touch_nothing() {
    let out = tempfile::tempdir().unwrap();
    let bad_width = imgkit()
        .args(["resize", "--width", "0", "-o"])
        .arg(out.path())
        .arg(corpus())
        .output()
        .unwrap();
    assert_eq!(bad_width.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_width.stderr).contains("width must be 1..=16384, got 0"));

    let inside = corpus().join("valid/out");
    let nested = imgkit()
        .args(["resize", "--width", "40", "-o"])
        .arg(&inside)
        .arg(corpus())
        .output()
        .unwrap();
    assert_eq!(
        nested.status.code(),
        Some(2),
        "output inside an input must be refused"
    );
    assert!(!inside.exists());
    assert!(std::fs::read_dir(out.path()).unwrap().next().is_none());
}

/// A rendition with a byte budget: written at the highest quality that fits, and a file that cannot
/// fit is an error line naming it and the numbers, while the others are still written.
#[test]
fn a_byte_budget_fits_or_names_the_file_that_cannot() {
    let input = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let png = |name: &str, image: image::RgbImage| image.save(input.path().join(name)).unwrap();
    // Noise keeps its bytes at any quality; a flat picture fits in a few hundred.
    png(
        "detailed.png",
        image::RgbImage::from_fn(1600, 1200, |x, y| {
            let h = (x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663)).wrapping_mul(2_654_435_761);
            image::Rgb([(h >> 24) as u8, (h >> 16) as u8, (h >> 8) as u8])
        }),
    );
    png(
        "flat.png",
        image::RgbImage::from_pixel(1600, 1200, image::Rgb([120, 140, 160])),
    );
    let run = imgkit()
        .args(["resize", "--rendition", "page=800w,jpeg:90,max=20k", "-o"])
        .arg(out.path())
        .arg(input.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("detailed.png") && stderr.contains("over the budget of 20000"),
        "{stderr}"
    );
    let written = files_under(out.path());
    assert_eq!(written.len(), 1, "{written:?}");
    let bytes = std::fs::read(&written[0]).unwrap();
    assert!(bytes.len() <= 20_000, "{} bytes", bytes.len());
}

/// `--focus attention` places a cover crop on an off-centre subject, and the report gives the box;
/// `--focus center` keeps the middle.
#[test]
fn focus_places_the_cover_crop_and_the_report_gives_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("subject.png");
    // A flat field, 600x300, with a checkered square at x 40..100, y 120..180.
    image::RgbImage::from_fn(600, 300, |x, y| {
        let inside = (40..100).contains(&x) && (120..180).contains(&y);
        match (inside, (x / 6 + y / 6) % 2) {
            (true, 0) => image::Rgb([210, 30, 40]),
            (true, _) => image::Rgb([30, 40, 200]),
            _ => image::Rgb([120, 120, 120]),
        }
    })
    .save(&input)
    .unwrap();
    let crop_with = |focus: &str| {
        let report = dir.path().join(format!("{focus}.json"));
        let run = imgkit()
            .args([
                "resize", "-W", "150", "-H", "150", "--fit", "cover", "--focus", focus,
            ])
            .args(["--format", "png", "--force", "-o"])
            .arg(dir.path().join(focus))
            .arg("--report")
            .arg(&report)
            .arg(&input)
            .output()
            .unwrap();
        assert_eq!(
            run.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        let crop = &report["files"][0]["outputs"][0]["crop"];
        serde_json::from_value::<[u32; 4]>(crop.clone()).unwrap()
    };
    let [left, top, width, height] = crop_with("attention");
    assert!(
        left <= 40 && left + width >= 100 && top == 0 && height == 300,
        "{left} {width}"
    );
    assert_eq!(crop_with("center"), [150, 0, 300, 300]);
    let bad = imgkit()
        .args(["resize", "-W", "9", "--focus", "face", "-o"])
        .arg(dir.path())
        .arg(&input)
        .output();
    assert_eq!(bad.unwrap().status.code(), Some(2));
}

/// An animated GIF written as WebP keeps its frames and their delays; `--still` and a `still`
/// rendition write its first frame; the report gives each output's frame count.
#[test]
fn an_animated_gif_stays_animated_as_webp_unless_still() {
    use image::AnimationDecoder;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in").join("wave.gif");
    std::fs::create_dir_all(input.parent().unwrap()).unwrap();
    let delays = [120, 40, 0, 300, 80];
    std::fs::write(&input, imgkit_testkit::encode::animated_gif(160, 120, &delays)).unwrap();
    let frames_of = |path: &Path| -> Vec<u32> {
        let bytes = std::fs::read(path).unwrap();
        let decoder = image::codecs::webp::WebPDecoder::new(std::io::Cursor::new(bytes)).unwrap();
        decoder
            .into_frames()
            .map(|f| {
                let (numer, denom) = f.unwrap().delay().numer_denom_ms();
                numer / denom
            })
            .collect()
    };
    let resize = |out: &str, args: &[&str]| {
        let report = dir.path().join(format!("{out}.json"));
        let run = imgkit()
            .args(["resize", "-o"])
            .arg(dir.path().join(out))
            .args(args)
            .arg("--report")
            .arg(&report)
            .arg(&input)
            .output()
            .unwrap();
        assert_eq!(
            run.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        report["files"][0]["outputs"].as_array().unwrap().clone()
    };
    let outputs = resize("animated", &["-W", "80", "--format", "webp"]);
    assert_eq!(outputs[0]["frames"], 5);
    assert_eq!(frames_of(&dir.path().join("animated/wave.gif.webp")), delays);
    let outputs = resize("still", &["-W", "80", "--format", "webp", "--still"]);
    assert_eq!(outputs[0]["frames"], 1);
    let still = image::load_from_memory(&std::fs::read(dir.path().join("still/wave.gif.webp")).unwrap());
    assert_eq!(still.unwrap().width(), 80);
    let still = std::fs::read(dir.path().join("still/wave.gif.webp")).unwrap();
    let still = image::codecs::webp::WebPDecoder::new(std::io::Cursor::new(still)).unwrap();
    assert!(!still.has_animation());
    let outputs = resize("named", &["-r", "moving=80w,webp", "-r", "poster=80w,webp,still"]);
    let frames: Vec<_> = outputs.iter().map(|o| o["frames"].clone()).collect();
    assert_eq!(frames, [5, 1]);
    assert_eq!(frames_of(&dir.path().join("named/moving/wave.gif.webp")).len(), 5);
}
