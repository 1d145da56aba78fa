//! Test support: moto_server (S3, SQS, EventBridge) on loopback, from the tests' venv
//! ([`imgkit_testkit::pillow::venv`]).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod handler;
pub mod plan;
pub mod runtime;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The end-to-end tests' upload bucket.
pub const UPLOAD: &str = "imgkit-e2e-uploads";
/// The end-to-end tests' output bucket.
pub const OUTPUT: &str = "imgkit-e2e-processed";

/// The crate directory.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    crate_dir().join("../..").canonicalize().unwrap()
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
        let venv = imgkit_testkit::pillow::venv();
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
        self.script_output(args);
    }

    /// `e2e.py setup`: buckets, the plan's uploads (`{"rel", "file", "before"}`), the template's rule and
    /// the queue; returns what it wrote (`prefix`, `queue_arn`, `uploads`, `messages`).
    pub fn setup(&self, dir: &Path, template: &Path, upload: &str, output: &str, plan: &[Value]) -> Value {
        let plan_path = dir.join("plan.json");
        std::fs::write(&plan_path, serde_json::to_vec(plan).unwrap()).unwrap();
        let setup_path = dir.join("setup.json");
        self.script(&[
            "setup",
            "--endpoint",
            &self.endpoint,
            "--template",
            template.to_str().unwrap(),
            "--upload-bucket",
            upload,
            "--output-bucket",
            output,
            "--plan",
            plan_path.to_str().unwrap(),
            "--out",
            setup_path.to_str().unwrap(),
        ]);
        serde_json::from_slice(&std::fs::read(&setup_path).unwrap()).unwrap()
    }

    /// `e2e.py scan-setup`: the template's rule with malware scanning on (for plan `plan_arn`), a
    /// versioned upload bucket holding the plan's files (`{"rel", "file", "tag"?, "then"?}`); returns
    /// `prefix`, `queue_arn`, `queue_url` and each upload's `key`, `version_id`, `etag`.
    pub fn scan_setup(
        &self,
        dir: &Path,
        template: &Path,
        buckets: (&str, &str),
        plan_arn: &str,
        plan: &[Value],
    ) -> Value {
        let plan_path = dir.join("scan-plan.json");
        std::fs::write(&plan_path, serde_json::to_vec(plan).unwrap()).unwrap();
        let out = dir.join("scan-setup.json");
        self.script(&[
            "scan-setup",
            "--endpoint",
            &self.endpoint,
            "--template",
            template.to_str().unwrap(),
            "--upload-bucket",
            buckets.0,
            "--output-bucket",
            buckets.1,
            "--plan",
            plan_path.to_str().unwrap(),
            "--plan-arn",
            plan_arn,
            "--out",
            out.to_str().unwrap(),
        ]);
        serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap()
    }

    /// `e2e.py publish`: puts `events` on the default bus; returns the messages the rules delivered to
    /// `queue_url` (waiting for `expected` of them, then for stragglers).
    pub fn publish(&self, dir: &Path, queue_url: &str, events: &[Value], expected: usize) -> Vec<Value> {
        let events_path = dir.join("events.json");
        std::fs::write(&events_path, serde_json::to_vec(events).unwrap()).unwrap();
        let out = dir.join("delivered.json");
        self.script(&[
            "publish",
            "--endpoint",
            &self.endpoint,
            "--queue-url",
            queue_url,
            "--events",
            events_path.to_str().unwrap(),
            "--expected",
            &expected.to_string(),
            "--out",
            out.to_str().unwrap(),
        ]);
        let delivered: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        delivered["messages"].as_array().unwrap().clone()
    }

    /// `e2e.py dump`: every object of `bucket` saved under `dir/<bucket>`; one entry each (`key`, `path`,
    /// `content_type`, `cache_control`, `metadata`).
    pub fn dump(&self, dir: &Path, bucket: &str) -> Vec<Value> {
        let out = dir.join(bucket);
        std::fs::create_dir_all(&out).unwrap();
        self.script(&[
            "dump",
            "--endpoint",
            &self.endpoint,
            "--bucket",
            bucket,
            "--out-dir",
            out.to_str().unwrap(),
        ]);
        serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap()
    }

    /// Runs `tests/support/e2e.py` and returns what it printed, trimmed.
    pub fn script_output(&self, args: &[&str]) -> String {
        let out = Command::new(self.venv.join("bin/python"))
            .arg(crate_dir().join("tests/support/e2e.py"))
            .args(args)
            .stderr(Stdio::inherit())
            .output()
            .expect("run e2e.py");
        assert!(out.status.success(), "e2e.py {args:?} failed");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An SQS event record for a message `setup` received (`messageId`, `receiptHandle`, `body`, …).
pub fn sqs_record(m: &Value, queue_arn: &Value) -> Value {
    serde_json::json!({
        "messageId": m["messageId"], "receiptHandle": m["receiptHandle"], "body": m["body"],
        "attributes": m["attributes"], "messageAttributes": {}, "md5OfBody": m["md5OfBody"],
        "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": "us-east-1",
    })
}

/// One row of tests/fixtures/scan-verdicts.json: a GuardDuty verdict and how the upload must end
/// (`renditions`, or a record with reason `malware` or `not_scanned`).
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerdictCase {
    pub name: String,
    pub scan_status: String,
    pub scan_result_status: Option<String>,
    pub threats: Vec<String>,
    pub expect: String,
}

impl VerdictCase {
    /// This verdict on `key` (version, ETag) of `bucket`, from `plan`.
    pub fn result<'a>(
        &'a self,
        plan: &'a str,
        bucket: &'a str,
        key: &'a str,
        version_id: Option<&'a str>,
        etag: &'a str,
    ) -> ScanResult<'a> {
        ScanResult {
            plan,
            bucket,
            key,
            version_id,
            etag,
            status: &self.scan_status,
            result: self.scan_result_status.as_deref(),
            threats: &self.threats,
        }
    }
}

