//! How each object ended, and the answer each event source expects from those endings.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_lambda_events::event::s3::batch_job::{S3BatchJobResponse, S3BatchJobResult};
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse};
use serde_json::Value;

use crate::event::{Invocation, Item, Kind};
use crate::keys::KeyForm;

/// How one object ended. Every object ends in exactly one of these.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Every rendition written.
    Processed,
    /// Backfill only: every rendition already exists for this source's ETag; nothing was redone.
    UpToDate,
    /// The input is at fault and its rejection record is stored; acknowledged, never retried.
    Rejected {
        /// Stable reason: the core's error kind (`malformed`, `limit:max_width`, …).
        reason: String,
        /// What exactly was wrong.
        detail: String,
    },
    /// Not an upload to process (outside `IMGKIT_SOURCE_PREFIX`, a folder marker, a version replaced
    /// since its scan); acknowledged.
    Skipped(String),
    /// Backfill with malware scanning on: the object carries no clean verdict (its
    /// `GuardDutyMalwareScanStatus` tag says why); nothing was read or written. A permanent failure of
    /// its Batch Operations task, until it is scanned.
    NotScanned(String),
    /// Not the input's fault (storage, timeouts, configuration, a rejection whose record could not be
    /// written): reported for retry.
    Failed(String),
}

impl Outcome {
    /// `processed`, `up_to_date`, `rejected`, `skipped`, `not_scanned` or `failed`: the log field and
    /// summary key.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Processed => "processed",
            Outcome::UpToDate => "up_to_date",
            Outcome::Rejected { .. } => "rejected",
            Outcome::Skipped(_) => "skipped",
            Outcome::NotScanned(_) => "not_scanned",
            Outcome::Failed(_) => "failed",
        }
    }
}

/// Measurements of one object, for its log line and the metrics.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Bytes downloaded.
    pub input_bytes: u64,
    /// Bytes of renditions written.
    pub output_bytes: u64,
    /// Displayed size of the largest rendition.
    pub dims: (u32, u32),
    /// Frames of the most animated rendition (1: every rendition is a still).
    pub frames: u32,
    /// Which form the object's output keys take, once decided.
    pub key_form: Option<KeyForm>,
    /// HEAD of the source.
    pub head: Duration,
    /// GET and body.
    pub download: Duration,
    /// The core's stages (resize and encode summed over the renditions).
    pub core: imgkit::Timings,
    /// PUTs of every rendition.
    pub upload: Duration,
    /// The source's ThumbHash placeholder (base64), set on every rendition as `thumbhash` metadata.
    pub thumbhash: Option<String>,
    /// Wall time.
    pub elapsed: Duration,
}

/// One object's outcome and measurements.
#[derive(Clone, Debug)]
pub struct Report {
    /// How it ended.
    pub outcome: Outcome,
    /// What it cost.
    pub stats: Stats,
}

/// The reports of one item's objects, or `None` for an object that did not finish (a panic, or the
/// invocation's deadline).
pub type ItemReports = Vec<Option<Report>>;

/// Why an item must be retried, if it must: it was unreadable, or one of its objects failed or did not
/// finish.
fn retry_reason(item: &Item, reports: &ItemReports) -> Option<String> {
    if let Err(e) = &item.objects {
        return Some(e.clone());
    }
    reports.iter().find_map(|r| match r {
        None => Some("did not finish".to_string()),
        Some(Report {
            outcome: Outcome::Failed(e),
            ..
        }) => Some(e.clone()),
        Some(_) => None,
    })
}

