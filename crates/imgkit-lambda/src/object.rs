//! One object, in named steps: admit (prefix, recursion guard, output keys), HEAD, the malware verdict
//! (from the scan-result event, or for a backfill from the object's tag), the up-to-date check of
//! backfills and scan results, download (refused after the first bytes when they are not an allowed
//! image), render (every rendition from one decode), upload; or a durable rejection record.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use imgkit::{Admitted, Class, Output, Processor, Sniffed};
use serde_json::json;
use tokio::sync::Semaphore;

use crate::event::ObjectRef;
use crate::keys::{self, KeyForm, OutputKeys};
use crate::outcome::{Outcome, Report, Stats};
use crate::scan::{self, Scanning, Verdict};
use crate::settings::{S3Timeouts, Settings};
use crate::store::{
    self, DownloadError, DownloadLimits, GetRequest, Head, ObjectId, ObjectStore, PutRequest, StoreError,
};

thread_local! {
    /// One processor per blocking thread: it keeps its resize buffers between images.
    static PROCESSOR: RefCell<Option<Processor>> = const { RefCell::new(None) };
}

/// A rejection: the core's error kind (`malformed`, `limit:max_width`, …) or the scan's (`malware`,
/// `not_scanned`), a message, and for the scan's, GuardDuty's verdict for the record.
struct Rejection {
    reason: String,
    detail: String,
    scan: Option<serde_json::Value>,
}

impl From<imgkit::Error> for Rejection {
    fn from(e: imgkit::Error) -> Self {
        Rejection {
            reason: e.kind().to_string(),
            detail: e.to_string(),
            scan: None,
        }
    }
}

impl Rejection {
    /// The rejection a verdict other than clean leads to; `None` for a clean one.
    fn of_verdict(verdict: &Verdict) -> Option<Rejection> {
        let (reason, detail, threats) = match verdict {
            Verdict::Clean => return None,
            Verdict::Threats(names) => (
                scan::MALWARE,
                format!("GuardDuty found threats in this version: {verdict}"),
                names.clone(),
            ),
            Verdict::NotScanned(what) => (
                scan::NOT_SCANNED,
                format!(
                    "GuardDuty did not find this version clean ({what}); it is never processed unscanned"
                ),
                Vec::new(),
            ),
        };
        Some(Rejection {
            reason: reason.into(),
            detail,
            scan: Some(json!({"verdict": verdict.to_string(), "threats": threats})),
        })
    }
}

/// Where one object's processing stopped before its renditions were written.
enum Stop {
    /// Finished without renditions (skipped, failed, up to date).
    With(Outcome),
    /// The input is at fault: write its record.
    Reject(Rejection),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::With(Outcome::Failed(e.to_string()))
    }
}

/// What the steps learnt about the source, for its record and its outputs' metadata.
struct SourceObject<'a> {
    obj: &'a ObjectRef,
    keys: OutputKeys,
    etag: Option<String>,
    version_id: Option<String>,
    size: u64,
}

/// What processing one object takes: the settings, the store, the gate that bounds how many images are
/// decoded at once, and the bounds on every S3 call. The [`App`](crate::App) owns one.
pub(crate) struct Worker<S> {
    pub(crate) settings: Settings,
    pub(crate) store: S,
    cpu: Semaphore,
    timeouts: S3Timeouts,
}

impl<S: ObjectStore> Worker<S> {
    /// At most `concurrency` images decode and resize at once.
    pub(crate) fn new(settings: Settings, store: S, concurrency: usize) -> Worker<S> {
        Worker {
            timeouts: settings.s3_timeouts(),
            settings,
            store,
            cpu: Semaphore::new(concurrency),
        }
    }

