//! `imgkit resize --scan-command`, run on the real binary over corpus images copied under the names a
//! stand-in scanner decides by: a `sh` script that, like `clamdscan`, exits 0 for a clean file, 1 (with
//! `path: Eicar-Signature FOUND`) for an infected one and 2 when it cannot scan, and hangs for `hang` names.
//! Every verdict ends as its outcome, in the report and on stderr; only clean files write outputs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn imgkit() -> Command {
    Command::new(env!("CARGO_BIN_EXE_imgkit"))
}

/// `in/NAME` for each name, a copy of a valid corpus JPEG.
fn inputs(dir: &Path, names: &[&str]) -> Vec<PathBuf> {
    let jpeg = imgkit_testkit::manifest::corpus_dir().join("valid/jpeg-320x200.jpg");
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    names
        .iter()
        .map(|name| {
            let path = input.join(name);
            std::fs::copy(&jpeg, &path).unwrap();
            path
        })
        .collect()
}

/// The stand-in scanner: `sh DIR/scan.sh --no-summary FILE`. It logs `ARGC|FILE` to DIR/calls.log, and for
/// `hang` names the pid of the `sleep` it waits on to DIR/sleep.pid; it appends to `mutate` files.
fn scanner(dir: &Path) -> String {
    let script = dir.join("scan.sh");
    std::fs::write(
        &script,
        r#"here=$(dirname "$0")
[ "$1" = --no-summary ] || { echo "usage: scan.sh --no-summary FILE" >&2; exit 2; }
printf '%s|%s\n' "$#" "$2" >> "$here/calls.log"
case "$(basename "$2")" in
  *infected*) echo "$2: Eicar-Signature FOUND"; exit 1 ;;
  *broken*) echo "ERROR: Could not connect to clamd on LocalSocket /run/clamd.sock" >&2; exit 2 ;;
  *hang*) sleep 60 & echo $! > "$here/sleep.pid"; wait ;;
  *mutate*) printf 'appended while scanned' >> "$2" ;;
esac
exit 0
"#,
    )
    .unwrap();
    // Run through `sh`, so the script need not be executable (and is never "text file busy").
    format!("sh '{}' --no-summary {{}}", script.display())
}

/// `(argument count, file)` of each scanner call, in no particular order.
fn calls(dir: &Path) -> Vec<(usize, String)> {
    let Ok(log) = std::fs::read_to_string(dir.join("calls.log")) else {
        return Vec::new();
    };
    log.lines()
        .map(|l| {
            let (n, file) = l.split_once('|').unwrap();
            (n.parse().unwrap(), file.to_string())
        })
        .collect()
}

fn report(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The report's entry for `input`.
fn entry<'a>(report: &'a Value, input: &Path) -> &'a Value {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| Path::new(f["input"].as_str().unwrap()) == input)
        .unwrap_or_else(|| panic!("{} not in the report: {report:#}", input.display()))
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walk(dir);
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|e| {
            let path = e.path();
            if path.is_dir() {
                walk(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

/// The hung scanner's `sleep` is gone (or a zombie nobody reaped), within a second or two of its kill.
fn assert_sleep_killed(dir: &Path) {
    let pid = std::fs::read_to_string(dir.join("sleep.pid")).unwrap();
    let stat = format!("/proc/{}/stat", pid.trim());
    let start = Instant::now();
    while std::fs::read_to_string(&stat).is_ok_and(|s| !s.contains(") Z ")) {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the scanner's child {} outlived it",
            pid.trim()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn resize(dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = imgkit();
    cmd.arg("resize")
        .arg(dir.join("in"))
        .arg("-o")
        .arg(dir.join("out"))
        .args(["--width", "40", "--report"])
        .arg(dir.join("r.json"))
        .args(extra);
    cmd
}

#[test]
fn each_exit_status_of_the_scanner_ends_as_its_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "clean.jpg",
        "it's a \"photo\".jpg",
        "infected.jpg",
        "broken.jpg",
        "hang.jpg",
    ];
    let paths = inputs(dir.path(), &names);
    let [clean, quoted, infected, broken, hang] = &paths[..] else {
        unreachable!()
    };
    let command = scanner(dir.path());
    let start = Instant::now();
    let res = resize(
        dir.path(),
        &["--scan-command", &command, "--scan-timeout", "1", "-j", "2"],
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "the hung scanner (60 s) held up the batch: {:?}",
        start.elapsed()
    );
    assert_eq!(res.status.code(), Some(1), "not all ok: exit 1\n{stderr}");

    // Exit 0: processed as usual. Every other file wrote nothing.
    let out = dir.path().join("out");
    assert_eq!(
        files_under(&out),
        [out.join("clean.jpg.jpg"), out.join("it's a \"photo\".jpg.jpg")]
    );
    for p in files_under(&out) {
        assert_eq!(image::open(&p).unwrap().width(), 40, "{}", p.display());
    }

    let r = report(&dir.path().join("r.json"));
    let s = &r["summary"];
    assert_eq!(
        (&s["total"], &s["processed"], &s["rejected"], &s["failed"]),
        (&json!(5), &json!(2), &json!(1), &json!(2)),
        "{s:#}"
    );
    assert_eq!(s["rejected_by_reason"], json!({"malware": 1}));
    for path in [clean, quoted] {
        assert_eq!(entry(&r, path)["outcome"], "processed");
    }

    // Exit 1: rejected as malware, with the scanner's line, which names the file.
    let e = entry(&r, infected);
    assert_eq!(
        (&e["outcome"], &e["kind"]),
        (&json!("rejected"), &json!("malware"))
    );
    let reason = e["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("{}: Eicar-Signature FOUND", infected.display())),
        "{reason}"
    );
    assert_eq!(e["outputs"], json!([]));
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with(&format!("{}: ", infected.display())) && l.contains("FOUND")),
        "{stderr}"
    );

    // Exit 2: failed (worth retrying), with the status and the scanner's complaint.
    let e = entry(&r, broken);
    assert_eq!(e["outcome"], "failed");
    let reason = e["reason"].as_str().unwrap();
    assert!(
        reason.contains("exited with status 2") && reason.contains("Could not connect to clamd"),
        "{reason}"
    );
    assert!(e.get("kind").is_none());

    // A hang: killed at the timeout, with what it started, and failed.
    let e = entry(&r, hang);
    assert_eq!(e["outcome"], "failed");
    let reason = e["reason"].as_str().unwrap();
    assert!(reason.contains("did not finish within 1 s"), "{reason}");
    assert_sleep_killed(dir.path());

    // The summary counts the same.
    assert!(
        stderr.contains("2 processed, 0 skipped, 1 rejected (1 malware), 2 failed"),
        "{stderr}"
    );

    // Each file was scanned once, as one argument whatever its name, never through a shell.
    let mut seen = calls(dir.path());
    seen.sort();
    let mut expected: Vec<(usize, String)> = paths.iter().map(|p| (2, p.display().to_string())).collect();
    expected.sort();
    assert_eq!(seen, expected);
}

#[test]
fn a_scanner_that_cannot_be_started_fails_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let paths = inputs(dir.path(), &["a.jpg", "b.jpg"]);
    let res = resize(
        dir.path(),
        &["--scan-command", "imgkit-no-such-scanner --no-summary {}"],
    )
    .output()
    .unwrap();
    assert_eq!(res.status.code(), Some(1));
    let r = report(&dir.path().join("r.json"));
    assert_eq!(
        (&r["summary"]["failed"], &r["summary"]["processed"]),
        (&json!(2), &json!(0))
    );
    for path in &paths {
        let reason = entry(&r, path)["reason"].as_str().unwrap().to_string();
        assert!(
            reason.contains("cannot start `imgkit-no-such-scanner`"),
            "{reason}"
        );
    }
    assert!(files_under(&dir.path().join("out")).is_empty());
}

