#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End to end: moto_server (S3, SQS, EventBridge) on loopback, the EventBridge rule read from
//! deploy/template.yaml, the corpus and a set of awkward uploads put under the upload prefix, the events
//! the rule delivered to SQS handed to the REAL compiled function (`bootstrap`) through a Lambda Runtime
//! API emulator on loopback. Objects that were in the bucket before notifications were turned on (the
//! ones no event announces) are fed through an S3 Batch Operations job, the backfill path, together
//! with some that were processed already.
//!
//! The promise under test: every upload ends in exactly one outcome (its own renditions, its own
//! rejection record, or for a folder marker nothing), none is lost, none overwrites another's output.
//! Expectations come from corpus/manifest.tsv (ok/reject and the reason) and, for rendition sizes, from
//! running imgkit itself on the same bytes.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use common::plan::{awkward_uploads, corpus_uploads, expectation, sandbox_expected, Expect, Upload};
use common::runtime::{spawn_function, Emulator};
use common::{expected_key, percent_encode, sha256_hex, OUTPUT, UPLOAD};
use imgkit::{Limits, Processor, Rendition};
use serde_json::{json, Value};

const RENDITIONS: &str = "thumb=32x32,cover,webp;medium=64w,inside,jpeg:80;tall=48h,same;small=24w,avif";
const CACHE_CONTROL: &str = "public, max-age=60";
const MISSING_ID: &str = "missing-object-message";

// ---------------------------------------------------------------- helpers (the plan: common/plan.rs)

/// The documented key scheme (README): `<rendition>/<source key>.<ext>`, or when
/// `<longest of the rendition names and "rejected">/<source key>.webp` would pass 1024 bytes,
/// `long-keys/<rendition>/<sha256 of the source key>.<ext>` for every output of that source.
fn is_hashed(key: &str, renditions: &[Rendition]) -> bool {
    let longest = renditions
        .iter()
        .map(|r| r.name.len())
        .chain(["rejected".len()])
        .max()
        .unwrap();
    longest + 1 + key.len() + ".webp".len() > 1024
}

// ---------------------------------------------------------------- the test

