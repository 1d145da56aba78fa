//! # imgkit-testkit
//!
//! The one copy of what imgkit's tests, benchmarks and corpus generator share (unpublished,
//! `publish = false`; shipped crates have it as a dev-dependency only):
//!
//! - [`photo`]: deterministic, platform-independent photo-like pictures, and [`encode`] to turn them into
//!   the files cameras, phones and web pages produce (the generator is `imgkit_sizing::photo`, which
//!   `imgkit sizing` calibrates with);
//! - [`manifest`]: the corpus manifests (`corpus/manifest.tsv`, `corpus/regression/manifest.tsv`, and
//!   [`manifest::animation`] for `corpus/animation/manifest.tsv`), read once, so expectations live there and
//!   not in test code;
//! - [`memory`]: the process's peak resident memory (`imgkit_sizing::memory`'s reading), and a counting
//!   allocator for peak heap;
//! - [`quality`]: PSNR (per YCbCr plane too) and SSIM, and [`pillow`] to decode what imgkit writes but
//!   cannot read, and JPEGs as libjpeg-turbo scales them.
//!
//! ```
//! let jpeg = imgkit_testkit::encode::photo_jpeg(320, 240, 85);
//! assert_eq!(&jpeg[..2], b"\xFF\xD8");
//! let png = imgkit_testkit::png(64, 48);
//! assert_eq!(&png[1..4], b"PNG");
//! ```

pub mod encode;
pub mod exif;
pub mod manifest;
pub mod memory;
pub mod photo;
pub mod pillow;
pub mod quality;

pub use encode::{jpeg, png};
pub use imgkit_sizing::photo::XorShift;
pub use photo::{photo, Picture};
pub use quality::{box_down, box_mean, psnr, psnr_encoded, psnr_ycbcr, ssim_rgb};
