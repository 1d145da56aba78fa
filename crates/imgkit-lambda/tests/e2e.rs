#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End to end: moto_server (S3, SQS, EventBridge) on loopback, the EventBridge rule read from
//! deploy/template.yaml, the corpus uploaded, the events the rule delivered to SQS handed to the REAL
//! compiled function (`bootstrap`) through a Lambda Runtime API emulator on loopback. Uploads the rule
//! filters out (wrong suffix, empty) are fed through an S3 Batch Operations event, the back-fill path.
//!
//! Expectations come from corpus/manifest.tsv (ok/reject and the reason) and, for rendition sizes, from
//! running imgkit itself on the same bytes.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use imgkit::{Limits, Processor, Rendition};
use serde_json::{json, Value};

const UPLOAD: &str = "imgkit-e2e-uploads";
const OUTPUT: &str = "imgkit-e2e-processed";
const RENDITIONS: &str = "thumb=32x32,cover,webp;medium=64w,inside,jpeg:80;tall=48h,same";
const CACHE_CONTROL: &str = "public, max-age=60";
const MISSING_ID: &str = "missing-object-message";

// ---------------------------------------------------------------- Lambda Runtime API emulator

#[derive(Default)]
struct State {
    queue: VecDeque<(String, Value)>,
    responses: HashMap<String, (String, Value)>,
    handed_out: HashMap<String, Instant>,
    answered: HashMap<String, Instant>,
    first_poll: Option<Instant>,
}

struct Emulator {
    addr: String,
    state: Arc<(Mutex<State>, Condvar)>,
    stop: Arc<AtomicBool>,
}

impl Emulator {
    fn start() -> Emulator {
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
                std::thread::spawn(move || serve(conn, &st, &sp));
            }
        });
        Emulator { addr, state, stop }
    }

    fn invoke(&self, id: &str, payload: Value) {
        let (m, cv) = &*self.state;
        m.lock().unwrap().queue.push_back((id.to_string(), payload));
        cv.notify_all();
    }

    /// Waits until every id has an answer.
    fn wait(&self, ids: &[String], timeout: Duration) {
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

    fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.state.1.notify_all();
        let _ = TcpStream::connect(&self.addr);
    }
}

/// One keep-alive connection of the runtime client: GET next (blocks until an event is queued),
/// POST response / error.
fn serve(conn: TcpStream, state: &(Mutex<State>, Condvar), stop: &AtomicBool) {
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
            let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() + 120_000;
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

// ---------------------------------------------------------------- helpers

struct Row {
    file: String,
    ok: bool,
    detail: String,
}

fn manifest(root: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(root.join("corpus/manifest.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Row {
                file: f[0].to_string(),
                ok: f[1] == "ok",
                detail: f[2].to_string(),
            }
        })
        .collect()
}

fn output_key(prefix_less_key: &str, rendition: &str, ext: &str) -> String {
    let (dir, file) = prefix_less_key.rsplit_once('/').unwrap();
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    format!("{rendition}/{dir}/{stem}.{ext}")
}

fn form_encode(key: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b' ');
    percent_encoding::utf8_percent_encode(key, SET)
        .to_string()
        .replace(' ', "+")
}

fn sqs_record(m: &Value, queue_arn: &str) -> Value {
    json!({
        "messageId": m["messageId"], "receiptHandle": m["receiptHandle"], "body": m["body"],
        "attributes": m["attributes"], "messageAttributes": {}, "md5OfBody": m["md5OfBody"],
        "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": "us-east-1",
    })
}

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

// ---------------------------------------------------------------- the test

