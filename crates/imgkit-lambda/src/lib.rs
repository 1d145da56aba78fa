//! # imgkit-lambda
//!
//! The AWS Lambda adapter of [`imgkit`]: S3 "object created" events or, with malware scanning on,
//! GuardDuty's scan results in (EventBridge through SQS, plain S3 notifications, S3 Batch Operations),
//! renditions out to another bucket. It holds no image logic of its own; every byte and pixel goes
//! through [`imgkit::Processor::process_many`].
//!
//! Modules in the order an object meets them: [`settings`] (environment, read once) → [`event`] (payload
//! to objects, with [`scan`]'s verdict when the event is a scan result) → [`keys`] (every output key,
//! decided from the event) → `object` (the `Worker`: the per-object steps over an
//! [`store::ObjectStore`]: HEAD, the verdict, download with a cap and a sniff of the first bytes, render,
//! upload or reject) → [`outcome`] (how each object ended, and the answer) → [`metrics`]. [`app`] holds
//! the function's state and runs an invocation through them.
//!
//! Every object ends as processed (its renditions), rejected (its own rejection record, written before
//! the message is acknowledged; `malware` and `not_scanned` are rejections too), skipped (not an upload,
//! or a version replaced since its scan), not scanned (a backfilled object without a clean tag: a
//! permanent task failure) or failed (reported for retry).
#![forbid(unsafe_code)]

pub mod app;
pub mod event;
pub mod keys;
pub mod metrics;
mod object;
pub mod outcome;
pub mod scan;
pub mod settings;
pub mod store;

pub use app::{App, HandlerError};
pub use outcome::Outcome;
pub use settings::{Settings, SettingsError, ENV_VARS};
pub use store::{MemoryStore, ObjectStore, S3Store};

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