/// Every verdict GuardDuty can give, with its expected outcome.
pub fn verdict_cases() -> Vec<VerdictCase> {
    let path = crate_dir().join("tests/fixtures/scan-verdicts.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// One GuardDuty Malware Protection for S3 scan result, for [`ScanResult::event`].
pub struct ScanResult<'a> {
    /// The malware protection plan's ARN (the event's `resources`).
    pub plan: &'a str,
    pub bucket: &'a str,
    pub key: &'a str,
    pub version_id: Option<&'a str>,
    pub etag: &'a str,
    /// `COMPLETED`, `SKIPPED` or `FAILED`.
    pub status: &'a str,
    /// `NO_THREATS_FOUND`, `THREATS_FOUND`, `UNSUPPORTED`, `ACCESS_DENIED`, `FAILED`; `None` leaves
    /// `scanResultDetails` out.
    pub result: Option<&'a str>,
    pub threats: &'a [String],
}

impl ScanResult<'_> {
    /// The EventBridge event, in the shape AWS documents for "GuardDuty Malware Protection Object Scan
    /// Result" (<https://docs.aws.amazon.com/guardduty/latest/ug/monitor-with-eventbridge-s3-malware-protection.html>;
    /// tests/fixtures/guardduty-scan-result.json is that page's example).
    pub fn event(&self, id: &str) -> Value {
        let mut detail = serde_json::json!({
            "schemaVersion": "1.0",
            "scanStatus": self.status,
            "resourceType": "S3_OBJECT",
            "s3ObjectDetails": {
                "bucketName": self.bucket, "objectKey": self.key, "eTag": self.etag,
                "versionId": self.version_id, "s3Throttled": false,
            },
        });
        if let Some(result) = self.result {
            let threats: Vec<Value> = self
                .threats
                .iter()
                .map(|t| serde_json::json!({"name": t}))
                .collect();
            detail["scanResultDetails"] = serde_json::json!({"scanResultStatus": result, "threats": if threats.is_empty() { Value::Null } else { threats.into() }});
        }
        serde_json::json!({
            "version": "0", "id": id, "detail-type": "GuardDuty Malware Protection Object Scan Result",
            "source": "aws.guardduty", "account": "123456789012", "time": "2026-12-07T00:00:00Z",
            "region": "us-east-1", "resources": [self.plan], "detail": detail,
        })
    }
}