    /// Processes one object end to end; `backfill` turns on the up-to-date check (S3 Batch Operations).
    pub(crate) async fn process(&self, obj: &ObjectRef, backfill: bool) -> Report {
        let start = Instant::now();
        let mut stats = Stats::default();
        let outcome = match self.admit(obj) {
            Err(outcome) => outcome,
            Ok(keys) => {
                stats.key_form = Some(keys.form());
                let mut source = SourceObject {
                    obj,
                    keys,
                    etag: None,
                    version_id: obj.version_id.clone(),
                    size: 0,
                };
                match self.steps(&mut source, backfill, &mut stats).await {
                    Ok(()) => Outcome::Processed,
                    Err(Stop::With(outcome)) => outcome,
                    Err(Stop::Reject(r)) => self.reject(&source, r).await,
                }
            }
        };
        stats.elapsed = start.elapsed();
        Report { outcome, stats }
    }

    /// Decides from the event alone: outside the source prefix (skipped), in the output area (refused: a
    /// configuration fault), else every output key of the object.
    fn admit(&self, obj: &ObjectRef) -> Result<OutputKeys, Outcome> {
        let s = &self.settings;
        if !obj.key.starts_with(&s.source_prefix) {
            return Err(Outcome::Skipped(format!(
                "key is outside IMGKIT_SOURCE_PREFIX {:?}",
                s.source_prefix
            )));
        }
        if let Some(why) = s.recursion(&obj.bucket, &obj.key) {
            // Nothing is written; the item goes back to the queue (and to the DLQ), where it waits for the
            // configuration to be fixed.
            return Err(Outcome::Failed(format!(
                "refusing to write into the source area: {why}"
            )));
        }
        Ok(OutputKeys::new(
            &s.output_prefix,
            s.renditions.iter().map(|r| r.name.as_str()),
            &obj.key,
        ))
    }

    async fn steps(
        &self,
        source: &mut SourceObject<'_>,
        backfill: bool,
        stats: &mut Stats,
    ) -> Result<(), Stop> {
        let scanning = self.settings.malware_scanning == Scanning::GuardDuty;
        if scanning && !backfill && source.obj.verdict.is_none() {
            return Err(Stop::With(Outcome::Skipped(
                "malware scanning is on: uploads are processed from their GuardDuty scan result, not from \
                 this event"
                    .into(),
            )));
        }
        let head = self.head(source, stats).await?;
        if let Some(why) = superseded(source.obj, &head) {
            return Err(Stop::With(Outcome::Skipped(why)));
        }
        if source.obj.key.ends_with('/') && head.size == 0 {
            return Err(Stop::With(Outcome::Skipped("zero-byte folder marker".into())));
        }
        if let Some(verdict) = &source.obj.verdict {
            if let Some(rejection) = Rejection::of_verdict(verdict) {
                return Err(Stop::Reject(rejection));
            }
        } else if scanning {
            self.tagged_clean(source).await?;
        }
        // Batch Operations re-runs and at-least-once scan results: nothing is redone for a version whose
        // renditions exist already.
        if (backfill || source.obj.verdict.is_some()) && self.up_to_date(source, &head).await {
            return Err(Stop::With(Outcome::UpToDate));
        }
        // The length's one check, from the HEAD, before a byte is downloaded.
        let admitted = self
            .settings
            .limits
            .admit(head.size)
            .map_err(|e| Stop::Reject(e.into()))?;
        let (bytes, sniffed) = self.download(source, admitted, stats).await?;
        let outputs = self.render(bytes, sniffed, stats).await?;
        self.upload(source, outputs, stats).await
    }

