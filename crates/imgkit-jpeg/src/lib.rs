//! A baseline JPEG decoder that scales in the DCT domain, for imgkit's shrink-on-load.
//!
//! Decoding a 12 MP photo to a 400 px thumbnail does not need 12 million pixels: each 8×8 block,
//! inverse-transformed straight to 4×4, 2×2 or 1×1 box averages, gives the image at 1/2, 1/4 or 1/8 of
//! its size directly, as exact per plane as libjpeg-turbo's scaled decode (subsampled chroma from
//! larger transforms, not upsampled). What is left is entropy decoding, so that is where this crate
//! spends its care: a lookahead Huffman decoder that reads eight bytes at a time and skips the
//! coefficients a scaled output does not need.
//!
//! It is deliberately narrow: one thread (the caller owns parallelism), safe Rust only, 8-bit Huffman
//! JPEGs with one or three components, sequential (what cameras and phones write) or progressive (what
//! the web and editing apps write; a scaled decode reads only the scans its coefficients are in).
//! Anything else (arithmetic coding, 12-bit, CMYK, lossless, unusual sampling) is
//! [`Error::Unsupported`], and the caller uses a general decoder.
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

// The stages, in the order data flows through them.
mod colour;
mod frame;
mod huffman;
mod idct;
mod output;
mod progressive;
mod scan;
mod sequential;
mod tables;
mod upsample;

use frame::Frame;
use huffman::Bits;
use idct::Basis;
use output::{Output, Target};
use scan::Scan;
use tables::Tables;

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
    /// The file has more than [`MAX_SCANS`] scans.
    #[error("more than {limit} scans")]
    TooManyScans {
        /// [`MAX_SCANS`].
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

/// Decoded pixels: 8-bit gray (`channels` 1) or RGB (3), rows top to bottom, no padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// Width in pixels: the JPEG's width divided by the scale, rounded up.
    pub width: u32,
    /// Height in pixels: the JPEG's height divided by the scale, rounded up.
    pub height: u32,
    /// 1 (gray) or 3 (RGB).
    pub channels: u8,
    /// `width × height × channels` bytes.
    pub pixels: Vec<u8>,
}

/// Decodes `data` at 1/`scale` of its size (`scale` is 1, 2, 4 or 8), allocating at most `max_alloc`
/// bytes for pixels.
///
/// The size is checked before anything is allocated, but the caller is expected to have checked the
/// image's dimensions against its own limits from the header already.
pub fn decode(data: &[u8], scale: u32, max_alloc: u64) -> Result<Image> {
    decode_with(data, scale, max_alloc, &mut Buffers::default())
}

/// Memory one decode leaves for the next: the component planes, and the pixels of an [`Image`] handed
/// back with [`Buffers::recycle`]. A program decoding many files keeps one, so that each decode writes
/// into pages already mapped instead of faulting in fresh ones (a tenth of a 6 MP decode at 1/2). It
/// holds at most what the largest decode so far needed.
///
/// ```
/// # let jpeg = {
/// #     let mut out = Vec::new();
/// #     let pixels: Vec<u8> = (0..64 * 48 * 3).map(|i| (i % 251) as u8).collect();
/// #     jpeg_encoder::Encoder::new(&mut out, 90).encode(&pixels, 64, 48, jpeg_encoder::ColorType::Rgb).unwrap();
/// #     out
/// # };
/// let mut buffers = imgkit_jpeg::Buffers::default();
/// for _ in 0..3 {
///     let half = imgkit_jpeg::decode_with(&jpeg, 2, 1 << 20, &mut buffers)?;
///     assert_eq!((half.width, half.height), (32, 24));
///     buffers.recycle(half.pixels);
/// }
/// # Ok::<(), imgkit_jpeg::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct Buffers {
    planes: Vec<Vec<u8>>,
    pixels: Vec<u8>,
}

impl Buffers {
    /// Takes back the pixels of an image decoded earlier, for the next decode to write into.
    pub fn recycle(&mut self, pixels: Vec<u8>) {
        if pixels.capacity() > self.pixels.capacity() {
            self.pixels = pixels;
        }
    }

    /// A zeroed buffer of `len` bytes, from the kept ones when there is one.
    pub(crate) fn plane(&mut self, len: usize) -> Vec<u8> {
        zeroed(self.planes.pop().unwrap_or_default(), len)
    }

    /// `len` zeroed bytes for a decoder's output, in the pixels given back last when they have the room.
    /// Public so that a caller's other decoders can write into the same memory.
    pub fn take_pixels(&mut self, len: usize) -> Vec<u8> {
        zeroed(std::mem::take(&mut self.pixels), len)
    }

    /// `len` bytes for our own output, which writes every one of them (`Output::rows` converts every
    /// row whole), so the earlier image's bytes are not zeroed first: at full size that was a 36 MB
    /// memset per 12 MP decode, on top of the write that replaces it.
    fn pixels_to_overwrite(&mut self, len: usize) -> Vec<u8> {
        let mut kept = std::mem::take(&mut self.pixels);
        if kept.capacity() < len {
            return vec![0; len];
        }
        kept.resize(len, 0);
        kept
    }
}

