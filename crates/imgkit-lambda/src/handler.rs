//! One invocation: parse the event, process its objects concurrently with a bound, answer in the shape
//! the event source expects.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::event::s3::batch_job::{S3BatchJobResponse, S3BatchJobResult};
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use imgkit::{Class, Limit, Processor, Spec};
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::{info, warn, Instrument};

use crate::event::{self, Invocation, Item, Kind, ObjectRef};
use crate::keys;
use crate::metrics::Metrics;
use crate::settings::Settings;

/// What happened to one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// All renditions written.
    Processed,
    /// The input is at fault; acknowledged, never retried. `reason` is the core's error kind
    /// (`malformed`, `limit:max_width`, …).
    Rejected {
        /// Stable reason.
        reason: String,
        /// Human-readable message.
        message: String,
    },
    /// Outside `IMGKIT_SOURCE_PREFIX`: ignored.
    Skipped(String),
    /// Transient or configuration fault: reported for retry.
    Failed(String),
}

/// An invocation that must be retried as a whole (the plain S3 notification path has no partial
/// answer), or a payload the function does not understand.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HandlerError(pub String);

/// The function's state, built once at cold start and shared by all invocations.
pub struct App {
    settings: Settings,
    specs: Vec<Spec>,
    s3: Client,
    cpu: Arc<Semaphore>,
    in_flight: usize,
    function_name: String,
}

