//! # imgkit-lambda
//!
//! The AWS Lambda adapter of [`imgkit`]: S3 "object created" events in (EventBridge through SQS, plain S3
//! notifications, S3 Batch Operations), renditions out to another bucket. It holds no image logic of its
//! own; every byte and pixel goes through [`imgkit::Processor::process_many`].
//!
//! Per object: HEAD (reject over `max_input_bytes` without downloading) → GET with a byte cap → one
//! decode, every rendition (on a blocking thread, bounded) → PUT each rendition under a deterministic
//! key. Input faults ([`imgkit::Class::Rejected`]) are recorded as JSON under `rejected/` in the output
//! bucket and acknowledged; everything else is reported for retry.
#![forbid(unsafe_code)]

pub mod event;
pub mod handler;
pub mod keys;
pub mod metrics;
pub mod settings;

pub use handler::{App, HandlerError, Outcome};
pub use settings::{Settings, SettingsError, ENV_VARS};

/// Builds the S3 client from the standard AWS configuration chain (region, credentials,
/// `AWS_ENDPOINT_URL`), with path-style addressing when the settings ask for it.
pub async fn s3_client(settings: &Settings) -> aws_sdk_s3::Client {
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let config = aws_sdk_s3::config::Builder::from(&shared)
        .force_path_style(settings.force_path_style)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Installs the JSON log subscriber (stderr; `RUST_LOG` filters, default `info`). Span fields (request
/// id, bucket, key) are included in every event.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_writer(std::io::stderr)
        .try_init();
}
