//! An in-memory [`ObjectStore`] for tests: objects in a map, bodies served in chunks, and faults that
//! can be set per key.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;

use super::{Body, GetRequest, Head, ObjectId, ObjectStore, PutRequest, StoreError};

/// A fault injected for one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Every call on the key waits forever (a connection accepted and never answered).
    Hang,
    /// The GET answers, then its body never sends a byte.
    StallBody,
    /// Every call on the key fails with a transient error (503 SlowDown).
    Unavailable,
}

/// A stored object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredObject {
    /// The object's bytes.
    pub body: Bytes,
    /// `Content-Type`.
    pub content_type: String,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// User metadata.
    pub metadata: BTreeMap<String, String>,
    /// A content hash standing in for S3's ETag.
    pub etag: String,
    /// Object tags.
    pub tags: BTreeMap<String, String>,
}

#[derive(Default)]
struct State {
    objects: BTreeMap<(String, String), StoredObject>,
    faults: HashMap<String, Fault>,
    served: HashMap<(String, String), u64>,
    tag_reads: HashMap<String, u64>,
    puts: u64,
}

/// Objects in memory, shared between clones.
#[derive(Clone)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    chunk_size: usize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::with_chunk_size(64 * 1024)
    }
}

impl MemoryStore {
    /// An empty store that serves bodies in chunks of `chunk_size` bytes.
    pub fn with_chunk_size(chunk_size: usize) -> MemoryStore {
        MemoryStore {
            state: Arc::default(),
            chunk_size: chunk_size.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores `body` under `bucket`/`key` as `application/octet-stream` with no metadata.
    pub fn insert(&self, bucket: &str, key: &str, body: impl Into<Bytes>) {
        let body = body.into();
        let object = StoredObject {
            etag: etag_of(&body),
            body,
            content_type: "application/octet-stream".into(),
            cache_control: None,
            metadata: BTreeMap::new(),
            tags: BTreeMap::new(),
        };
        self.lock()
            .objects
            .insert((bucket.to_string(), key.to_string()), object);
    }

    /// Sets the tags of a stored object (a no-op if there is none).
    pub fn set_tags(&self, bucket: &str, key: &str, tags: BTreeMap<String, String>) {
        if let Some(object) = self
            .lock()
            .objects
            .get_mut(&(bucket.to_string(), key.to_string()))
        {
            object.tags = tags;
        }
    }

    /// How many times the tags of `key` were read.
    pub fn tag_reads(&self, key: &str) -> u64 {
        self.lock().tag_reads.get(key).copied().unwrap_or(0)
    }

    /// Injects `fault` for every call on `key` (in any bucket).
    pub fn fault(&self, key: &str, fault: Fault) {
        self.lock().faults.insert(key.to_string(), fault);
    }

    /// The object, if stored.
    pub fn object(&self, bucket: &str, key: &str) -> Option<StoredObject> {
        self.lock()
            .objects
            .get(&(bucket.to_string(), key.to_string()))
            .cloned()
    }

    /// Every key in `bucket`, in order.
    pub fn keys(&self, bucket: &str) -> Vec<String> {
        self.lock()
            .objects
            .keys()
            .filter(|(b, _)| b == bucket)
            .map(|(_, k)| k.clone())
            .collect()
    }

    /// Body bytes handed out by GETs of `bucket`/`key` so far.
    pub fn bytes_served(&self, bucket: &str, key: &str) -> u64 {
        self.lock()
            .served
            .get(&(bucket.to_string(), key.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// PUTs accepted so far.
    pub fn puts(&self) -> u64 {
        self.lock().puts
    }

    async fn before(&self, key: &str) -> Result<(), StoreError> {
        let fault = self.lock().faults.get(key).copied();
        match fault {
            Some(Fault::Hang) => std::future::pending().await,
            Some(Fault::Unavailable) => Err(StoreError::Transient("503 SlowDown".into())),
            _ => Ok(()),
        }
    }
}

/// FNV-1a, hex: stable, and different for different bodies in practice.
fn etag_of(body: &[u8]) -> String {
    let hash = body.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// A body served from memory in chunks.
pub struct MemoryBody {
    chunks: VecDeque<Bytes>,
    stall: bool,
    store: MemoryStore,
    at: (String, String),
}

impl Body for MemoryBody {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, StoreError> {
        if self.stall {
            std::future::pending::<()>().await;
        }
        let chunk = self.chunks.pop_front();
        if let Some(c) = &chunk {
            *self.store.lock().served.entry(self.at.clone()).or_default() += c.len() as u64;
        }
        Ok(chunk)
    }
}

impl ObjectStore for MemoryStore {
    type Body = MemoryBody;

    async fn head(&self, object: &ObjectId) -> Result<Head, StoreError> {
        self.before(&object.key).await?;
        let stored = self
            .object(&object.bucket, &object.key)
            .ok_or_else(|| StoreError::NotFound(format!("s3://{}/{}", object.bucket, object.key)))?;
        Ok(Head {
            size: stored.body.len() as u64,
            etag: Some(stored.etag),
            version_id: object.version_id.clone(),
            metadata: stored.metadata,
        })
    }

    async fn get(&self, request: &GetRequest) -> Result<MemoryBody, StoreError> {
        let object = &request.object;
        self.before(&object.key).await?;
        let stored = self
            .object(&object.bucket, &object.key)
            .ok_or_else(|| StoreError::NotFound(format!("s3://{}/{}", object.bucket, object.key)))?;
        if request.if_match.as_ref().is_some_and(|e| *e != stored.etag) {
            return Err(StoreError::Changed(format!(
                "s3://{}/{}",
                object.bucket, object.key
            )));
        }
        let chunks = (0..stored.body.len())
            .step_by(self.chunk_size)
            .map(|at| {
                stored
                    .body
                    .slice(at..(at + self.chunk_size).min(stored.body.len()))
            })
            .collect();
        let stall = self.lock().faults.get(&object.key) == Some(&Fault::StallBody);
        Ok(MemoryBody {
            chunks,
            stall,
            store: self.clone(),
            at: (object.bucket.clone(), object.key.clone()),
        })
    }

    async fn put(&self, request: PutRequest) -> Result<(), StoreError> {
        self.before(&request.key).await?;
        let object = StoredObject {
            etag: etag_of(&request.body),
            body: request.body,
            content_type: request.content_type,
            cache_control: request.cache_control,
            metadata: request.metadata,
            tags: BTreeMap::new(),
        };
        let mut state = self.lock();
        state.puts += 1;
        state.objects.insert((request.bucket, request.key), object);
        Ok(())
    }

    async fn tags(&self, object: &ObjectId) -> Result<BTreeMap<String, String>, StoreError> {
        self.before(&object.key).await?;
        *self.lock().tag_reads.entry(object.key.clone()).or_default() += 1;
        self.object(&object.bucket, &object.key)
            .map(|o| o.tags)
            .ok_or_else(|| StoreError::NotFound(format!("s3://{}/{}", object.bucket, object.key)))
    }
}
