//! # imgkit
//!
//! Fast, memory-safe processing of untrusted images: untrusted bytes and a [`Spec`] in, freshly encoded
//! bytes out.
//!
//! Data flows one way through the modules:
//! [`probe`] (format from magic bytes, header, container scan) → [`Limits`] (checked before any pixel
//! buffer exists) → decode (pure Rust, first frame) → resize ([`fast_image_resize`], alpha-correct) →
//! orient (EXIF 1–8) → colour (embedded ICC profiles converted to sRGB) → encode (JPEG, PNG, WebP; no
//! metadata is ever copied).
//!
//! Every failure is an [`Error`] whose [`class`](Error::class) says whether the input is at fault
//! ([`Class::Rejected`]: never retry) or not.
//!
//! ```
//! use imgkit::{Class, Limits, OutputFormat, Processor, Spec};
//! # let bytes = imgkit::doc_png(1200, 800);
//! let mut processor = Processor::new(Limits::default());
//! let spec = Spec::width(400).format(OutputFormat::WebP { quality: 80 });
//! let out = processor.process(&bytes, &spec)?;
//! assert_eq!((out.width, out.height), (400, 267));
//!
//! let err = processor.process(b"<svg onload=alert(1)>", &spec).unwrap_err();
//! assert_eq!(err.class(), Class::Rejected);
//! # Ok::<(), imgkit::Error>(())
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod color;
mod decode;
mod encode;
mod error;
mod format;
mod geometry;
mod limits;
mod orient;
mod pipeline;
mod probe;
mod resize;
mod spec;

pub use decode::{decode, decode_scaled, Decoded};
pub use error::{Cause, Class, Error, ErrorKind, Limit, Result};
pub use format::{Format, Formats};
pub use geometry::{plan, Fit, Plan};
pub use limits::Limits;
pub use orient::Orientation;
pub use pipeline::{Output, Processor, Timings, DEFAULT_SHRINK_MARGIN};
pub use probe::{probe, sniff, ImageInfo, SNIFF_LEN};
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub use resize::fuzz_resize;
pub use spec::{Filter, OutputFormat, Rendition, Spec, DEFAULT_QUALITY, MAX_SIDE};

/// A small, valid JPEG for documentation examples. Not part of the API.
#[doc(hidden)]
pub fn doc_jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Vec::new();
    // Encoding a well-formed in-memory RGB buffer into a Vec cannot fail.
    let _ = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&img);
    out
}

/// A small, valid, photo-like PNG for documentation examples. Not part of the API.
#[doc(hidden)]
pub fn doc_png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            128,
        ])
    });
    let mut out = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new(&mut out);
    // Encoding a well-formed in-memory RGB buffer into a Vec cannot fail.
    let _ = image::ImageEncoder::write_image(
        encoder,
        img.as_raw(),
        width,
        height,
        image::ExtendedColorType::Rgb8,
    );
    out
}
