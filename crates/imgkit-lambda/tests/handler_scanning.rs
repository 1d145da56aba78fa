#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The handler in-process against the in-memory store (as in tests/handler.rs) with malware scanning on
//! (`IMGKIT_MALWARE_SCANNING=guardduty`): GuardDuty's scan results, every verdict in
//! tests/fixtures/scan-verdicts.json, and a backfill that goes by the objects' scan tags.

mod common;

use std::collections::BTreeMap;

use common::handler::{app, corpus, failures, record, sqs, BUCKET, OUT};
use imgkit_lambda::MemoryStore;
use serde_json::{json, Value};

const PLAN: &str = "arn:aws:guardduty:us-east-1:123456789012:malware-protection-plan/b4c7f464ab3a4EXAMPLE";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_scanning_on_only_a_clean_version_is_read_and_every_other_verdict_ends_in_its_record() {
    let store = MemoryStore::default();
    let jpeg = corpus("valid/jpeg-320x200.jpg");
    let cases = common::verdict_cases();
    let key = |name: &str| format!("uploads/{name}.jpg");
    let mut events = Vec::new();
    for case in &cases {
        store.insert(BUCKET, &key(&case.name), jpeg.clone());
        let etag = store.object(BUCKET, &key(&case.name)).unwrap().etag;
        events.push(
            case.result(PLAN, BUCKET, &key(&case.name), None, &etag)
                .event(&case.name),
        );
    }
    // Overwritten after a clean scan: the old verdict must not stand for the new bytes.
    let clean = cases.iter().find(|c| c.expect == "renditions").unwrap();
    store.insert(BUCKET, &key("replaced"), jpeg.clone());
    let etag = store.object(BUCKET, &key("replaced")).unwrap().etag;
    events.push(
        clean
            .result(PLAN, BUCKET, &key("replaced"), None, &etag)
            .event("replaced"),
    );
    store.insert(BUCKET, &key("replaced"), corpus("valid/jpeg-33x17.jpg"));

    let app = app(&store, &[("IMGKIT_MALWARE_SCANNING", "guardduty")]);
    let resp = app.handle(common::sqs_batch(&events), "req", None).await.unwrap();
    assert_eq!(failures(&resp), Vec::<String>::new());
    let thumb = |name: &str| store.object(OUT, &format!("out/thumb/{}.webp", key(name)));
    let rejected = |name: &str| store.object(OUT, &format!("out/rejected/{}.json", key(name)));
    for case in &cases {
        if case.expect == "renditions" {
            assert!(
                thumb(&case.name).is_some() && rejected(&case.name).is_none(),
                "{}",
                case.name
            );
            continue;
        }
        let rec = record(&store, &format!("out/rejected/{}.json", key(&case.name)));
        assert_eq!(rec["reason"], case.expect.as_str(), "{}: {rec}", case.name);
        assert_eq!(
            rec["scan"]["threats"],
            json!(case.threats),
            "{}: {rec}",
            case.name
        );
        assert!(thumb(&case.name).is_none(), "{}", case.name);
        assert_eq!(
            store.bytes_served(BUCKET, &key(&case.name)),
            0,
            "{} was downloaded",
            case.name
        );
    }
    assert!(thumb("replaced").is_none() && rejected("replaced").is_none());
    assert_eq!(store.bytes_served(BUCKET, &key("replaced")), 0);

    // Delivered again (at least once): nothing is rewritten. An "Object Created" event is not a verdict.
    let puts = store.puts();
    let again = app
        .handle(common::sqs_batch(&events), "req-again", None)
        .await
        .unwrap();
    assert_eq!(failures(&again), Vec::<String>::new());
    store.insert(BUCKET, &key("unscanned"), jpeg.clone());
    let created = app
        .handle(sqs(&[&key("unscanned")]), "req-created", None)
        .await
        .unwrap();
    assert_eq!(failures(&created), Vec::<String>::new());
    let rewritten = store.puts() - puts;
    let records = cases.iter().filter(|c| c.expect != "renditions").count() as u64;
    assert_eq!(
        rewritten, records,
        "a duplicate clean result or an unscanned upload wrote something"
    );
    assert_eq!(store.bytes_served(BUCKET, &key("unscanned")), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_with_scanning_on_processes_only_objects_tagged_clean() {
    let store = MemoryStore::default();
    let jpeg = corpus("valid/jpeg-320x200.jpg");
    let tag = |value: &str| BTreeMap::from([("GuardDutyMalwareScanStatus".to_string(), value.to_string())]);
    for name in ["clean", "infected", "untagged"] {
        store.insert(BUCKET, &format!("uploads/{name}.jpg"), jpeg.clone());
    }
    store.set_tags(BUCKET, "uploads/clean.jpg", tag("NO_THREATS_FOUND"));
    store.set_tags(BUCKET, "uploads/infected.jpg", tag("THREATS_FOUND"));
    let tasks: Vec<Value> = ["clean", "infected", "untagged"]
        .iter()
        .map(|n| json!({"taskId": n, "s3Key": format!("uploads/{n}.jpg"), "s3VersionId": null, "s3Bucket": BUCKET}))
        .collect();
    let job = json!({
        "invocationSchemaVersion": "2.0", "invocationId": "inv", "job": {"id": "job", "userArguments": {}},
        "tasks": tasks,
    });
    let resp = app(&store, &[("IMGKIT_MALWARE_SCANNING", "guardduty")])
        .handle(job.clone(), "req", None)
        .await
        .unwrap();
    let result = common::batch_result;
    assert_eq!(result(&resp, "clean").0, "Succeeded");
    assert_eq!(
        result(&resp, "infected"),
        (
            "PermanentFailure".into(),
            "not scanned: tag GuardDutyMalwareScanStatus=THREATS_FOUND".into()
        )
    );
    assert_eq!(
        result(&resp, "untagged"),
        (
            "PermanentFailure".into(),
            "not scanned: no GuardDutyMalwareScanStatus tag".into()
        )
    );
    assert!(store.object(OUT, "out/thumb/uploads/clean.jpg.webp").is_some());
    for name in ["infected", "untagged"] {
        let key = format!("uploads/{name}.jpg");
        assert_eq!(store.bytes_served(BUCKET, &key), 0, "{name} was downloaded");
        assert_eq!(store.tag_reads(&key), 1, "{name}");
        assert!(store.object(OUT, &format!("out/thumb/{key}.webp")).is_none());
    }

    // Scanning off: tags are not read, and the untagged object is processed.
    let resp = app(&store, &[]).handle(job, "req-off", None).await.unwrap();
    assert_eq!(result(&resp, "untagged").0, "Succeeded");
    assert_eq!(store.tag_reads("uploads/untagged.jpg"), 1);
}