#[test]
fn end_to_end_eventbridge_sqs_lambda() {
    let root = common::workspace();
    let template = root.join("deploy/template.yaml");
    assert!(
        template.exists(),
        "deploy/template.yaml is missing: the rule pattern is read from it"
    );
    let dir = common::scratch("e2e");
    let moto = common::Moto::start(&dir.join("moto.log"));

    // 1. The upload plan: every corpus file, plus one valid JPEG again under a key with a space.
    let rows = manifest(&root);
    let spaced_src = rows
        .iter()
        .find(|r| r.ok && r.file.starts_with("valid/") && r.file.ends_with(".jpg"))
        .unwrap();
    let spaced_rel = format!("valid/with space/{}", spaced_src.file.rsplit('/').next().unwrap());
    let mut expect: BTreeMap<String, &Row> = rows.iter().map(|r| (r.file.clone(), r)).collect();
    expect.insert(spaced_rel.clone(), spaced_src);
    let plan: Vec<Value> = expect
        .iter()
        .map(|(rel, row)| json!({"rel": rel, "file": root.join("corpus").join(&row.file)}))
        .collect();
    std::fs::write(dir.join("plan.json"), serde_json::to_vec(&plan).unwrap()).unwrap();

    // 2. Buckets, notifications, queue, the template's rule; upload; collect what the rule delivered.
    let setup_path = dir.join("setup.json");
    moto.script(&[
        "setup",
        "--endpoint",
        &moto.endpoint,
        "--template",
        template.to_str().unwrap(),
        "--upload-bucket",
        UPLOAD,
        "--output-bucket",
        OUTPUT,
        "--plan",
        dir.join("plan.json").to_str().unwrap(),
        "--out",
        setup_path.to_str().unwrap(),
    ]);
    let setup: Value = serde_json::from_slice(&std::fs::read(&setup_path).unwrap()).unwrap();
    let prefix = setup["prefix"].as_str().unwrap().to_string();
    let queue_arn = setup["queue_arn"].as_str().unwrap().to_string();
    let uploads = setup["uploads"].as_array().unwrap();
    let messages = setup["messages"].as_array().unwrap();
    let delivered: BTreeSet<String> = messages
        .iter()
        .map(|m| {
            let body: Value = serde_json::from_str(m["body"].as_str().unwrap()).unwrap();
            assert_eq!(body["detail"]["bucket"]["name"], UPLOAD);
            body["detail"]["object"]["key"].as_str().unwrap().to_string()
        })
        .collect();
    let matched: BTreeSet<String> = uploads
        .iter()
        .filter(|u| u["matched"] == true)
        .map(|u| u["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(delivered.len(), messages.len(), "an object was delivered twice");
    assert_eq!(
        delivered, matched,
        "the rule delivered other objects than its pattern matches"
    );
    assert!(
        matched.len() > 40,
        "the template's rule matched only {} uploads",
        matched.len()
    );
    let filtered: Vec<&Value> = uploads.iter().filter(|u| u["matched"] == false).collect();

    // 3. Invocations: SQS batches of 10 (+ a message for an object that does not exist), one S3 Batch
    //    Operations job for what the rule filtered out, one plain S3 notification (URL-encoded key) for an
    //    object already delivered through SQS (at-least-once delivery: must be idempotent).
    let mut records: Vec<Value> = messages.iter().map(|m| sqs_record(m, &queue_arn)).collect();
    let missing_key = format!("{prefix}valid/never-uploaded.jpg");
    let missing_body = json!({
        "version": "0", "id": "00000000-0000-0000-0000-000000000001", "detail-type": "Object Created",
        "source": "aws.s3", "account": "123456789012", "time": "2026-11-28T00:00:00Z", "region": "us-east-1",
        "resources": [format!("arn:aws:s3:::{UPLOAD}")],
        "detail": {"version": "0", "bucket": {"name": UPLOAD}, "object": {"key": missing_key, "size": 1000, "etag": "d41d8cd98f00b204e9800998ecf8427e"}, "reason": "PutObject"},
    });
    records.push(sqs_record(
        &json!({"messageId": MISSING_ID, "receiptHandle": "rh", "body": missing_body.to_string(), "attributes": {}, "md5OfBody": "x"}),
        &queue_arn,
    ));
    let emulator = Emulator::start();
    let mut ids = Vec::new();
    for (i, batch) in records.chunks(10).enumerate() {
        let id = format!("sqs-{i}");
        emulator.invoke(&id, json!({"Records": batch}));
        ids.push(id);
    }
    let tasks: Vec<Value> = filtered
        .iter()
        .enumerate()
        .map(|(i, u)| json!({"taskId": format!("task-{i}"), "s3Key": form_encode(u["key"].as_str().unwrap()), "s3VersionId": null, "s3Bucket": UPLOAD}))
        .collect();
    emulator.invoke(
        "batch-ops",
        json!({"invocationSchemaVersion": "2.0", "invocationId": "inv-1", "job": {"id": "job-1", "userArguments": {}}, "tasks": tasks}),
    );
    ids.push("batch-ops".into());
    let spaced_key = format!("{prefix}{spaced_rel}");
    emulator.invoke(
        "s3-notification",
        json!({"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2026-11-28T00:00:00.000Z", "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "EXAMPLE"}, "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {}, "s3": {"s3SchemaVersion": "1.0", "configurationId": "c",
            "bucket": {"name": UPLOAD, "ownerIdentity": {"principalId": "EXAMPLE"}, "arn": format!("arn:aws:s3:::{UPLOAD}")},
            "object": {"key": form_encode(&spaced_key), "size": 1, "sequencer": "0"}}
        }]}),
    );
    ids.push("s3-notification".into());

    // 4. The real function binary against the emulator and moto.
    let spawned = Instant::now();
    // IMGKIT_E2E_BOOTSTRAP runs another build of the function (a release build, say) through the same rig.
    let binary =
        std::env::var_os("IMGKIT_E2E_BOOTSTRAP").unwrap_or_else(|| env!("CARGO_BIN_EXE_bootstrap").into());
    let mut function = Command::new(binary)
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
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("IMGKIT_OUTPUT_BUCKET", OUTPUT)
        .env("IMGKIT_SOURCE_PREFIX", &prefix)
        .env("IMGKIT_RENDITIONS", RENDITIONS)
        .env("IMGKIT_CACHE_CONTROL", CACHE_CONTROL)
        .env("IMGKIT_S3_FORCE_PATH_STYLE", "true")
        .stdout(Stdio::from(
            std::fs::File::create(dir.join("function.stdout")).unwrap(),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(dir.join("function.stderr")).unwrap(),
        ))
        .spawn()
        .expect("start the function");
    emulator.wait(&ids, Duration::from_secs(120));
    let hwm_kb = vm_hwm_kb(function.id());
    let _ = function.kill();
    let _ = function.wait();
    emulator.shutdown();
    let state = emulator.state.0.lock().unwrap();
    let cold_start = state.first_poll.map(|t| t - spawned);
    let responses = state.responses.clone();
    let first_invoke = state.handed_out.values().min().copied();
    let last_answer = state.answered.values().max().copied();
    drop(state);

    // 5. What landed in the buckets.
    let dump = |bucket: &str| -> Vec<Value> {
        let out = dir.join(bucket);
        std::fs::create_dir_all(&out).unwrap();
        moto.script(&[
            "dump",
            "--endpoint",
            &moto.endpoint,
            "--bucket",
            bucket,
            "--out-dir",
            out.to_str().unwrap(),
        ]);
        serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap()
    };
    let outputs: BTreeMap<String, Value> = dump(OUTPUT)
        .into_iter()
        .map(|o| (o["key"].as_str().unwrap().to_string(), o))
        .collect();
    let sources: BTreeSet<String> = dump(UPLOAD)
        .into_iter()
        .map(|o| o["key"].as_str().unwrap().to_string())
        .collect();

    // 6. Answers.
    let mut failures = BTreeSet::new();
    for id in ids.iter().filter(|id| id.starts_with("sqs-")) {
        let (kind, body) = &responses[id];
        assert_eq!(kind, "response", "{id}: {body}");
        for f in body["batchItemFailures"].as_array().unwrap() {
            failures.insert(f["itemIdentifier"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(
        failures,
        BTreeSet::from([MISSING_ID.to_string()]),
        "exactly the missing object is retried"
    );
    let (kind, s3_resp) = &responses["s3-notification"];
    assert_eq!(kind, "response", "{s3_resp}");
    assert_eq!(s3_resp["processed"], 1);
    let (kind, batch) = &responses["batch-ops"];
    assert_eq!(kind, "response", "{batch}");
    let results: HashMap<String, &Value> = batch["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["taskId"].as_str().unwrap().to_string(), r))
        .collect();
    assert_eq!(results.len(), filtered.len());

    // 7. Every upload: renditions (valid) or a rejection record with the manifest's reason (hostile).
    let renditions = Rendition::parse_list(RENDITIONS).unwrap();
    let specs: Vec<imgkit::Spec> = renditions.iter().map(|r| r.spec).collect();
    let mut expected_outputs = BTreeSet::new();
    let (mut n_ok, mut n_rejected) = (0, 0);
    for u in uploads {
        let key = u["key"].as_str().unwrap();
        let rel = u["rel"].as_str().unwrap();
        let row = expect[rel];
        let batch_result = filtered
            .iter()
            .position(|f| f["key"] == key)
            .map(|t| results[&format!("task-{t}")]);
        if row.ok {
            n_ok += 1;
            let bytes = std::fs::read(root.join("corpus").join(&row.file)).unwrap();
            let oracle = Processor::new(Limits::default())
                .process_many(&bytes, &specs)
                .unwrap();
            for (r, want) in renditions.iter().zip(&oracle) {
                let out_key = output_key(key, &r.name, want.format.extension());
                let got = outputs
                    .get(&out_key)
                    .unwrap_or_else(|| panic!("{key}: no {out_key}"));
                assert_eq!(got["content_type"], want.format.mime_type(), "{out_key}");
                assert_eq!(got["cache_control"], CACHE_CONTROL, "{out_key}");
                assert_eq!(got["metadata"]["source-etag"], u["etag"], "{out_key}");
                assert_eq!(got["metadata"]["source-bucket"], UPLOAD, "{out_key}");
                let data = std::fs::read(got["path"].as_str().unwrap()).unwrap();
                let info = imgkit::probe(&data, &Limits::default()).unwrap();
                assert_eq!(info.format, want.format, "{out_key}");
                assert_eq!(info.display_size(), (want.width, want.height), "{out_key}");
                expected_outputs.insert(out_key);
            }
            if let Some(r) = batch_result {
                assert_eq!(r["resultCode"], "Succeeded", "{key}");
            }
        } else {
            n_rejected += 1;
            let rec_key = format!("rejected/{key}.json");
            let rec = outputs
                .get(&rec_key)
                .unwrap_or_else(|| panic!("{key}: no rejection record"));
            assert_eq!(rec["content_type"], "application/json");
            let record: Value =
                serde_json::from_slice(&std::fs::read(rec["path"].as_str().unwrap()).unwrap()).unwrap();
            assert_eq!(record["reason"], row.detail.as_str(), "{key}: {record}");
            assert_eq!(record["source"]["key"], key);
            assert_eq!(record["source"]["bucket"], UPLOAD);
            if let Some(r) = batch_result {
                assert_eq!(r["resultCode"], "PermanentFailure", "{key}");
                assert!(
                    r["resultString"].as_str().unwrap().contains(&row.detail),
                    "{key}: {r}"
                );
            }
            expected_outputs.insert(rec_key);
        }
    }
    assert!(n_ok > 40 && n_rejected > 30, "{n_ok} ok, {n_rejected} rejected");
    let unexpected: Vec<&String> = outputs
        .keys()
        .filter(|k| !expected_outputs.contains(*k))
        .collect();
    assert!(unexpected.is_empty(), "unexpected outputs: {unexpected:?}");

    // 8. Nothing written to the source bucket.
    let uploaded: BTreeSet<String> = uploads
        .iter()
        .map(|u| u["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sources, uploaded, "the source bucket changed");

    // 9. Logs and metrics.
    let stdout = std::fs::read_to_string(dir.join("function.stdout")).unwrap();
    let emf: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("_aws").is_some())
        .collect();
    let total = |name: &str| {
        emf.iter()
            .filter(|v| v.get("Reason").is_none())
            .map(|v| v[name].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    // The spaced JPEG is processed twice (SQS and the S3 notification).
    assert_eq!(total("Processed"), n_ok as u64 + 1);
    assert_eq!(total("Rejected"), n_rejected as u64);
    assert_eq!(total("Failed"), 1);
    assert!(emf.iter().any(|v| v["Reason"] == "limit:max_width"));
    let stderr = std::fs::read_to_string(dir.join("function.stderr")).unwrap();
    let logs: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let done: Vec<&Value> = logs.iter().filter(|l| l["message"] == "record done").collect();
    assert!(
        done.iter()
            .all(|l| l["span"]["request_id"].is_string() && l["span"]["key"].is_string()),
        "{:?}",
        done.first()
    );
    let mut per_image: Vec<f64> = done
        .iter()
        .filter(|l| l["outcome"] == "processed")
        .map(|l| l["total_ms"].as_f64().unwrap())
        .collect();
    per_image.sort_by(f64::total_cmp);

    eprintln!(
        "e2e: {} uploads ({n_ok} ok, {n_rejected} rejected, {} through SQS, {} through Batch Operations); \
         cold start (spawn to first /next) {:?}; all invocations {:?}; per processed image median {:.1} ms, max {:.1} ms \
         (3 renditions each); function peak RSS (VmHWM) {} KiB",
        uploads.len(), messages.len(), filtered.len(),
        cold_start.unwrap_or_default(),
        last_answer.zip(first_invoke).map(|(a, b)| a - b).unwrap_or_default(),
        per_image.get(per_image.len() / 2).copied().unwrap_or(0.0),
        per_image.last().copied().unwrap_or(0.0),
        hwm_kb.unwrap_or(0),
    );
}