#[test]
fn end_to_end_every_upload_accounted_for() {
    let root = common::workspace();
    let template = root.join("deploy/template.yaml");
    assert!(
        template.exists(),
        "deploy/template.yaml is missing: the rule pattern is read from it"
    );
    let dir = common::scratch("e2e");
    let moto = common::Moto::start(&dir.join("moto.log"));
    let prefix = moto.script_output(&["prefix", "--template", template.to_str().unwrap()]);

    // 1. The plan: every corpus file, the awkward uploads, the objects that predate the stack.
    let mut plan = corpus_uploads();
    plan.extend(awkward_uploads(&prefix, &dir));
    for upload in &mut plan {
        upload.expect = expectation(&upload.rel, upload.expect.clone());
    }
    let by_rel: BTreeMap<&str, &Upload> = plan.iter().map(|u| (u.rel.as_str(), u)).collect();
    assert_eq!(by_rel.len(), plan.len(), "two uploads share a key");
    let plan_json: Vec<Value> = plan
        .iter()
        .map(|u| json!({"rel": u.rel, "file": u.file, "before": u.before}))
        .collect();

    // 2. Buckets, the objects that predate the stack, notifications, queue, the template's rule; upload;
    //    collect what the rule delivered.
    let setup = moto.setup(&dir, &template, UPLOAD, OUTPUT, &plan_json);
    assert_eq!(setup["prefix"], prefix.as_str());
    let queue_arn = &setup["queue_arn"];
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
    assert_eq!(delivered.len(), messages.len(), "an object was delivered twice");
    // Everything created under the prefix after the stack existed reaches the queue: any extension,
    // any size, none at all. Nothing before it.
    let announced: BTreeSet<String> = uploads
        .iter()
        .filter(|u| u["before"] == false)
        .map(|u| u["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(delivered, announced, "the rule dropped or invented uploads");
    for u in uploads.iter().filter(|u| u["before"] == false) {
        assert_eq!(
            u["matched"], true,
            "{}: the rule's pattern does not match it",
            u["key"]
        );
    }

    // 3. Invocations: SQS batches of 10 (+ a message for an object that does not exist); one plain S3
    //    notification (URL-encoded key) for an object already delivered (at-least-once delivery must be
    //    idempotent); last, a Batch Operations job over the objects no event announced, plus three
    //    processed already (not redone) and one rejected already.
    let mut records: Vec<Value> = messages
        .iter()
        .map(|m| common::sqs_record(m, queue_arn))
        .collect();
    let missing_body = json!({
        "version": "0", "id": "00000000-0000-0000-0000-000000000001", "detail-type": "Object Created",
        "source": "aws.s3", "account": "123456789012", "time": "2026-12-01T00:00:00Z", "region": "us-east-1",
        "resources": [format!("arn:aws:s3:::{UPLOAD}")],
        "detail": {"version": "0", "bucket": {"name": UPLOAD}, "object": {"key": format!("{prefix}valid/never-uploaded.jpg"), "size": 1000, "etag": "d41d8cd98f00b204e9800998ecf8427e"}, "reason": "PutObject"},
    });
    records.push(common::sqs_record(
        &json!({"messageId": MISSING_ID, "receiptHandle": "rh", "body": missing_body.to_string(), "attributes": {}, "md5OfBody": "x"}),
        queue_arn,
    ));
    let emulator = Emulator::start(Duration::from_secs(120));
    let mut ids = Vec::new();
    for (i, batch) in records.chunks(10).enumerate() {
        let id = format!("sqs-{i}");
        emulator.invoke(&id, json!({"Records": batch}));
        ids.push(id);
    }
    let spaced_key = format!("{prefix}valid/with space/photo.jpg");
    emulator.invoke(
        "s3-notification",
        json!({"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2026-12-01T00:00:00.000Z", "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "EXAMPLE"}, "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {}, "s3": {"s3SchemaVersion": "1.0", "configurationId": "c",
            "bucket": {"name": UPLOAD, "ownerIdentity": {"principalId": "EXAMPLE"}, "arn": format!("arn:aws:s3:::{UPLOAD}")},
            "object": {"key": percent_encode(&spaced_key, true), "size": 1, "sequencer": "0"}}
        }]}),
    );
    ids.push("s3-notification".into());
    let again_processed = ["collide/a.jpg", "camera/IMG_0001", "odd/a +b%20c é 写真.jpg"];
    let again_rejected = "hostile/html-as-png.png";
    let backfill: Vec<String> = uploads
        .iter()
        .filter(|u| u["before"] == true)
        .map(|u| u["key"].as_str().unwrap().to_string())
        .chain(again_processed.iter().map(|rel| format!("{prefix}{rel}")))
        .chain([format!("{prefix}{again_rejected}")])
        .collect();
    let tasks: Vec<Value> = backfill
        .iter()
        .enumerate()
        .map(|(i, key)| json!({"taskId": format!("task-{i}"), "s3Key": percent_encode(key, true), "s3VersionId": null, "s3Bucket": UPLOAD}))
        .collect();
    emulator.invoke(
        "batch-ops",
        json!({"invocationSchemaVersion": "2.0", "invocationId": "inv-1", "job": {"id": "job-1", "userArguments": {}}, "tasks": tasks}),
    );
    ids.push("batch-ops".into());

    // 4. The real function binary against the emulator and moto.
    let spawned = Instant::now();
    let mut function = spawn_function(
        &emulator,
        &moto.endpoint,
        &[
            ("IMGKIT_OUTPUT_BUCKET", OUTPUT),
            ("IMGKIT_SOURCE_PREFIX", &prefix),
            ("IMGKIT_RENDITIONS", RENDITIONS),
            ("IMGKIT_CACHE_CONTROL", CACHE_CONTROL),
        ],
        &dir,
    );
    emulator.wait(&ids, Duration::from_secs(180));
    let hwm_kb = imgkit_testkit::memory::peak_rss_kib(Some(function.id()));
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
    let outputs: BTreeMap<String, Value> = moto
        .dump(&dir, OUTPUT)
        .into_iter()
        .map(|o| (o["key"].as_str().unwrap().to_string(), o))
        .collect();
    let sources: BTreeSet<String> = moto
        .dump(&dir, UPLOAD)
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
    assert_eq!(results.len(), backfill.len());
    let batch_result = |key: &str| -> Option<&Value> {
        backfill
            .iter()
            .rposition(|k| k == key)
            .map(|t| results[&format!("task-{t}")])
    };

    // 7. Every upload: exactly one outcome, its own.
    let renditions = Rendition::parse_list(RENDITIONS).unwrap();
    let specs: Vec<imgkit::Spec> = renditions.iter().map(|r| r.spec).collect();
    let mut expected_outputs = BTreeSet::new();
    let (mut n_ok, mut n_rejected, mut n_nothing, mut lost, mut overwritten) = (0, 0, 0, 0, 0);
    let mut avif_outputs = Vec::new();
    let mut animated_gifs = 0;
    for u in uploads {
        let key = u["key"].as_str().unwrap();
        let upload = by_rel[u["rel"].as_str().unwrap()];
        let hashed = is_hashed(key, &renditions);
        let record_key = expected_key("rejected", key, "json", hashed);
        let mut found_renditions = 0;
        let candidates = renditions.iter().flat_map(|r| {
            r.spec
                .format()
                .possible_formats()
                .into_iter()
                .map(move |f| expected_key(&r.name, key, f.extension(), hashed))
        });
        for k in candidates {
            if let Some(o) = outputs.get(&k) {
                found_renditions += 1;
                let meta = &o["metadata"];
                let source_ok = if hashed {
                    meta["source-key-sha256"] == sha256_hex(key).as_str()
                } else {
                    meta["source-key"] == percent_encode(key, false).as_str()
                };
                if !source_ok || meta["source-etag"] != u["etag"] {
                    overwritten += 1;
                    eprintln!("{k}: metadata {meta} is not that of {key}");
                }
            }
        }
        let record = outputs.get(&record_key);
        if found_renditions == 0 && record.is_none() && upload.expect != Expect::Nothing {
            lost += 1;
            eprintln!("lost: {key} has neither renditions nor a rejection record");
            continue;
        }
        match &upload.expect {
            Expect::Renditions => {
                n_ok += 1;
                assert!(record.is_none(), "{key}: processed, yet a rejection record");
                let mut bytes = std::fs::read(&upload.file).unwrap();
                let heif = upload
                    .file
                    .extension()
                    .is_some_and(|e| e == "heic" || e == "avif");
                if heif {
                    // imgkit reads HEIC and AVIF only in the decoding sandbox, which this test process
                    // does not serve (bootstrap does): the oracle renders a JPEG of the same displayed
                    // size instead, whose renditions have the same sizes and formats.
                    let (w, h) = imgkit_testkit::manifest::row(&upload.rel).source.unwrap();
                    bytes = imgkit_testkit::jpeg(w, h);
                }
                let oracle = Processor::new(Limits::default())
                    .placeholder(true)
                    .process_many(&bytes, &specs)
                    .unwrap();
                let placeholder = oracle[0].thumbhash.as_deref().map(|h| BASE64.encode(h)).unwrap();
                assert_eq!(found_renditions, renditions.len(), "{key}: renditions");
                for (r, want) in renditions.iter().zip(&oracle) {
                    let out_key = expected_key(&r.name, key, want.format.extension(), hashed);
                    let got = outputs
                        .get(&out_key)
                        .unwrap_or_else(|| panic!("{key}: no {out_key}"));
                    assert_eq!(got["content_type"], want.format.mime_type(), "{out_key}");
                    assert_eq!(got["cache_control"], CACHE_CONTROL, "{out_key}");
                    assert_eq!(got["metadata"]["source-bucket"], UPLOAD, "{out_key}");
                    // The placeholder; for HEIC and AVIF the oracle's stand-in JPEG has another one.
                    let thumbhash = got["metadata"]["thumbhash"].as_str().unwrap_or_default();
                    assert!(
                        heif || thumbhash == placeholder,
                        "{out_key}: thumbhash {thumbhash:?}, want {placeholder}"
                    );
                    assert!(thumbhash.len() >= 20, "{out_key}: no thumbhash");
                    let path = PathBuf::from(got["path"].as_str().unwrap());
                    if want.format == imgkit::Format::Avif {
                        // imgkit does not read AVIF: another decoder checks these, all at once below.
                        avif_outputs.push((path, (want.width, want.height)));
                    } else {
                        let data = std::fs::read(&path).unwrap();
                        let info = imgkit::probe(&data, &Limits::default()).unwrap().into_info();
                        assert_eq!(info.format, want.format, "{out_key}");
                        assert_eq!(info.display_size(), (want.width, want.height), "{out_key}");
                        // An animation's WebP renditions keep every frame, as the core renders them.
                        assert_eq!(info.frames, want.frames, "{out_key}: frames");
                        if want.frames > 1 && upload.rel.ends_with(".gif") {
                            animated_gifs += 1;
                        }
                    }
                    expected_outputs.insert(out_key);
                }
                if let Some(r) = batch_result(key) {
                    assert_eq!(r["resultCode"], "Succeeded", "{key}");
                }
            }
            Expect::Rejected(reason) => {
                n_rejected += 1;
                assert_eq!(found_renditions, 0, "{key}: rejected, yet renditions");
                let rec = record.unwrap();
                assert_eq!(rec["content_type"], "application/json");
                let record: Value =
                    serde_json::from_slice(&std::fs::read(rec["path"].as_str().unwrap()).unwrap()).unwrap();
                assert_eq!(record["reason"], reason.as_str(), "{key}: {record}");
                assert_eq!(record["source"]["key"], key);
                assert_eq!(record["source"]["bucket"], UPLOAD);
                assert_eq!(record["source"]["etag"], u["etag"]);
                if let Some(r) = batch_result(key) {
                    assert_eq!(r["resultCode"], "PermanentFailure", "{key}");
                    assert!(
                        r["resultString"].as_str().unwrap().contains(reason.as_str()),
                        "{key}: {r}"
                    );
                }
                expected_outputs.insert(record_key);
            }
            Expect::Nothing => {
                n_nothing += 1;
                assert!(
                    found_renditions == 0 && record.is_none(),
                    "{key}: a folder marker has outputs"
                );
            }
        }
    }
    assert!(
        animated_gifs >= 2,
        "{animated_gifs} animated GIF renditions: the uploads' GIFs were not kept animated"
    );
    assert!(!avif_outputs.is_empty(), "no AVIF rendition to check");
    let paths: Vec<PathBuf> = avif_outputs.iter().map(|(p, _)| p.clone()).collect();
    let decoded = imgkit_testkit::pillow::decode_rgb(&moto.venv.join("bin/python"), &paths);
    assert_eq!(decoded.len(), avif_outputs.len(), "Pillow read every AVIF");
    for ((path, want), got) in avif_outputs.iter().zip(&decoded) {
        assert_eq!(
            got.dimensions(),
            *want,
            "{}: the size Pillow decodes",
            path.display()
        );
    }
    let unexpected: Vec<&String> = outputs
        .keys()
        .filter(|k| !expected_outputs.contains(*k))
        .collect();
    assert!(unexpected.is_empty(), "unexpected outputs: {unexpected:?}");
    assert!(outputs.keys().all(|k| k.len() <= 1024));
    assert_eq!((lost, overwritten), (0, 0), "lost, overwritten");
    assert!(n_ok > 40 && n_rejected > 30, "{n_ok} ok, {n_rejected} rejected");

    // Processed already: up to date, not redone.
    for rel in again_processed {
        let r = batch_result(&format!("{prefix}{rel}")).unwrap();
        assert_eq!(r["resultCode"], "Succeeded", "{rel}");
        assert!(
            r["resultString"].as_str().unwrap().starts_with("up to date"),
            "{rel}: {r}"
        );
    }

    // 8. Nothing written to the source bucket.
    let uploaded: BTreeSet<String> = uploads
        .iter()
        .map(|u| u["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sources, uploaded, "the source bucket changed");

    // 9. Logs (one JSON object a line, no key twice) and metrics.
    let stderr = std::fs::read_to_string(dir.join("function.stderr")).unwrap();
    let mut duplicate_keys = 0;
    let logs: Vec<Value> = stderr
        .lines()
        .filter_map(|l| match common::parse_unique_keys(l) {
            Ok(v) => Some(v),
            Err(e) => {
                duplicate_keys += 1;
                eprintln!("bad log line ({e}): {l}");
                None
            }
        })
        .collect();
    assert_eq!(
        duplicate_keys, 0,
        "log lines that are not JSON objects with unique keys"
    );
    // The cold start names what decodes here: HEIC and AVIF only where the sandbox confined a child
    // that decoded them (in the packaged binary's empty root too).
    let cold: Vec<&Value> = logs.iter().filter(|l| l["message"] == "cold start").collect();
    assert_eq!(cold.len(), 1, "one cold start line");
    let decodes: Vec<&str> = cold[0]["decodes"].as_str().unwrap().split(',').collect();
    let heif = ["heic", "avif"].map(|f| decodes.contains(&f));
    assert_eq!(cold[0]["sandbox"] == "ok", sandbox_expected(), "{}", cold[0]);
    assert_eq!(heif, [sandbox_expected(); 2], "{}", cold[0]);
    for format in ["jpeg", "png", "gif", "webp"] {
        assert!(decodes.contains(&format), "{format} does not decode: {}", cold[0]);
    }
    let done: Vec<&Value> = logs.iter().filter(|l| l["message"] == "record done").collect();
    assert!(
        done.iter()
            .all(|l| l["span"]["request_id"].is_string() && l["span"]["key"].is_string()),
        "{:?}",
        done.first()
    );
    let huge = done
        .iter()
        .find(|l| l["span"]["key"] == format!("{prefix}big/huge.jpg").as_str())
        .unwrap();
    assert_eq!(huge["input_bytes"], 0, "the 33 MiB object was downloaded: {huge}");
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
    // The spaced JPEG is processed twice (SQS and the S3 notification); the backfill rejects one object
    // again and finds three up to date.
    assert_eq!(total("Processed"), n_ok as u64 + 1);
    assert_eq!(total("Rejected"), n_rejected as u64 + 1);
    assert_eq!(total("UpToDate"), again_processed.len() as u64);
    assert_eq!(total("Failed"), 1);
    assert_eq!(total("Skipped"), n_nothing as u64);
    assert!(emf.iter().any(|v| v["Reason"] == "limit:max_width"));
    let sandbox_metric: Vec<&Value> = emf
        .iter()
        .filter(|v| v.get("SandboxAvailable").is_some())
        .collect();
    assert_eq!(
        sandbox_metric.len(),
        1,
        "the cold start's SandboxAvailable metric"
    );
    assert_eq!(
        sandbox_metric[0]["SandboxAvailable"],
        u8::from(sandbox_expected())
    );
    let mut per_image: Vec<f64> = done
        .iter()
        .filter(|l| l["outcome"] == "processed")
        .map(|l| l["total_ms"].as_f64().unwrap())
        .collect();
    per_image.sort_by(f64::total_cmp);

    eprintln!(
        "e2e: {} uploads ({} announced by the rule, {} only by the backfill); outcomes: {n_ok} renditions, \
         {n_rejected} rejection records, {n_nothing} nothing (folder marker); lost {lost}, overwritten \
         {overwritten}, log lines with duplicate keys {duplicate_keys} of {}; cold start (spawn to first /next) \
         {:?}; all invocations {:?}; per processed image median {:.1} ms, max {:.1} ms (4 renditions each, one AVIF); \
         function peak RSS (VmHWM) {} KiB",
        uploads.len(),
        announced.len(),
        uploads.len() - announced.len(),
        stderr.lines().count(),
        cold_start.unwrap_or_default(),
        last_answer.zip(first_invoke).map(|(a, b)| a - b).unwrap_or_default(),
        per_image.get(per_image.len() / 2).copied().unwrap_or(0.0),
        per_image.last().copied().unwrap_or(0.0),
        hwm_kb.unwrap_or(0),
    );
}
