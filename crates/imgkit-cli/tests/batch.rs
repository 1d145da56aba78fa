//! The `imgkit resize` batch behaviour users rely on, run on the real binary over temporary trees built
//! from the corpus: mirrored layout, several renditions, rejections with reasons, the JSON report, resume,
//! `--force`, interruption (Ctrl-C and kill) and the memory budget.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn corpus() -> PathBuf {
    imgkit_testkit::manifest::corpus_dir()
}

fn imgkit() -> Command {
    Command::new(env!("CARGO_BIN_EXE_imgkit"))
}

/// `(file, ok)` rows of the corpus manifest.
fn manifest() -> Vec<(String, bool)> {
    imgkit_testkit::manifest::read("manifest.tsv")
        .into_iter()
        .map(|r| (r.file.clone(), r.is_ok()))
        .collect()
}

/// A tree with `valid` ok corpus files under `photos/2024/` and `hostile` rejected ones under `inbox/`.
fn tree(valid: usize, hostile: usize) -> (tempfile::TempDir, Vec<PathBuf>, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let rows = manifest();
    let pick = |ok: bool, n: usize, sub: &str| -> Vec<PathBuf> {
        rows.iter()
            .filter(|(f, o)| *o == ok && !f.contains("animated"))
            .take(n)
            .map(|(f, _)| {
                let rel = Path::new(sub).join(Path::new(f).file_name().unwrap());
                let dest = dir.path().join("in").join(&rel);
                std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
                std::fs::copy(corpus().join(f), &dest).unwrap();
                rel
            })
            .collect()
    };
    let v = pick(true, valid, "photos/2024");
    let h = pick(false, hostile, "inbox");
    (dir, v, h)
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

fn report(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(files_under(&path));
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn temporaries(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(".imgkit-"))
        .collect()
}

#[test]
fn renditions_mirror_the_tree_and_the_report_matches_the_disk() {
    let (dir, valid, hostile) = tree(8, 4);
    let (input, out, report_path) = (
        dir.path().join("in"),
        dir.path().join("out"),
        dir.path().join("r.json"),
    );
    let res = run(imgkit()
        .arg("resize")
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .args([
            "--rendition",
            "thumb=64x64,cover,webp",
            "--rendition",
            "small=120w,inside,jpeg:80",
        ])
        .arg("--report")
        .arg(&report_path));
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(1), "rejections make exit 1: {stderr}");

    // Every hostile file is named on stderr with its reason; no output exists for it.
    for rel in &hostile {
        let shown = input.join(rel).display().to_string();
        assert!(
            stderr.lines().any(|l| l.starts_with(&format!("{shown}: "))),
            "{shown} not reported:\n{stderr}"
        );
    }
    // Every valid file has both renditions at the mirrored path, with the promised sizes.
    for rel in &valid {
        let thumb = out.join("thumb").join(format!("{}.webp", rel.display()));
        let small = out.join("small").join(format!("{}.jpg", rel.display()));
        let t = image::open(&thumb).unwrap_or_else(|e| panic!("{}: {e}", thumb.display()));
        assert!(t.width() <= 64 && t.height() <= 64);
        let s = image::open(&small).unwrap_or_else(|e| panic!("{}: {e}", small.display()));
        assert!(s.width() <= 120);
    }
    assert_eq!(files_under(&out).len(), 2 * valid.len(), "no stray outputs");

    // The report: one entry per input, outcomes and reasons as above, outputs exactly as on disk.
    let r = report(&report_path);
    let files = r["files"].as_array().unwrap();
    assert_eq!(files.len(), valid.len() + hostile.len());
    assert_eq!(r["summary"]["processed"], valid.len());
    assert_eq!(r["summary"]["rejected"], hostile.len());
    for f in files {
        let input_path = f["input"].as_str().unwrap();
        match f["outcome"].as_str().unwrap() {
            "processed" => {
                for o in f["outputs"].as_array().unwrap() {
                    let p = Path::new(o["path"].as_str().unwrap());
                    assert_eq!(std::fs::metadata(p).unwrap().len(), o["bytes"].as_u64().unwrap());
                    let img = image::open(p).unwrap();
                    assert_eq!(Value::from(img.width()), o["width"], "{}", p.display());
                    assert_eq!(Value::from(img.height()), o["height"], "{}", p.display());
                }
            }
            "rejected" => {
                assert!(
                    f["reason"].as_str().is_some_and(|r| !r.is_empty()),
                    "{input_path}"
                );
                assert!(f["kind"].as_str().is_some(), "{input_path}");
            }
            other => panic!("{input_path}: unexpected outcome {other}"),
        }
    }
}

