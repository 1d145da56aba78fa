#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End to end with the template's `MalwareScanning=GuardDuty`: moto_server (S3, SQS, EventBridge) on
//! loopback, the rule's scan-result pattern read from deploy/template.yaml, GuardDuty's results put on
//! the bus, and the REAL compiled function (`bootstrap`) answering what the rule delivered through a
//! Lambda Runtime API emulator (as in tests/e2e.rs, which runs the template with scanning off).

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use common::runtime::{spawn_function, Emulator};
use common::{expected_key, percent_encode, OUTPUT, UPLOAD};
use imgkit::Rendition;
use serde_json::{json, Value};

/// The plan's ARN in the scan results (the template's `MalwareProtectionPlan.Arn`).
const PLAN_ARN: &str =
    "arn:aws:guardduty:us-east-1:123456789012:malware-protection-plan/b4c7f464ab3a4EXAMPLE";
const SCAN_RENDITIONS: &str = "thumb=32x32,cover,webp;medium=64w,inside,jpeg:80";

/// The template with `MalwareScanning=GuardDuty`: GuardDuty's scan results, in the shape AWS documents
/// (see `common::ScanResult`), go through the template's rule (read from deploy/template.yaml) into the
/// queue, and the real function handles what arrives. Every verdict ends in its outcome: a clean
/// version in its renditions, threats in a `malware` record with nothing downloaded, every other status
/// in a `not_scanned` record; results for another bucket or plan never reach the queue; a result
/// delivered twice gives one set of outputs; a version replaced after its scan is not processed under
/// the old verdict. A backfill processes only objects tagged clean.
#[test]
fn end_to_end_with_malware_scanning_every_verdict_ends_in_its_outcome() {
    let template = common::workspace().join("deploy/template.yaml");
    let dir = common::scratch("e2e-scan");
    let moto = common::Moto::start(&dir.join("moto.log"));
    let file = |rel: &str| imgkit_testkit::manifest::row(rel).path();
    let photo = file("valid/jpeg-320x200.jpg");
    let cases = common::verdict_cases();
    let clean = cases.iter().find(|c| c.expect == "renditions").unwrap();

    // 1. Uploads: one per verdict; a PNG found clean; one overwritten by other bytes after a clean scan;
    //    and three a backfill finds, of which only the one GuardDuty tagged clean is processed.
    let mut scanned: Vec<(String, &common::VerdictCase)> =
        cases.iter().map(|c| (format!("{}.jpg", c.name), c)).collect();
    scanned.push(("clean/icon.png".into(), clean));
    scanned.push(("replaced.jpg".into(), clean));
    let mut plan: Vec<Value> = scanned
        .iter()
        .map(|(rel, _)| {
            let f = if rel.ends_with(".png") {
                file("valid/png-1x1.png")
            } else {
                photo.clone()
            };
            json!({"rel": rel, "file": f})
        })
        .collect();
    plan.last_mut().unwrap()["then"] = json!(file("valid/jpeg-33x17.jpg"));
    let backfilled = [
        ("old/tagged-clean.jpg", Some("NO_THREATS_FOUND")),
        ("old/tagged-threats.jpg", Some("THREATS_FOUND")),
        ("old/untagged.jpg", None),
    ];
    plan.extend(
        backfilled
            .iter()
            .map(|(rel, tag)| json!({"rel": rel, "file": photo, "tag": tag})),
    );
    let setup = moto.scan_setup(&dir, &template, (UPLOAD, OUTPUT), PLAN_ARN, &plan);
    let prefix = setup["prefix"].as_str().unwrap().to_string();
    let uploads: HashMap<&str, &Value> = setup["uploads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["rel"].as_str().unwrap(), u))
        .collect();
    let key_of = |rel: &str| uploads[rel]["key"].as_str().unwrap();

    // 2. GuardDuty's results on the default bus: one per scanned upload, the first clean one twice, and
    //    two the rule must not take (another bucket, another plan).
    let result = |rel: &str, case: &common::VerdictCase, bucket: &str, plan: &str| {
        let u = uploads[rel];
        case.result(
            plan,
            bucket,
            key_of(rel),
            u["version_id"].as_str(),
            u["etag"].as_str().unwrap(),
        )
        .event(rel)
    };
    let mut events: Vec<Value> = scanned
        .iter()
        .map(|(rel, case)| result(rel, case, UPLOAD, PLAN_ARN))
        .collect();
    let expected = events.len() + 1;
    events.push(result("clean/icon.png", clean, UPLOAD, PLAN_ARN));
    events.push(result("clean/icon.png", clean, "someone-elses-bucket", PLAN_ARN));
    let other_plan = PLAN_ARN.replace("b4c7f464ab3a4EXAMPLE", "0123456789abcEXAMPLE");
    events.push(result("clean/icon.png", clean, UPLOAD, &other_plan));
    let messages = moto.publish(&dir, setup["queue_url"].as_str().unwrap(), &events, expected);
    for m in &messages {
        let body: Value = serde_json::from_str(m["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["resources"], json!([PLAN_ARN]), "{body}");
        assert_eq!(body["detail"]["s3ObjectDetails"]["bucketName"], UPLOAD, "{body}");
    }
    assert_eq!(
        messages.len(),
        expected,
        "the rule must take every result for this plan and bucket, clean or not, and nothing else"
    );

    // 3. The function: the delivered batches, the repeated result redelivered later on its own (a repeat
    //    in the same batch runs concurrently with the first: both write the same keys, so still one set
    //    of outputs, but neither finds the other's), then a backfill job over the objects no result named.
    let emulator = Emulator::start(Duration::from_secs(120));
    let queue_arn = &setup["queue_arn"];
    let mut seen = BTreeSet::new();
    let (mut first, mut repeats) = (Vec::new(), Vec::new());
    for m in &messages {
        let body: Value = serde_json::from_str(m["body"].as_str().unwrap()).unwrap();
        let object = body["detail"]["s3ObjectDetails"].to_string();
        let record = common::sqs_record(m, queue_arn);
        if seen.insert(object) {
            first.push(record);
        } else {
            repeats.push(record);
        }
    }
    assert_eq!(repeats.len(), 1, "the result published twice");
    let mut ids = Vec::new();
    for batch in first.chunks(10).chain([&repeats[..]]) {
        ids.push(format!("sqs-{}", ids.len()));
        emulator.invoke(ids.last().unwrap(), json!({"Records": batch}));
    }
    let tasks: Vec<Value> = backfilled
        .iter()
        .map(|(rel, _)| {
            json!({"taskId": rel, "s3Key": percent_encode(key_of(rel), true),
                   "s3VersionId": uploads[rel]["version_id"], "s3Bucket": UPLOAD})
        })
        .collect();
    emulator.invoke(
        "batch-ops",
        json!({"invocationSchemaVersion": "2.0", "invocationId": "inv-scan", "job": {"id": "job-scan", "userArguments": {}}, "tasks": tasks}),
    );
    ids.push("batch-ops".into());
    let mut function = spawn_function(
        &emulator,
        &moto.endpoint,
        &[
            ("IMGKIT_OUTPUT_BUCKET", OUTPUT),
            ("IMGKIT_SOURCE_PREFIX", &prefix),
            ("IMGKIT_RENDITIONS", SCAN_RENDITIONS),
            ("IMGKIT_MALWARE_SCANNING", "guardduty"),
        ],
        &dir,
    );
    emulator.wait(&ids, Duration::from_secs(120));
    let _ = function.kill();
    let _ = function.wait();
    emulator.shutdown();
    let responses = emulator.state.0.lock().unwrap().responses.clone();

    // 4. Answers: nothing retried; the backfill fails exactly the objects without a clean tag.
    for id in ids.iter().filter(|id| id.starts_with("sqs-")) {
        let (kind, body) = &responses[id];
        assert_eq!(kind, "response", "{id}: {body}");
        assert_eq!(body["batchItemFailures"], json!([]), "{id}: {body}");
    }
    let (_, batch) = &responses["batch-ops"];
    let task = |rel: &str| common::batch_result(batch, rel);
    assert_eq!(task("old/tagged-clean.jpg").0, "Succeeded", "{batch}");
    for (rel, tag) in &backfilled[1..] {
        let (code, text) = task(rel);
        let why = tag.map_or("no GuardDutyMalwareScanStatus tag".into(), |t| {
            format!("GuardDutyMalwareScanStatus={t}")
        });
        assert_eq!(code, "PermanentFailure", "{rel}: {text}");
        assert!(
            text.starts_with("not scanned") && text.contains(&why),
            "{rel}: {text}"
        );
    }

    // 5. Outputs: renditions of exactly the clean versions (metadata naming that version), a record for
    //    every other verdict, nothing else (not the replaced version's, not a second set).
    let outputs: BTreeMap<String, Value> = moto
        .dump(&dir, OUTPUT)
        .into_iter()
        .map(|o| (o["key"].as_str().unwrap().to_string(), o))
        .collect();
    let renditions = Rendition::parse_list(SCAN_RENDITIONS).unwrap();
    let mut expected_outputs = BTreeSet::new();
    let processed: Vec<&str> = scanned
        .iter()
        .filter(|(rel, case)| case.expect == "renditions" && rel != "replaced.jpg")
        .map(|(rel, _)| rel.as_str())
        .chain(["old/tagged-clean.jpg"])
        .collect();
    for rel in &processed {
        for r in &renditions {
            let ext = r.spec.format().possible_formats()[0].extension();
            let out_key = expected_key(&r.name, key_of(rel), ext, false);
            let o = outputs
                .get(&out_key)
                .unwrap_or_else(|| panic!("{rel}: no {out_key}"));
            assert_eq!(
                o["metadata"]["source-version-id"], uploads[rel]["version_id"],
                "{out_key}"
            );
            assert_eq!(o["metadata"]["source-etag"], uploads[rel]["etag"], "{out_key}");
            expected_outputs.insert(out_key);
        }
    }
    let refused: Vec<(&str, &common::VerdictCase)> = scanned
        .iter()
        .filter(|(_, case)| case.expect != "renditions")
        .map(|(rel, case)| (rel.as_str(), *case))
        .collect();
    for (rel, case) in &refused {
        let record_key = expected_key("rejected", key_of(rel), "json", false);
        let o = outputs
            .get(&record_key)
            .unwrap_or_else(|| panic!("{rel}: no record"));
        let record: Value =
            serde_json::from_slice(&std::fs::read(o["path"].as_str().unwrap()).unwrap()).unwrap();
        assert_eq!(record["reason"], case.expect.as_str(), "{rel}: {record}");
        assert_eq!(
            record["source"]["version_id"], uploads[rel]["version_id"],
            "{rel}: {record}"
        );
        assert_eq!(record["scan"]["threats"], json!(case.threats), "{rel}: {record}");
        let verdict = record["scan"]["verdict"].as_str().unwrap();
        assert!(
            case.expect == "malware" || verdict.contains(&case.scan_status),
            "{rel}: the record does not say what GuardDuty said: {record}"
        );
        expected_outputs.insert(record_key);
    }
    let unexpected: Vec<&String> = outputs
        .keys()
        .filter(|k| !expected_outputs.contains(*k))
        .collect();
    assert!(
        unexpected.is_empty(),
        "outputs no verdict accounts for: {unexpected:?}"
    );

    // 6. Logs and metrics: only clean versions were downloaded; the repeat was up to date; the replaced
    //    version was skipped as such.
    let stderr = std::fs::read_to_string(dir.join("function.stderr")).unwrap();
    let done: Vec<Value> = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["message"] == "record done")
        .collect();
    let lines_of =
        |rel: &str| -> Vec<&Value> { done.iter().filter(|l| l["span"]["key"] == key_of(rel)).collect() };
    let not_read = refused
        .iter()
        .map(|(rel, _)| *rel)
        .chain(backfilled[1..].iter().map(|(rel, _)| *rel));
    for rel in not_read {
        let lines = lines_of(rel);
        assert_eq!(lines.len(), 1, "{rel}: {lines:?}");
        assert_eq!(
            lines[0]["input_bytes"].as_u64().unwrap_or(0),
            0,
            "{rel} was downloaded: {}",
            lines[0]
        );
    }
    let icon: BTreeSet<&str> = lines_of("clean/icon.png")
        .iter()
        .map(|l| l["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        icon,
        BTreeSet::from(["processed", "up_to_date"]),
        "the result delivered twice"
    );
    let replaced = lines_of("replaced.jpg");
    assert_eq!(replaced.len(), 1);
    assert_eq!(replaced[0]["outcome"], "skipped", "{}", replaced[0]);
    assert!(
        replaced[0]["why"]
            .as_str()
            .unwrap()
            .contains("replaced since its scan"),
        "{}",
        replaced[0]
    );
    let stdout = std::fs::read_to_string(dir.join("function.stdout")).unwrap();
    let total = |name: &str| -> u64 {
        stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v.get("_aws").is_some() && v.get("Reason").is_none())
            .map(|v| v[name].as_u64().unwrap_or(0))
            .sum()
    };
    let count = |expect: &str| refused.iter().filter(|(_, c)| c.expect == expect).count() as u64;
    assert_eq!(
        (total("MalwareFound"), total("NotScanned"), total("Processed")),
        (count("malware"), count("not_scanned") + 2, processed.len() as u64),
        "EMF MalwareFound, NotScanned (2 from the backfill), Processed"
    );
    eprintln!(
        "e2e with scanning: {} results published, {} delivered by the rule; {} outputs; {} processed, {} \
         records; the repeat up to date, the replaced version skipped, 2 backfilled objects not scanned",
        events.len(),
        messages.len(),
        outputs.len(),
        processed.len(),
        refused.len()
    );
}