    /// HEAD: the authoritative size, ETag and version, before any byte is downloaded. For a scan result,
    /// the key's current version, which must still be the scanned one.
    async fn head(&self, source: &mut SourceObject<'_>, stats: &mut Stats) -> Result<Head, Stop> {
        let t = Instant::now();
        let scanned = source.obj.verdict.is_some();
        let id = ObjectId {
            bucket: source.obj.bucket.clone(),
            key: source.obj.key.clone(),
            version_id: if scanned {
                None
            } else {
                source.obj.version_id.clone()
            },
        };
        let head = self
            .bounded("HEAD", self.store.head(&id))
            .await
            .map_err(|e| match e {
                // S3 is strongly consistent, so a scanned object that is gone was deleted after its scan.
                StoreError::NotFound(_) if scanned => {
                    Stop::With(Outcome::Skipped("deleted since its scan".into()))
                }
                StoreError::NotFound(_) => Stop::With(Outcome::Failed(
                    "source object not found (deleted, or not yet visible)".into(),
                )),
                e => Stop::from(e),
            })?;
        stats.head = t.elapsed();
        source.etag = head.etag.clone();
        source.version_id = head.version_id.clone().or_else(|| source.obj.version_id.clone());
        source.size = head.size;
        Ok(head)
    }

    /// A backfill with scanning on: the object's own `GuardDutyMalwareScanStatus` tag (one
    /// GetObjectTagging, at the HEAD's version) must say `NO_THREATS_FOUND`.
    async fn tagged_clean(&self, source: &SourceObject<'_>) -> Result<(), Stop> {
        let id = ObjectId {
            bucket: source.obj.bucket.clone(),
            key: source.obj.key.clone(),
            version_id: source.version_id.clone(),
        };
        let tags = self.bounded("GetObjectTagging", self.store.tags(&id)).await?;
        match Verdict::from_tags(&tags) {
            Verdict::Clean => Ok(()),
            other => Err(Stop::With(Outcome::NotScanned(other.to_string()))),
        }
    }

    /// Whether every rendition already exists for this very source (same ETag): a backfill re-run over
    /// processed objects then costs a HEAD per rendition, not a download and a decode. Any doubt (an
    /// error, a missing ETag) means "not up to date".
    async fn up_to_date(&self, source: &SourceObject<'_>, head: &Head) -> bool {
        let Some(etag) = &head.etag else {
            return false;
        };
        let bucket = &self.settings.output_bucket;
        for rendition in &self.settings.renditions {
            // With `same`, the extension is not known before decoding: look for each it could be.
            let mut found = false;
            for format in rendition.spec.format().possible_formats() {
                let id = ObjectId {
                    bucket: bucket.clone(),
                    key: source.keys.rendition(&rendition.name, format.extension()),
                    version_id: None,
                };
                if let Ok(out) = self.bounded("HEAD output", self.store.head(&id)).await {
                    if out.metadata.get("source-etag") == Some(etag) {
                        found = true;
                        break;
                    }
                }
            }
            if !found {
                return false;
            }
        }
        true
    }

    /// GET (`If-Match` the HEAD's ETag), never keeping more than the HEAD's size; the first bytes are
    /// sniffed (the format's one check), and a file that is not an allowed image is refused without being
    /// read further.
    async fn download(
        &self,
        source: &SourceObject<'_>,
        admitted: Admitted,
        stats: &mut Stats,
    ) -> Result<(Vec<u8>, Sniffed), Stop> {
        let t = Instant::now();
        let request = GetRequest {
            object: ObjectId {
                bucket: source.obj.bucket.clone(),
                key: source.obj.key.clone(),
                version_id: source.version_id.clone(),
            },
            if_match: source.etag.clone(),
        };
        let limits = DownloadLimits {
            cap: admitted.len(),
            chunk_timeout: self.timeouts.read,
        };
        let sniff = |first: &[u8]| admitted.sniff(first);
        let download = store::download(&self.store, &request, limits, imgkit::SNIFF_LEN, sniff);
        let (bytes, sniffed) = match tokio::time::timeout(self.timeouts.operation, download).await {
            Err(_) => {
                return Err(Stop::With(Outcome::Failed(format!(
                    "download did not finish in {:?}",
                    self.timeouts.operation
                ))))
            }
            Ok(Ok(downloaded)) => downloaded,
            Ok(Err(DownloadError::Refused(e))) => return Err(Stop::Reject(e.into())),
            // The ETag matched, so the body is the HEAD's object: a longer one is the store's fault.
            Ok(Err(DownloadError::Store(StoreError::TooLarge { cap, seen }))) => {
                return Err(Stop::With(Outcome::Failed(format!(
                    "the body ran past the {cap} bytes its HEAD reported ({seen} received)"
                ))))
            }
            Ok(Err(DownloadError::Store(e))) => return Err(e.into()),
        };
        stats.download = t.elapsed();
        stats.input_bytes = bytes.len() as u64;
        Ok((bytes, sniffed))
    }