impl App {
    /// `concurrency` images are decoded and resized at once (on blocking threads); twice as many objects
    /// are in flight (HEAD, download, upload) so network waits overlap CPU work.
    pub fn new(settings: Settings, s3: Client, concurrency: usize, function_name: String) -> App {
        let concurrency = concurrency.max(1);
        App {
            specs: settings.specs(),
            settings,
            s3,
            cpu: Arc::new(Semaphore::new(concurrency)),
            in_flight: concurrency * 2,
            function_name,
        }
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Handles one invocation payload and returns the response payload.
    pub async fn handle(self: &Arc<Self>, payload: Value, request_id: &str) -> Result<Value, HandlerError> {
        let start = Instant::now();
        let invocation = event::parse(&payload).map_err(|e| {
            warn!(request_id, error = %e, "unrecognised event");
            HandlerError(format!("unrecognised event: {e}"))
        })?;
        let outcomes = self.run(&invocation, request_id).await;

        let mut metrics = Metrics::default();
        for o in outcomes.iter().flatten() {
            metrics.input_bytes += o.input_bytes;
            metrics.output_bytes += o.output_bytes;
            metrics.durations_ms.push(o.elapsed.as_secs_f64() * 1000.0);
            match &o.outcome {
                Outcome::Processed => metrics.processed += 1,
                Outcome::Rejected { reason, .. } => *metrics.rejected.entry(reason.clone()).or_default() += 1,
                Outcome::Skipped(_) => metrics.skipped += 1,
                Outcome::Failed(_) => metrics.failed += 1,
            }
        }
        for item in &invocation.items {
            if let Err(e) = &item.objects {
                metrics.failed += 1;
                warn!(request_id, item = %item.id, error = %e, outcome = "failed", "unreadable item");
            }
        }
        metrics.emit(&self.function_name);
        info!(
            request_id,
            items = invocation.items.len(),
            processed = metrics.processed,
            rejected = metrics.rejected.values().sum::<u64>(),
            failed = metrics.failed,
            skipped = metrics.skipped,
            duration_ms = start.elapsed().as_millis() as u64,
            "invocation done"
        );
        respond(&invocation, &outcomes)
    }

    /// Processes every object of every item; per item, the outcomes of its objects (empty when the item
    /// was unreadable).
    async fn run(self: &Arc<Self>, invocation: &Invocation, request_id: &str) -> Vec<Vec<Record>> {
        let gate = Arc::new(Semaphore::new(self.in_flight));
        let mut set = JoinSet::new();
        for (i, item) in invocation.items.iter().enumerate() {
            for (j, obj) in item.objects.iter().flatten().enumerate() {
                let app = Arc::clone(self);
                let gate = Arc::clone(&gate);
                let obj = obj.clone();
                let span = tracing::info_span!(
                    "record",
                    request_id,
                    item = %item.id,
                    bucket = %obj.bucket,
                    key = %obj.key
                );
                set.spawn(
                    async move {
                        let _permit = gate.acquire_owned().await;
                        (i, j, app.process(&obj).await)
                    }
                    .instrument(span),
                );
            }
        }
        let mut out: Vec<Vec<Record>> = invocation
            .items
            .iter()
            .map(|item| {
                item.objects
                    .as_ref()
                    .map_or(Vec::new(), |o| o.iter().map(|_| Record::lost()).collect())
            })
            .collect();
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok((i, j, record)) => out[i][j] = record,
                // A panic in a task: its slot stays `lost` (a failure), so the item is retried.
                Err(e) => warn!(request_id, error = %e, "record task failed"),
            }
        }
        out
    }

    /// Processes one object end to end and logs the outcome.
    pub async fn process(&self, obj: &ObjectRef) -> Record {
        let start = Instant::now();
        let mut rec = Record::lost();
        rec.outcome = self.process_inner(obj, &mut rec).await;
        rec.elapsed = start.elapsed();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let t = &rec.timings;
        match &rec.outcome {
            Outcome::Processed => info!(
                outcome = "processed",
                input_bytes = rec.input_bytes,
                output_bytes = rec.output_bytes,
                width = rec.dims.0,
                height = rec.dims.1,
                renditions = self.specs.len(),
                head_ms = ms(t.head),
                download_ms = ms(t.download),
                probe_ms = ms(t.probe),
                decode_ms = ms(t.decode),
                resize_ms = ms(t.resize),
                encode_ms = ms(t.encode),
                upload_ms = ms(t.upload),
                total_ms = ms(rec.elapsed),
                "record done"
            ),
            Outcome::Rejected { reason, message } => info!(
                outcome = "rejected",
                reason = %reason,
                message = %message,
                input_bytes = rec.input_bytes,
                total_ms = ms(rec.elapsed),
                "record done"
            ),
            Outcome::Skipped(why) => info!(outcome = "skipped", why = %why, "record done"),
            Outcome::Failed(error) => warn!(
                outcome = "failed",
                error = %error,
                total_ms = ms(rec.elapsed),
                "record done"
            ),
        }
        rec
    }

    async fn process_inner(&self, obj: &ObjectRef, rec: &mut Record) -> Outcome {
        let s = &self.settings;
        if !obj.key.starts_with(&s.source_prefix) {
            return Outcome::Skipped(format!(
                "key is outside IMGKIT_SOURCE_PREFIX {:?}",
                s.source_prefix
            ));
        }
        if let Some(why) = keys::recursion(s, &obj.bucket, &obj.key) {
            // A configuration fault: nothing is written; the item goes back to the queue (and to the DLQ),
            // where it waits for the configuration to be fixed.
            return Outcome::Failed(format!("refusing to write into the source area: {why}"));
        }

        // 1. HEAD: the authoritative size, ETag and version, before any byte is downloaded.
        let t = Instant::now();
        let mut head = self.s3.head_object().bucket(&obj.bucket).key(&obj.key);
        if let Some(v) = &obj.version_id {
            head = head.version_id(v);
        }
        let head = match head.send().await {
            Ok(h) => h,
            Err(e) => {
                let not_found = e.as_service_error().is_some_and(|se| se.is_not_found());
                return Outcome::Failed(if not_found {
                    "source object not found (deleted, or not yet visible)".to_string()
                } else {
                    format!("HEAD failed: {}", aws_sdk_s3::error::DisplayErrorContext(&e))
                });
            }
        };
        rec.timings.head = t.elapsed();
        let size = head
            .content_length()
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0);
        let etag = head.e_tag().map(|e| e.trim_matches('"').to_string());
        let version = head
            .version_id()
            .map(str::to_string)
            .or_else(|| obj.version_id.clone());
        let max = s.limits.max_input_bytes;
        if size > max {
            return self.reject(obj, &etag, &version, size, too_big(max, size)).await;
        }

        // 2. GET the same object (If-Match), never keeping more than the limit.
        let t = Instant::now();
        let mut get = self.s3.get_object().bucket(&obj.bucket).key(&obj.key);
        if let Some(v) = &version {
            get = get.version_id(v);
        }
        if let Some(e) = &etag {
            get = get.if_match(format!("\"{e}\""));
        }
        let mut body = match get.send().await {
            Ok(o) => o.body,
            Err(e) => {
                return Outcome::Failed(format!(
                    "GET failed: {}",
                    aws_sdk_s3::error::DisplayErrorContext(&e)
                ))
            }
        };
        let mut bytes: Vec<u8> = Vec::new();
        loop {
            match body.try_next().await {
                Ok(Some(chunk)) => {
                    if bytes.len() as u64 + chunk.len() as u64 > max {
                        let seen = bytes.len() as u64 + chunk.len() as u64;
                        return self.reject(obj, &etag, &version, seen, too_big(max, seen)).await;
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Outcome::Failed(format!("download failed: {e}")),
            }
        }
        rec.timings.download = t.elapsed();
        rec.input_bytes = bytes.len() as u64;

        // 3. All renditions from one decode, on a blocking thread, at most `concurrency` at once.
        let outputs = {
            let Ok(_permit) = self.cpu.acquire().await else {
                return Outcome::Failed("CPU semaphore closed".into());
            };
            let specs = self.specs.clone();
            let limits = s.limits;
            let joined = tokio::task::spawn_blocking(move || {
                PROCESSOR.with(|cell| {
                    let mut slot = cell.borrow_mut();
                    if slot.as_ref().is_none_or(|p| *p.limits() != limits) {
                        *slot = Some(Processor::new(limits));
                    }
                    slot.get_or_insert_with(|| Processor::new(limits))
                        .process_many(&bytes, &specs)
                })
            })
            .await;
            match joined {
                Ok(Ok(outputs)) => outputs,
                Ok(Err(e)) if e.class() == Class::Rejected => {
                    let size = rec.input_bytes;
                    return self
                        .reject(obj, &etag, &version, size, (e.kind().to_string(), e.to_string()))
                        .await;
                }
                Ok(Err(e)) => return Outcome::Failed(format!("processing failed ({:?}): {e}", e.class())),
                Err(e) => return Outcome::Failed(format!("processing task failed: {e}")),
            }
        };
        if let Some(first) = outputs.first() {
            rec.timings.probe = first.timings.probe;
            rec.timings.decode = first.timings.decode;
            rec.dims = outputs
                .iter()
                .map(|o| (o.width, o.height))
                .max_by_key(|(w, h)| u64::from(*w) * u64::from(*h))
                .unwrap_or_default();
        }
        for o in &outputs {
            rec.timings.resize += o.timings.resize;
            rec.timings.encode += o.timings.encode;
        }

        // 4. Upload every rendition, concurrently.
        let t = Instant::now();
        let mut uploads = JoinSet::new();
        for (rendition, out) in self.settings.renditions.iter().zip(outputs) {
            let key = keys::rendition_key(
                &s.output_prefix,
                &rendition.name,
                &obj.key,
                out.format.extension(),
            );
            if key.len() > keys::MAX_KEY_BYTES {
                return self
                    .reject(
                        obj,
                        &etag,
                        &version,
                        rec.input_bytes,
                        (
                            "output_key_too_long".into(),
                            format!("output key would be {} bytes", key.len()),
                        ),
                    )
                    .await;
            }
            rec.output_bytes += out.bytes.len() as u64;
            let mut put = self
                .s3
                .put_object()
                .bucket(&s.output_bucket)
                .key(key)
                .content_type(out.format.mime_type())
                .cache_control(&s.cache_control)
                .body(ByteStream::from(out.bytes));
            for (k, v) in source_metadata(obj, &etag, &version) {
                put = put.metadata(k, v);
            }
            put = put.metadata("rendition", &rendition.name);
            uploads.spawn(put.send());
        }
        while let Some(joined) = uploads.join_next().await {
            match joined {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    return Outcome::Failed(format!(
                        "PUT failed: {}",
                        aws_sdk_s3::error::DisplayErrorContext(&e)
                    ))
                }
                Err(e) => return Outcome::Failed(format!("upload task failed: {e}")),
            }
        }
        rec.timings.upload = t.elapsed();
        Outcome::Processed
    }

    /// Records a rejection under `rejected/` in the output bucket. When the record cannot be written the
    /// object is reported as failed, so the rejection is retried rather than lost.
    async fn reject(
        &self,
        obj: &ObjectRef,
        etag: &Option<String>,
        version: &Option<String>,
        size: u64,
        (reason, message): (String, String),
    ) -> Outcome {
        let s = &self.settings;
        let key = keys::rejected_key(&s.output_prefix, &obj.key);
        if key.len() <= keys::MAX_KEY_BYTES {
            let record = json!({
                "source": {
                    "bucket": obj.bucket,
                    "key": obj.key,
                    "version_id": version,
                    "etag": etag,
                    "size": size,
                },
                "reason": reason,
                "message": message,
                "imgkit_lambda_version": env!("CARGO_PKG_VERSION"),
            });
            let mut put = self
                .s3
                .put_object()
                .bucket(&s.output_bucket)
                .key(key)
                .content_type("application/json")
                .body(ByteStream::from(record.to_string().into_bytes()));
            for (k, v) in source_metadata(obj, etag, version) {
                put = put.metadata(k, v);
            }
            if let Err(e) = put.send().await {
                return Outcome::Failed(format!(
                    "rejected ({reason}) but writing the record failed: {}",
                    aws_sdk_s3::error::DisplayErrorContext(&e)
                ));
            }
        }
        Outcome::Rejected { reason, message }
    }
}

