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
        .trellis(TrellisConfig::disabled())
        // 8-bit quantisation tables at every quality: a 16-bit table beside 8-bit samples is outside the
        // standard (T.81 B.2.4.1), and below about quality 25 mozjpeg would otherwise write one.
        .force_baseline(true);
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

#[cfg(test)]
mod tests {
    use super::*;
    use image::RgbImage;

    /// Every DQT segment's tables (precision nibble, table id, 64 values) hold 8-bit values.
    #[test]
    fn quantisation_tables_are_8_bit_at_every_quality() {
        let image = DynamicImage::ImageRgb8(RgbImage::from_fn(16, 16, |x, y| {
            image::Rgb([(x * 16) as u8, (y * 16) as u8, 90])
        }));
        for quality in [1, 10, 25, 50, 100] {
            let bytes = jpeg(image.clone(), quality, [255; 3]).unwrap();
            let mut tables = 0;
            let mut at = 2;
            while at + 4 <= bytes.len() && bytes[at] == 0xFF && bytes[at + 1] != 0xDA {
                let len = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
                if bytes[at + 1] == 0xDB {
                    let mut t = at + 4;
                    while t < at + 2 + len {
                        assert_eq!(bytes[t] >> 4, 0, "quality {quality}: a 16-bit table");
                        tables += 1;
                        t += 65;
                    }
                }
                at += 2 + len;
            }
            assert!(tables >= 2, "quality {quality}: {tables} tables found");
        }
    }
}
