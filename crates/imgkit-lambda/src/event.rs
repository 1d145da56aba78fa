//! The invocation shapes the function accepts, reduced to a list of items, each naming the S3 objects
//! it stands for.
//!
//! - SQS batch (`Records[].eventSource == "aws:sqs"`): each message body is an EventBridge S3 "Object
//!   Created" event (the deployed path), or an S3 notification (S3 -> SQS directly; `s3:TestEvent`
//!   bodies hold no objects). Answered with `batchItemFailures`.
//! - S3 notification (`Records[].eventSource == "aws:s3"`): keys are URL-encoded (form encoding, `+`
//!   for space) and are decoded here.
//! - S3 Batch Operations (`invocationSchemaVersion` 1.0 or 2.0 with `tasks`): keys are URL-encoded.
//!   Answered with one result per task.
//! - A bare EventBridge event (a rule targeting the function directly): keys are not encoded.
//!
//! EventBridge events are S3's "Object Created" or, with malware scanning on, GuardDuty Malware
//! Protection's "Object Scan Result", which names the scanned version and carries the [`Verdict`].

use aws_lambda_events::event::s3::S3Event;
use aws_lambda_events::event::sqs::SqsEvent;
use serde::Deserialize;
use serde_json::Value;

use crate::scan::Verdict;

/// `detail-type` of GuardDuty Malware Protection for S3's result events (source `aws.guardduty`).
/// <https://docs.aws.amazon.com/guardduty/latest/ug/monitor-with-eventbridge-s3-malware-protection.html>
pub const SCAN_RESULT: &str = "GuardDuty Malware Protection Object Scan Result";

/// One S3 object an event refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectRef {
    /// Bucket name.
    pub bucket: String,
    /// Object key, decoded.
    pub key: String,
    /// Version id, when the event names one.
    pub version_id: Option<String>,
    /// ETag from the event, when it has one (informational: the HEAD is authoritative).
    pub etag: Option<String>,
    /// Size from the event, when it has one (informational: the HEAD is authoritative).
    pub size: Option<u64>,
    /// GuardDuty's verdict on exactly this version (`version_id`, `etag`), when the event is a scan
    /// result; `None` for events that announce an upload.
    pub verdict: Option<Verdict>,
}

/// The unit an invocation answers for: an SQS message, an S3 notification record, a batch task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// SQS message id, Batch Operations task id, or the record index for S3 notifications.
    pub id: String,
    /// The objects, or why the item could not be understood.
    pub objects: Result<Vec<ObjectRef>, String>,
}

/// What kind of invocation this is, which decides the shape of the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// SQS event source mapping.
    Sqs,
    /// S3 event notification invoking the function directly (asynchronously).
    S3Notification,
    /// S3 Batch Operations.
    BatchOperations {
        /// `invocationSchemaVersion`, echoed in the response.
        schema_version: String,
        /// `invocationId`, echoed in the response.
        invocation_id: String,
    },
    /// An EventBridge event delivered to the function by a rule.
    EventBridge,
}

/// A parsed invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    /// Which event source invoked the function, which decides the shape of the answer.
    pub kind: Kind,
    /// The items, in event order.
    pub items: Vec<Item>,
}

/// The `detail` of an S3 EventBridge event (aws_lambda_events has no type for it). moto spells the ETag
/// `eTag`, S3 `etag`.
#[derive(Debug, Deserialize)]
struct S3Detail {
    bucket: NamedBucket,
    object: EbObject,
}

#[derive(Debug, Deserialize)]
struct NamedBucket {
    name: String,
}

#[derive(Debug, Deserialize)]
struct EbObject {
    key: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default, alias = "eTag")]
    etag: Option<String>,
    #[serde(default, rename = "version-id")]
    version_id: Option<String>,
}