#[test]
fn reruns_skip_finished_files_and_force_redoes_them() {
    let (dir, valid, _) = tree(6, 0);
    let (input, out, rep) = (
        dir.path().join("in"),
        dir.path().join("out"),
        dir.path().join("r.json"),
    );
    let resize = |extra: &[&str]| {
        run(imgkit()
            .arg("resize")
            .arg(&input)
            .arg("-o")
            .arg(&out)
            .args(["--width", "50", "--report"])
            .arg(&rep)
            .args(extra))
    };
    assert!(resize(&[]).status.success());
    let first: Vec<_> = files_under(&out)
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();
    assert_eq!(first.len(), valid.len());

    assert!(resize(&[]).status.success());
    assert_eq!(report(&rep)["summary"]["skipped"], valid.len());
    let second: Vec<_> = files_under(&out)
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();
    assert_eq!(first, second, "skipped outputs are not rewritten");

    // An input changed after its output was written is redone, the rest still skipped.
    std::thread::sleep(Duration::from_millis(20));
    let touched = input.join(&valid[0]);
    let bytes = std::fs::read(&touched).unwrap();
    std::fs::write(&touched, bytes).unwrap();
    assert!(resize(&[]).status.success());
    let r = report(&rep);
    assert_eq!(
        (r["summary"]["processed"].clone(), r["summary"]["skipped"].clone()),
        (1.into(), (valid.len() - 1).into())
    );

    assert!(resize(&["--force"]).status.success());
    assert_eq!(report(&rep)["summary"]["processed"], valid.len());
}