    /// Every rendition from one decode, on a blocking thread, at most `concurrency` at once.
    async fn render(&self, bytes: Vec<u8>, sniffed: Sniffed, stats: &mut Stats) -> Result<Vec<Output>, Stop> {
        let Ok(_permit) = self.cpu.acquire().await else {
            return Err(Stop::With(Outcome::Failed("CPU semaphore closed".into())));
        };
        let specs = self.settings.specs();
        let limits = self.settings.limits;
        let joined = tokio::task::spawn_blocking(move || {
            PROCESSOR.with(|cell| {
                let mut slot = cell.borrow_mut();
                if slot.as_ref().is_none_or(|p| *p.limits() != limits) {
                    *slot = None;
                }
                let processor = slot.get_or_insert_with(|| Processor::new(limits).placeholder(true));
                sniffed
                    .probe(&bytes)
                    .and_then(|probed| processor.process_probed(probed, &specs))
            })
        })
        .await;
        let outputs = match joined {
            Ok(Ok(outputs)) => outputs,
            Ok(Err(e)) if e.class() == Class::Rejected => return Err(Stop::Reject(e.into())),
            Ok(Err(e)) => {
                return Err(Stop::With(Outcome::Failed(format!(
                    "processing failed ({:?}): {e}",
                    e.class()
                ))))
            }
            Err(e) => {
                return Err(Stop::With(Outcome::Failed(format!(
                    "processing task failed: {e}"
                ))))
            }
        };
        if let Some(first) = outputs.first() {
            stats.core.probe = first.timings.probe;
        }
        // Shared by the renditions; an animated one decodes every frame, the others the first.
        stats.core.decode = outputs.iter().map(|o| o.timings.decode).max().unwrap_or_default();
        stats.frames = outputs.iter().map(|o| o.frames).max().unwrap_or(1);
        stats.dims = outputs
            .iter()
            .map(|o| (o.width, o.height))
            .max_by_key(|(w, h)| u64::from(*w) * u64::from(*h))
            .unwrap_or_default();
        for o in &outputs {
            stats.core.resize += o.timings.resize;
            stats.core.encode += o.timings.encode;
            stats.core.placeholder += o.timings.placeholder;
        }
        let thumbhash = outputs.first().and_then(|o| o.thumbhash.as_deref());
        stats.thumbhash = thumbhash.map(|hash| BASE64.encode(hash));
        Ok(outputs)
    }

    /// PUTs every rendition, concurrently.
    async fn upload(
        &self,
        source: &SourceObject<'_>,
        outputs: Vec<Output>,
        stats: &mut Stats,
    ) -> Result<(), Stop> {
        let t = Instant::now();
        let s = &self.settings;
        let mut puts = Vec::new();
        for (rendition, out) in s.renditions.iter().zip(outputs) {
            stats.output_bytes += out.bytes.len() as u64;
            let mut metadata = self.source_metadata(source);
            metadata.insert("rendition".into(), rendition.name.clone());
            if let Some(hash) = &stats.thumbhash {
                metadata.insert("thumbhash".into(), hash.clone());
            }
            puts.push(self.bounded(
                "PUT",
                self.store.put(PutRequest {
                    bucket: s.output_bucket.clone(),
                    key: source.keys.rendition(&rendition.name, out.format.extension()),
                    body: out.bytes.into(),
                    content_type: out.format.mime_type().into(),
                    cache_control: Some(s.cache_control.clone()),
                    metadata,
                }),
            ));
        }
        for result in futures_util::future::join_all(puts).await {
            result?;
        }
        stats.upload = t.elapsed();
        Ok(())
    }

