//! CloudWatch metrics in the Embedded Metric Format: JSON lines on stdout that CloudWatch Logs turns into
//! metrics. No CloudWatch API call is ever made.
//!
//! One line per invocation in namespace `imgkit`, dimension `FunctionName`: `Processed`, `UpToDate`,
//! `Rejected`, `Failed`, `Skipped`, `MalwareFound` (rejected as `malware`), `NotScanned` (rejected as
//! `not_scanned`, or a backfilled object without a clean tag) (counts), `InputBytes`, `OutputBytes` (bytes), `Duration` (milliseconds, one
//! value per object); and one line per rejection reason with dimensions `FunctionName` and `Reason`
//! (e.g. `limit:max_width`) holding `Rejected`.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::outcome::{Outcome, Report};
use crate::scan;

/// The metric namespace.
pub const NAMESPACE: &str = "imgkit";

/// Counters of one invocation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    /// Objects whose renditions were all written.
    pub processed: u64,
    /// Backfilled objects whose renditions already existed for their ETag.
    pub up_to_date: u64,
    /// Objects rejected, by reason.
    pub rejected: BTreeMap<String, u64>,
    /// Objects that failed and will be retried.
    pub failed: u64,
    /// Objects outside the source prefix, ignored.
    pub skipped: u64,
    /// Objects GuardDuty found threats in (also counted in `rejected`).
    pub malware_found: u64,
    /// Objects without a clean verdict: rejected as `not_scanned` (also counted in `rejected`), or
    /// backfilled without a clean tag.
    pub not_scanned: u64,
    /// Bytes downloaded.
    pub input_bytes: u64,
    /// Bytes written as renditions.
    pub output_bytes: u64,
    /// Wall time per object, milliseconds.
    pub durations_ms: Vec<f64>,
}

impl Metrics {
    /// Counts one object.
    pub fn add(&mut self, report: &Report) {
        self.input_bytes += report.stats.input_bytes;
        self.output_bytes += report.stats.output_bytes;
        self.durations_ms
            .push(report.stats.elapsed.as_secs_f64() * 1000.0);
        match &report.outcome {
            Outcome::Processed => self.processed += 1,
            Outcome::UpToDate => self.up_to_date += 1,
            Outcome::Rejected { reason, .. } => {
                match reason.as_str() {
                    scan::MALWARE => self.malware_found += 1,
                    scan::NOT_SCANNED => self.not_scanned += 1,
                    _ => {}
                }
                *self.rejected.entry(reason.clone()).or_default() += 1;
            }
            Outcome::Skipped(_) => self.skipped += 1,
            Outcome::NotScanned(_) => self.not_scanned += 1,
            Outcome::Failed(_) => self.failed += 1,
        }
    }

    /// The EMF documents, one JSON line each.
    pub fn emf_lines(&self, function_name: &str) -> Vec<String> {
        let rejected: u64 = self.rejected.values().sum();
        let mut lines = vec![json!({
            "_aws": aws(json!(["FunctionName"]), json!([
                {"Name": "Processed", "Unit": "Count"},
                {"Name": "UpToDate", "Unit": "Count"},
                {"Name": "Rejected", "Unit": "Count"},
                {"Name": "Failed", "Unit": "Count"},
                {"Name": "Skipped", "Unit": "Count"},
                {"Name": "MalwareFound", "Unit": "Count"},
                {"Name": "NotScanned", "Unit": "Count"},
                {"Name": "InputBytes", "Unit": "Bytes"},
                {"Name": "OutputBytes", "Unit": "Bytes"},
                {"Name": "Duration", "Unit": "Milliseconds"},
            ])),
            "FunctionName": function_name,
            "Processed": self.processed,
            "UpToDate": self.up_to_date,
            "Rejected": rejected,
            "Failed": self.failed,
            "Skipped": self.skipped,
            "MalwareFound": self.malware_found,
            "NotScanned": self.not_scanned,
            "InputBytes": self.input_bytes,
            "OutputBytes": self.output_bytes,
            // EMF takes at most 100 values per metric.
            "Duration": self.durations_ms.iter().take(100).copied().collect::<Vec<_>>(),
        })
        .to_string()];
        for (reason, n) in &self.rejected {
            lines.push(
                json!({
                    "_aws": aws(json!(["FunctionName", "Reason"]), json!([{"Name": "Rejected", "Unit": "Count"}])),
                    "FunctionName": function_name,
                    "Reason": reason,
                    "Rejected": n,
                })
                .to_string(),
            );
        }
        lines
    }

