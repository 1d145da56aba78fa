//! # imgkit
//!
//! Fast, memory-safe processing of untrusted images: untrusted bytes and a [`Spec`] in, freshly encoded
//! bytes out.
//!
//! Data flows one way through the modules:
//! [`probe`] (format from magic bytes, header, container scan; a [`Probed`] input is the only thing that
//! decodes) → [`Limits`] (checked before any pixel buffer exists) → scale (the DCT scale to decode at, and
//! which larger rendition a smaller one starts from) → decode (pure Rust, first frame) → resize
//! ([`fast_image_resize`], alpha-correct) → orient (EXIF 1–8) → colour (embedded ICC profiles converted to
//! sRGB) → encode (JPEG, PNG, WebP; no metadata is ever copied). An animated WebP rendition of an
//! animation runs decode → resize → orient → colour → encode once per frame (animate).

//! Every failure is an [`Error`] whose [`class`](Error::class) says whether the input is at fault
//! ([`Class::Rejected`]: never retry) or not.
//!
//! ```
//! use imgkit::{Class, Limits, OutputFormat, Processor, Spec};
//! # let bytes = imgkit_testkit::png(1200, 800);
//! let mut processor = Processor::new(Limits::default());
//! let spec = Spec::new().with_width(400).with_format(OutputFormat::WebP { quality: 80 });
//! let out = processor.process(&bytes, &spec)?;
//! assert_eq!((out.width, out.height), (400, 267));
//!
//! let err = processor.process(b"<svg onload=alert(1)>", &spec).unwrap_err();
//! assert_eq!(err.class(), Class::Rejected);
//! # Ok::<(), imgkit::Error>(())
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod animate;
mod color;
mod decode;
mod encode;
mod error;
mod focus;
mod format;
mod info;
mod limits;
mod orient;
mod output;
mod pipeline;
mod placeholder;
mod planning;
mod probe;
mod resize;
mod sandboxed;
mod scale;
mod spec;

pub use decode::{decode, decode_scaled, Decoded};
pub use error::{Cause, Class, Error, ErrorKind, Limit, Result};
pub use format::{Format, Formats};
pub use info::ImageInfo;
pub use limits::Limits;
pub use orient::Orientation;
pub use output::{Output, Timings};
pub use pipeline::Processor;
pub use planning::Planned;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub use probe::heif::fuzz_heif_walk;
pub use probe::{probe, sniff, Admitted, Probed, Sniffed, SNIFF_LEN};
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub use resize::fuzz_resize;
pub use sandboxed::{capabilities, serve_sandbox_if_child, Capabilities};
pub use scale::{ShrinkOnLoad, MEASURED_MIN_RESIDUAL};
pub use spec::{
    output_name, plan, Filter, Fit, Focus, OutputFormat, Plan, Rendition, Rgb, Spec, DEFAULT_AVIF_QUALITY,
    DEFAULT_AVIF_SPEED, DEFAULT_QUALITY, DEFAULT_WEBP_QUALITY, MAX_AVIF_PIXELS, MAX_SIDE, MIN_BUDGET_QUALITY,
};