/// `len` zero bytes in `kept` when it has the room; otherwise newly allocated, where zeroed pages come
/// from the system for free instead of being written over.
fn zeroed(mut kept: Vec<u8>, len: usize) -> Vec<u8> {
    if kept.capacity() < len {
        return vec![0; len];
    }
    kept.clear();
    kept.resize(len, 0);
    kept
}

/// [`decode`], with memory from (and planes given back to) `buffers`.
pub fn decode_with(data: &[u8], scale: u32, max_alloc: u64, buffers: &mut Buffers) -> Result<Image> {
    check_scale(scale)?;
    let image = Decoder::new(data, scale as usize, max_alloc, buffers, None).run()?;
    image.ok_or(Error::Malformed("no image was output"))
}

/// Takes a decode's rows as they are completed, so that the whole image never needs to exist at once
/// (see [`decode_rows`]).
pub trait Rows {
    /// The output's size and channels (1: gray, 3: RGB), told once, before any row.
    fn start(&mut self, width: usize, height: usize, channels: usize);

    /// Memory for row `y`, exactly `width × channels` bytes, which the decoder then fills. Rows are asked
    /// for in order, top to bottom, each once, so every row above `y` is complete when `y` is asked for;
    /// the last one is complete when [`decode_rows`] returns `Ok`.
    fn row(&mut self, y: usize) -> &mut [u8];
}

/// Decodes `data` at 1/`scale` of its size, as [`decode_with`] does, handing each row to `rows` as soon as
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
    scale: u32,
    max_alloc: u64,
    buffers: &mut Buffers,
    rows: &mut dyn Rows,
) -> Result<()> {
    check_scale(scale)?;
    Decoder::new(data, scale as usize, max_alloc, buffers, Some(rows)).run()?;
    Ok(())
}

fn check_scale(scale: u32) -> Result<()> {
    if matches!(scale, 1 | 2 | 4 | 8) {
        Ok(())
    } else {
        Err(Error::Unsupported("scale must be 1, 2, 4 or 8"))
    }
}

/// Most scans a file may have. A progressive file needs about ten; each scan walks every block of its
/// component, so a flood of tiny scans would cost time out of proportion to the file's size.
pub const MAX_SCANS: usize = 128;

struct Decoder<'a> {
    data: &'a [u8],
    buffers: &'a mut Buffers,
    scale: usize,
    max_alloc: u64,
    tables: Tables,
    restart_interval: usize,
    adobe_transform: Option<u8>,
    jfif: bool,
    frame: Option<Frame>,
    /// The caller's rows, until the output starts.
    rows: Option<&'a mut dyn Rows>,
    /// A streaming frame's pixels, written as its scan goes.
    output: Option<Output<'a>>,
    scans: usize,
    basis: Basis,
}