#[test]
fn format_avif_writes_avif_files_beside_their_sources_names() {
    let (dir, valid, _) = tree(3, 0);
    let (out, report_path) = (dir.path().join("out"), dir.path().join("r.json"));
    let res = run(imgkit()
        .arg("resize")
        .arg(dir.path().join("in"))
        .arg("-o")
        .arg(&out)
        .args(["--width", "40", "--format", "avif", "-q", "50"])
        .arg("--report")
        .arg(&report_path));
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    assert_eq!(files_under(&out).len(), valid.len());
    for f in report(&report_path)["files"].as_array().unwrap() {
        let o = &f["outputs"][0];
        let p = Path::new(o["path"].as_str().unwrap());
        assert_eq!(p.extension().unwrap(), "avif", "{}", p.display());
        assert!(p.to_str().unwrap().contains(
            Path::new(f["input"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
        ));
        assert_eq!(o["width"], 40);
        // The container's brand; the Lambda end-to-end test decodes AVIF renditions with Pillow.
        assert_eq!(&std::fs::read(p).unwrap()[4..12], b"ftypavif", "{}", p.display());
    }
}

#[test]
fn dry_run_writes_nothing() {
    let (dir, valid, _) = tree(3, 0);
    let out = dir.path().join("out");
    let res = run(imgkit()
        .arg("resize")
        .arg(dir.path().join("in"))
        .arg("-o")
        .arg(&out)
        .args(["--width", "40", "--dry-run"]));
    assert!(res.status.success());
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(
        stderr.lines().filter(|l| l.contains("would write")).count(),
        valid.len(),
        "{stderr}"
    );
    assert!(!out.exists());
}

/// A tree of `n` copies of one noise PNG of `w × h`, `photo-NNN.png`. Noise does not compress, so each
/// file is about as large as its pixels and the bytes read count against the budget as much as the
/// decoded image does.
fn big_tree(n: usize, w: u32, h: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let img = image::RgbImage::from_fn(w, h, |_, _| {
        // xorshift64: deterministic, incompressible enough for deflate.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let [r, g, b, ..] = state.to_le_bytes();
        image::Rgb([r, g, b])
    });
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    for i in 0..n {
        std::fs::write(input.join(format!("photo-{i:03}.png")), &png).unwrap();
    }
    dir
}

/// Samples the child's `VmHWM` until it exits; returns its exit status and the highest value seen.
fn wait_with_peak_rss(mut child: Child) -> (std::process::ExitStatus, u64) {
    let mut peak = 0;
    loop {
        if let Some(kib) = imgkit_testkit::memory::peak_rss_kib(Some(child.id())) {
            peak = peak.max(kib * 1024);
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status, peak);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

const MIB: u64 = 1024 * 1024;

#[test]
fn the_memory_budget_holds_and_an_over_budget_file_is_rejected_by_name() {
    // 10.5 MP noise PNGs (just under the default 32 MiB input limit): 31.5 MB on disk and 31.5 MB decoded
    // each; with four workers and no budget, about 4 x 70 MB would be in flight.
    let dir = big_tree(6, 3500, 3000);
    let budget = 100 * MIB;
    let mut child = imgkit()
        .arg("resize")
        .arg(dir.path().join("in"))
        .arg("-o")
        .arg(dir.path().join("out"))
        .args(["--width", "200", "-j", "4", "--quiet", "--max-memory", "100M"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (status, peak) = wait_with_peak_rss(child);
    let mut messages = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut messages).unwrap();
    assert!(status.success(), "{status}: {messages}");
    assert_eq!(files_under(&dir.path().join("out")).len(), 6);
    // The budget covers images in flight; the process itself (binary, allocator, thread stacks) adds a
    // baseline on top, which the allowance below covers.
    let baseline = 25 * MIB;
    println!("peak RSS {} MiB with --max-memory 100M", peak / MIB);
    assert!(
        peak <= budget + baseline,
        "peak RSS {} MiB over budget {} MiB + baseline",
        peak / MIB,
        budget / MIB
    );

    let one = dir.path().join("in/photo-000.png");
    let res = run(imgkit()
        .arg("resize")
        .arg(&one)
        .arg("-o")
        .arg(dir.path().join("out2"))
        .args(["--width", "200", "--max-memory", "20M"]));
    assert_eq!(res.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(
        stderr.contains(&format!("{}: needs about", one.display())) && stderr.contains("--max-memory 20 MiB"),
        "{stderr}"
    );
    assert!(!dir.path().join("out2/photo-000.png.png").exists());
}

/// Starts a slow run (one worker, many files), interrupts it with `signal` once some outputs exist.
fn interrupted_run(signal: &str) -> (tempfile::TempDir, usize, Option<i32>) {
    let n = 60;
    let dir = big_tree(n, 1600, 1200);
    let out = dir.path().join("out");
    let child = imgkit()
        .arg("resize")
        .arg(dir.path().join("in"))
        .arg("-o")
        .arg(&out)
        .args(["--width", "300", "-j", "1", "--format", "png"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while files_under(&out)
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .count()
        < 3
    {
        assert!(start.elapsed() < Duration::from_secs(120), "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    let res = child.wait_with_output().unwrap();
    (dir, n, res.status.code())
}

fn assert_complete_outputs_only(out: &Path) {
    for p in files_under(out) {
        if p.file_name().unwrap().to_string_lossy().starts_with(".imgkit-") {
            continue;
        }
        let img = image::open(&p).unwrap_or_else(|e| panic!("partial output {}: {e}", p.display()));
        assert_eq!(img.width(), 300);
    }
}

#[test]
fn ctrl_c_stops_cleanly_and_a_rerun_finishes_the_set() {
    let (dir, n, code) = interrupted_run("-INT");
    let out = dir.path().join("out");
    assert_eq!(code, Some(130), "a stopped run says so in its exit status");
    assert!(
        temporaries(&out).is_empty(),
        "temporary files left: {:?}",
        temporaries(&out)
    );
    let done = files_under(&out).len();
    assert!(done < n, "the run was not interrupted ({done} of {n} done)");
    assert_complete_outputs_only(&out);

    let rep = dir.path().join("r.json");
    let res = run(imgkit()
        .arg("resize")
        .arg(dir.path().join("in"))
        .arg("-o")
        .arg(&out)
        .args(["--width", "300", "--format", "png", "--report"])
        .arg(&rep));
    assert!(res.status.success());
    assert_eq!(files_under(&out).len(), n);
    assert_eq!(
        report(&rep)["summary"]["skipped"],
        done,
        "finished files are not redone"
    );
}

#[test]
fn a_killed_run_leaves_no_partial_output_and_a_rerun_cleans_up() {
    let (dir, n, code) = interrupted_run("-KILL");
    let out = dir.path().join("out");
    assert_eq!(code, None, "killed by a signal");
    assert_complete_outputs_only(&out);
    let res = run(imgkit()
        .arg("resize")
        .arg(dir.path().join("in"))
        .arg("-o")
        .arg(&out)
        .args(["--width", "300", "--format", "png"]));
    assert!(res.status.success());
    assert!(temporaries(&out).is_empty());
    assert_eq!(files_under(&out).len(), n);
    assert_complete_outputs_only(&out);
}

#[test]
fn probe_reports_sizes_and_verdicts() {
    let valid_row = imgkit_testkit::manifest::row("valid/jpeg-320x200.jpg");
    let flood_row = imgkit_testkit::manifest::row("hostile/png-flood-65535x65535.png");
    let (valid, flood) = (valid_row.path(), flood_row.path());
    let res = run(imgkit().arg("probe").arg("--json").arg(&valid).arg(&flood));
    assert_eq!(res.status.code(), Some(1), "one file fails the limits");
    let list: Value = serde_json::from_slice(&res.stdout).unwrap();
    assert_eq!(list[0]["ok"], true);
    assert_eq!(
        (
            list[0]["info"]["width"].clone(),
            list[0]["info"]["height"].clone()
        ),
        (
            valid_row.source.unwrap().0.into(),
            valid_row.source.unwrap().1.into()
        )
    );
    assert_eq!(list[1]["ok"], false);
    assert_eq!(list[1]["kind"], flood_row.reason().unwrap());
    assert_eq!(
        list[1]["info"]["width"], 65535,
        "the declared size is still shown"
    );
    let text = run(imgkit().arg("probe").arg(&valid));
    assert!(text.status.success());
    assert!(String::from_utf8_lossy(&text.stdout).contains("jpeg 320x200"));
}