/// The `detail` of a GuardDuty Malware Protection object scan result.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScanDetail {
    scan_status: String,
    s3_object_details: ScannedObject,
    #[serde(default)]
    scan_result_details: Option<ScanResult>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScannedObject {
    bucket_name: String,
    object_key: String,
    #[serde(default, rename = "eTag")]
    etag: Option<String>,
    #[serde(default)]
    version_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScanResult {
    #[serde(default)]
    scan_result_status: Option<String>,
    #[serde(default)]
    threats: Option<Vec<Threat>>,
}

#[derive(Debug, Deserialize)]
struct Threat {
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct EbEvent {
    detail_type: String,
    source: String,
    detail: Value,
}

/// S3 Batch Operations task: schema 1.0 names the bucket by ARN, 2.0 by name.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchTask {
    s3_key: String,
    #[serde(default)]
    s3_version_id: Option<String>,
    #[serde(default)]
    s3_bucket_arn: Option<String>,
    #[serde(default)]
    s3_bucket: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchEvent {
    invocation_schema_version: String,
    invocation_id: String,
    tasks: Vec<Value>,
}

/// Recognises the invocation shape; `Err` when the payload is none of the accepted ones.
pub fn parse(event: &Value) -> Result<Invocation, String> {
    if event.get("invocationSchemaVersion").is_some() {
        let batch: BatchEvent =
            serde_json::from_value(event.clone()).map_err(|e| format!("S3 Batch Operations event: {e}"))?;
        let items = batch
            .tasks
            .iter()
            .enumerate()
            .map(|(i, task)| batch_task(i, task))
            .collect();
        return Ok(Invocation {
            kind: Kind::BatchOperations {
                schema_version: batch.invocation_schema_version,
                invocation_id: batch.invocation_id,
            },
            items,
        });
    }
    if event.get("detail-type").is_some() {
        return Ok(Invocation {
            kind: Kind::EventBridge,
            items: vec![Item {
                id: event
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("event")
                    .to_string(),
                objects: eventbridge(event),
            }],
        });
    }
    let source = event
        .get("Records")
        .and_then(|r| r.get(0))
        .and_then(|r| r.get("eventSource"))
        .and_then(Value::as_str);
    match source {
        Some("aws:sqs") => {
            let sqs: SqsEvent =
                serde_json::from_value(event.clone()).map_err(|e| format!("SQS event: {e}"))?;
            let items = sqs
                .records
                .into_iter()
                .enumerate()
                .map(|(i, m)| Item {
                    id: m.message_id.unwrap_or_else(|| format!("message-{i}")),
                    objects: match m.body.as_deref().map(serde_json::from_str::<Value>) {
                        Some(Ok(body)) => sqs_body(&body),
                        Some(Err(e)) => Err(format!("SQS message body is not JSON: {e}")),
                        None => Err("SQS message has no body".into()),
                    },
                })
                .collect();
            Ok(Invocation {
                kind: Kind::Sqs,
                items,
            })
        }
        Some("aws:s3") => {
            let s3: S3Event =
                serde_json::from_value(event.clone()).map_err(|e| format!("S3 notification: {e}"))?;
            let items = s3
                .records
                .iter()
                .enumerate()
                .map(|(i, r)| Item {
                    id: format!("record-{i}"),
                    objects: s3_record(r).map(|o| vec![o]),
                })
                .collect();
            Ok(Invocation {
                kind: Kind::S3Notification,
                items,
            })
        }
        Some(other) => Err(format!("unsupported event source {other:?}")),
        None => Err("not an SQS, S3 notification, S3 Batch Operations or EventBridge event".into()),
    }
}

/// An SQS body: an EventBridge event, an S3 notification, or an S3 test event (no objects).
fn sqs_body(body: &Value) -> Result<Vec<ObjectRef>, String> {
    if body.get("detail-type").is_some() {
        return eventbridge(body);
    }
    if body.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Vec::new());
    }
    if body.get("Records").is_some() {
        let s3: S3Event =
            serde_json::from_value(body.clone()).map_err(|e| format!("S3 notification: {e}"))?;
        return s3.records.iter().map(s3_record).collect();
    }
    Err("SQS message body is neither an EventBridge nor an S3 event".into())
}

fn eventbridge(event: &Value) -> Result<Vec<ObjectRef>, String> {
    let eb: EbEvent = serde_json::from_value(event.clone()).map_err(|e| format!("EventBridge event: {e}"))?;
    match (eb.source.as_str(), eb.detail_type.as_str()) {
        ("aws.s3", "Object Created") => object_created(eb.detail),
        ("aws.guardduty", SCAN_RESULT) => scan_result(eb.detail),
        _ => Err(format!(
            "EventBridge event is {:?} from {:?}, not \"Object Created\" from \"aws.s3\" or {SCAN_RESULT:?} from \"aws.guardduty\"",
            eb.detail_type, eb.source
        )),
    }
}

