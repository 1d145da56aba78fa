//! The function's configuration: environment variables, read once at cold start into a typed, validated
//! [`Settings`]. Every variable this module reads is listed in [`ENV_VARS`]; nothing else is read here
//! (`AWS_*`, `AWS_LAMBDA_*` and `RUST_LOG` belong to the runtime and the SDK).

use std::num::NonZeroUsize;
use std::time::Duration;

use imgkit::{Limits, Rendition};
use imgkit_sizing::capacity::Capacity;

use crate::keys;
use crate::scan::Scanning;

/// Every environment variable [`Settings::from_env`] reads, and nothing else.
pub const ENV_VARS: &[&str] = &[
    "IMGKIT_OUTPUT_BUCKET",
    "IMGKIT_OUTPUT_PREFIX",
    "IMGKIT_SOURCE_PREFIX",
    "IMGKIT_RENDITIONS",
    "IMGKIT_CACHE_CONTROL",
    "IMGKIT_CONCURRENCY",
    "IMGKIT_MAX_INPUT_BYTES",
    "IMGKIT_MAX_PIXELS",
    "IMGKIT_S3_FORCE_PATH_STYLE",
    "IMGKIT_FUNCTION_TIMEOUT",
    "IMGKIT_MALWARE_SCANNING",
];

/// `Cache-Control` written on every rendition unless `IMGKIT_CACHE_CONTROL` says otherwise: the keys are
/// deterministic and a changed source gets a new ETag in the metadata, not a new key, so callers that
/// need invalidation should version their source keys.
pub const DEFAULT_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// The function's `Timeout` assumed when `IMGKIT_FUNCTION_TIMEOUT` is unset (Lambda's own default is 3 s,
/// which no image workload uses; the template always sets the variable).
pub const DEFAULT_FUNCTION_TIMEOUT: Duration = Duration::from_secs(30);

/// Lambda's longest `Timeout`.
const MAX_FUNCTION_TIMEOUT_SECS: u64 = 900;

/// Highest accepted `IMGKIT_CONCURRENCY`.
const MAX_CONCURRENCY: usize = 64;

/// A configuration error, naming the variable and what is wrong with its value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {message}")]
pub struct SettingsError {
    /// The environment variable.
    pub var: &'static str,
    /// What is wrong, with the offending value.
    pub message: String,
}

fn err(var: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError {
        var,
        message: message.into(),
    }
}

/// The validated configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Bucket the renditions and rejection records are written to (`IMGKIT_OUTPUT_BUCKET`, required).
    pub output_bucket: String,
    /// Key prefix of everything written, without leading or trailing `/` (`IMGKIT_OUTPUT_PREFIX`, default
    /// empty).
    pub output_prefix: String,
    /// Only source keys starting with this are processed; others are skipped (`IMGKIT_SOURCE_PREFIX`,
    /// default empty: all keys).
    pub source_prefix: String,
    /// The renditions made of every input, in order (`IMGKIT_RENDITIONS`, required,
    /// `name=spec;name=spec`).
    pub renditions: Vec<Rendition>,
    /// `Cache-Control` of every rendition (`IMGKIT_CACHE_CONTROL`).
    pub cache_control: String,
    /// Explicit number of images processed at once (`IMGKIT_CONCURRENCY`, 1-64); `None` derives it from
    /// the function's memory, see [`Settings::concurrency`].
    pub concurrency: Option<NonZeroUsize>,
    /// The core's limits, with `IMGKIT_MAX_INPUT_BYTES` and `IMGKIT_MAX_PIXELS` applied.
    pub limits: Limits,
    /// Path-style S3 addressing, for S3-compatible servers on loopback (`IMGKIT_S3_FORCE_PATH_STYLE`).
    pub force_path_style: bool,
    /// The function's `Timeout` (`IMGKIT_FUNCTION_TIMEOUT`, seconds, 1-900; the template sets it from the
    /// same parameter), from which the S3 timeouts are derived: see [`S3Timeouts`].
    pub function_timeout: Duration,
    /// Whether uploads are processed only once GuardDuty found them clean (`IMGKIT_MALWARE_SCANNING`,
    /// `off` or `guardduty`, default `off`; the template sets it from its `MalwareScanning` parameter).
    pub malware_scanning: Scanning,
}