thread_local! {
    /// One processor per blocking thread: it keeps its resize buffers between images.
    static PROCESSOR: RefCell<Option<Processor>> = const { RefCell::new(None) };
}

fn too_big(max: u64, actual: u64) -> (String, String) {
    let kind = imgkit::ErrorKind::Limit(Limit::InputBytes);
    (
        kind.to_string(),
        format!("input bytes {actual} exceeds max_input_bytes {max}"),
    )
}

/// Object metadata linking an output to its source. S3 metadata values are ASCII: the key is
/// percent-encoded.
fn source_metadata(
    obj: &ObjectRef,
    etag: &Option<String>,
    version: &Option<String>,
) -> Vec<(String, String)> {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let mut m = vec![
        ("source-bucket".to_string(), obj.bucket.clone()),
        (
            "source-key".to_string(),
            percent_encoding::utf8_percent_encode(&obj.key, SET).to_string(),
        ),
    ];
    if let Some(e) = etag {
        m.push(("source-etag".into(), e.clone()));
    }
    if let Some(v) = version {
        m.push(("source-version-id".into(), v.clone()));
    }
    m
}

/// Per-object result and measurements.
#[derive(Clone, Debug)]
pub struct Record {
    /// The outcome.
    pub outcome: Outcome,
    /// Bytes downloaded.
    pub input_bytes: u64,
    /// Bytes of renditions written.
    pub output_bytes: u64,
    /// Displayed size of the largest rendition.
    pub dims: (u32, u32),
    /// Stage timings.
    pub timings: StageTimings,
    /// Wall time.
    pub elapsed: Duration,
}

