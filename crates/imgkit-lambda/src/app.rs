//! The function's state and one invocation: parse the event, hand its objects to the [`Worker`]
//! concurrently, with a bound and before the invocation's deadline, log and count every outcome, answer
//! in the shape the event source expects.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::{info, warn, Instrument};

use crate::event::{self, Invocation, Kind, ObjectRef};
use crate::metrics::Metrics;
use crate::object::Worker;
use crate::outcome::{self, ItemReports, Outcome, Report};
use crate::settings::Settings;
use crate::store::ObjectStore;

/// An invocation that must be retried as a whole (the asynchronous paths have no partial answer), or a
/// payload the function does not understand.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HandlerError(pub String);

/// The function's state, built once at cold start and shared by all invocations.
pub struct App<S> {
    worker: Worker<S>,
    in_flight: usize,
    function_name: String,
}

impl<S: ObjectStore> App<S> {
    /// `concurrency` images are decoded and resized at once (on blocking threads); twice as many objects
    /// are in flight (HEAD, download, upload) so network waits overlap CPU work.
    pub fn new(settings: Settings, store: S, concurrency: usize, function_name: String) -> App<S> {
        let concurrency = concurrency.max(1);
        App {
            worker: Worker::new(settings, store, concurrency),
            in_flight: concurrency * 2,
            function_name,
        }
    }

    /// The configuration read at cold start.
    pub fn settings(&self) -> &Settings {
        &self.worker.settings
    }

    /// Where objects are read and written (tests inspect it).
    pub fn store(&self) -> &S {
        &self.worker.store
    }

    /// Handles one invocation payload and returns the response payload. `deadline` is when the
    /// invocation times out: objects not finished shortly before it are reported for retry, so the
    /// answer always arrives and the finished objects of the batch are not redone.
    pub async fn handle(
        self: &Arc<Self>,
        payload: Value,
        request_id: &str,
        deadline: Option<Instant>,
    ) -> Result<Value, HandlerError> {
        let start = Instant::now();
        let invocation = event::parse(&payload).map_err(|e| {
            warn!(request_id, error = %e, "unrecognised event");
            HandlerError(format!("unrecognised event: {e}"))
        })?;
        let reports = self.run(&invocation, request_id, deadline).await;

        let mut metrics = Metrics::default();
        for (item, reports) in invocation.items.iter().zip(&reports) {
            match &item.objects {
                Err(e) => {
                    metrics.failed += 1;
                    warn!(request_id, item = %item.id, error = %e, outcome = "failed", "unreadable item");
                }
                Ok(objects) => {
                    for (obj, report) in objects.iter().zip(reports) {
                        match report {
                            Some(report) => metrics.add(report),
                            None => {
                                metrics.failed += 1;
                                warn!(
                                    request_id, item = %item.id, bucket = %obj.bucket, key = %obj.key,
                                    outcome = "failed", error = "did not finish before the invocation deadline",
                                    "record done"
                                );
                            }
                        }
                    }
                }
            }
        }
        metrics.emit(&self.function_name);
        info!(
            request_id,
            items = invocation.items.len(),
            processed = metrics.processed,
            up_to_date = metrics.up_to_date,
            rejected = metrics.rejected.values().sum::<u64>(),
            failed = metrics.failed,
            skipped = metrics.skipped,
            malware_found = metrics.malware_found,
            not_scanned = metrics.not_scanned,
            duration_ms = start.elapsed().as_millis() as u64,
            "invocation done"
        );
        outcome::respond(&invocation, &reports).map_err(HandlerError)
    }

    /// When to stop waiting for objects: before `deadline` by enough to log, count and answer (a tenth of
    /// the function's Timeout, 0.5-3 s, and never more than a quarter of the time left).
    fn stop_at(&self, deadline: Instant) -> Instant {
        let left = deadline.saturating_duration_since(Instant::now());
        let margin = (self.settings().function_timeout / 10)
            .clamp(Duration::from_millis(500), Duration::from_secs(3))
            .min(left / 4);
        deadline.checked_sub(margin).unwrap_or(deadline)
    }

    /// Processes every object of every item; per item, the reports of its objects (empty when the item
    /// was unreadable; `None` for an object that did not finish).
    async fn run(
        self: &Arc<Self>,
        invocation: &Invocation,
        request_id: &str,
        deadline: Option<Instant>,
    ) -> Vec<ItemReports> {
        let backfill = matches!(invocation.kind, Kind::BatchOperations { .. });
        let gate = Arc::new(Semaphore::new(self.in_flight));
        let mut set = JoinSet::new();
        let mut reports: Vec<ItemReports> = Vec::new();
        for (i, item) in invocation.items.iter().enumerate() {
            let objects = item.objects.as_deref().unwrap_or_default();
            reports.push(vec![None; objects.len()]);
            for (j, obj) in objects.iter().enumerate() {
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
                        let report = app.worker.process(&obj, backfill).await;
                        log(&obj, &report, app.settings().renditions.len());
                        (i, j, report)
                    }
                    .instrument(span),
                );
            }
        }
        let stop_at = deadline.map(|d| self.stop_at(d));
        loop {
            let next = match stop_at {
                Some(at) => match tokio::time::timeout_at(at.into(), set.join_next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        warn!(
                            request_id,
                            unfinished = set.len(),
                            "stopping before the invocation deadline"
                        );
                        set.abort_all();
                        break;
                    }
                },
                None => set.join_next().await,
            };
            match next {
                Some(Ok((i, j, report))) => reports[i][j] = Some(report),
                // A panic in a task: its slot stays empty (a failure), so the item is retried.
                Some(Err(e)) => warn!(request_id, error = %e, "record task failed"),
                None => break,
            }
        }
        reports
    }
}

/// One `record done` line per object. Field names never repeat the event's own `message`.
fn log(obj: &ObjectRef, report: &Report, renditions: usize) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let s = &report.stats;
    let t = &s.core;
    let key_form = s.key_form.map_or("none", |f| f.name());
    let outcome = report.outcome.name();
    match &report.outcome {
        Outcome::Processed => info!(
            outcome,
            input_bytes = s.input_bytes,
            output_bytes = s.output_bytes,
            width = s.dims.0,
            height = s.dims.1,
            frames = s.frames,
            renditions,
            key_form,
            head_ms = ms(s.head),
            download_ms = ms(s.download),
            probe_ms = ms(t.probe),
            decode_ms = ms(t.decode),
            resize_ms = ms(t.resize),
            encode_ms = ms(t.encode),
            placeholder_ms = ms(t.placeholder),
            thumbhash = s.thumbhash.as_deref().unwrap_or_default(),
            upload_ms = ms(s.upload),
            total_ms = ms(s.elapsed),
            "record done"
        ),
        Outcome::UpToDate => info!(outcome, key_form, total_ms = ms(s.elapsed), "record done"),
        Outcome::Rejected { reason, detail } => info!(
            outcome,
            reason = %reason,
            detail = %detail,
            input_bytes = s.input_bytes,
            size = obj.size,
            key_form,
            total_ms = ms(s.elapsed),
            "record done"
        ),
        Outcome::Skipped(why) => info!(outcome, why = %why, "record done"),
        Outcome::NotScanned(why) => warn!(outcome, why = %why, "record done"),
        Outcome::Failed(error) => warn!(outcome, error = %error, total_ms = ms(s.elapsed), "record done"),
    }
}