    /// Prints the EMF documents to stdout, each as one line.
    pub fn emit(&self, function_name: &str) {
        print_lines(self.emf_lines(function_name));
    }
}

/// The cold start's EMF document: `SandboxAvailable` (1 when HEIC and AVIF decode in the confined
/// child here, else 0), with the formats that decode as a property, so the first deploy on a new
/// platform shows whether Lambda allowed the seccomp filter.
pub fn capabilities_line(function_name: &str, here: &imgkit::Capabilities) -> String {
    let names = |formats: &[imgkit::Format]| formats.iter().map(|f| f.name()).collect::<Vec<_>>();
    json!({
        "_aws": aws(json!(["FunctionName"]), json!([{"Name": "SandboxAvailable", "Unit": "Count"}])),
        "FunctionName": function_name,
        "SandboxAvailable": u8::from(here.sandbox.is_ok()),
        "Decodes": names(&here.decodes),
        "Encodes": names(&here.encodes),
    })
    .to_string()
}

/// Prints EMF documents to stdout, one a line.
pub fn print_lines(lines: impl IntoIterator<Item = String>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
}

/// The `_aws` envelope of one EMF document in [`NAMESPACE`], stamped now.
fn aws(dimensions: Value, metrics: Value) -> Value {
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    json!({"Timestamp": ts, "CloudWatchMetrics": [{
        "Namespace": NAMESPACE, "Dimensions": [dimensions], "Metrics": metrics,
    }]})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_shape() {
        let mut m = Metrics {
            processed: 2,
            failed: 1,
            input_bytes: 10,
            output_bytes: 5,
            durations_ms: vec![1.0, 2.5],
            ..Metrics::default()
        };
        m.rejected.insert("malformed".into(), 3);
        let lines = m.emf_lines("fn");
        assert_eq!(lines.len(), 2);
        let main: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(main["_aws"]["CloudWatchMetrics"][0]["Namespace"], "imgkit");
        assert_eq!(main["Rejected"], 3);
        assert_eq!(main["Duration"], json!([1.0, 2.5]));
        let by_reason: Value = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!(by_reason["Reason"], "malformed");
        assert_eq!(
            by_reason["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0],
            json!(["FunctionName", "Reason"])
        );
    }

    #[test]
    fn scan_verdicts_have_metrics_of_their_own() {
        let mut m = Metrics::default();
        let report = |outcome| Report {
            outcome,
            stats: crate::outcome::Stats::default(),
        };
        let rejected = |reason: &str| Outcome::Rejected {
            reason: reason.into(),
            detail: String::new(),
        };
        m.add(&report(rejected(scan::MALWARE)));
        m.add(&report(rejected(scan::NOT_SCANNED)));
        m.add(&report(rejected("malformed")));
        m.add(&report(Outcome::NotScanned("no tag".into())));
        let main: Value = serde_json::from_str(&m.emf_lines("fn")[0]).unwrap();
        assert_eq!(
            (&main["MalwareFound"], &main["NotScanned"], &main["Rejected"]),
            (&json!(1), &json!(2), &json!(3))
        );
    }

    /// A test process does not serve the sandbox: the metric says 0 and HEIC is not listed.
    #[test]
    fn capabilities_shape() {
        let line: Value = serde_json::from_str(&capabilities_line("fn", &imgkit::capabilities())).unwrap();
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"],
            "SandboxAvailable"
        );
        assert_eq!(line["SandboxAvailable"], 0);
        let decodes = line["Decodes"].as_array().unwrap();
        assert!(
            decodes.contains(&json!("jpeg")) && !decodes.contains(&json!("heic")),
            "{line}"
        );
    }
}
