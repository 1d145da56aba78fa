//! The parent's side: start the child from this executable with an empty environment, hand it the
//! request, and turn whatever happens (an answer, a signal, silence, garbage) into a result.

use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::child::{CHILD_ENV, SERVES};
use crate::protocol::{self, Answer, Expect, Pixels, Rlimits};

const MIB: u64 = 1024 * 1024;

/// Address space the child needs besides its input and its pixels: the executable's own mappings,
/// thread stacks, allocator arenas and the decoder's working planes (YCbCr before conversion).
/// Measured: a 12 MP HEIC decodes with 4 channels in a `max_alloc` of 3 × its RGBA size plus this.
const OVERHEAD: u64 = 512 * MIB;

/// Most bytes of the child's diagnostics (a panic message, an allocation failure) kept for the error.
const MAX_STDERR: u64 = 2048;

/// Why a sandboxed decode gave no pixels.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// The sandbox cannot run here: this program did not call [`crate::serve_if_child`], or the child
    /// could not confine itself (no seccomp). Nothing was decoded.
    #[error("the decoding sandbox is unavailable: {0}")]
    Unavailable(String),
    /// The decoder refused the input (not decodable, or not what the container promised).
    #[error("the decoder refused the input: {0}")]
    Refused(String),
    /// The child died without a valid answer: a forbidden system call (SIGSYS), the CPU limit
    /// (SIGXCPU/SIGKILL), an allocation past the address-space limit (abort), or a crash.
    #[error("the sandboxed decoder {how}{}", detail_suffix(.detail))]
    Died {
        /// How: "was killed by SIGSYS (a forbidden system call)", "exited with code 3", ...
        how: String,
        /// What the child wrote to its stderr, cut to a line or two.
        detail: String,
    },
    /// The child ran past its wall-clock limit and was killed.
    #[error("the sandboxed decoder took longer than {0:?} and was killed")]
    TimedOut(Duration),
    /// The child answered, but not with what was asked (wrong size, cut short, not the protocol).
    #[error("the sandboxed decoder answered garbage: {0}")]
    Garbage(String),
    /// Starting or talking to the child failed for a reason of this machine, not of the input.
    #[error("cannot run the sandboxed decoder: {0}")]
    Io(#[from] std::io::Error),
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

/// Starts sandboxed decodes from this executable.
///
/// `cpu_seconds` bounds the child's CPU time (RLIMIT_CPU, all its threads together); the wall-clock limit
/// is twice that plus a second, for a child that waits instead of computing.
#[derive(Clone, Debug)]
pub struct Sandbox {
    program: PathBuf,
    cpu_seconds: u64,
}

impl Sandbox {
    /// The sandbox of the running program, which must have called [`crate::serve_if_child`] first in
    /// `main`: otherwise starting a child would start a second copy of the program.
    pub fn current() -> Result<Sandbox, SandboxError> {
        if !SERVES.load(Ordering::Acquire) {
            return Err(SandboxError::Unavailable(
                "this program does not serve it (imgkit_sandbox::serve_if_child is not called in main)"
                    .into(),
            ));
        }
        let program = std::env::current_exe()
            .map_err(|e| SandboxError::Unavailable(format!("cannot find this executable: {e}")))?;
        Ok(Sandbox {
            program,
            cpu_seconds: 10,
        })
    }

    /// The same sandbox with another CPU-time limit (at least one second). Default 10 s.
    #[must_use]
    pub fn with_cpu_seconds(mut self, seconds: u64) -> Sandbox {
        self.cpu_seconds = seconds.max(1);
        self
    }

    /// Decodes `data` with the child's decoder named `decoder`, which must produce `expect`'s size
    /// within `expect.max_alloc` bytes of pixels. The child's address space is bounded by that budget,
    /// the input's size and a fixed overhead.
    pub fn decode(&self, decoder: &str, data: &[u8], expect: Expect) -> Result<Pixels, SandboxError> {
        let rlimits = Rlimits {
            address_space: OVERHEAD
                .saturating_add(expect.max_alloc)
                .saturating_add(data.len() as u64),
            cpu_seconds: self.cpu_seconds,
        };
        let wall = Duration::from_secs(self.cpu_seconds * 2 + 1);
        let mut child = Command::new(&self.program)
            .env_clear()
            .env(CHILD_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let (mut stdin, mut stdout, stderr) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(i), Some(o), Some(e)) => (i, o, e),
                _ => return Err(SandboxError::Io(std::io::Error::other("child pipes missing"))),
            };
        widen(&stdout);
        let child = Arc::new(Mutex::new(child));
        let (done, finished) = mpsc::channel::<()>();
        let watchdog = {
            let child = Arc::clone(&child);
            thread::spawn(move || {
                let expired = finished.recv_timeout(wall) == Err(mpsc::RecvTimeoutError::Timeout);
                if expired {
                    if let Ok(mut c) = child.lock() {
                        let _ = c.kill();
                    }
                }
                expired
            })
        };
        let diagnostics = thread::spawn(move || {
            let mut text = Vec::new();
            let mut stderr = stderr;
            let _ = (&mut stderr).take(MAX_STDERR).read_to_end(&mut text);
            let _ = std::io::copy(&mut stderr, &mut std::io::sink());
            String::from_utf8_lossy(&text).trim().to_string()
        });
        let started = Instant::now();
        // The child reads the whole request before it writes, so writing first cannot deadlock; a child
        // that died early makes this fail with a broken pipe, and its status says why.
        let _ =
            protocol::write_request(&mut stdin, decoder, expect, rlimits, data).and_then(|()| stdin.flush());
        drop(stdin);
        let answer = protocol::read_answer(&mut stdout, expect);
        drop(stdout);
        let _ = done.send(());
        let timed_out = watchdog.join().unwrap_or(false);
        let status = child
            .lock()
            .map_err(|_| std::io::Error::other("child lock poisoned"))?
            .wait()?;
        let detail = diagnostics.join().unwrap_or_default();
        if timed_out {
            return Err(SandboxError::TimedOut(wall.max(started.elapsed().min(wall))));
        }
        match (answer, status.success()) {
            (Ok(Answer::Pixels(pixels)), true) => Ok(pixels),
            (Ok(Answer::Refused(why)), true) => Err(SandboxError::Refused(why)),
            (Ok(Answer::Unconfined(why)), true) => Err(SandboxError::Unavailable(why)),
            (Err(garbage), true) => Err(SandboxError::Garbage(garbage)),
            (_, false) => Err(SandboxError::Died {
                how: died(status),
                detail: detail.lines().take(3).collect::<Vec<_>>().join(" | "),
            }),
        }
    }
}

