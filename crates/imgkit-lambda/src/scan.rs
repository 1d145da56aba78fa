//! What Amazon GuardDuty Malware Protection for S3 said of an object, and what that means for it: only
//! an object version GuardDuty found clean is ever downloaded; every other verdict ends in a rejection
//! record (`malware` or `not_scanned`), so no upload is left without an outcome.
//!
//! The verdict comes from the scan-result event (the function trusts the event, not the object's tag,
//! which the bucket policy also guards), or, for a backfill of objects no event announces, from the
//! `GuardDutyMalwareScanStatus` tag GuardDuty wrote.
//! <https://docs.aws.amazon.com/guardduty/latest/ug/monitoring-malware-protection-s3-scans-gdu.html>

use std::collections::BTreeMap;
use std::fmt;

/// The object tag GuardDuty writes when the plan's tagging action is enabled; it holds a
/// `scanResultStatus` value.
pub const TAG_KEY: &str = "GuardDutyMalwareScanStatus";

/// The `scanResultStatus` (and tag value) of a clean object.
pub const NO_THREATS_FOUND: &str = "NO_THREATS_FOUND";

/// Rejection reason of an object GuardDuty found threats in.
pub const MALWARE: &str = "malware";

/// Rejection reason of an object GuardDuty did not find clean for any other reason (unsupported, access
/// denied, failed, skipped).
pub const NOT_SCANNED: &str = "not_scanned";

/// Whether uploads must be scanned before they are processed (`IMGKIT_MALWARE_SCANNING`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scanning {
    /// Uploads are processed from their "Object Created" events, unscanned.
    #[default]
    Off,
    /// Uploads are processed only from GuardDuty's scan results; an object no result names (a
    /// backfill) is processed only if its tag says `NO_THREATS_FOUND`.
    GuardDuty,
}

impl Scanning {
    /// `off` or `guardduty`, as `IMGKIT_MALWARE_SCANNING` spells it.
    pub fn parse(value: &str) -> Result<Scanning, String> {
        match value.to_ascii_lowercase().as_str() {
            "off" => Ok(Scanning::Off),
            "guardduty" => Ok(Scanning::GuardDuty),
            other => Err(format!("is \"off\" or \"guardduty\", got {other:?}")),
        }
    }
}

/// GuardDuty's verdict on one object version.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// `scanStatus` `COMPLETED` and `scanResultStatus` `NO_THREATS_FOUND`: the version may be processed.
    Clean,
    /// `THREATS_FOUND`, with the names of the threats.
    Threats(Vec<String>),
    /// Anything else: what GuardDuty said, e.g. `scanStatus COMPLETED, scanResultStatus UNSUPPORTED`.
    NotScanned(String),
}

impl Verdict {
    /// The verdict of a scan-result event's `scanStatus`, `scanResultStatus` and threat names.
    pub fn from_result(scan_status: &str, result: Option<&str>, threats: Vec<String>) -> Verdict {
        match (scan_status, result) {
            ("COMPLETED", Some(NO_THREATS_FOUND)) => Verdict::Clean,
            ("COMPLETED", Some("THREATS_FOUND")) => Verdict::Threats(threats),
            (status, result) => Verdict::NotScanned(format!(
                "scanStatus {status}, scanResultStatus {}",
                result.unwrap_or("absent")
            )),
        }
    }

    /// The verdict an object's tags carry (a backfill's only evidence).
    pub fn from_tags(tags: &BTreeMap<String, String>) -> Verdict {
        match tags.get(TAG_KEY).map(String::as_str) {
            Some(NO_THREATS_FOUND) => Verdict::Clean,
            Some(value) => Verdict::NotScanned(format!("tag {TAG_KEY}={value}")),
            None => Verdict::NotScanned(format!("no {TAG_KEY} tag")),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Clean => f.write_str(NO_THREATS_FOUND),
            Verdict::Threats(names) if names.is_empty() => f.write_str("THREATS_FOUND"),
            Verdict::Threats(names) => write!(f, "THREATS_FOUND: {}", names.join(", ")),
            Verdict::NotScanned(what) => f.write_str(what),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_completed_scan_without_threats_is_clean() {
        assert_eq!(
            Verdict::from_result("COMPLETED", Some("NO_THREATS_FOUND"), vec![]),
            Verdict::Clean
        );
        assert_eq!(
            Verdict::from_result("COMPLETED", Some("THREATS_FOUND"), vec!["EICAR".into()]),
            Verdict::Threats(vec!["EICAR".into()])
        );
        for (status, result) in [
            ("COMPLETED", Some("UNSUPPORTED")),
            ("COMPLETED", Some("ACCESS_DENIED")),
            ("COMPLETED", Some("FAILED")),
            ("COMPLETED", None),
            ("SKIPPED", Some("NO_THREATS_FOUND")),
            ("FAILED", None),
        ] {
            assert!(
                matches!(
                    Verdict::from_result(status, result, vec![]),
                    Verdict::NotScanned(_)
                ),
                "{status} {result:?}"
            );
        }
    }

    #[test]
    fn only_the_clean_tag_value_is_clean() {
        let tags = |v: &str| BTreeMap::from([(TAG_KEY.to_string(), v.to_string())]);
        assert_eq!(Verdict::from_tags(&tags("NO_THREATS_FOUND")), Verdict::Clean);
        assert_eq!(
            Verdict::from_tags(&tags("THREATS_FOUND")).to_string(),
            "tag GuardDutyMalwareScanStatus=THREATS_FOUND"
        );
        assert_eq!(
            Verdict::from_tags(&BTreeMap::new()).to_string(),
            "no GuardDutyMalwareScanStatus tag"
        );
        assert!(Scanning::parse("GuardDuty").is_ok() && Scanning::parse("clamav").is_err());
    }
}