impl Record {
    fn lost() -> Record {
        Record {
            outcome: Outcome::Failed("not processed".into()),
            input_bytes: 0,
            output_bytes: 0,
            dims: (0, 0),
            timings: StageTimings::default(),
            elapsed: Duration::ZERO,
        }
    }
}

/// Wall time per stage of one object.
#[derive(Clone, Copy, Debug, Default)]
pub struct StageTimings {
    /// HEAD request.
    pub head: Duration,
    /// GET and body.
    pub download: Duration,
    /// imgkit probe.
    pub probe: Duration,
    /// imgkit decode.
    pub decode: Duration,
    /// imgkit resize, all renditions.
    pub resize: Duration,
    /// imgkit encode, all renditions.
    pub encode: Duration,
    /// PUTs of all renditions.
    pub upload: Duration,
}

fn item_failed(item: &Item, records: &[Record]) -> Option<String> {
    if let Err(e) = &item.objects {
        return Some(e.clone());
    }
    records.iter().find_map(|r| match &r.outcome {
        Outcome::Failed(e) => Some(e.clone()),
        _ => None,
    })
}

fn respond(invocation: &Invocation, outcomes: &[Vec<Record>]) -> Result<Value, HandlerError> {
    let to_value =
        |v: Result<Value, serde_json::Error>| v.map_err(|e| HandlerError(format!("response: {e}")));
    match &invocation.kind {
        Kind::Sqs => {
            let mut response = SqsBatchResponse::default();
            for (item, records) in invocation.items.iter().zip(outcomes) {
                if item_failed(item, records).is_some() {
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
            for (item, records) in invocation.items.iter().zip(outcomes) {
                let (code, text) = match item_failed(item, records) {
                    Some(e) => ("TemporaryFailure", e),
                    None => match records.first().map(|r| &r.outcome) {
                        Some(Outcome::Rejected { reason, message }) => {
                            ("PermanentFailure", format!("rejected: {reason}: {message}"))
                        }
                        Some(Outcome::Skipped(why)) => ("Succeeded", format!("skipped: {why}")),
                        _ => ("Succeeded", "processed".to_string()),
                    },
                };
                let mut result = S3BatchJobResult::default();
                result.task_id = Some(item.id.clone());
                result.result_code = Some(code.into());
                result.result_string = Some(text);
                response.results.push(result);
            }
            to_value(serde_json::to_value(response))
        }
        Kind::S3Notification | Kind::EventBridge => {
            // Asynchronous invocations: an error makes Lambda retry the whole event (outputs are idempotent).
            let failures: Vec<String> = invocation
                .items
                .iter()
                .zip(outcomes)
                .filter_map(|(item, records)| item_failed(item, records).map(|e| format!("{}: {e}", item.id)))
                .collect();
            if !failures.is_empty() {
                return Err(HandlerError(format!("retry needed: {}", failures.join("; "))));
            }
            let summary: HashMap<&str, usize> = outcomes.iter().flatten().fold(HashMap::new(), |mut m, r| {
                let k = match r.outcome {
                    Outcome::Processed => "processed",
                    Outcome::Rejected { .. } => "rejected",
                    Outcome::Skipped(_) => "skipped",
                    Outcome::Failed(_) => "failed",
                };
                *m.entry(k).or_default() += 1;
                m
            });
            to_value(serde_json::to_value(summary))
        }
    }
}
