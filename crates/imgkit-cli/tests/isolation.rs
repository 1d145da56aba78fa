//! Every corpus file in its own `imgkit` process with an address-space limit and a timeout, so an abort,
//! an out-of-memory or a hang shows up as a failure naming the file instead of killing the test runner.
//!
//! The address-space limit is 2 × the default `max_alloc` plus room for the binary, thread stacks and
//! allocator arenas: a file that makes the process reserve more than that fails to allocate and aborts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a test failure

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const MIB: u64 = 1024 * 1024;
/// Hang guard. The budget for a hostile file is 1 s on this machine; the guard is looser so a loaded CI
/// machine does not turn scheduling noise into a failure. Measured times are printed.
const TIMEOUT_SECS: u64 = 10;

fn corpus() -> PathBuf {
    imgkit_testkit::manifest::corpus_dir()
}

#[test]
fn each_corpus_file_stays_within_memory_and_time_in_its_own_process() {
    let address_space = 2 * imgkit::Limits::default().max_alloc + 256 * MIB;
    // The generated corpus and the fuzz regressions.
    let rows: Vec<(String, bool)> = imgkit_testkit::manifest::rows()
        .into_iter()
        .map(|r| (r.file.clone(), r.is_ok()))
        .collect();
    let out = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut slowest = (Duration::ZERO, String::new());
    for (file, ok) in &rows {
        let start = Instant::now();
        let status = Command::new("prlimit")
            .arg(format!("--as={address_space}"))
            .arg("--")
            .arg("timeout")
            .arg(TIMEOUT_SECS.to_string())
            .arg(env!("CARGO_BIN_EXE_imgkit"))
            .args(["resize", "--quiet", "-j", "1", "--width", "40", "-o"])
            .arg(out.path())
            .arg(corpus().join(file))
            .output()
            .expect("prlimit and timeout (util-linux, coreutils) must be installed");
        let took = start.elapsed();
        if took > slowest.0 {
            slowest = (took, file.clone());
        }
        // 0: processed; 1: rejected with a reason. Anything else is a crash, an abort or a timeout (124).
        let expected = if *ok { 0 } else { 1 };
        if status.status.code() != Some(expected) {
            failures.push(format!(
                "{file}: exit {:?} (expected {expected}) after {took:?}: {}",
                status.status.code(),
                String::from_utf8_lossy(&status.stderr).trim()
            ));
        }
    }
    eprintln!("slowest file: {} in {:?}", slowest.1, slowest.0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
