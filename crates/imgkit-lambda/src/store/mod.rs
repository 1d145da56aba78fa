//! Object storage behind a small trait: what the handler needs of S3 (HEAD, a streamed GET, PUT, tags), with
//! errors typed by what the caller should do about them. [`S3Store`] talks to S3 with bounded timeouts;
//! [`MemoryStore`] keeps objects in memory for tests that need no server.

mod memory;
mod s3;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;

pub use memory::{Fault, MemoryStore};
pub use s3::S3Store;

/// One object, at one version when `version_id` is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectId {
    /// Bucket name.
    pub bucket: String,
    /// Key, decoded.
    pub key: String,
    /// Version, when known.
    pub version_id: Option<String>,
}

/// What a HEAD returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Head {
    /// Size in bytes.
    pub size: u64,
    /// ETag without quotes.
    pub etag: Option<String>,
    /// Version id, on versioned buckets.
    pub version_id: Option<String>,
    /// User metadata (`x-amz-meta-*`), keys lower-case.
    pub metadata: BTreeMap<String, String>,
}

/// A GET: the object, only if its ETag still is `if_match` (so the bytes are those the HEAD described).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetRequest {
    /// The object to read.
    pub object: ObjectId,
    /// Required ETag, without quotes.
    pub if_match: Option<String>,
}

/// A PUT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutRequest {
    /// Bucket name.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// The whole body.
    pub body: Bytes,
    /// `Content-Type`.
    pub content_type: String,
    /// `Cache-Control`, when set.
    pub cache_control: Option<String>,
    /// User metadata (ASCII values).
    pub metadata: BTreeMap<String, String>,
}

/// Why a storage call failed, sorted by what the caller should do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No such object (or, without `s3:ListBucket`, no permission to learn whether it exists).
    #[error("not found: {0}")]
    NotFound(String),
    /// The object changed since the HEAD (`If-Match` failed): retry from the HEAD.
    #[error("changed since it was read: {0}")]
    Changed(String),
    /// The body is longer than the cap: `seen` bytes had arrived when reading stopped.
    #[error("more than {cap} bytes ({seen} seen)")]
    TooLarge {
        /// The most bytes allowed.
        cap: u64,
        /// Bytes received when reading stopped.
        seen: u64,
    },
    /// A call that may succeed if repeated: timeouts, dropped connections, throttling, 5xx.
    #[error("{0}")]
    Transient(String),
    /// A call that will fail the same way if repeated unchanged: access denied, invalid request.
    #[error("{0}")]
    Permanent(String),
}

impl StoreError {
    /// Whether repeating the same call may succeed.
    pub fn is_transient(&self) -> bool {
        !matches!(self, StoreError::Permanent(_) | StoreError::TooLarge { .. })
    }
}

/// A streamed object body.
pub trait Body: Send {
    /// The next chunk; `None` at the end.
    fn next_chunk(&mut self) -> impl Future<Output = Result<Option<Bytes>, StoreError>> + Send;
}

/// The object storage the handler needs.
pub trait ObjectStore: Send + Sync + 'static {
    /// A body being received.
    type Body: Body;

    /// Size, ETag, version and metadata of an object.
    fn head(&self, object: &ObjectId) -> impl Future<Output = Result<Head, StoreError>> + Send;

    /// Starts a GET; read the body with [`download`], which caps it.
    fn get(&self, request: &GetRequest) -> impl Future<Output = Result<Self::Body, StoreError>> + Send;

    /// Writes a whole object.
    fn put(&self, request: PutRequest) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The object's tags (`GetObjectTagging`), at `object.version_id` when set.
    fn tags(
        &self,
        object: &ObjectId,
    ) -> impl Future<Output = Result<BTreeMap<String, String>, StoreError>> + Send;
}

/// How [`download`] reads a body.
#[derive(Clone, Copy, Debug)]
pub struct DownloadLimits {
    /// Most bytes kept; one more stops the download with [`StoreError::TooLarge`].
    pub cap: u64,
    /// Longest wait for one chunk.
    pub chunk_timeout: Duration,
}

/// Why [`download`] stopped early: a storage error, or the first bytes were refused by `inspect`.
#[derive(Debug)]
pub enum DownloadError<R> {
    /// The store failed.
    Store(StoreError),
    /// `inspect` refused the first bytes.
    Refused(R),
}

