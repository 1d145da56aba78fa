//! JPEG output with mozjpeg's techniques (`mozjpeg-rs`, a pure-Rust port): its quantisation tables
//! (Robidoux's, tuned on photos), Huffman codes optimised for each image and progressive scans; 4:2:0
//! chroma like every camera.
//!
//! Trellis quantisation is off: measured on 400 px thumbnails of the shared photos by SSIMULACRA2
//! against the exact thumbnail (`benches/compare/bytes.py`), it saves almost no bytes at equal score
//! for several times the encoding time; progressive scans and optimised Huffman codes without it come
//! close to mozjpeg's own smallest setting (the figures: README, "JPEG bytes").

use image::DynamicImage;
use mozjpeg_rs::{Encoder, Preset, Subsampling, TrellisConfig};

use super::pixels::{dim16, flatten};
use crate::error::{Error, Result};
use crate::Format;

/// Encodes `image` (alpha flattened onto `background`) at `quality` (1-100, mozjpeg's scale).
pub(crate) fn jpeg(image: DynamicImage, quality: u8, background: [u8; 3]) -> Result<Vec<u8>> {
    let image = flatten(image, background);
    // JPEG's frame header holds 16-bit sides.
    let (w, h) = (
        u32::from(dim16(image.width(), Format::Jpeg)?),
        u32::from(dim16(image.height(), Format::Jpeg)?),
    );
    let encoder = Encoder::new(Preset::ProgressiveBalanced)
        .quality(quality)
        .subsampling(Subsampling::S420)
        .trellis(TrellisConfig::disabled());
    let encoded = match &image {
        DynamicImage::ImageLuma8(buf) => encoder.encode_gray(buf.as_raw(), w, h),
        DynamicImage::ImageRgb8(buf) => encoder.encode_rgb(buf.as_raw(), w, h),
        _ => {
            return Err(Error::Internal {
                stage: "encode",
                reason: "jpeg input not flattened".into(),
            })
        }
    };
    encoded.map_err(|e| Error::Encode {
        format: Format::Jpeg,
        reason: e.to_string(),
    })
}