fn object_created(detail: Value) -> Result<Vec<ObjectRef>, String> {
    let d: S3Detail = serde_json::from_value(detail).map_err(|e| format!("S3 event detail: {e}"))?;
    Ok(vec![ObjectRef {
        bucket: d.bucket.name,
        // EventBridge carries keys as they are: no decoding.
        key: d.object.key,
        version_id: real_version(d.object.version_id),
        etag: d.object.etag,
        size: d.object.size,
        verdict: None,
    }])
}

fn scan_result(detail: Value) -> Result<Vec<ObjectRef>, String> {
    let d: ScanDetail =
        serde_json::from_value(detail).map_err(|e| format!("GuardDuty scan result detail: {e}"))?;
    let result = d.scan_result_details.unwrap_or(ScanResult {
        scan_result_status: None,
        threats: None,
    });
    let threats = result
        .threats
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.name)
        .collect();
    let object = d.s3_object_details;
    Ok(vec![ObjectRef {
        bucket: object.bucket_name,
        key: object.object_key,
        version_id: real_version(object.version_id),
        etag: object.etag.map(|e| e.trim_matches('"').to_string()),
        size: None,
        verdict: Some(Verdict::from_result(
            &d.scan_status,
            result.scan_result_status.as_deref(),
            threats,
        )),
    }])
}

/// An unversioned bucket's objects have no version id, or the literal `null`.
fn real_version(version_id: Option<String>) -> Option<String> {
    version_id.filter(|v| !v.is_empty() && v != "null")
}

fn s3_record(r: &aws_lambda_events::event::s3::S3EventRecord) -> Result<ObjectRef, String> {
    if !r
        .event_name
        .as_deref()
        .unwrap_or("")
        .starts_with("ObjectCreated:")
    {
        return Err(format!("S3 event {:?} is not ObjectCreated", r.event_name));
    }
    let bucket = r.s3.bucket.name.clone().ok_or("S3 record without bucket name")?;
    let raw = r.s3.object.key.as_deref().ok_or("S3 record without object key")?;
    Ok(ObjectRef {
        bucket,
        key: url_decode_key(raw)?,
        version_id: real_version(r.s3.object.version_id.clone()),
        etag: r.s3.object.e_tag.clone(),
        size: r.s3.object.size.and_then(|s| u64::try_from(s).ok()),
        verdict: None,
    })
}

fn batch_task(i: usize, task: &Value) -> Item {
    let id = task
        .get("taskId")
        .and_then(Value::as_str)
        .map_or_else(|| format!("task-{i}"), str::to_string);
    let objects = serde_json::from_value::<BatchTask>(task.clone())
        .map_err(|e| format!("S3 Batch Operations task: {e}"))
        .and_then(|t| {
            let bucket = match (t.s3_bucket, t.s3_bucket_arn) {
                (Some(b), _) => b,
                (None, Some(arn)) => arn
                    .strip_prefix("arn:aws:s3:::")
                    .or_else(|| arn.rsplit(":::").next())
                    .unwrap_or(&arn)
                    .to_string(),
                (None, None) => return Err("task names no bucket".to_string()),
            };
            Ok(vec![ObjectRef {
                bucket,
                key: url_decode_key(&t.s3_key)?,
                version_id: real_version(t.s3_version_id),
                etag: None,
                size: None,
                verdict: None,
            }])
        });
    Item { id, objects }
}

/// Decodes an S3 notification / Batch Operations key: form encoding, so `+` is a space and `%2B` a plus.
pub fn url_decode_key(raw: &str) -> Result<String, String> {
    let plus_as_space = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|e| format!("key {raw:?} is not URL-encoded UTF-8: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_form_encoded_keys() {
        assert_eq!(url_decode_key("red+flower.jpg").unwrap(), "red flower.jpg");
        assert_eq!(
            url_decode_key("a%2Bb%20c/%C3%A9t%C3%A9.png").unwrap(),
            "a+b c/été.png"
        );
        assert_eq!(url_decode_key("plain/key.gif").unwrap(), "plain/key.gif");
        assert!(url_decode_key("bad%FF.jpg").is_err());
    }

    #[test]
    fn rejects_unknown_payloads() {
        assert!(parse(&serde_json::json!({"hello": "world"})).is_err());
        assert!(parse(&serde_json::json!({"Records": [{"eventSource": "aws:kinesis"}]})).is_err());
    }
}
