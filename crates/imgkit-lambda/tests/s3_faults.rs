#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A hung S3 connection, for real: the compiled function talks to moto_server through a TCP proxy on
//! loopback that, once it sees a request for one key, stops answering on that connection (accepted, never
//! answered). That record must fail alone (retried by SQS), the rest of its batch must be done, and the
//! invocation must answer well within its Timeout, not at it.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::runtime::{spawn_function, Emulator};
use serde_json::{json, Value};

const UPLOAD: &str = "imgkit-faults-uploads";
const OUTPUT: &str = "imgkit-faults-processed";
const HANG: &[u8] = b"hang-here";
const TIMEOUT_S: u64 = 6;

/// Forwards loopback connections to `upstream`; a connection on which `needle` is sent stops forwarding
/// in both directions and stays open. Returns its endpoint and the number of connections it hung.
fn hanging_proxy(upstream: String, needle: &'static [u8]) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let hung = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&hung);
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&upstream) else {
                continue;
            };
            let stop = Arc::new(AtomicBool::new(false));
            let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (stop_up, count) = (Arc::clone(&stop), Arc::clone(&count));
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                let mut tail: Vec<u8> = Vec::new();
                loop {
                    let n = match c_in.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if stop_up.load(Ordering::SeqCst) {
                        continue; // hung: swallow whatever the client sends
                    }
                    tail.extend_from_slice(&buf[..n]);
                    if tail.windows(needle.len()).any(|w| w == needle) {
                        stop_up.store(true, Ordering::SeqCst);
                        count.fetch_add(1, Ordering::SeqCst);
                        continue;
                    }
                    let keep = tail.len().saturating_sub(needle.len());
                    tail.drain(..keep);
                    if s_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = s_out.shutdown(Shutdown::Write);
            });
            let (mut s_in, mut c_out) = (server, client);
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                while let Ok(n) = s_in.read(&mut buf) {
                    if n == 0 || stop.load(Ordering::SeqCst) || c_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                if !stop.load(Ordering::SeqCst) {
                    let _ = c_out.shutdown(Shutdown::Write);
                }
            });
        }
    });
    (endpoint, hung)
}

#[test]
fn a_hung_s3_connection_fails_one_record_and_the_batch_answers_in_time() {
    let root = common::workspace();
    let dir = common::scratch("s3-faults");
    let moto = common::Moto::start(&dir.join("moto.log"));
    let template = root.join("deploy/template.yaml");

    // Five uploads through the template's rule; one of them will hang.
    let jpeg = root.join("corpus/valid/jpeg-320x200.jpg");
    let rels = ["one.jpg", "two.jpg", "hang-here.jpg", "three.jpg", "four.jpg"];
    let plan: Vec<Value> = rels
        .iter()
        .map(|rel| json!({"rel": rel, "file": jpeg, "before": false}))
        .collect();
    let setup = moto.setup(&dir, &template, UPLOAD, OUTPUT, &plan);
    let prefix = setup["prefix"].as_str().unwrap().to_string();
    let messages = setup["messages"].as_array().unwrap();
    assert_eq!(messages.len(), rels.len());
    let hang_id = messages
        .iter()
        .find(|m| m["body"].as_str().unwrap().contains("hang-here"))
        .unwrap()["messageId"]
        .as_str()
        .unwrap()
        .to_string();
    let records: Vec<Value> = messages
        .iter()
        .map(|m| common::sqs_record(m, &setup["queue_arn"]))
        .collect();

    // The function, through the proxy, with a 6 s Timeout (S3 calls bounded at 2 s).
    let upstream = moto.endpoint.trim_start_matches("http://").to_string();
    let (proxy, hung) = hanging_proxy(upstream, HANG);
    let emulator = Emulator::start(Duration::from_secs(TIMEOUT_S));
    emulator.invoke("batch", json!({ "Records": records }));
    let timeout = TIMEOUT_S.to_string();
    let mut function = spawn_function(
        &emulator,
        &proxy,
        &[
            ("IMGKIT_OUTPUT_BUCKET", OUTPUT),
            ("IMGKIT_SOURCE_PREFIX", &prefix),
            ("IMGKIT_RENDITIONS", "thumb=32x32,cover,webp"),
            ("IMGKIT_FUNCTION_TIMEOUT", &timeout),
        ],
        &dir,
    );
    emulator.wait(&["batch".to_string()], Duration::from_secs(60));
    let _ = function.kill();
    let _ = function.wait();
    emulator.shutdown();
    let state = emulator.state.0.lock().unwrap();
    let took = state.answered["batch"] - state.handed_out["batch"];
    let (kind, response) = state.responses["batch"].clone();
    drop(state);

    assert_eq!(kind, "response", "{response}");
    let failed: Vec<&str> = response["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect();
    assert_eq!(failed, [hang_id.as_str()], "exactly the hung record is retried");
    assert!(
        hung.load(Ordering::SeqCst) >= 1,
        "the proxy never hung a connection"
    );
    assert!(
        took < Duration::from_secs(TIMEOUT_S) * 2 / 3,
        "the invocation took {took:?} of its {TIMEOUT_S} s Timeout"
    );

    // The other four have their renditions.
    let index = moto.dump(&dir, OUTPUT);
    let mut keys: Vec<&str> = index.iter().map(|o| o["key"].as_str().unwrap()).collect();
    keys.sort_unstable();
    let mut want: Vec<String> = rels
        .iter()
        .filter(|r| !r.starts_with("hang"))
        .map(|r| format!("thumb/{prefix}{r}.webp"))
        .collect();
    want.sort_unstable();
    assert_eq!(keys, want);

    let stderr = std::fs::read_to_string(dir.join("function.stderr")).unwrap();
    let hung_ms = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["outcome"] == "failed")
        .and_then(|l| l["total_ms"].as_f64())
        .unwrap_or(f64::NAN);
    eprintln!(
        "s3 faults: a hung S3 connection cost its record {hung_ms:.0} ms and the invocation {took:?} \
         (Timeout {TIMEOUT_S} s); {} other records processed",
        want.len()
    );
}
