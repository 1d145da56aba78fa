//! One error type for the whole pipeline, and the answer to "whose fault was it?".

use std::fmt;

use crate::Format;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Boxed lower-level cause kept in [`Error::source`](std::error::Error::source) chains.
///
/// The concrete types behind it (decoder and encoder errors) are not part of the stable API.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong between untrusted bytes and an encoded rendition.
///
/// Match on [`Error::kind`] for a stable, data-free classification, and use [`Error::class`] to decide
/// between rejecting the input and retrying. The `Display` text names what was wrong and the value that
/// was wrong, e.g. `height 70000 exceeds max_height 16384`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not an image format any sniffer recognises (empty, text, HTML, …).
    #[error("not a recognised image format (starts with {magic})")]
    UnknownFormat {
        /// Up to the first 8 bytes, hex-encoded, for logs.
        magic: String,
    },
    /// A recognised format that is not accepted: SVG, PDF, archives, or a format not in
    /// [`Limits::allowed_formats`](crate::Limits::allowed_formats) or not compiled in.
    #[error("{format} is not an accepted input format{why}")]
    UnsupportedFormat {
        /// What the bytes were recognised as (a format name or a media type).
        format: String,
        /// Extra explanation, empty or starting with `: `.
        why: &'static str,
    },
    /// The magic-byte sniffer and the decoder's own detection disagree: a polyglot or a corrupt header.
    #[error("format mismatch: magic bytes say {sniffed}, decoder detection says {detected}")]
    FormatMismatch {
        /// What `infer` reported.
        sniffed: String,
        /// What the decoder's detection reported.
        detected: String,
    },
    /// A value measured from the input exceeds one of the configured [`Limits`](crate::Limits).
    #[error("{} {actual} exceeds {} {max}", .limit.subject(), .limit.field())]
    LimitExceeded {
        /// Which limit.
        limit: Limit,
        /// The configured maximum.
        max: u64,
        /// The value found in the input. For streams that imgkit stops reading as soon as the maximum
        /// is passed (inflated metadata, frame and chunk counts) it is the count when reading stopped.
        actual: u64,
    },
    /// The input claims a format but its data is broken, truncated or rejected by the decoder.
    #[error("malformed {format}: {reason}")]
    Malformed {
        /// The format the bytes claimed to be.
        format: Format,
        /// What is wrong, in the decoder's words where it had any.
        reason: String,
        /// The decoder's error, where there was one.
        #[source]
        source: Option<Cause>,
    },
    /// The image has zero width or height.
    #[error("empty {format} image: {width}x{height}")]
    EmptyImage {
        /// The format of the input.
        format: Format,
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// A [`Spec`](crate::Spec) (or a rendition string) is invalid. The message names the field and value.
    #[error("invalid spec: {field} {message}")]
    InvalidSpec {
        /// The offending field, e.g. `width` or `quality`.
        field: &'static str,
        /// What is wrong, e.g. `must be 1..=16384, got 0`.
        message: String,
    },
    /// Encoding the output failed (never the input's fault).
    #[error("encoding {format} failed: {reason}")]
    Encode {
        /// The output format.
        format: Format,
        /// The encoder's message.
        reason: String,
    },
    /// The output does not fit its rendition's byte budget even at [`MIN_BUDGET_QUALITY`](crate::MIN_BUDGET_QUALITY)
    /// (see [`Spec::max_bytes`](crate::Spec::max_bytes)): the input's detail, at that size, needs more.
    #[error("a {width}x{height} {format} needs {bytes} bytes even at quality {quality}, over the budget of {max_bytes}")]
    OverBudget {
        /// The output format.
        format: Format,
        /// The output's size.
        width: u32,
        /// The output's size.
        height: u32,
        /// The budget.
        max_bytes: u64,
        /// The encoding's size at `quality`.
        bytes: u64,
        /// The lowest quality tried.
        quality: u8,
    },
    /// An internal step failed in a way that says nothing about the input (a bug, or resources).
    #[error("internal error in {stage}: {reason}")]
    Internal {
        /// The pipeline stage.
        stage: &'static str,
        /// What happened.
        reason: String,
    },
}

/// Whose fault a failure is, which decides what an adapter does with the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Class {
    /// The input is at fault (unsupported, malformed, over a limit): reject it, never retry it.
    Rejected,
    /// Not the input's fault and may succeed later: retry.
    Transient,
    /// The caller's configuration (a spec) is wrong: fix the configuration; retrying the same call fails again.
    Config,
}

/// A data-free classification of [`Error`], stable for matching, metrics and manifests.
///
/// `Display` gives the snake_case name used in reports (`limit:max_width`, `malformed`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// See [`Error::UnknownFormat`].
    UnknownFormat,
    /// See [`Error::UnsupportedFormat`].
    UnsupportedFormat,
    /// See [`Error::FormatMismatch`].
    FormatMismatch,
    /// See [`Error::LimitExceeded`].
    Limit(Limit),
    /// See [`Error::Malformed`].
    Malformed,
    /// See [`Error::EmptyImage`].
    EmptyImage,
    /// See [`Error::InvalidSpec`].
    InvalidSpec,
    /// See [`Error::Encode`].
    Encode,
    /// See [`Error::OverBudget`].
    OverBudget,
    /// See [`Error::Internal`].
    Internal,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            ErrorKind::UnknownFormat => "unknown_format",
            ErrorKind::UnsupportedFormat => "unsupported_format",
            ErrorKind::FormatMismatch => "format_mismatch",
            ErrorKind::Limit(limit) => return write!(f, "limit:{}", limit.field()),
            ErrorKind::Malformed => "malformed",
            ErrorKind::EmptyImage => "empty_image",
            ErrorKind::InvalidSpec => "invalid_spec",
            ErrorKind::Encode => "encode",
            ErrorKind::OverBudget => "over_budget",
            ErrorKind::Internal => "internal",
        };
        f.write_str(name)
    }
}

