//! `--scan-command`: an external malware scanner run on each input before imgkit reads it. The command
//! line is split into words once, when the arguments are parsed, and run without a shell, the file's path
//! standing in for `{}` as one argument whatever its name; the scanner's exit status is the verdict.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Seek};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

/// What stands for the file in the command.
const PLACEHOLDER: &str = "{}";

/// The longest scanner message kept, in characters.
const MESSAGE_CHARS: usize = 200;

/// A scanner's command line, split into words; `{}` in any argument stands for the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanCommand {
    program: String,
    args: Vec<String>,
}

impl ScanCommand {
    /// Splits `text` into words as a POSIX shell would (quotes, backslashes; no variables, globs or
    /// pipes). The value parser of `--scan-command`: clap names the flag in front of the error.
    pub fn parse(text: &str) -> Result<ScanCommand, String> {
        let words = shlex::split(text).ok_or("unbalanced quotes or a trailing backslash")?;
        let Some((program, args)) = words.split_first() else {
            return Err(
                "the command is empty; give a scanner and `{}` for the file, e.g. \
                        'clamdscan --no-summary {}'"
                    .into(),
            );
        };
        if program.contains(PLACEHOLDER) {
            return Err(
                "`{}` may not be the program (the file itself would be run); put it in an argument".into(),
            );
        }
        if !args.iter().any(|a| a.contains(PLACEHOLDER)) {
            return Err(format!(
                "no `{{}}` in the command, so the scanner would not be told which file to scan, e.g. \
                 '{program} {{}}'"
            ));
        }
        Ok(ScanCommand {
            program: program.clone(),
            args: args.to_vec(),
        })
    }

    /// The arguments for one file: every `{}` in every word replaced by `path`, bytes as they are.
    fn args_for(&self, path: &Path) -> Vec<OsString> {
        self.args
            .iter()
            .map(|word| {
                let mut arg = OsString::new();
                for (i, part) in word.split(PLACEHOLDER).enumerate() {
                    if i > 0 {
                        arg.push(path);
                    }
                    arg.push(part);
                }
                arg
            })
            .collect()
    }
}

/// What the scanner said about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Exit status 0.
    Clean,
    /// Exit status 1; why, with the scanner's first line of output.
    Infected(String),
    /// No verdict (another exit status, a signal, a timeout, a command that cannot be started): why.
    Error(String),
    /// The run was stopped (Ctrl-C, SIGTERM) during the scan; the scanner was killed.
    Interrupted,
}

/// The scanner of a run: its command and how long one file may take.
#[derive(Debug)]
pub struct Scanner {
    command: ScanCommand,
    timeout: Duration,
}

impl Scanner {
    pub fn new(command: ScanCommand, timeout: Duration) -> Scanner {
        Scanner { command, timeout }
    }

    /// Runs the scanner on `path`, in a process group of its own so that a timeout or `stop` kills
    /// everything it started. Its stdout and stderr go to an unnamed temporary file (never a pipe that a
    /// chatty scanner could fill, or that a child it left behind could hold open).
    pub fn scan(&self, path: &Path, stop: &AtomicBool) -> Verdict {
        let program = &self.command.program;
        let error = |what: String| Verdict::Error(format!("malware scan failed: {what}"));
        let mut output = match tempfile::tempfile() {
            Ok(file) => file,
            Err(e) => return error(format!("cannot create a file for the output of `{program}`: {e}")),
        };
        let mut child = match self.spawn(path, &output) {
            Ok(child) => child,
            Err(e) => return error(format!("cannot start `{program}`: {e}")),
        };
        let status = match wait(&mut child, self.timeout, stop) {
            Ok(Ended::Exited(status)) => status,
            Ok(Ended::TimedOut) => {
                return error(format!(
                    "`{program}` did not finish within {} s (--scan-timeout) and was killed",
                    self.timeout.as_secs_f64()
                ))
            }
            Ok(Ended::Stopped) => return Verdict::Interrupted,
            Err(e) => return error(format!("waiting for `{program}`: {e}")),
        };
        let said = first_line(&mut output).map_or_else(String::new, |line| format!(": {line}"));
        match status.code() {
            Some(0) => Verdict::Clean,
            Some(1) => Verdict::Infected(format!(
                "the malware scanner `{program}` flagged it (exit status 1){said}"
            )),
            Some(code) => error(format!("`{program}` exited with status {code}{said}")),
            None => error(format!("`{program}` was killed by {}{said}", signal_name(status))),
        }
    }

    /// The command for `path`, stdin empty, stdout and stderr both written to `output`.
    fn spawn(&self, path: &Path, output: &File) -> io::Result<Child> {
        Command::new(&self.command.program)
            .args(self.command.args_for(&not_an_option(path)))
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output.try_clone()?)
            .process_group(0)
            .spawn()
    }
}