/// The answer's pipe, widened from 64 KiB to 1 MiB where the system allows: a 12 MP photo's pixels take
/// a sixteenth of the context switches. Best effort: the default pipe works, only slower.
#[cfg(target_os = "linux")]
fn widen(pipe: &std::process::ChildStdout) {
    let _ = nix::fcntl::fcntl(pipe, nix::fcntl::FcntlArg::F_SETPIPE_SZ(1 << 20));
}

#[cfg(not(target_os = "linux"))]
fn widen(_: &std::process::ChildStdout) {}

/// How a child that did not exit cleanly ended, in words.
fn died(status: ExitStatus) -> String {
    match (status.signal(), status.code()) {
        (Some(signal), _) => {
            let why = match signal {
                31 => "SIGSYS (a forbidden system call)",
                24 => "SIGXCPU (its CPU-time limit)",
                9 => "SIGKILL (its hard CPU-time limit)",
                6 => "SIGABRT (an abort, such as an allocation past its address-space limit)",
                11 => "SIGSEGV (a crash)",
                _ => "a signal",
            };
            format!("was killed by signal {signal}, {why}")
        }
        (None, Some(code)) => format!("exited with code {code} without a valid answer"),
        (None, None) => "ended without a status".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_that_does_not_serve_the_sandbox_gets_none() {
        // This test binary never calls serve_if_child.
        let err = Sandbox::current().unwrap_err();
        assert!(err.to_string().contains("serve_if_child"), "{err}");
    }
}