/// One of the bounds in [`Limits`](crate::Limits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_input_bytes`](crate::Limits::max_input_bytes).
    InputBytes,
    /// [`Limits::max_width`](crate::Limits::max_width).
    Width,
    /// [`Limits::max_height`](crate::Limits::max_height).
    Height,
    /// [`Limits::max_pixels`](crate::Limits::max_pixels).
    Pixels,
    /// [`Limits::max_alloc`](crate::Limits::max_alloc).
    Alloc,
    /// [`Limits::max_frames`](crate::Limits::max_frames).
    Frames,
    /// [`Limits::max_metadata_bytes`](crate::Limits::max_metadata_bytes).
    MetadataBytes,
    /// [`Limits::max_chunks`](crate::Limits::max_chunks).
    Chunks,
    /// [`MAX_AVIF_PIXELS`](crate::MAX_AVIF_PIXELS): an AVIF output the input's shape makes too large.
    AvifPixels,
    /// [`Limits::max_animation_pixels`](crate::Limits::max_animation_pixels).
    AnimationPixels,
    /// [`Limits::max_animated_output_pixels`](crate::Limits::max_animated_output_pixels).
    AnimatedOutputPixels,
}

impl Limit {
    /// The name of the [`Limits`](crate::Limits) field, e.g. `max_height`.
    pub fn field(self) -> &'static str {
        match self {
            Limit::InputBytes => "max_input_bytes",
            Limit::Width => "max_width",
            Limit::Height => "max_height",
            Limit::Pixels => "max_pixels",
            Limit::Alloc => "max_alloc",
            Limit::Frames => "max_frames",
            Limit::MetadataBytes => "max_metadata_bytes",
            Limit::Chunks => "max_chunks",
            Limit::AvifPixels => "max_avif_pixels",
            Limit::AnimationPixels => "max_animation_pixels",
            Limit::AnimatedOutputPixels => "max_animated_output_pixels",
        }
    }

    /// What the limit measures, for messages (`height`, `decoded bytes`, …).
    pub fn subject(self) -> &'static str {
        match self {
            Limit::InputBytes => "input bytes",
            Limit::Width => "width",
            Limit::Height => "height",
            Limit::Pixels => "pixels",
            Limit::Alloc => "decoded bytes",
            Limit::Frames => "frames",
            Limit::MetadataBytes => "inflated metadata bytes",
            Limit::Chunks => "ancillary chunks",
            Limit::AvifPixels => "AVIF output pixels",
            Limit::AnimationPixels => "animation pixels (frames x width x height)",
            Limit::AnimatedOutputPixels => "animated output pixels (frames x width x height)",
        }
    }
}

impl Error {
    /// The data-free kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::UnknownFormat { .. } => ErrorKind::UnknownFormat,
            Error::UnsupportedFormat { .. } => ErrorKind::UnsupportedFormat,
            Error::FormatMismatch { .. } => ErrorKind::FormatMismatch,
            Error::LimitExceeded { limit, .. } => ErrorKind::Limit(*limit),
            Error::Malformed { .. } => ErrorKind::Malformed,
            Error::EmptyImage { .. } => ErrorKind::EmptyImage,
            Error::InvalidSpec { .. } => ErrorKind::InvalidSpec,
            Error::Encode { .. } => ErrorKind::Encode,
            Error::OverBudget { .. } => ErrorKind::OverBudget,
            Error::Internal { .. } => ErrorKind::Internal,
        }
    }

    /// Whose fault it is: [`Class::Rejected`] means the input must not be retried.
    ///
    /// ```
    /// use imgkit::{Class, Limits, Processor, Spec};
    /// let err = Processor::new(Limits::default()).process(b"not an image", &Spec::new().with_width(100)).unwrap_err();
    /// assert_eq!(err.class(), Class::Rejected);
    /// ```
    pub fn class(&self) -> Class {
        match self.kind() {
            ErrorKind::InvalidSpec => Class::Config,
            ErrorKind::Encode | ErrorKind::Internal => Class::Transient,
            _ => Class::Rejected,
        }
    }

    /// Shorthand for `self.class() == Class::Rejected`.
    pub fn is_input_fault(&self) -> bool {
        self.class() == Class::Rejected
    }

    pub(crate) fn limit(limit: Limit, max: u64, actual: u64) -> Error {
        Error::LimitExceeded { limit, max, actual }
    }

    pub(crate) fn malformed(format: Format, reason: impl Into<String>) -> Error {
        Error::Malformed {
            format,
            reason: reason.into(),
            source: None,
        }
    }

    pub(crate) fn spec(field: &'static str, message: impl Into<String>) -> Error {
        Error::InvalidSpec {
            field,
            message: message.into(),
        }
    }

    /// Maps a decoder error to ours. Everything the decoder refuses counts as the input's fault: our own
    /// limit checks run before it with the same numbers, so a decoder limit error only fires for
    /// allocations the header could not predict, which is still the input's doing.
    pub(crate) fn from_decoder(format: Format, err: image::ImageError) -> Error {
        let reason = match &err {
            image::ImageError::Limits(e) => format!("decoder allocation limit: {e}"),
            image::ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                "truncated: unexpected end of data".to_string()
            }
            other => other.to_string(),
        };
        Error::Malformed {
            format,
            reason,
            source: Some(Box::new(err)),
        }
    }
}