/// A relative path that starts with `-` gets `./` in front, so that the scanner cannot take it for an
/// option.
fn not_an_option(path: &Path) -> PathBuf {
    if path.as_os_str().as_encoded_bytes().first() == Some(&b'-') {
        Path::new(".").join(path)
    } else {
        path.to_path_buf()
    }
}

enum Ended {
    Exited(ExitStatus),
    TimedOut,
    Stopped,
}

/// Waits for `child` until it exits, `timeout` passes or `stop` is set; in the last two cases kills its
/// whole process group and reaps it.
fn wait(child: &mut Child, timeout: Duration, stop: &AtomicBool) -> io::Result<Ended> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Ended::Exited(status));
        }
        let ended = if stop.load(Ordering::SeqCst) {
            Ended::Stopped
        } else if start.elapsed() >= timeout {
            Ended::TimedOut
        } else {
            std::thread::sleep(pause.min(timeout.saturating_sub(start.elapsed())));
            pause = (pause * 2).min(Duration::from_millis(50));
            continue;
        };
        // The group is the child's pid (process_group(0)). If it is gone already, killing the child
        // itself is harmless; then reap it.
        if let Ok(pid) = i32::try_from(child.id()) {
            let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
        }
        let _ = child.kill();
        child.wait()?;
        return Ok(ended);
    }
}

/// The scanner's first non-blank line, trimmed, control characters made spaces, at most
/// [`MESSAGE_CHARS`] characters.
fn first_line(output: &mut File) -> Option<String> {
    let mut head = Vec::new();
    output.rewind().ok()?;
    output.take(4096).read_to_end(&mut head).ok()?;
    let text = String::from_utf8_lossy(&head);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let mut kept: String = line
        .chars()
        .take(MESSAGE_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.chars().nth(MESSAGE_CHARS).is_some() {
        kept.push('…');
    }
    Some(kept)
}

fn signal_name(status: ExitStatus) -> String {
    match status.signal() {
        Some(n) => match Signal::try_from(n) {
            Ok(signal) => format!("signal {n} ({signal})"),
            Err(_) => format!("signal {n}"),
        },
        None => status.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn commands_are_split_into_words_once() {
        let command =
            ScanCommand::parse(r#"clamdscan --no-summary "--config-file=/etc/a b.conf" {}"#).unwrap();
        assert_eq!(command.program, "clamdscan");
        assert_eq!(
            command.args_for(Path::new("in/it's a \"photo\".jpg")),
            [
                "--no-summary",
                "--config-file=/etc/a b.conf",
                "in/it's a \"photo\".jpg"
            ]
        );
        let command = ScanCommand::parse("scan --file={} --log {}.log").unwrap();
        assert_eq!(
            command.args_for(Path::new("a b")),
            ["--file=a b", "--log", "a b.log"]
        );
    }

    #[test]
    fn a_command_without_a_placeholder_or_empty_is_refused() {
        let error = |text: &str| ScanCommand::parse(text).unwrap_err();
        assert!(
            error("clamdscan --no-summary").contains("no `{}`"),
            "{}",
            error("clamdscan")
        );
        assert!(error("").contains("empty"));
        assert!(error("   ").contains("empty"));
        assert!(
            error("''").contains("no `{}`"),
            "one empty word is a program without arguments"
        );
        assert!(error("{} --scan").contains("may not be the program"));
        assert!(error("clamdscan '{}").contains("unbalanced quotes"));
    }

    #[test]
    fn a_path_that_looks_like_an_option_is_made_relative_to_the_current_directory() {
        assert_eq!(not_an_option(Path::new("-rf.jpg")), Path::new("./-rf.jpg"));
        assert_eq!(not_an_option(Path::new("a/-rf.jpg")), Path::new("a/-rf.jpg"));
        assert_eq!(not_an_option(Path::new("/in/-rf.jpg")), Path::new("/in/-rf.jpg"));
    }

    #[test]
    fn the_first_line_is_trimmed_and_bounded() {
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, b"\n  \n  a.jpg: Eicar-Signature FOUND \t\nmore\n").unwrap();
        assert_eq!(first_line(&mut file).unwrap(), "a.jpg: Eicar-Signature FOUND");
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, "x\u{1b}[31m".repeat(100).as_bytes()).unwrap();
        let line = first_line(&mut file).unwrap();
        assert_eq!(line.chars().count(), MESSAGE_CHARS + 1);
        assert!(line.ends_with('…') && !line.contains('\u{1b}'));
        assert_eq!(first_line(&mut tempfile::tempfile().unwrap()), None);
    }
}
