//! A Lambda Runtime API emulator on loopback: the real compiled function (`bootstrap`) polls it for
//! invocations and posts its answers, as it would on Lambda.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// What the emulator saw.
#[derive(Default)]
pub struct State {
    queue: VecDeque<(String, Value)>,
    /// Per request id: `response` or `error`, and the posted body.
    pub responses: HashMap<String, (String, Value)>,
    /// When each invocation was handed to the function.
    pub handed_out: HashMap<String, Instant>,
    /// When each answer arrived.
    pub answered: HashMap<String, Instant>,
    /// The function's first poll: the end of its cold start.
    pub first_poll: Option<Instant>,
}

/// The emulator; invocations get `timeout` until their deadline (`Lambda-Runtime-Deadline-Ms`).
pub struct Emulator {
    /// `127.0.0.1:PORT`, for `AWS_LAMBDA_RUNTIME_API`.
    pub addr: String,
    /// What it saw.
    pub state: Arc<(Mutex<State>, Condvar)>,
    stop: Arc<AtomicBool>,
    timeout: Duration,
}

impl Emulator {
    /// Listens on a free loopback port.
    pub fn start(timeout: Duration) -> Emulator {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let state = Arc::new((Mutex::new(State::default()), Condvar::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (Arc::clone(&state), Arc::clone(&stop));
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (st, sp) = (Arc::clone(&st), Arc::clone(&sp));
                std::thread::spawn(move || serve(conn, &st, &sp, timeout));
            }
        });
        Emulator {
            addr,
            state,
            stop,
            timeout,
        }
    }

    /// Queues an invocation.
    pub fn invoke(&self, id: &str, payload: Value) {
        let (m, cv) = &*self.state;
        m.lock().unwrap().queue.push_back((id.to_string(), payload));
        cv.notify_all();
    }

    /// Waits until every id has an answer.
    pub fn wait(&self, ids: &[String], timeout: Duration) {
        let (m, cv) = &*self.state;
        let deadline = Instant::now() + timeout;
        let mut s = m.lock().unwrap();
        while !ids.iter().all(|id| s.responses.contains_key(id)) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "function did not answer every invocation in time"
            );
            s = cv
                .wait_timeout(s, left.min(Duration::from_millis(200)))
                .unwrap()
                .0;
        }
    }

    /// Stops serving (stop the function first).
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.state.1.notify_all();
        let _ = TcpStream::connect(&self.addr);
    }
}

/// One keep-alive connection of the runtime client: GET next (blocks until an event is queued),
/// POST response / error.
fn serve(conn: TcpStream, state: &(Mutex<State>, Condvar), stop: &AtomicBool, timeout: Duration) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut out = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        );
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0u8; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (m, cv) = state;
        if method == "GET" && path.ends_with("/runtime/invocation/next") {
            let mut s = m.lock().unwrap();
            s.first_poll.get_or_insert_with(Instant::now);
            let (id, payload) = loop {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                if let Some(next) = s.queue.pop_front() {
                    break next;
                }
                s = cv.wait_timeout(s, Duration::from_millis(200)).unwrap().0;
            };
            s.handed_out.insert(id.clone(), Instant::now());
            drop(s);
            let deadline =
                SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() + timeout.as_millis();
            let body = payload.to_string();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Lambda-Runtime-Aws-Request-Id: {id}\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\n\
                 Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:imgkit-e2e\r\n\
                 Lambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1\r\n\r\n",
                body.len()
            );
            if out
                .write_all(head.as_bytes())
                .and_then(|_| out.write_all(body.as_bytes()))
                .is_err()
            {
                return;
            }
        } else if method == "POST" {
            // .../runtime/invocation/{id}/response | /error, or .../runtime/init/error
            let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
            let kind = segs.last().copied().unwrap_or("").to_string();
            let id = if segs.len() >= 2 {
                segs[segs.len() - 2].to_string()
            } else {
                String::new()
            };
            let value =
                serde_json::from_slice(&body).unwrap_or(Value::String(String::from_utf8_lossy(&body).into()));
            let mut s = m.lock().unwrap();
            s.answered.insert(id.clone(), Instant::now());
            s.responses.insert(id, (kind, value));
            drop(s);
            cv.notify_all();
            let msg = b"{\"status\":\"OK\"}";
            let head = format!(
                "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                msg.len()
            );
            if out
                .write_all(head.as_bytes())
                .and_then(|_| out.write_all(msg))
                .is_err()
            {
                return;
            }
        } else {
            let _ = out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        }
    }
}

/// The function to run: by default this workspace's `bootstrap`, or `IMGKIT_E2E_BOOTSTRAP` (another
/// build, a release one say, to compare times). With `IMGKIT_E2E_ROOT` (set by
/// deploy/test-package.sh), the packaged one at `/var/task/bootstrap` of that root, which holds nothing
/// else but the base's libraries: run as its root (`unshare -r` + `chroot`, with /proc bound in as
/// Lambda has it), through `IMGKIT_E2E_EMULATOR` (a path inside the root, e.g. qemu-user for arm64)
/// where set. The same process id throughout, so its peak memory is the function's.
pub fn function_command() -> Command {
    let Some(root) = std::env::var_os("IMGKIT_E2E_ROOT") else {
        let binary = std::env::var_os("IMGKIT_E2E_BOOTSTRAP")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_bootstrap").into());
        return Command::new(binary);
    };
    let emulator = std::env::var("IMGKIT_E2E_EMULATOR").unwrap_or_default();
    let mut command = Command::new("unshare");
    command
        .args(["-r", "-m", "sh", "-c"])
        .arg(r#"mount --rbind /proc "$1/proc" && exec chroot "$1" $2 /var/task/bootstrap"#)
        .arg("sh")
        .arg(root)
        .arg(emulator);
    command
}

/// Starts the real function binary ([`function_command`]: this build, or the packaged one)
/// against `emulator` and the S3 endpoint, with a clean environment plus `env`; its stdout (metrics) and
/// stderr (logs) go to `function.stdout` and `function.stderr` in `dir`.
pub fn spawn_function(emulator: &Emulator, s3_endpoint: &str, env: &[(&str, &str)], dir: &Path) -> Child {
    function_command()
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", &emulator.addr)
        .env("AWS_LAMBDA_FUNCTION_NAME", "imgkit-e2e")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3538")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ENDPOINT_URL", s3_endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("IMGKIT_S3_FORCE_PATH_STYLE", "true")
        .envs(env.iter().copied())
        .stdout(Stdio::from(
            std::fs::File::create(dir.join("function.stdout")).unwrap(),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(dir.join("function.stderr")).unwrap(),
        ))
        .spawn()
        .expect("start the function")
}