    /// Writes the rejection record. The outcome is `Rejected` only once the record is stored; when it
    /// cannot be written the object is failed, so the rejection is retried rather than lost.
    async fn reject(&self, source: &SourceObject<'_>, r: Rejection) -> Outcome {
        let s = &self.settings;
        let record = json!({
            "source": {
                "bucket": source.obj.bucket,
                "key": source.obj.key,
                "version_id": source.version_id,
                "etag": source.etag,
                "size": source.size,
            },
            "reason": r.reason,
            "message": r.detail,
            "scan": r.scan,
            "output_keys": source.keys.form().name(),
            "imgkit_lambda_version": env!("CARGO_PKG_VERSION"),
        });
        let put = PutRequest {
            bucket: s.output_bucket.clone(),
            key: source.keys.rejected(),
            body: record.to_string().into_bytes().into(),
            content_type: "application/json".into(),
            cache_control: None,
            metadata: self.source_metadata(source),
        };
        match self.bounded("PUT rejection record", self.store.put(put)).await {
            Ok(()) => Outcome::Rejected {
                reason: r.reason,
                detail: r.detail,
            },
            Err(e) => Outcome::Failed(format!(
                "rejected ({}) but writing the record failed: {e}",
                r.reason
            )),
        }
    }

    /// Metadata linking an output to its source. S3 metadata is ASCII and at most 2 KB in all: the key is
    /// percent-encoded, and replaced by its SHA-256 when encoded it would pass 1024 bytes.
    fn source_metadata(&self, source: &SourceObject<'_>) -> BTreeMap<String, String> {
        const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
            .remove(b'/')
            .remove(b'-')
            .remove(b'_')
            .remove(b'.')
            .remove(b'~');
        let mut m = BTreeMap::new();
        m.insert("source-bucket".to_string(), source.obj.bucket.clone());
        let encoded = percent_encoding::utf8_percent_encode(&source.obj.key, SET).to_string();
        if encoded.len() <= keys::MAX_KEY_BYTES {
            m.insert("source-key".to_string(), encoded);
        } else {
            m.insert("source-key-sha256".to_string(), keys::sha256_hex(&source.obj.key));
        }
        if let Some(e) = &source.etag {
            m.insert("source-etag".into(), e.clone());
        }
        if let Some(v) = &source.version_id {
            m.insert("source-version-id".into(), v.clone());
        }
        if source.keys.form() == KeyForm::Hashed {
            m.insert("output-keys".into(), KeyForm::Hashed.name().into());
        }
        m
    }

    /// Bounds one storage call by the operation timeout, on top of the store's own bounds.
    async fn bounded<T>(
        &self,
        what: &str,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let limit: Duration = self.timeouts.operation;
        tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
            Err(StoreError::Transient(format!(
                "{what} did not finish in {limit:?}"
            )))
        })
    }
}

/// Why a scan result no longer speaks for its key: the key now holds another version (or, on an
/// unversioned bucket, other bytes). That version's own scan result decides it; processing this one would
/// let an old verdict, and old renditions, stand for new bytes.
fn superseded(obj: &ObjectRef, current: &Head) -> Option<String> {
    obj.verdict.as_ref()?;
    let replaced = match (&obj.version_id, &current.version_id) {
        (Some(scanned), Some(now)) => scanned != now,
        _ => matches!((&obj.etag, &current.etag), (Some(scanned), Some(now)) if scanned != now),
    };
    replaced.then(|| {
        format!(
            "replaced since its scan (scanned version {}, ETag {}; now {}, {}): the new version's own scan \
             result decides it",
            obj.version_id.as_deref().unwrap_or("none"),
            obj.etag.as_deref().unwrap_or("none"),
            current.version_id.as_deref().unwrap_or("none"),
            current.etag.as_deref().unwrap_or("none"),
        )
    })
}
