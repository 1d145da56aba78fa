#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The handler called with the committed event fixtures: first what it reads from them, then the whole
//! handler in-process against moto_server's S3 on loopback.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_s3::config::{Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use imgkit_lambda::event::{self, Kind};
use imgkit_lambda::{App, Settings};
use serde_json::Value;

const BUCKET: &str = "amzn-s3-demo-bucket";
const OUT: &str = "processed-bucket";

fn fixture(name: &str) -> Value {
    let path = common::crate_dir().join("tests/fixtures").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
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
fn malformed_sqs_body_is_an_item_error_not_a_crash() {
    let mut ev = fixture("sqs-eventbridge-object-created.json");
    ev["Records"][1]["body"] = Value::String("{not json".into());
    ev["Records"][2]["body"] = Value::String(r#"{"Service":"Amazon S3","Event":"s3:TestEvent"}"#.into());
    let inv = event::parse(&ev).unwrap();
    assert!(inv.items[0].objects.is_ok());
    assert!(inv.items[1].objects.is_err());
    assert_eq!(inv.items[2].objects.as_ref().unwrap().len(), 0);
}

fn client(endpoint: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

async fn get_json(s3: &aws_sdk_s3::Client, key: &str) -> Value {
    let obj = s3.get_object().bucket(OUT).key(key).send().await.expect(key);
    serde_json::from_slice(&obj.body.collect().await.unwrap().into_bytes()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_against_moto_s3() {
    let dir = common::scratch("handler");
    let moto = common::Moto::start(&dir.join("moto.log"));
    let s3 = client(&moto.endpoint);
    for b in [BUCKET, OUT] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    let corpus = common::workspace().join("corpus");
    let jpeg = std::fs::read(corpus.join("valid/jpeg-320x200.jpg")).unwrap();
    let hostile = std::fs::read(corpus.join("hostile/svg-plain.svg")).unwrap();
    let max_input = 16_384u64;
    let big = vec![0u8; max_input as usize + 1];
    for (key, body) in [
        ("uploads/photos/red flower.jpg", jpeg.clone()),
        ("uploads/hostile.png", hostile),
        ("uploads/too-big+bytes.png", big),
    ] {
        s3.put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .unwrap();
    }
    // Big enough for the JPEG, too small for the zero-filled object.
    assert!((jpeg.len() as u64) < max_input);

    let vars: HashMap<&str, String> = [
        ("IMGKIT_OUTPUT_BUCKET", OUT.to_string()),
        ("IMGKIT_OUTPUT_PREFIX", "out".to_string()),
        ("IMGKIT_SOURCE_PREFIX", "uploads/".to_string()),
        (
            "IMGKIT_RENDITIONS",
            "thumb=50x50,cover,webp;small=100w,jpeg:80".to_string(),
        ),
        ("IMGKIT_MAX_INPUT_BYTES", max_input.to_string()),
    ]
    .into_iter()
    .collect();
    let settings = Settings::from_lookup(|k| vars.get(k).cloned()).unwrap();
    let app = Arc::new(App::new(settings, s3.clone(), 2, "test-fn".into()));

    // SQS-wrapped EventBridge: valid, hostile, never uploaded. The fixture's version id is not a real
    // version in moto's unversioned bucket: drop it.
    let mut ev = fixture("sqs-eventbridge-object-created.json");
    let mut body: Value = serde_json::from_str(ev["Records"][0]["body"].as_str().unwrap()).unwrap();
    body["detail"]["object"]
        .as_object_mut()
        .unwrap()
        .remove("version-id");
    ev["Records"][0]["body"] = Value::String(body.to_string());
    let resp = app.handle(ev, "req-sqs").await.unwrap();
    assert_eq!(
        resp,
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "c80e8021-a70a-42c7-a470-796e1186f753"}]}),
        "only the missing object is retried"
    );
    let thumb = s3
        .get_object()
        .bucket(OUT)
        .key("out/thumb/uploads/photos/red flower.webp")
        .send()
        .await
        .unwrap();
    assert_eq!(thumb.content_type(), Some("image/webp"));
    assert_eq!(
        thumb.cache_control(),
        Some(imgkit_lambda::settings::DEFAULT_CACHE_CONTROL)
    );
    let meta = thumb.metadata().unwrap();
    assert_eq!(meta.get("source-bucket").map(String::as_str), Some(BUCKET));
    assert_eq!(
        meta.get("source-key").map(String::as_str),
        Some("uploads/photos/red%20flower.jpg")
    );
    assert_eq!(meta.get("rendition").map(String::as_str), Some("thumb"));
    assert!(meta.contains_key("source-etag"));
    let bytes = thumb.body.collect().await.unwrap().into_bytes();
    let info = imgkit::probe(&bytes, &imgkit::Limits::default()).unwrap();
    assert_eq!((info.width, info.height), (50, 50));
    let small = s3
        .get_object()
        .bucket(OUT)
        .key("out/small/uploads/photos/red flower.jpg")
        .send()
        .await
        .unwrap();
    assert_eq!(small.content_type(), Some("image/jpeg"));
    let rejected = get_json(&s3, "out/rejected/uploads/hostile.png.json").await;
    assert_eq!(rejected["reason"], "unsupported_format");
    assert_eq!(rejected["source"]["key"], "uploads/hostile.png");

    // Plain S3 notification of the same object (URL-encoded key): idempotent, same keys.
    let before = s3.list_objects_v2().bucket(OUT).send().await.unwrap().key_count();
    let resp = app
        .handle(fixture("s3-notification.json"), "req-s3")
        .await
        .unwrap();
    assert_eq!(resp["processed"], 1);
    let after = s3.list_objects_v2().bucket(OUT).send().await.unwrap().key_count();
    assert_eq!(before, after, "reprocessing wrote new keys");

    // Batch Operations 2.0: processed, and rejected from the HEAD size alone.
    let resp = app
        .handle(fixture("s3-batch-operations-v2.json"), "req-batch")
        .await
        .unwrap();
    assert_eq!(resp["invocationSchemaVersion"], "2.0");
    assert_eq!(resp["treatMissingKeysAs"], "PermanentFailure");
    assert_eq!(resp["results"][0]["resultCode"], "Succeeded");
    assert_eq!(resp["results"][1]["taskId"], "dGFza2lkZ29lc2hlcmUL");
    assert_eq!(resp["results"][1]["resultCode"], "PermanentFailure");
    let rejected = get_json(&s3, "out/rejected/uploads/too-big+bytes.png.json").await;
    assert_eq!(rejected["reason"], "limit:max_input_bytes");
    assert_eq!(rejected["source"]["size"], max_input + 1);

    // Outside the source prefix: skipped, nothing written.
    let mut ev = fixture("s3-notification.json");
    ev["Records"][0]["s3"]["object"]["key"] = Value::String("elsewhere/x.jpg".into());
    let resp = app.handle(ev, "req-skip").await.unwrap();
    assert_eq!(resp["skipped"], 1);

    // A missing object on the asynchronous path is an error, so Lambda retries the event.
    let mut ev = fixture("s3-notification.json");
    ev["Records"][0]["s3"]["object"]["key"] = Value::String("uploads/gone.jpg".into());
    assert!(app.handle(ev, "req-gone").await.is_err());

    // Nothing was written to the source bucket.
    let keys: Vec<String> = s3
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_to_write_into_its_source() {
    let dir = common::scratch("recursion");
    let moto = common::Moto::start(&dir.join("moto.log"));
    let s3 = client(&moto.endpoint);
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let jpeg = std::fs::read(common::workspace().join("corpus/valid/jpeg-1x1.jpg")).unwrap();
    s3.put_object()
        .bucket(BUCKET)
        .key("uploads/photos/red flower.jpg")
        .body(ByteStream::from(jpeg))
        .send()
        .await
        .unwrap();
    let vars: HashMap<&str, &str> = [("IMGKIT_OUTPUT_BUCKET", BUCKET), ("IMGKIT_RENDITIONS", "t=10")]
        .into_iter()
        .collect();
    let settings = Settings::from_lookup(|k| vars.get(k).map(|v| v.to_string())).unwrap();
    let app = Arc::new(App::new(settings, s3.clone(), 1, "test-fn".into()));
    let resp = app
        .handle(fixture("s3-batch-operations-v2.json"), "req")
        .await
        .unwrap();
    assert_eq!(resp["results"][0]["resultCode"], "TemporaryFailure");
    assert!(resp["results"][0]["resultString"]
        .as_str()
        .unwrap()
        .contains("refusing"));
    let count = s3
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap()
        .key_count();
    assert_eq!(count, Some(1), "something was written into the source bucket");
}