/// The answer to the event source: SQS `batchItemFailures`, S3 Batch Operations results, or for
/// asynchronous invocations (S3 notifications, EventBridge) a summary, or an error that makes Lambda retry.
pub fn respond(invocation: &Invocation, reports: &[ItemReports]) -> Result<Value, String> {
    let to_value = |v: Result<Value, serde_json::Error>| v.map_err(|e| format!("response: {e}"));
    match &invocation.kind {
        Kind::Sqs => {
            let mut response = SqsBatchResponse::default();
            for (item, reports) in invocation.items.iter().zip(reports) {
                if retry_reason(item, reports).is_some() {
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = item.id.clone();
                    response.batch_item_failures.push(failure);
                }
            }
            to_value(serde_json::to_value(response))
        }
        Kind::BatchOperations {
            schema_version,
            invocation_id,
        } => {
            let mut response = S3BatchJobResponse::default();
            response.invocation_schema_version = Some(schema_version.clone());
            response.invocation_id = Some(invocation_id.clone());
            response.treat_missing_keys_as = Some("PermanentFailure".into());
            for (item, reports) in invocation.items.iter().zip(reports) {
                let (code, text) = batch_result(item, reports);
                let mut result = S3BatchJobResult::default();
                result.task_id = Some(item.id.clone());
                result.result_code = Some(code.into());
                result.result_string = Some(text);
                response.results.push(result);
            }
            to_value(serde_json::to_value(response))
        }
        Kind::S3Notification | Kind::EventBridge => {
            let failures: Vec<String> = invocation
                .items
                .iter()
                .zip(reports)
                .filter_map(|(item, reports)| {
                    retry_reason(item, reports).map(|e| format!("{}: {e}", item.id))
                })
                .collect();
            if !failures.is_empty() {
                return Err(format!("retry needed: {}", failures.join("; ")));
            }
            let mut summary: BTreeMap<&str, usize> = BTreeMap::new();
            for report in reports.iter().flatten().flatten() {
                *summary.entry(report.outcome.name()).or_default() += 1;
            }
            to_value(serde_json::to_value(summary))
        }
    }
}

/// S3 Batch Operations result code and string of one task: input faults are permanent (with the
/// reason), everything worth retrying temporary (S3 retries those), the rest succeeded.
fn batch_result(item: &Item, reports: &ItemReports) -> (&'static str, String) {
    if let Some(e) = retry_reason(item, reports) {
        return ("TemporaryFailure", e);
    }
    match reports.first().and_then(Option::as_ref).map(|r| &r.outcome) {
        Some(Outcome::Rejected { reason, detail }) => {
            ("PermanentFailure", format!("rejected: {reason}: {detail}"))
        }
        Some(Outcome::Skipped(why)) => ("Succeeded", format!("skipped: {why}")),
        Some(Outcome::NotScanned(why)) => ("PermanentFailure", format!("not scanned: {why}")),
        Some(Outcome::UpToDate) => ("Succeeded", "up to date: renditions exist for this ETag".into()),
        _ => ("Succeeded", "processed".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::ObjectRef;

    fn item(id: &str) -> Item {
        Item {
            id: id.into(),
            objects: Ok(vec![ObjectRef {
                bucket: "b".into(),
                key: id.into(),
                version_id: None,
                etag: None,
                size: None,
                verdict: None,
            }]),
        }
    }

    fn report(outcome: Outcome) -> Option<Report> {
        Some(Report {
            outcome,
            stats: Stats::default(),
        })
    }

    #[test]
    fn batch_operations_codes_follow_whose_fault_it_is() {
        let inv = Invocation {
            kind: Kind::BatchOperations {
                schema_version: "2.0".into(),
                invocation_id: "i".into(),
            },
            items: ["ok", "bad", "slow", "done", "lost", "unscanned"]
                .map(item)
                .to_vec(),
        };
        let reports = vec![
            vec![report(Outcome::Processed)],
            vec![report(Outcome::Rejected {
                reason: "malformed".into(),
                detail: "cut short".into(),
            })],
            vec![report(Outcome::Failed("HEAD: timeout".into()))],
            vec![report(Outcome::UpToDate)],
            vec![None],
            vec![report(Outcome::NotScanned(
                "no GuardDutyMalwareScanStatus tag".into(),
            ))],
        ];
        let v = respond(&inv, &reports).unwrap();
        let codes: Vec<&str> = v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["resultCode"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            [
                "Succeeded",
                "PermanentFailure",
                "TemporaryFailure",
                "Succeeded",
                "TemporaryFailure",
                "PermanentFailure"
            ]
        );
        assert_eq!(
            v["results"][5]["resultString"],
            "not scanned: no GuardDutyMalwareScanStatus tag"
        );
        assert_eq!(v["results"][1]["resultString"], "rejected: malformed: cut short");
        assert_eq!(v["treatMissingKeysAs"], "PermanentFailure");
    }

    #[test]
    fn sqs_retries_exactly_the_failed_and_unfinished_items() {
        let inv = Invocation {
            kind: Kind::Sqs,
            items: ["a", "b", "c"].map(item).to_vec(),
        };
        let reports = vec![
            vec![report(Outcome::Processed)],
            vec![report(Outcome::Failed("x".into()))],
            vec![None],
        ];
        let v = respond(&inv, &reports).unwrap();
        let ids: Vec<&str> = v["batchItemFailures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["itemIdentifier"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["b", "c"]);
    }
}