/// Bounds on every S3 call, derived from the function's `Timeout` T so that one hung connection fails
/// its own record (retried) long before the invocation times out and takes the whole batch with it.
///
/// | bound | value |
/// |---|---|
/// | connect | min(2 s, T / 10) |
/// | first response byte, and each later body chunk | min(5 s, T / 6) |
/// | one attempt | T / 6 |
/// | attempts | 2 (one retry, standard backoff) |
/// | one operation, retries included (and one whole download) | T / 3 |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct S3Timeouts {
    /// TCP and TLS connection set-up.
    pub connect: Duration,
    /// Wait for the first byte of a response, and between body chunks.
    pub read: Duration,
    /// One attempt of an operation.
    pub attempt: Duration,
    /// Attempts per operation, the first included.
    pub max_attempts: u32,
    /// One operation, all attempts included; also bounds a whole download.
    pub operation: Duration,
}

impl S3Timeouts {
    /// The bounds for a function whose `Timeout` is `function_timeout`.
    pub fn for_function_timeout(function_timeout: Duration) -> S3Timeouts {
        let t = function_timeout;
        S3Timeouts {
            connect: Duration::from_secs(2).min(t / 10),
            read: Duration::from_secs(5).min(t / 6),
            attempt: t / 6,
            max_attempts: 2,
            operation: t / 3,
        }
    }
}

impl Settings {
    /// Reads and validates the process environment.
    pub fn from_env() -> Result<Settings, SettingsError> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads and validates settings through `lookup` (the environment, or a map in tests). Only names in
    /// [`ENV_VARS`] are ever looked up. Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let get = |name: &'static str| -> Option<String> {
            debug_assert!(ENV_VARS.contains(&name), "{name} missing from ENV_VARS");
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        let output_bucket =
            get("IMGKIT_OUTPUT_BUCKET").ok_or_else(|| err("IMGKIT_OUTPUT_BUCKET", "is required"))?;
        validate_bucket(&output_bucket).map_err(|m| err("IMGKIT_OUTPUT_BUCKET", m))?;
        let output_prefix = prefix("IMGKIT_OUTPUT_PREFIX", get("IMGKIT_OUTPUT_PREFIX"))?;
        let source_prefix = get("IMGKIT_SOURCE_PREFIX").unwrap_or_default();
        if source_prefix.starts_with('/') {
            return Err(err(
                "IMGKIT_SOURCE_PREFIX",
                format!("S3 keys do not start with '/', got {source_prefix:?}"),
            ));
        }

        let renditions_raw = get("IMGKIT_RENDITIONS").ok_or_else(|| {
            err(
                "IMGKIT_RENDITIONS",
                "is required, e.g. thumb=200x200,cover,webp;medium=800w,inside,jpeg:82",
            )
        })?;
        let renditions =
            Rendition::parse_list(&renditions_raw).map_err(|e| err("IMGKIT_RENDITIONS", e.to_string()))?;
        if let Some(r) = renditions
            .iter()
            .find(|r| keys::RESERVED_FOLDERS.contains(&r.name.as_str()))
        {
            return Err(err(
                "IMGKIT_RENDITIONS",
                format!(
                    "rendition name {:?} is reserved (reserved: {})",
                    r.name,
                    keys::RESERVED_FOLDERS.join(", ")
                ),
            ));
        }
        keys::check_prefix(&output_prefix, renditions.iter().map(|r| r.name.as_str()))
            .map_err(|m| err("IMGKIT_OUTPUT_PREFIX", m))?;