/// The result code and string of `task` in an S3 Batch Operations response.
pub fn batch_result(resp: &Value, task: &str) -> (String, String) {
    let r = resp["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["taskId"] == task)
        .unwrap_or_else(|| panic!("no result for task {task}: {resp}"));
    (
        r["resultCode"].as_str().unwrap().to_string(),
        r["resultString"].as_str().unwrap().to_string(),
    )
}

/// An SQS batch whose message bodies are `events` (message id = the event's `id`).
pub fn sqs_batch(events: &[Value]) -> Value {
    let records: Vec<Value> = events
        .iter()
        .map(|e| {
            serde_json::json!({"messageId": e["id"], "receiptHandle": "r", "body": e.to_string(), "attributes": {},
                   "messageAttributes": {}, "md5OfBody": "m", "eventSource": "aws:sqs",
                   "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"})
        })
        .collect();
    serde_json::json!({ "Records": records })
}

/// A scratch directory under the target directory, emptied first.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Parses one JSON document, refusing an object that repeats a key (which `serde_json::Value` would
/// silently collapse, and log tools too): `Err` names the repeated key.
pub fn parse_unique_keys(text: &str) -> Result<serde_json::Value, String> {
    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde_json::{Map, Value};

    struct Unique;
    impl<'de> DeserializeSeed<'de> for Unique {
        type Value = Value;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
            d.deserialize_any(Unique)
        }
    }
    impl<'de> Visitor<'de> for Unique {
        type Value = Value;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
            Ok(v.into())
        }
        fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
            Ok(v.into())
        }
        fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
            Ok(v.into())
        }
        fn visit_str<E>(self, v: &str) -> Result<Value, E> {
            Ok(v.into())
        }
        fn visit_string<E>(self, v: String) -> Result<Value, E> {
            Ok(v.into())
        }
        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut out = Vec::new();
            while let Some(v) = seq.next_element_seed(Unique)? {
                out.push(v);
            }
            Ok(Value::Array(out))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut out = Map::new();
            while let Some(key) = map.next_key::<String>()? {
                if out.contains_key(&key) {
                    return Err(serde::de::Error::custom(format!("duplicate key {key:?}")));
                }
                let v = map.next_value_seed(Unique)?;
                out.insert(key, v);
            }
            Ok(Value::Object(out))
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let v = Unique.deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(v)
}

#[test]
fn duplicate_keys_are_refused() {
    assert!(parse_unique_keys(r#"{"a": 1, "b": {"c": [1, {"d": 2}]}}"#).is_ok());
    let e = parse_unique_keys(r#"{"message": "x", "n": 1, "message": "y"}"#).unwrap_err();
    assert!(e.contains("\"message\""), "{e}");
    assert!(parse_unique_keys(r#"{"a": {"b": 1, "b": 2}}"#).is_err());
}

/// SHA-256 of `text`, hex (computed here, not by the code under test).
pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An output key by the documented scheme: `<folder>/<source key>.<ext>`, or in the hashed form
/// `long-keys/<folder>/<sha256 of the source key>.<ext>`.
pub fn expected_key(folder: &str, key: &str, ext: &str, hashed: bool) -> String {
    if hashed {
        format!("long-keys/{folder}/{}.{ext}", sha256_hex(key))
    } else {
        format!("{folder}/{key}.{ext}")
    }
}

/// A key percent-encoded as S3 notifications and Batch Operations carry it (`+` for space when asked).
pub fn percent_encode(key: &str, space_as_plus: bool) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let encoded = percent_encoding::utf8_percent_encode(key, SET).to_string();
    if space_as_plus {
        encoded.replace("%20", "+")
    } else {
        encoded
    }
}
