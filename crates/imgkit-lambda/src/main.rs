//! The Lambda function (`bootstrap` for the `provided.al2023` runtime).
#![forbid(unsafe_code)]

use std::sync::Arc;

use imgkit_lambda::{App, Settings};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    imgkit_lambda::init_logging();
    let settings = match Settings::from_env() {
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
    tracing::info!(
        concurrency,
        memory_mb,
        cores,
        output_bucket = %settings.output_bucket,
        output_prefix = %settings.output_prefix,
        source_prefix = %settings.source_prefix,
        renditions = settings.renditions.len(),
        "cold start"
    );
    let s3 = imgkit_lambda::s3_client(&settings).await;
    let app = Arc::new(App::new(settings, s3, concurrency, function_name));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let app = Arc::clone(&app);
        async move {
            app.handle(event.payload, &event.context.request_id)
                .await
                .map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
