//! The Lambda function (`bootstrap` for the `provided.al2023` runtime).
#![forbid(unsafe_code)]

use std::sync::Arc;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use imgkit_lambda::{App, S3Store, Settings};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

fn main() -> Result<(), lambda_runtime::Error> {
    // Before any thread exists: in the decoding sandbox's child (HEIC, AVIF) this decodes and exits.
    imgkit::serve_sandbox_if_child();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), lambda_runtime::Error> {
    imgkit_lambda::init_logging();
    let mut settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "invalid configuration");
            return Err(e.into());
        }
    };
    // The runtime's own variables: memory decides the default concurrency.
    let memory_mb = std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        .ok()
        .and_then(|v| v.parse::<u64>().ok());
    let function_name = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "imgkit".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let concurrency = settings.concurrency(memory_mb, cores);
    let here = imgkit::capabilities();
    if here.sandbox.is_err() {
        // Refused at the first bytes as unsupported_format, rather than blamed on each upload when its
        // decoding child cannot start or confine itself here; the reason is in this line and the metric.
        let formats = settings.limits.allowed_formats;
        settings.limits.allowed_formats = formats
            .without(imgkit::Format::Heic)
            .without(imgkit::Format::Avif);
    }
    let names = |formats: &[imgkit::Format]| formats.iter().map(|f| f.name()).collect::<Vec<_>>().join(",");
    tracing::info!(
        concurrency,
        memory_mb,
        cores,
        output_bucket = %settings.output_bucket,
        output_prefix = %settings.output_prefix,
        source_prefix = %settings.source_prefix,
        renditions = settings.renditions.len(),
        decodes = %names(&here.decodes),
        encodes = %names(&here.encodes),
        sandbox = %here.sandbox.as_ref().map_or_else(|why| why.as_str(), |()| "ok"),
        "cold start"
    );
    imgkit_lambda::metrics::print_lines([imgkit_lambda::metrics::capabilities_line(&function_name, &here)]);
    let store = S3Store::from_env(settings.s3_timeouts(), settings.force_path_style).await;
    let app = Arc::new(App::new(settings, store, concurrency, function_name));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let app = Arc::clone(&app);
        async move {
            let deadline = instant_of(event.context.deadline);
            app.handle(event.payload, &event.context.request_id, Some(deadline))
                .await
                .map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}

/// The invocation deadline (milliseconds since the epoch, from the Runtime API) as an `Instant`.
fn instant_of(deadline_ms: u64) -> Instant {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    Instant::now() + Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}
