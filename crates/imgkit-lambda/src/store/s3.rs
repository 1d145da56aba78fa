//! [`ObjectStore`] on Amazon S3 (or an S3-compatible server), with every call bounded.

use std::collections::BTreeMap;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use bytes::Bytes;

use super::{Body, GetRequest, Head, ObjectId, ObjectStore, PutRequest, StoreError};
use crate::settings::S3Timeouts;

/// S3 through the AWS SDK.
#[derive(Clone, Debug)]
pub struct S3Store {
    client: Client,
}

impl S3Store {
    /// A store on the standard AWS configuration chain (region, credentials, `AWS_ENDPOINT_URL`), with
    /// the given bounds on every call and path-style addressing when asked for.
    pub async fn from_env(timeouts: S3Timeouts, force_path_style: bool) -> S3Store {
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(force_path_style)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(timeouts.connect)
                    .read_timeout(timeouts.read)
                    .operation_attempt_timeout(timeouts.attempt)
                    .operation_timeout(timeouts.operation)
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(timeouts.max_attempts))
            .build();
        S3Store {
            client: Client::from_conf(config),
        }
    }

    /// A store on an existing client (its own timeouts apply).
    pub fn new(client: Client) -> S3Store {
        S3Store { client }
    }
}

/// Sorts an SDK error by what the caller should do about it.
fn classify<E>(what: &str, e: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let text = format!("{what}: {}", DisplayErrorContext(&e));
    match &e {
        SdkError::ServiceError(se) => match (se.raw().status().as_u16(), se.err().code()) {
            (404, _) | (_, Some("NoSuchKey" | "NoSuchVersion" | "NotFound")) => StoreError::NotFound(text),
            (412, _) => StoreError::Changed(text),
            // Access denied is how a missing object looks without s3:ListBucket, and how a policy that is
            // being fixed looks: worth retrying (then the dead-letter queue), never a rejection.
            (403 | 408 | 429 | 500..=599, _) => StoreError::Transient(text),
            (_, Some("SlowDown" | "RequestTimeout" | "RequestTimeTooSkewed")) => StoreError::Transient(text),
            _ => StoreError::Permanent(text),
        },
        // Timeouts, refused or reset connections, answers cut short.
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::Transient(text)
        }
        _ => StoreError::Permanent(text),
    }
}

/// The body of a GET.
pub struct S3Body(ByteStream);

impl Body for S3Body {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, StoreError> {
        self.0
            .try_next()
            .await
            .map_err(|e| StoreError::Transient(format!("download: {}", DisplayErrorContext(&e))))
    }
}

impl ObjectStore for S3Store {
    type Body = S3Body;

    async fn head(&self, object: &ObjectId) -> Result<Head, StoreError> {
        let head = self
            .client
            .head_object()
            .bucket(&object.bucket)
            .key(&object.key)
            .set_version_id(object.version_id.clone())
            .send()
            .await
            .map_err(|e| classify("HEAD", e))?;
        Ok(Head {
            size: head
                .content_length()
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
            etag: head.e_tag().map(|e| e.trim_matches('"').to_string()),
            version_id: head.version_id().map(str::to_string),
            metadata: head
                .metadata()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    async fn get(&self, request: &GetRequest) -> Result<S3Body, StoreError> {
        let object = &request.object;
        let out = self
            .client
            .get_object()
            .bucket(&object.bucket)
            .key(&object.key)
            .set_version_id(object.version_id.clone())
            .set_if_match(request.if_match.as_ref().map(|e| format!("\"{e}\"")))
            .send()
            .await
            .map_err(|e| classify("GET", e))?;
        Ok(S3Body(out.body))
    }

    async fn put(&self, request: PutRequest) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(request.bucket)
            .key(request.key)
            .content_type(request.content_type)
            .set_cache_control(request.cache_control)
            .set_metadata(Some(request.metadata.into_iter().collect()))
            .body(ByteStream::from(request.body))
            .send()
            .await
            .map_err(|e| classify("PUT", e))?;
        Ok(())
    }

    async fn tags(&self, object: &ObjectId) -> Result<BTreeMap<String, String>, StoreError> {
        let out = self
            .client
            .get_object_tagging()
            .bucket(&object.bucket)
            .key(&object.key)
            .set_version_id(object.version_id.clone())
            .send()
            .await
            .map_err(|e| classify("GetObjectTagging", e))?;
        Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect())
    }
}
