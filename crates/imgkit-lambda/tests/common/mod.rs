//! Test support: moto_server (S3, SQS, EventBridge) on loopback, installed into a private venv by
//! `tests/support/setup-moto.sh` when missing.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The crate directory.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    crate_dir().join("../..").canonicalize().unwrap()
}

/// The venv holding moto and PyYAML, installed if missing.
pub fn venv() -> PathBuf {
    let out = Command::new("bash")
        .arg(crate_dir().join("tests/support/setup-moto.sh"))
        .stderr(Stdio::inherit())
        .output()
        .expect("run setup-moto.sh");
    assert!(out.status.success(), "setup-moto.sh failed");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running moto_server, killed on drop.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The venv it runs from.
    pub venv: PathBuf,
}

impl Moto {
    /// Starts moto_server on a free loopback port and waits until it answers.
    pub fn start(log: &Path) -> Moto {
        let venv = venv();
        let port = free_port();
        let child = Command::new(venv.join("bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::from(std::fs::File::create(log).unwrap()))
            .stderr(Stdio::from(
                std::fs::File::create(log.with_extension("err")).unwrap(),
            ))
            .spawn()
            .expect("start moto_server");
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            venv,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// Runs `tests/support/e2e.py` with the venv's Python against this server.
    pub fn script(&self, args: &[&str]) {
        let status = Command::new(self.venv.join("bin/python"))
            .arg(crate_dir().join("tests/support/e2e.py"))
            .args(args)
            .status()
            .expect("run e2e.py");
        assert!(status.success(), "e2e.py {args:?} failed");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scratch directory under the target directory, emptied first.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
