//! The in-process handler tests' setup (tests/handler.rs, tests/handler_scanning.rs): the app over the
//! in-memory store, the events they hand it and what they read back.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;

use imgkit_lambda::{App, MemoryStore, Settings};
use serde_json::{json, Value};

/// The source bucket the fixtures name.
pub const BUCKET: &str = "amzn-s3-demo-bucket";
/// The output bucket.
pub const OUT: &str = "processed-bucket";
/// The renditions [`settings`] configures.
pub const RENDITIONS: &str = "thumb=50x50,cover,webp;small=100w,jpeg:80";

/// A corpus file's bytes.
pub fn corpus(file: &str) -> Vec<u8> {
    imgkit_testkit::manifest::row(file).bytes()
}

/// The settings the tests start from (output bucket and prefix, source prefix, [`RENDITIONS`], a 16 KiB
/// input limit), with `extra` variables set over them.
pub fn settings(extra: &[(&str, &str)]) -> Settings {
    let mut vars: HashMap<&str, &str> = [
        ("IMGKIT_OUTPUT_BUCKET", OUT),
        ("IMGKIT_OUTPUT_PREFIX", "out"),
        ("IMGKIT_SOURCE_PREFIX", "uploads/"),
        ("IMGKIT_RENDITIONS", RENDITIONS),
        ("IMGKIT_MAX_INPUT_BYTES", "16384"),
    ]
    .into_iter()
    .collect();
    vars.extend(extra.iter().copied());
    Settings::from_lookup(|k| vars.get(k).map(|v| v.to_string())).unwrap()
}

/// The app over `store` with [`settings`]`(extra)`.
pub fn app(store: &MemoryStore, extra: &[(&str, &str)]) -> Arc<App<MemoryStore>> {
    Arc::new(App::new(settings(extra), store.clone(), 2, "test-fn".into()))
}

/// An SQS batch of EventBridge "Object Created" events, one per key (message id = key).
pub fn sqs(keys: &[&str]) -> Value {
    let events: Vec<Value> = keys
        .iter()
        .map(|key| {
            json!({
                "version": "0", "id": key, "detail-type": "Object Created", "source": "aws.s3",
                "account": "123456789012", "time": "2026-12-01T00:00:00Z", "region": "us-east-1",
                "resources": [], "detail": {"bucket": {"name": BUCKET}, "object": {"key": key, "size": 1}},
            })
        })
        .collect();
    super::sqs_batch(&events)
}

/// The item identifiers an SQS answer asks to retry.
pub fn failures(resp: &Value) -> Vec<String> {
    resp["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap().to_string())
        .collect()
}

/// The JSON record `key` of the output bucket.
pub fn record(store: &MemoryStore, key: &str) -> Value {
    let obj = store.object(OUT, key).unwrap_or_else(|| panic!("no {key}"));
    assert_eq!(obj.content_type, "application/json");
    serde_json::from_slice(&obj.body).unwrap()
}