        let cache_control = get("IMGKIT_CACHE_CONTROL").unwrap_or_else(|| DEFAULT_CACHE_CONTROL.to_string());
        if !cache_control.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
            return Err(err(
                "IMGKIT_CACHE_CONTROL",
                format!("must be printable ASCII (an HTTP header value), got {cache_control:?}"),
            ));
        }

        let concurrency = match get("IMGKIT_CONCURRENCY") {
            None => None,
            Some(v) => {
                let n: usize = number("IMGKIT_CONCURRENCY", &v)?;
                if !(1..=MAX_CONCURRENCY).contains(&n) {
                    return Err(err(
                        "IMGKIT_CONCURRENCY",
                        format!("must be 1..={MAX_CONCURRENCY}, got {n}"),
                    ));
                }
                NonZeroUsize::new(n)
            }
        };

        let mut limits = Limits::default();
        if let Some(v) = get("IMGKIT_MAX_INPUT_BYTES") {
            limits.max_input_bytes = positive("IMGKIT_MAX_INPUT_BYTES", &v)?;
        }
        if let Some(v) = get("IMGKIT_MAX_PIXELS") {
            limits.max_pixels = positive("IMGKIT_MAX_PIXELS", &v)?;
        }

        let force_path_style = match get("IMGKIT_S3_FORCE_PATH_STYLE").as_deref() {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => true,
            Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => false,
            Some(v) => {
                return Err(err(
                    "IMGKIT_S3_FORCE_PATH_STYLE",
                    format!("must be true or false, got {v:?}"),
                ))
            }
        };

        let function_timeout = match get("IMGKIT_FUNCTION_TIMEOUT") {
            None => DEFAULT_FUNCTION_TIMEOUT,
            Some(v) => {
                let secs = positive("IMGKIT_FUNCTION_TIMEOUT", &v)?;
                if secs > MAX_FUNCTION_TIMEOUT_SECS {
                    return Err(err(
                        "IMGKIT_FUNCTION_TIMEOUT",
                        format!("must be 1..={MAX_FUNCTION_TIMEOUT_SECS} seconds, got {secs}"),
                    ));
                }
                Duration::from_secs(secs)
            }
        };

        let malware_scanning = match get("IMGKIT_MALWARE_SCANNING") {
            None => Scanning::Off,
            Some(v) => Scanning::parse(&v).map_err(|m| err("IMGKIT_MALWARE_SCANNING", m))?,
        };

        Ok(Settings {
            output_bucket,
            output_prefix,
            source_prefix,
            renditions,
            cache_control,
            concurrency,
            limits,
            force_path_style,
            function_timeout,
            malware_scanning,
        })
    }

    /// The bounds on S3 calls, from [`Settings::function_timeout`].
    pub fn s3_timeouts(&self) -> S3Timeouts {
        S3Timeouts::for_function_timeout(self.function_timeout)
    }

    /// Images processed at once: `IMGKIT_CONCURRENCY` if set, else the capacity model's images in flight
    /// (min(cores, ceil(memory MB / 1769)), at least one: [`Capacity`], the model `imgkit sizing` budgets
    /// memory with). `memory_mb` is the function's memory (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, read by the
    /// caller: it belongs to the runtime); `cores` the visible cores, which on Lambda exceed the CPU share.
    pub fn concurrency(&self, memory_mb: Option<u64>, cores: usize) -> usize {
        match (self.concurrency, memory_mb) {
            (Some(n), _) => n.get(),
            (None, Some(mb)) => Capacity::of(mb, Some(cores)).images_in_flight,
            (None, None) => cores.max(1),
        }
    }

    /// Why writing the outputs of `bucket`/`key` would feed the function its own output, if it would:
    /// the source bucket is the output bucket and the source area (`IMGKIT_SOURCE_PREFIX`) overlaps the
    /// output area (`IMGKIT_OUTPUT_PREFIX/`), or the key itself lies in the output area.
    pub fn recursion(&self, bucket: &str, key: &str) -> Option<String> {
        if bucket != self.output_bucket {
            return None;
        }
        let out_area = if self.output_prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.output_prefix)
        };
        let src = &self.source_prefix;
        if key.starts_with(&out_area) {
            return Some(format!(
                "source s3://{bucket}/{key} lies under the output prefix {out_area:?} of the output bucket"
            ));
        }
        if out_area.starts_with(src.as_str()) || src.starts_with(&out_area) {
            return Some(format!(
                "output area s3://{bucket}/{out_area} overlaps the source area s3://{bucket}/{src}"
            ));
        }
        None
    }

    /// The specs of [`Settings::renditions`], in order, for `process_many`.
    pub fn specs(&self) -> Vec<imgkit::Spec> {
        self.renditions.iter().map(|r| r.spec).collect()
    }
}

