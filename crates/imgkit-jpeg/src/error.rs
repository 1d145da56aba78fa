//! Why a decode failed: [`Error`], and the crate's [`Result`].

/// Why a JPEG was not decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A valid JPEG this decoder does not handle (the caller should use a general decoder).
    #[error("unsupported JPEG: {0}")]
    Unsupported(&'static str),
    /// The data breaks the JPEG format.
    #[error("malformed JPEG: {0}")]
    Malformed(&'static str),
    /// The file has more than [`MAX_SCANS`](crate::MAX_SCANS) scans.
    #[error("more than {limit} scans")]
    TooManyScans {
        /// [`MAX_SCANS`](crate::MAX_SCANS).
        limit: usize,
    },
    /// Decoding would allocate more than the caller allowed.
    #[error("decoding needs {needed} bytes, more than the {limit} allowed")]
    TooLarge {
        /// Bytes the decode would allocate.
        needed: u64,
        /// The caller's limit.
        limit: u64,
    },
}

/// Shorthand for this crate's results.
pub type Result<T> = std::result::Result<T, Error>;
