#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The handler called with the committed event fixtures: first what it reads from them, then the whole
//! handler in-process against the in-memory store (no server: the end-to-end test has the real one), with
//! real corpus images and injected storage faults. With malware scanning on: tests/handler_scanning.rs.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use common::handler::{app, corpus, failures, record, sqs, BUCKET, OUT, RENDITIONS};
use imgkit_lambda::event::{self, Kind};
use imgkit_lambda::keys::{sha256_hex, OutputKeys};
use imgkit_lambda::scan::Verdict;
use imgkit_lambda::store::Fault;
use imgkit_lambda::{App, MemoryStore, Settings};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = common::crate_dir().join("tests/fixtures").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The reason the corpus manifest expects `file` to be rejected with.
fn reason(file: &str) -> String {
    let row = imgkit_testkit::manifest::row(file);
    row.reason()
        .unwrap_or_else(|| panic!("{file} is not rejected"))
        .to_string()
}

#[test]
fn sqs_eventbridge_fixture_is_read_without_decoding() {
    let inv = event::parse(&fixture("sqs-eventbridge-object-created.json")).unwrap();
    assert_eq!(inv.kind, Kind::Sqs);
    assert_eq!(inv.items.len(), 3);
    assert_eq!(inv.items[0].id, "059f36b4-87a3-44ab-83d2-661975830a7d");
    let obj = &inv.items[0].objects.as_ref().unwrap()[0];
    assert_eq!(obj.bucket, BUCKET);
    assert_eq!(obj.key, "uploads/photos/red flower.jpg");
    assert_eq!(
        obj.version_id.as_deref(),
        Some("IYV3p45BhZA1o1YBGSo0dBzzXl1pb9QI")
    );
    assert_eq!(obj.size, Some(5));
    assert_eq!(obj.etag.as_deref(), Some("b1946ac92492d2347c6235b4d2611184"));
}

#[test]
fn s3_notification_fixture_keys_are_url_decoded() {
    let inv = event::parse(&fixture("s3-notification.json")).unwrap();
    assert_eq!(inv.kind, Kind::S3Notification);
    let obj = &inv.items[0].objects.as_ref().unwrap()[0];
    assert_eq!(obj.key, "uploads/photos/red flower.jpg");
    assert_eq!(obj.bucket, BUCKET);
}