/// Reads `request` whole, keeping at most `limits.cap` bytes. Once `inspect_len` bytes have arrived
/// (or the whole body, if shorter), `inspect` sees them and may stop the download: a file that is not
/// an image is refused after its first bytes, not after all of them. Returns the bytes and what
/// `inspect` made of them.
pub async fn download<S: ObjectStore, T, R>(
    store: &S,
    request: &GetRequest,
    limits: DownloadLimits,
    inspect_len: usize,
    inspect: impl FnOnce(&[u8]) -> Result<T, R>,
) -> Result<(Vec<u8>, T), DownloadError<R>> {
    let mut body = store.get(request).await.map_err(DownloadError::Store)?;
    let mut bytes: Vec<u8> = Vec::new();
    let mut done = false;
    while !done && bytes.len() < inspect_len {
        done = next_chunk(&mut body, &mut bytes, limits).await?;
    }
    let inspected = inspect(&bytes).map_err(DownloadError::Refused)?;
    while !done {
        done = next_chunk(&mut body, &mut bytes, limits).await?;
    }
    Ok((bytes, inspected))
}

/// Appends the body's next chunk to `bytes`, within the cap; `true` at the end of the body.
async fn next_chunk<B: Body, R>(
    body: &mut B,
    bytes: &mut Vec<u8>,
    limits: DownloadLimits,
) -> Result<bool, DownloadError<R>> {
    let chunk = tokio::time::timeout(limits.chunk_timeout, body.next_chunk())
        .await
        .map_err(|_| {
            DownloadError::Store(StoreError::Transient(format!(
                "no body bytes for {:?} after {} bytes",
                limits.chunk_timeout,
                bytes.len()
            )))
        })?
        .map_err(DownloadError::Store)?;
    let Some(chunk) = chunk else {
        return Ok(true);
    };
    let seen = bytes.len() as u64 + chunk.len() as u64;
    if seen > limits.cap {
        return Err(DownloadError::Store(StoreError::TooLarge {
            cap: limits.cap,
            seen,
        }));
    }
    bytes.extend_from_slice(&chunk);
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(key: &str) -> ObjectId {
        ObjectId {
            bucket: "b".into(),
            key: key.into(),
            version_id: None,
        }
    }

    fn get(key: &str) -> GetRequest {
        GetRequest {
            object: id(key),
            if_match: None,
        }
    }

    const LIMITS: DownloadLimits = DownloadLimits {
        cap: 100_000,
        chunk_timeout: Duration::from_secs(5),
    };

    #[tokio::test]
    async fn download_inspects_the_first_bytes_once_and_caps_the_rest() {
        let store = MemoryStore::with_chunk_size(1000);
        store.insert("b", "k", vec![7u8; 50_000]);
        let mut calls = Vec::new();
        let got = download(&store, &get("k"), LIMITS, 16, |first: &[u8]| {
            calls.push(first.len());
            Ok::<(), ()>(())
        })
        .await
        .unwrap()
        .0;
        assert_eq!(got.len(), 50_000);
        assert_eq!(calls, [1000]);

        // Refused after the first chunk: the rest is never read.
        let refused = download(&store, &get("k"), LIMITS, 16, |_: &[u8]| Err::<(), _>("no")).await;
        assert!(matches!(refused, Err(DownloadError::Refused("no"))));
        assert_eq!(store.bytes_served("b", "k"), 50_000 + 1000);

        // Shorter than the inspection length: inspected whole, at the end.
        store.insert("b", "short", vec![1, 2, 3]);
        let mut seen = 0;
        download(&store, &get("short"), LIMITS, 16, |f: &[u8]| {
            seen = f.len();
            Ok::<(), ()>(())
        })
        .await
        .unwrap();
        assert_eq!(seen, 3);

        let small = DownloadLimits {
            cap: 10_000,
            ..LIMITS
        };
        let over = download(&store, &get("k"), small, 16, |_: &[u8]| Ok::<(), ()>(())).await;
        assert!(matches!(
            over,
            Err(DownloadError::Store(StoreError::TooLarge {
                cap: 10_000,
                seen: 11_000
            }))
        ));
    }

    #[tokio::test]
    async fn a_stalled_body_times_out_as_transient() {
        let store = MemoryStore::with_chunk_size(1000);
        store.insert("b", "k", vec![0u8; 5000]);
        store.fault("k", Fault::StallBody);
        let quick = DownloadLimits {
            chunk_timeout: Duration::from_millis(50),
            ..LIMITS
        };
        match download(&store, &get("k"), quick, 16, |_: &[u8]| Ok::<(), ()>(())).await {
            Err(DownloadError::Store(e)) => assert!(e.is_transient(), "{e}"),
            other => panic!("{other:?}"),
        }
    }
}