#[test]
fn a_file_changed_during_its_scan_is_failed_not_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let paths = inputs(dir.path(), &["mutate.jpg"]);
    let command = scanner(dir.path());
    let res = resize(dir.path(), &["--scan-command", &command])
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(1));
    let r = report(&dir.path().join("r.json"));
    let e = entry(&r, &paths[0]);
    assert_eq!(e["outcome"], "failed");
    assert!(
        e["reason"]
            .as_str()
            .unwrap()
            .contains("changed after its malware scan"),
        "{e:#}"
    );
    assert!(files_under(&dir.path().join("out")).is_empty());
}

#[test]
fn a_dry_run_does_not_run_the_scanner() {
    let dir = tempfile::tempdir().unwrap();
    inputs(dir.path(), &["infected.jpg"]);
    let command = scanner(dir.path());
    let res = resize(dir.path(), &["--scan-command", &command, "--dry-run"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(res.status.success(), "{stderr}");
    assert!(stderr.contains("would write"), "{stderr}");
    assert!(calls(dir.path()).is_empty(), "the scanner ran");
    assert!(!dir.path().join("out").exists());
}

#[test]
fn ctrl_c_during_a_hung_scan_stops_the_run_without_waiting_for_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let paths = inputs(dir.path(), &["hang.jpg"]);
    let command = scanner(dir.path());
    let child = resize(dir.path(), &["--scan-command", &command, "--scan-timeout", "600"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !dir.path().join("sleep.pid").exists() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the scanner never started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let stopped = Instant::now();
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let res: Output = child.wait_with_output().unwrap();
    assert!(
        stopped.elapsed() < Duration::from_secs(10),
        "{:?}",
        stopped.elapsed()
    );
    assert_eq!(
        res.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let r = report(&dir.path().join("r.json"));
    assert_eq!(entry(&r, &paths[0])["outcome"], "not_started");
    assert_sleep_killed(dir.path());
    assert!(files_under(&dir.path().join("out")).is_empty());
}

#[test]
fn a_scan_command_without_a_placeholder_or_empty_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    inputs(dir.path(), &["a.jpg"]);
    for (command, says) in [
        ("clamdscan --no-summary", "no `{}`"),
        ("", "empty"),
        ("clamdscan '{}", "unbalanced quotes"),
    ] {
        let res = resize(dir.path(), &["--scan-command", command]).output().unwrap();
        let stderr = String::from_utf8_lossy(&res.stderr);
        assert_eq!(res.status.code(), Some(2), "{command:?}: {stderr}");
        assert!(
            stderr.contains("--scan-command") && stderr.contains(says),
            "{command:?}: {stderr}"
        );
    }
    let res = resize(dir.path(), &["--scan-timeout", "5"]).output().unwrap();
    assert_eq!(res.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&res.stderr).contains("--scan-command"));
    assert!(!dir.path().join("out").exists() && !dir.path().join("r.json").exists());
}
