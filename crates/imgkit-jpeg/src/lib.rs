//! A JPEG decoder (baseline and progressive) that scales in the DCT domain, for imgkit's shrink-on-load.
//!
//! Decoding a 12 MP photo to a 400 px thumbnail does not need 12 million pixels: each 8×8 block,
//! inverse-transformed straight to 4×4, 2×2 or 1×1 box averages, gives the image at 1/2, 1/4 or 1/8 of
//! its size directly, as exact per plane as libjpeg-turbo's scaled decode (subsampled chroma from
//! larger transforms, not upsampled). What is left is entropy decoding, so that is where this crate
//! spends its care: a lookahead Huffman decoder that reads eight bytes at a time and skips the
//! coefficients a scaled output does not need.
//!
//! It is deliberately narrow: one thread (the caller owns parallelism), safe Rust only. It decodes
//! 8-bit Huffman-coded JPEGs, sequential (baseline or extended: what cameras and phones write) or
//! progressive (what the web and editing apps write; a scaled decode reads only the scans its
//! coefficients are in), with one component (output as gray) or three (YCbCr, or RGB by the Adobe
//! marker or the components' ids; output as RGB), at 1/1, 1/2, 1/4 or 1/8 of their size. Anything else
//! is [`Error::Unsupported`], and the caller uses a general decoder: arithmetic coding, lossless and
//! hierarchical files, 12-bit samples, two or four components (CMYK, YCCK), sampling factors that are
//! not powers of two apart, a height left to a DNL marker, and any shrink but 1, 2, 4 and 8.
//!
//! ```
//! # let jpeg = {
//! #     let mut out = Vec::new();
//! #     let pixels: Vec<u8> = (0..64 * 48 * 3).map(|i| (i % 251) as u8).collect();
//! #     jpeg_encoder::Encoder::new(&mut out, 90).encode(&pixels, 64, 48, jpeg_encoder::ColorType::Rgb).unwrap();
//! #     out
//! # };
//! let quarter = imgkit_jpeg::decode(&jpeg, 4, 1 << 20)?;
//! assert_eq!((quarter.width, quarter.height, quarter.channels), (16, 12, 3));
//! assert_eq!(quarter.pixels.len(), 16 * 12 * 3);
//! # Ok::<(), imgkit_jpeg::Error>(())
//! ```
#![forbid(unsafe_code)]

// The public types, and the driver that runs the stages.
mod buffers;
mod decoder;
mod error;

// The stages.
mod bits;
mod color;
mod frame;
mod huffman;
mod idct;
mod output;
mod progressive;
mod scan;
mod sequential;
mod tables;
mod upsample;

pub use buffers::Buffers;
pub use decoder::MAX_SCANS;
pub use error::{Error, Result};
pub use output::{Image, Rows};

use decoder::{check_shrink, Decoder};

/// Decodes `data` at 1/`shrink` of its size (`shrink` is 1, 2, 4 or 8), allocating at most `max_alloc`
/// bytes for pixels.
///
/// The size is checked before anything is allocated, but the caller is expected to have checked the
/// image's dimensions against its own limits from the header already.
pub fn decode(data: &[u8], shrink: u32, max_alloc: u64) -> Result<Image> {
    decode_with(data, shrink, max_alloc, &mut Buffers::default())
}

/// [`decode`], with memory from (and planes given back to) `buffers`.
pub fn decode_with(data: &[u8], shrink: u32, max_alloc: u64, buffers: &mut Buffers) -> Result<Image> {
    check_shrink(shrink)?;
    let image = Decoder::new(data, shrink as usize, max_alloc, buffers, None).run()?;
    image.ok_or(Error::Malformed("no image was output"))
}

/// Decodes `data` at 1/`shrink` of its size, as [`decode_with`] does, handing each row to `rows` as soon as
/// it is complete instead of returning an image. A baseline file (one scan with every component) is then
/// decoded without any full-size buffer: its planes hold two rows of MCUs, and the rows go straight to the
/// caller, for example into a resizer that keeps only the rows its filter still needs.
///
/// On an error, the rows already handed over are not the whole image.
///
/// ```
/// # let jpeg = {
/// #     let mut out = Vec::new();
/// #     let pixels: Vec<u8> = (0..64 * 48 * 3).map(|i| (i % 251) as u8).collect();
/// #     jpeg_encoder::Encoder::new(&mut out, 90).encode(&pixels, 64, 48, jpeg_encoder::ColorType::Rgb).unwrap();
/// #     out
/// # };
/// /// Sums each row's bytes.
/// #[derive(Default)]
/// struct Sums { row: Vec<u8>, sums: Vec<u32> }
///
/// impl imgkit_jpeg::Rows for Sums {
///     fn start(&mut self, width: usize, _height: usize, channels: usize) {
///         self.row = vec![0; width * channels];
///     }
///     fn row(&mut self, y: usize) -> &mut [u8] {
///         if y > 0 {
///             self.sums.push(self.row.iter().map(|&v| u32::from(v)).sum());
///         }
///         &mut self.row
///     }
/// }
///
/// let mut sums = Sums::default();
/// imgkit_jpeg::decode_rows(&jpeg, 2, 1 << 20, &mut imgkit_jpeg::Buffers::default(), &mut sums)?;
/// assert_eq!(sums.sums.len(), 23); // and the last row is in `sums.row`
/// # Ok::<(), imgkit_jpeg::Error>(())
/// ```
pub fn decode_rows(
    data: &[u8],
    shrink: u32,
    max_alloc: u64,
    buffers: &mut Buffers,
    rows: &mut dyn Rows,
) -> Result<()> {
    check_shrink(shrink)?;
    Decoder::new(data, shrink as usize, max_alloc, buffers, Some(rows)).run()?;
    Ok(())
}

#[cfg(test)]
mod tests;