fn prefix(var: &'static str, value: Option<String>) -> Result<String, SettingsError> {
    let v = value.unwrap_or_default();
    let trimmed = v.trim_matches('/');
    if trimmed.split('/').any(|seg| seg == "." || seg == "..") || trimmed.contains("//") {
        return Err(err(
            var,
            format!("must not contain '.', '..' or empty segments, got {v:?}"),
        ));
    }
    Ok(trimmed.to_string())
}

fn validate_bucket(name: &str) -> Result<(), String> {
    let ok = (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "must be an S3 bucket name (3-63 of a-z 0-9 . -), got {name:?}"
        ))
    }
}

fn number<T: std::str::FromStr>(var: &'static str, v: &str) -> Result<T, SettingsError> {
    v.parse()
        .map_err(|_| err(var, format!("must be a whole number, got {v:?}")))
}

fn positive(var: &'static str, v: &str) -> Result<u64, SettingsError> {
    let n: u64 = number(var, v)?;
    if n == 0 {
        return Err(err(var, "must be greater than 0"));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    const BASE: [(&str, &str); 2] = [
        ("IMGKIT_OUTPUT_BUCKET", "processed-bucket"),
        (
            "IMGKIT_RENDITIONS",
            "thumb=200x200,cover,webp;medium=800w,inside,jpeg:82",
        ),
    ];

    #[test]
    fn defaults() {
        let s = parse(&BASE).unwrap();
        assert_eq!(s.output_prefix, "");
        assert_eq!(s.source_prefix, "");
        assert_eq!(s.renditions.len(), 2);
        assert_eq!(s.renditions[1].name, "medium");
        assert_eq!(s.cache_control, DEFAULT_CACHE_CONTROL);
        assert_eq!(s.limits, Limits::default());
        assert!(!s.force_path_style);
        assert_eq!(s.concurrency, None);
        assert_eq!(s.malware_scanning, Scanning::Off);
    }

    #[test]
    fn overrides() {
        let mut vars = BASE.to_vec();
        vars.extend([
            ("IMGKIT_OUTPUT_PREFIX", "/thumbs/"),
            ("IMGKIT_SOURCE_PREFIX", "uploads/"),
            ("IMGKIT_CACHE_CONTROL", "max-age=60"),
            ("IMGKIT_CONCURRENCY", "3"),
            ("IMGKIT_MAX_INPUT_BYTES", "1000"),
            ("IMGKIT_MAX_PIXELS", "2000"),
            ("IMGKIT_S3_FORCE_PATH_STYLE", "true"),
            ("IMGKIT_MALWARE_SCANNING", "guardduty"),
        ]);
        let s = parse(&vars).unwrap();
        assert_eq!(s.malware_scanning, Scanning::GuardDuty);
        assert_eq!(s.output_prefix, "thumbs");
        assert_eq!(s.source_prefix, "uploads/");
        assert_eq!(s.cache_control, "max-age=60");
        assert_eq!(s.concurrency(Some(10240), 8), 3);
        assert_eq!(s.limits.max_input_bytes, 1000);
        assert_eq!(s.limits.max_pixels, 2000);
        assert!(s.force_path_style);
    }

    #[test]
    fn errors_name_the_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("IMGKIT_RENDITIONS", "t=100")], "IMGKIT_OUTPUT_BUCKET"),
            (&[("IMGKIT_OUTPUT_BUCKET", "b-b-b")], "IMGKIT_RENDITIONS"),
            (
                &[
                    ("IMGKIT_OUTPUT_BUCKET", "Bad_Bucket"),
                    ("IMGKIT_RENDITIONS", "t=100"),
                ],
                "IMGKIT_OUTPUT_BUCKET",
            ),
            (
                &[("IMGKIT_OUTPUT_BUCKET", "bbb"), ("IMGKIT_RENDITIONS", "t=0")],
                "IMGKIT_RENDITIONS",
            ),
            (
                &[
                    ("IMGKIT_OUTPUT_BUCKET", "bbb"),
                    ("IMGKIT_RENDITIONS", "long-keys=100"),
                ],
                "IMGKIT_RENDITIONS",
            ),
            (
                &[("IMGKIT_OUTPUT_BUCKET", "bbb"), ("IMGKIT_RENDITIONS", "t=1;t=2")],
                "IMGKIT_RENDITIONS",
            ),
        ];
        for (vars, var) in cases {
            assert_eq!(parse(vars).unwrap_err().var, *var, "{vars:?}");
        }
        for (var, value) in [
            ("IMGKIT_CONCURRENCY", "0"),
            ("IMGKIT_CONCURRENCY", "many"),
            ("IMGKIT_MAX_INPUT_BYTES", "0"),
            ("IMGKIT_MAX_PIXELS", "-5"),
            ("IMGKIT_S3_FORCE_PATH_STYLE", "yes please"),
            ("IMGKIT_OUTPUT_PREFIX", "a/../b"),
            ("IMGKIT_CACHE_CONTROL", "max-age=1\r\nX-Evil: 1"),
            ("IMGKIT_MALWARE_SCANNING", "clamav"),
        ] {
            let mut vars = BASE.to_vec();
            vars.push((var, value));
            let e = parse(&vars).unwrap_err();
            assert_eq!(e.var, var, "{value:?}: {e}");
        }
    }

    #[test]
    fn concurrency_from_memory() {
        let s = parse(&BASE).unwrap();
        assert_eq!(s.concurrency(Some(128), 2), 1);
        assert_eq!(s.concurrency(Some(1769), 2), 1);
        assert_eq!(s.concurrency(Some(1770), 2), 2);
        assert_eq!(s.concurrency(Some(10240), 6), 6);
        assert_eq!(s.concurrency(Some(10240), 2), 2);
        assert_eq!(s.concurrency(None, 4), 4);
    }

    /// Sizing budgets memory per image in flight; the function must run exactly as many. Both take them
    /// from the one capacity model (sizing once assumed floor(vCPU), one image at 1770 MB, where the
    /// function runs two).
    #[test]
    fn sizing_budgets_memory_for_exactly_the_images_the_function_runs() {
        let s = parse(&BASE).unwrap();
        let model = imgkit_sizing::model::Model {
            baseline_mb: 100.0,
            peak_mb_per_image: 100.0,
            ms_per_image: 100.0,
            batch_size: 10,
            safety: 1.0,
            latency_target_ms: 1e9,
        };
        for mb in [1770, 3538, 5307] {
            let runs = s.concurrency(Some(u64::from(mb)), imgkit_sizing::capacity::MAX_CORES);
            let row = model.row(mb);
            assert_eq!(row.in_flight as usize, runs, "{mb} MB");
            assert!(
                (row.needed_mb - (100.0 + runs as f64 * 100.0)).abs() < 1e-9,
                "{mb} MB"
            );
        }
    }

    #[test]
    fn only_listed_variables_are_read() {
        let seen = std::cell::RefCell::new(Vec::new());
        let _ = Settings::from_lookup(|k| {
            seen.borrow_mut().push(k.to_string());
            None
        });
        let mut vars = BASE.to_vec();
        vars.push(("IMGKIT_CONCURRENCY", "2"));
        let map: HashMap<&str, &str> = vars.into_iter().collect();
        let _ = Settings::from_lookup(|k| {
            seen.borrow_mut().push(k.to_string());
            map.get(k).map(|v| v.to_string())
        });
        for k in seen.into_inner() {
            assert!(ENV_VARS.contains(&k.as_str()), "{k} read but not listed");
        }
    }

    fn areas(out_bucket: &str, out_prefix: &str, src_prefix: &str) -> Settings {
        let mut vars = vec![
            ("IMGKIT_OUTPUT_BUCKET", out_bucket),
            ("IMGKIT_SOURCE_PREFIX", src_prefix),
            ("IMGKIT_RENDITIONS", "t=10"),
        ];
        vars.push(("IMGKIT_OUTPUT_PREFIX", out_prefix));
        parse(&vars).unwrap()
    }

    #[test]
    fn recursion_guard() {
        // Different buckets: always fine.
        assert!(areas("out-b", "", "").recursion("in-b", "x.jpg").is_none());
        // Same bucket, everything is source: refused.
        assert!(areas("same", "thumbs", "").recursion("same", "x.jpg").is_some());
        assert!(areas("same", "", "uploads/")
            .recursion("same", "uploads/x.jpg")
            .is_some());
        // Same bucket, disjoint areas: fine; a key in the output area: refused.
        let s = areas("same", "thumbs", "uploads/");
        assert!(s.recursion("same", "uploads/x.jpg").is_none());
        assert!(s.recursion("same", "thumbs/t/x.jpg").is_some());
        // Output area inside the source area: refused.
        assert!(areas("same", "uploads/thumbs", "uploads/")
            .recursion("same", "uploads/x.jpg")
            .is_some());
    }

    #[test]
    fn reserved_names_and_over_long_prefixes_are_refused_at_cold_start() {
        for name in keys::RESERVED_FOLDERS {
            let renditions = format!("{name}=100");
            let e = parse(&[
                ("IMGKIT_OUTPUT_BUCKET", "bbb"),
                ("IMGKIT_RENDITIONS", &renditions),
            ])
            .unwrap_err();
            assert_eq!(e.var, "IMGKIT_RENDITIONS");
        }
        let long = "p".repeat(1000);
        let e = parse(&[
            ("IMGKIT_OUTPUT_BUCKET", "bbb"),
            ("IMGKIT_RENDITIONS", "t=100"),
            ("IMGKIT_OUTPUT_PREFIX", &long),
        ])
        .unwrap_err();
        assert_eq!(e.var, "IMGKIT_OUTPUT_PREFIX", "{e}");
    }

    #[test]
    fn s3_timeouts_follow_the_function_timeout() {
        let mut vars = BASE.to_vec();
        vars.push(("IMGKIT_FUNCTION_TIMEOUT", "29"));
        let t = parse(&vars).unwrap().s3_timeouts();
        assert_eq!(t.connect, Duration::from_secs(2));
        assert_eq!(t.read, Duration::from_secs(29) / 6);
        assert_eq!(t.operation, Duration::from_secs(29) / 3);
        // Every attempt plus the backoff between them fits in the operation bound, which leaves two
        // thirds of the invocation to the rest of the batch.
        assert!(t.attempt * t.max_attempts <= t.operation);
        assert_eq!(parse(&BASE).unwrap().function_timeout, DEFAULT_FUNCTION_TIMEOUT);
        for bad in ["0", "901", "soon"] {
            let mut vars = BASE.to_vec();
            vars.push(("IMGKIT_FUNCTION_TIMEOUT", bad));
            assert_eq!(parse(&vars).unwrap_err().var, "IMGKIT_FUNCTION_TIMEOUT");
        }
    }
}