#[test]
fn batch_operations_fixtures_both_schemas() {
    for (name, version) in [
        ("s3-batch-operations-v1.json", "1.0"),
        ("s3-batch-operations-v2.json", "2.0"),
    ] {
        let inv = event::parse(&fixture(name)).unwrap();
        match &inv.kind {
            Kind::BatchOperations { schema_version, .. } => assert_eq!(schema_version, version),
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(inv.items[0].id, "dGFza2lkZ29lc2hlcmUK");
        let obj = &inv.items[0].objects.as_ref().unwrap()[0];
        assert_eq!(obj.bucket, BUCKET, "{name}");
        assert_eq!(obj.key, "uploads/photos/red flower.jpg", "{name}");
    }
    let inv = event::parse(&fixture("s3-batch-operations-v2.json")).unwrap();
    assert_eq!(
        inv.items[1].objects.as_ref().unwrap()[0].key,
        "uploads/too-big+bytes.png"
    );
}

#[test]
fn guardduty_scan_result_fixture_names_the_scanned_version_and_its_threats() {
    let inv = event::parse(&fixture("guardduty-scan-result.json")).unwrap();
    assert_eq!(inv.kind, Kind::EventBridge);
    let obj = &inv.items[0].objects.as_ref().unwrap()[0];
    assert_eq!(obj.bucket, BUCKET);
    assert_eq!(obj.key, "uploads/photos/red flower.jpg");
    assert_eq!(
        obj.version_id.as_deref(),
        Some("IYV3p45BhZA1o1YBGSo0dBzzXl1pb9QI")
    );
    assert_eq!(obj.etag.as_deref(), Some("b1946ac92492d2347c6235b4d2611184"));
    assert_eq!(
        obj.verdict,
        Some(Verdict::Threats(vec!["EICAR-Test-File (not a virus)".into()]))
    );
}

#[test]
fn malformed_sqs_body_is_an_item_error_not_a_crash() {
    let mut ev = fixture("sqs-eventbridge-object-created.json");
    ev["Records"][1]["body"] = Value::String("{not json".into());
    ev["Records"][2]["body"] = Value::String(r#"{"Service":"Amazon S3","Event":"s3:TestEvent"}"#.into());
    let inv = event::parse(&ev).unwrap();
    assert!(inv.items[0].objects.is_ok());
    assert!(inv.items[1].objects.is_err());
    assert_eq!(inv.items[2].objects.as_ref().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixtures_end_in_renditions_records_or_retries() {
    let store = MemoryStore::default();
    let jpeg = corpus("valid/jpeg-320x200.jpg");
    store.insert(BUCKET, "uploads/photos/red flower.jpg", jpeg.clone());
    store.insert(BUCKET, "uploads/hostile.png", corpus("hostile/svg-plain.svg"));
    store.insert(BUCKET, "uploads/too-big+bytes.png", vec![0u8; 16_385]);
    let app = app(&store, &[]);

    // SQS-wrapped EventBridge: valid, hostile, never uploaded.
    let resp = app
        .handle(fixture("sqs-eventbridge-object-created.json"), "req-sqs", None)
        .await
        .unwrap();
    assert_eq!(
        failures(&resp),
        ["c80e8021-a70a-42c7-a470-796e1186f753"],
        "only the missing object is retried"
    );
    let thumb = store
        .object(OUT, "out/thumb/uploads/photos/red flower.jpg.webp")
        .unwrap();
    assert_eq!(thumb.content_type, "image/webp");
    assert_eq!(
        thumb.cache_control.as_deref(),
        Some(imgkit_lambda::settings::DEFAULT_CACHE_CONTROL)
    );
    let meta = &thumb.metadata;
    assert_eq!(meta["source-bucket"], BUCKET);
    assert_eq!(meta["source-key"], "uploads/photos/red%20flower.jpg");
    assert_eq!(meta["rendition"], "thumb");
    assert!(meta.contains_key("source-etag"));
    // The source's placeholder: its ThumbHash as the core makes it, the same on every rendition.
    let specs: Vec<imgkit::Spec> = imgkit::Rendition::parse_list(RENDITIONS)
        .unwrap()
        .iter()
        .map(|r| r.spec)
        .collect();
    let oracle = imgkit::Processor::new(imgkit::Limits::default())
        .placeholder(true)
        .process_many(&jpeg, &specs)
        .unwrap();
    let placeholder = base64::engine::general_purpose::STANDARD.encode(oracle[0].thumbhash.as_ref().unwrap());
    assert_eq!(meta["thumbhash"], placeholder);
    let info = imgkit::probe(&thumb.body, &imgkit::Limits::default())
        .unwrap()
        .into_info();
    assert_eq!((info.width, info.height), (50, 50));
    let small = store
        .object(OUT, "out/small/uploads/photos/red flower.jpg.jpg")
        .unwrap();
    assert_eq!(small.content_type, "image/jpeg");
    assert_eq!(small.metadata["thumbhash"], placeholder);
    let rejected = record(&store, "out/rejected/uploads/hostile.png.json");
    assert_eq!(rejected["reason"], reason("hostile/svg-plain.svg"));
    assert_eq!(rejected["source"]["key"], "uploads/hostile.png");
    assert_eq!(rejected["output_keys"], "readable");

    // Plain S3 notification of the same object (URL-encoded key): idempotent, same keys.
    let before = store.keys(OUT);
    let resp = app
        .handle(fixture("s3-notification.json"), "req-s3", None)
        .await
        .unwrap();
    assert_eq!(resp["processed"], 1);
    assert_eq!(store.keys(OUT), before, "reprocessing wrote new keys");

    // Batch Operations 2.0: up to date (already processed, same ETag), and rejected from the HEAD alone.
    let puts = store.puts();
    let resp = app
        .handle(fixture("s3-batch-operations-v2.json"), "req-batch", None)
        .await
        .unwrap();
    assert_eq!(resp["invocationSchemaVersion"], "2.0");
    assert_eq!(resp["treatMissingKeysAs"], "PermanentFailure");
    assert_eq!(resp["results"][0]["resultCode"], "Succeeded");
    assert!(resp["results"][0]["resultString"]
        .as_str()
        .unwrap()
        .starts_with("up to date"));
    assert_eq!(resp["results"][1]["taskId"], "dGFza2lkZ29lc2hlcmUL");
    assert_eq!(resp["results"][1]["resultCode"], "PermanentFailure");
    assert_eq!(store.puts(), puts + 1, "only the rejection record was written");
    let rejected = record(&store, "out/rejected/uploads/too-big+bytes.png.json");
    assert_eq!(rejected["reason"], "limit:max_input_bytes");
    assert_eq!(rejected["source"]["size"], 16_385);
    assert_eq!(
        store.bytes_served(BUCKET, "uploads/too-big+bytes.png"),
        0,
        "downloaded anyway"
    );

    // A changed source (new ETag) is not up to date: a backfill redoes it.
    store.insert(
        BUCKET,
        "uploads/photos/red flower.jpg",
        corpus("valid/jpeg-1x1.jpg"),
    );
    let resp = app
        .handle(fixture("s3-batch-operations-v2.json"), "req-batch-2", None)
        .await
        .unwrap();
    assert_eq!(resp["results"][0]["resultString"], "processed");

    // Outside the source prefix: skipped, nothing written.
    let mut ev = fixture("s3-notification.json");
    ev["Records"][0]["s3"]["object"]["key"] = Value::String("elsewhere/x.jpg".into());
    let resp = app.handle(ev, "req-skip", None).await.unwrap();
    assert_eq!(resp["skipped"], 1);

    // A missing object on the asynchronous path is an error, so Lambda retries the event.
    let mut ev = fixture("s3-notification.json");
    ev["Records"][0]["s3"]["object"]["key"] = Value::String("uploads/gone.jpg".into());
    assert!(app.handle(ev, "req-gone", None).await.is_err());

    assert_eq!(store.keys(BUCKET).len(), 3, "the source bucket changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_that_share_a_stem_each_get_their_own_renditions() {
    let store = MemoryStore::default();
    let files = [
        ("uploads/a.jpg", "valid/jpeg-320x200.jpg"),
        ("uploads/a.png", "valid/png-rgb8.png"),
        ("uploads/a.webp", "valid/webp-lossy.webp"),
        ("uploads/a", "valid/jpeg-1x1.jpg"),
    ];
    for (key, file) in files {
        store.insert(BUCKET, key, corpus(file));
    }
    let app = app(&store, &[("IMGKIT_MAX_INPUT_BYTES", "1000000")]);
    let keys: Vec<&str> = files.iter().map(|(k, _)| *k).collect();
    let resp = app.handle(sqs(&keys), "req", None).await.unwrap();
    assert!(failures(&resp).is_empty(), "{resp}");
    for (key, _) in files {
        for (rendition, ext) in [("thumb", "webp"), ("small", "jpg")] {
            let out = store
                .object(OUT, &format!("out/{rendition}/{key}.{ext}"))
                .unwrap_or_else(|| panic!("{key}: no {rendition}"));
            assert_eq!(out.metadata["source-key"], key, "overwritten by another source");
        }
    }
    assert_eq!(store.keys(OUT).len(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_too_long_to_read_take_the_hashed_form_and_still_get_their_record() {
    let store = MemoryStore::default();
    // 1024 bytes: legal, but no output key that contains it can be.
    let valid = format!("uploads/{}.jpg", "é".repeat(506));
    let hostile = format!("uploads/{}.png", "ö".repeat(506));
    assert_eq!((valid.len(), hostile.len()), (1024, 1024));
    store.insert(BUCKET, &valid, corpus("valid/jpeg-320x200.jpg"));
    store.insert(BUCKET, &hostile, corpus("hostile/html-as-png.png"));
    let app = app(&store, &[]);
    let resp = app.handle(sqs(&[&valid, &hostile]), "req", None).await.unwrap();
    assert!(failures(&resp).is_empty(), "{resp}");

    let renditions = ["thumb", "small"];
    let thumb_key = OutputKeys::new("out", renditions, &valid).rendition("thumb", "webp");
    assert_eq!(
        thumb_key,
        format!("out/long-keys/thumb/{}.webp", sha256_hex(&valid))
    );
    let thumb = store.object(OUT, &thumb_key).unwrap();
    assert_eq!(thumb.metadata["output-keys"], "hashed");
    // The percent-encoded key would not fit S3's 2 KB of metadata: its hash stands in.
    assert_eq!(thumb.metadata["source-key-sha256"], sha256_hex(&valid));
    let rec_key = OutputKeys::new("out", renditions, &hostile).rejected();
    let rec = record(&store, &rec_key);
    assert_eq!(rec["output_keys"], "hashed");
    assert_eq!(rec["source"]["key"], hostile);
    assert_eq!(rec["reason"], reason("hostile/html-as-png.png"));
    assert!(store.keys(OUT).iter().all(|k| k.len() <= 1024));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anything_under_the_prefix_ends_in_renditions_or_a_record_without_a_full_download() {
    let store = MemoryStore::with_chunk_size(4096);
    let mut heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    heic.resize(100_000, 0);
    let text = "not an image\n".repeat(10_000).into_bytes();
    let empty_reason = reason("hostile/empty.jpg");
    let cases = [
        (
            "uploads/IMG_0001",
            corpus("valid/jpeg-320x200.jpg"),
            "processed",
            "",
        ),
        ("uploads/photo.heic", heic, "rejected", "unsupported_format"),
        ("uploads/notes.txt", text, "rejected", "unknown_format"),
        (
            "uploads/empty.jpg",
            corpus("hostile/empty.jpg"),
            "rejected",
            empty_reason.as_str(),
        ),
        (
            "uploads/huge.jpg",
            vec![0xFF; 2_000_001],
            "rejected",
            "limit:max_input_bytes",
        ),
    ];
    for (key, body, _, _) in &cases {
        store.insert(BUCKET, key, body.clone());
    }
    let app = app(&store, &[("IMGKIT_MAX_INPUT_BYTES", "2000000")]);
    let keys: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let resp = app.handle(sqs(&keys), "req", None).await.unwrap();
    assert!(failures(&resp).is_empty(), "{resp}");
    for (key, body, outcome, reason) in &cases {
        let rec = store.object(OUT, &format!("out/rejected/{key}.json"));
        let thumb = store.object(OUT, &format!("out/thumb/{key}.webp"));
        match *outcome {
            "processed" => assert!(thumb.is_some() && rec.is_none(), "{key}"),
            _ => {
                assert!(thumb.is_none(), "{key}");
                let rec: Value = serde_json::from_slice(&rec.unwrap().body).unwrap();
                assert_eq!(rec["reason"], *reason, "{key}");
                // Refused after its first chunk (or from the HEAD), not downloaded whole.
                let served = store.bytes_served(BUCKET, key);
                assert!(
                    served <= 4096 && (served as usize) < body.len().max(1),
                    "{key}: {served} bytes read"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_call_fails_its_own_record_in_time_and_the_rest_of_the_batch_is_done() {
    let store = MemoryStore::default();
    let jpeg = corpus("valid/jpeg-320x200.jpg");
    let keys = [
        "uploads/1.jpg",
        "uploads/hang.jpg",
        "uploads/2.jpg",
        "uploads/stall.jpg",
        "uploads/3.jpg",
    ];
    for key in keys {
        store.insert(BUCKET, key, jpeg.clone());
    }
    store.fault("uploads/hang.jpg", Fault::Hang);
    store.fault("uploads/stall.jpg", Fault::StallBody);
    // Timeout 6 s: S3 calls are bounded at 2 s, downloads too.
    let app = app(&store, &[("IMGKIT_FUNCTION_TIMEOUT", "6")]);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(6);
    let resp = app.handle(sqs(&keys), "req", Some(deadline)).await.unwrap();
    let took = start.elapsed();
    assert_eq!(failures(&resp), ["uploads/hang.jpg", "uploads/stall.jpg"]);
    for key in ["uploads/1.jpg", "uploads/2.jpg", "uploads/3.jpg"] {
        assert!(
            store.object(OUT, &format!("out/thumb/{key}.webp")).is_some(),
            "{key}"
        );
    }
    assert!(took < Duration::from_secs(4), "took {took:?} of a 6 s timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_still_running_at_the_deadline_are_retried_and_the_answer_arrives() {
    let store = MemoryStore::default();
    store.insert(BUCKET, "uploads/ok.jpg", corpus("valid/jpeg-1x1.jpg"));
    store.insert(BUCKET, "uploads/hang.jpg", corpus("valid/jpeg-1x1.jpg"));
    store.fault("uploads/hang.jpg", Fault::Hang);
    // The store calls would wait 300 s; the invocation has 2 s left.
    let app = app(&store, &[("IMGKIT_FUNCTION_TIMEOUT", "900")]);
    let start = Instant::now();
    let resp = app
        .handle(
            sqs(&["uploads/ok.jpg", "uploads/hang.jpg"]),
            "req",
            Some(start + Duration::from_secs(2)),
        )
        .await
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
    assert_eq!(failures(&resp), ["uploads/hang.jpg"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_whose_record_cannot_be_written_is_retried_not_acknowledged() {
    let store = MemoryStore::default();
    store.insert(BUCKET, "uploads/bad.png", corpus("hostile/html-as-png.png"));
    store.fault("out/rejected/uploads/bad.png.json", Fault::Unavailable);
    let app = app(&store, &[]);
    let resp = app.handle(sqs(&["uploads/bad.png"]), "req", None).await.unwrap();
    assert_eq!(failures(&resp), ["uploads/bad.png"]);
    assert!(store.keys(OUT).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_to_write_into_its_source() {
    let store = MemoryStore::default();
    store.insert(
        BUCKET,
        "uploads/photos/red flower.jpg",
        corpus("valid/jpeg-1x1.jpg"),
    );
    let vars: HashMap<&str, &str> = [("IMGKIT_OUTPUT_BUCKET", BUCKET), ("IMGKIT_RENDITIONS", "t=10")]
        .into_iter()
        .collect();
    let settings = Settings::from_lookup(|k| vars.get(k).map(|v| v.to_string())).unwrap();
    let app = Arc::new(App::new(settings, store.clone(), 1, "test-fn".into()));
    let resp = app
        .handle(fixture("s3-batch-operations-v2.json"), "req", None)
        .await
        .unwrap();
    assert_eq!(resp["results"][0]["resultCode"], "TemporaryFailure");
    assert!(resp["results"][0]["resultString"]
        .as_str()
        .unwrap()
        .contains("refusing"));
    assert_eq!(
        store.keys(BUCKET).len(),
        1,
        "something was written into the source bucket"
    );
}

/// A rendition whose byte budget an upload cannot meet even at the lowest quality: the upload ends in
/// its rejection record (reason `over_budget`, with the numbers), not in a retry and not in silence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_over_a_renditions_byte_budget_gets_its_record() {
    let store = MemoryStore::default();
    store.insert(BUCKET, "uploads/photo.jpg", corpus("valid/jpeg-320x200.jpg"));
    let app = app(
        &store,
        &[
            ("IMGKIT_MAX_INPUT_BYTES", "1000000"),
            ("IMGKIT_RENDITIONS", "page=300w,jpeg:80,max=300"),
        ],
    );
    let resp = app
        .handle(sqs(&["uploads/photo.jpg"]), "req", None)
        .await
        .unwrap();
    assert!(failures(&resp).is_empty(), "a budget miss is not retried: {resp}");
    let rejected = record(&store, "out/rejected/uploads/photo.jpg.json");
    assert_eq!(rejected["reason"], "over_budget");
    let detail = rejected.to_string();
    assert!(detail.contains("budget of 300"), "{detail}");
    assert_eq!(
        store.keys(OUT),
        vec!["out/rejected/uploads/photo.jpg.json".to_string()]
    );
}