impl<'a> Decoder<'a> {
    fn new(
        data: &'a [u8],
        scale: usize,
        max_alloc: u64,
        buffers: &'a mut Buffers,
        rows: Option<&'a mut dyn Rows>,
    ) -> Decoder<'a> {
        Decoder {
            data,
            buffers,
            scale,
            max_alloc,
            tables: Tables::default(),
            restart_interval: 0,
            adobe_transform: None,
            jfif: false,
            frame: None,
            rows,
            output: None,
            scans: 0,
            basis: Basis::new(),
        }
    }

    fn run(mut self) -> Result<Option<Image>> {
        let data = self.data;
        if !data.starts_with(&[0xFF, 0xD8]) {
            return Err(Error::Malformed("no start-of-image marker"));
        }
        let mut pos = 2;
        loop {
            // Find the next marker, stepping over fill bytes (and, leniently, stray bytes between segments).
            while pos + 1 < data.len() && (data[pos] != 0xFF || matches!(data[pos + 1], 0x00 | 0xFF)) {
                pos += 1;
            }
            let Some(&code) = data.get(pos + 1) else {
                break; // no EOI: decode what the scans gave
            };
            pos += 2;
            match code {
                0xD9 => break,
                0xD0..=0xD7 | 0x01 => continue, // stray restart marker, TEM: no payload
                0xD8 => return Err(Error::Malformed("second start-of-image marker")),
                _ => {}
            }
            let len = usize::from(u16::from_be_bytes([
                *data.get(pos).ok_or(Error::Malformed("truncated segment"))?,
                *data.get(pos + 1).ok_or(Error::Malformed("truncated segment"))?,
            ]));
            let segment = data
                .get(pos + 2..pos + len)
                .filter(|_| len >= 2)
                .ok_or(Error::Malformed("segment length runs past the data"))?;
            pos += len;
            match code {
                0xC0..=0xC2 => {
                    if self.frame.is_some() {
                        return Err(Error::Malformed("second frame header"));
                    }
                    let progressive = code == 0xC2;
                    self.frame = Some(Frame::parse(
                        segment,
                        progressive,
                        self.scale,
                        self.max_alloc,
                        self.buffers,
                    )?);
                }
                0xC3 | 0xC5 | 0xC6 | 0xC7 | 0xCB | 0xCD | 0xCE | 0xCF => {
                    return Err(Error::Unsupported("lossless or hierarchical"))
                }
                0xC9 | 0xCA | 0xCC => return Err(Error::Unsupported("arithmetic coding")),
                0xC4 => self.tables.define_huffman(segment)?,
                0xDB => self.tables.define_quant(segment)?,
                0xDD => {
                    let b = segment.get(..2).ok_or(Error::Malformed("short DRI segment"))?;
                    self.restart_interval = usize::from(u16::from_be_bytes([b[0], b[1]]));
                }
                0xDC => return Err(Error::Unsupported("DNL marker")),
                0xDA => pos = self.scan(segment, pos)?,
                0xE0 if segment.starts_with(b"JFIF\0") => self.jfif = true,
                0xEE if segment.starts_with(b"Adobe") => self.adobe_transform = segment.get(11).copied(),
                _ => {} // APPn, COM and the rest carry nothing the pixels need
            }
        }
        self.finish()
    }

    /// Decodes one scan whose header is `s` and whose entropy-coded data starts at `start`; returns the
    /// position where the data ended.
    fn scan(&mut self, s: &[u8], start: usize) -> Result<usize> {
        self.scans += 1;
        if self.scans > MAX_SCANS {
            return Err(Error::TooManyScans { limit: MAX_SCANS });
        }
        let frame = self
            .frame
            .as_mut()
            .ok_or(Error::Malformed("scan before frame header"))?;
        let scan = Scan::parse(s, frame)?;
        if frame.progressive && progressive::skippable(frame, &scan) {
            return Ok(huffman::skip_scan(self.data, start));
        }
        // Build the tables this scan reads (only these: see `Tables`).
        let dc_bits = !frame.progressive || (scan.ss == 0 && scan.ah == 0);
        let ac_bits = !frame.progressive || scan.ss > 0;
        let skip = !frame.progressive && self.scale > 1;
        for sc in &scan.components {
            self.tables
                .build(dc_bits.then_some(sc.dc), ac_bits.then_some(sc.ac), skip)?;
        }
        let mut bits = Bits::new(self.data, start);
        if frame.progressive {
            progressive::decode(frame, &scan, &self.tables, &mut bits, self.restart_interval)?;
            return Ok(bits.position());
        }
        if !frame.components.iter().any(|c| c.scanned) {
            // The first scan. When it has every component (as baseline files do), each of its rows of
            // units is output as soon as it is decoded, so the planes hold only two of them: the whole
            // planes were another 1.5 bytes a pixel (4:2:0) written and read back.
            let streaming = scan.components.len() == frame.components.len();
            frame.allocate_planes(self.buffers, streaming);
            if streaming {
                let target = self.rows.take();
                let output = start_output(
                    frame,
                    self.scale,
                    self.adobe_transform,
                    self.jfif,
                    self.buffers,
                    target,
                );
                self.output = Some(output);
            }
        }
        sequential::decode(
            frame,
            &scan,
            &self.tables,
            &self.basis,
            &mut bits,
            self.restart_interval,
            self.output.as_mut(),
        )?;
        Ok(bits.position())
    }

    fn finish(self) -> Result<Option<Image>> {
        let mut frame = self.frame.ok_or(Error::Malformed("no frame header"))?;
        if frame.components.iter().any(|c| !c.scanned) {
            return Err(Error::Malformed("a component has no scan"));
        }
        if frame.progressive {
            progressive::transform(&mut frame, &self.tables, &self.basis)?;
        }
        // A streaming frame's rows are all written already (by its scan's last row of units); the others
        // are written now, from their whole planes.
        let mut output = match self.output {
            Some(output) => output,
            None => start_output(
                &frame,
                self.scale,
                self.adobe_transform,
                self.jfif,
                self.buffers,
                self.rows,
            ),
        };
        output.rows(&frame, output.height());
        let image = output.finish();
        let planes = frame.components.into_iter().map(|c| c.plane);
        self.buffers.planes.extend(planes);
        Ok(image)
    }
}

/// The output of `frame` decoded at 1/`scale`: into the caller's `rows`, or else memory from `buffers`.
/// Three components are YCbCr (to convert) rather than RGB by the Adobe marker's word when there is one,
/// else unless they are named R, G and B outside a JFIF file.
fn start_output<'a>(
    frame: &Frame,
    scale: usize,
    adobe_transform: Option<u8>,
    jfif: bool,
    buffers: &mut Buffers,
    rows: Option<&'a mut dyn Rows>,
) -> Output<'a> {
    let (width, height) = (frame.width.div_ceil(scale), frame.height.div_ceil(scale));
    let channels = frame.components.len();
    let ycbcr = match adobe_transform {
        Some(t) => t != 0,
        None => jfif || !frame.components.iter().map(|c| c.id).eq(*b"RGB"),
    };
    let target = match rows {
        Some(rows) => {
            rows.start(width, height, channels);
            Target::Rows(rows)
        }
        None => Target::Pixels(buffers.pixels_to_overwrite(width * height * channels)),
    };
    Output::new(target, width, height, channels, ycbcr)
}

#[cfg(test)]
mod tests;
