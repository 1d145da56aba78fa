//! Probe: what is this input? Format, dimensions, frames, orientation — without decoding pixels.

pub(crate) mod heif;
pub(crate) mod scan;
mod sniff;

use std::io::Cursor;
use std::time::{Duration, Instant};

use image::{ImageDecoder, ImageReader};

use crate::error::{Error, Result};
use crate::{Format, ImageInfo, Limits, Orientation};

/// Reads the header of `bytes` and checks it against `limits`, without decoding any pixels.
///
/// Runs the same checks, in the same order, as [`Processor::process`](crate::Processor::process) does
/// before it decodes: input size, format (both sniffers must agree, the format must be allowed),
/// container structure (chunk count, inflated metadata, frame count, JPEG completeness), then the header's
/// width, height, pixels, frames and decoded size. Allocates nothing proportional to declared sizes.
///
/// The answer holds the bytes and their decoder, ready: hand it to
/// [`Processor::process_probed`](crate::Processor::process_probed) to decode exactly what was probed,
/// without reading the header again.
///
/// ```
/// use imgkit::{probe, Format, Limits};
/// # let png = imgkit_testkit::png(64, 48);
/// let probed = probe(&png, &Limits::default())?;
/// let info = probed.info();
/// assert_eq!((info.format, info.width, info.height), (Format::Png, 64, 48));
/// # Ok::<(), imgkit::Error>(())
/// ```
///
/// An adapter that learns the length or the first bytes earlier (a file's metadata, a download's first
/// chunk) checks them there instead, with [`Limits::admit`], and probes the [`Sniffed`] input: each check
/// runs once.
pub fn probe<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Probed<'a>> {
    limits.admit(bytes.len() as u64)?.sniff(bytes)?.probe(bytes)
}

/// An input that passed [`probe`]: its bytes, what its header says, and its decoder, ready. Only
/// [`probe`] makes one, so whatever decodes it decodes bytes that were checked against the limits.
pub struct Probed<'a> {
    pub(crate) checked: Checked<'a>,
    pub(crate) limits: Limits,
    pub(crate) took: Duration,
}

impl<'a> Probed<'a> {
    /// Past the length and format checks ([`Sniffed::probe`]): the container and the header.
    pub(crate) fn new(bytes: &'a [u8], format: Format, limits: &Limits) -> Result<Probed<'a>> {
        let start = Instant::now();
        let checked = Checked::new(bytes, format, limits)?;
        Ok(Probed {
            checked,
            limits: *limits,
            took: start.elapsed(),
        })
    }

    /// What the header and container said.
    pub fn info(&self) -> &ImageInfo {
        &self.checked.info
    }

    /// The probed bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.checked.bytes
    }

    /// The limits it was checked against.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// What the header and container said, keeping nothing else.
    pub fn into_info(self) -> ImageInfo {
        self.checked.info
    }
}

impl std::fmt::Debug for Probed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probed")
            .field("info", self.info())
            .field("bytes", &self.bytes().len())
            .finish_non_exhaustive()
    }
}

/// How many leading bytes [`sniff`] looks at: pass at least this many (or the whole input, if shorter).
pub const SNIFF_LEN: usize = 512;

/// Identifies the format from the first bytes of an input and checks that it is allowed: the first two
/// of [`probe`]'s checks, for callers that can refuse an input before they have all of it (a download
/// that stops as soon as the file is known not to be an image). Only the first [`SNIFF_LEN`] bytes are
/// read, so the answer does not depend on how much more was passed.
///
/// ```
/// use imgkit::{sniff, ErrorKind, Format, Limits};
/// # let png = imgkit_testkit::png(64, 48);
/// assert_eq!(sniff(&png[..16], &Limits::default())?, Format::Png);
/// let err = sniff(b"hello, world", &Limits::default()).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::UnknownFormat);
/// # Ok::<(), imgkit::Error>(())
/// ```
pub fn sniff(first_bytes: &[u8], limits: &Limits) -> Result<Format> {
    allowed_format(first_bytes, limits)
}

// Admission: the input's length and format, each checked once, at the first point an adapter knows it
// (the length from a listing or a HEAD, the format from the first bytes of a download), and carried to
// `probe` so it does not check them again.

/// An input whose length passed [`Limits::max_input_bytes`], made by [`Limits::admit`] before any of
/// its bytes are read. [`sniff`](Admitted::sniff) its first bytes next.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Admitted {
    len: u64,
    limits: Limits,
}

/// An input whose length and format passed the limits; [`probe`](Sniffed::probe) its bytes to read the
/// header. Made by [`Admitted::sniff`].
#[derive(Clone, Debug, PartialEq)]
pub struct Sniffed {
    len: u64,
    format: Format,
    /// The bytes the format was read from, so that other bytes are never taken for these.
    first_bytes: Vec<u8>,
    limits: Limits,
}

impl Limits {
    /// Checks an input's length before any of it is read: the first of [`probe`](crate::probe)'s checks,
    /// for callers that know the length first (a file's metadata, an object's HEAD).
    ///
    /// ```
    /// use imgkit::{ErrorKind, Format, Limit, Limits};
    /// # let png = imgkit_testkit::png(64, 48);
    /// let limits = Limits { max_input_bytes: 1 << 20, ..Limits::default() };
    /// let err = limits.admit(5 << 20).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Limit(Limit::InputBytes));
    ///
    /// let sniffed = limits.admit(png.len() as u64)?.sniff(&png[..16])?;
    /// assert_eq!(sniffed.format(), Format::Png);
    /// let probed = sniffed.probe(&png)?;
    /// assert_eq!(probed.info().width, 64);
    /// # Ok::<(), imgkit::Error>(())
    /// ```
    pub fn admit(&self, len: u64) -> Result<Admitted> {
        self.check_input_len(usize::try_from(len).unwrap_or(usize::MAX))?;
        Ok(Admitted { len, limits: *self })
    }
}

impl Admitted {
    /// The admitted length.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the admitted input is empty (it will fail the format check).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Identifies the format from the input's first bytes (at least [`SNIFF_LEN`] of them, or all of a
    /// shorter input) and checks that it is allowed, so that a download can stop as soon as the input
    /// is known not to be an image.
    pub fn sniff(self, first_bytes: &[u8]) -> Result<Sniffed> {
        let first_bytes = &first_bytes[..first_bytes.len().min(SNIFF_LEN)];
        let format = allowed_format(first_bytes, &self.limits)?;
        Ok(Sniffed {
            len: self.len,
            format,
            first_bytes: first_bytes.to_vec(),
            limits: self.limits,
        })
    }
}

impl Sniffed {
    /// The format the first bytes showed.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Reads the header of the whole input: the rest of [`probe`](crate::probe)'s checks. Bytes other
    /// than the admitted ones (another length, other first bytes: the file changed in between) go
    /// through every check again.
    pub fn probe(self, bytes: &[u8]) -> Result<Probed<'_>> {
        let same = bytes.len() as u64 == self.len
            && self.first_bytes.len() == bytes.len().min(SNIFF_LEN)
            && bytes.starts_with(&self.first_bytes);
        if !same {
            return crate::probe(bytes, &self.limits);
        }
        Probed::new(bytes, self.format, &self.limits)
    }
}

/// The format of `first_bytes` (at most [`SNIFF_LEN`] of them), if the limits allow it.
fn allowed_format(first_bytes: &[u8], limits: &Limits) -> Result<Format> {
    let format = sniff::sniff(&first_bytes[..first_bytes.len().min(SNIFF_LEN)])?;
    limits.check_format(format)?;
    Ok(format)
}

/// What decodes checked bytes.
pub(crate) enum Decoder<'a> {
    /// `image`'s pure-Rust decoder, past its header.
    Image(Box<dyn ImageDecoder + 'a>),
    /// libheif in the decoding sandbox; the container walk has checked the bytes.
    Sandboxed,
}

/// Bytes that passed every check in [`probe`], with their decoder ready. The only way to decode.
pub(crate) struct Checked<'a> {
    pub(crate) info: ImageInfo,
    pub(crate) decoder: Decoder<'a>,
    pub(crate) icc_profile: Option<Vec<u8>>,
    /// The input, for decoders other than `decoder` (the DCT-scaled JPEG path).
    pub(crate) bytes: &'a [u8],
    /// The decoder allocation budget, for those decoders.
    pub(crate) max_alloc: u64,
    /// A progressive JPEG (the container walk saw SOF2 before the first scan).
    pub(crate) progressive: bool,
}

impl<'a> Checked<'a> {
    fn new(bytes: &'a [u8], format: Format, limits: &Limits) -> Result<Checked<'a>> {
        if matches!(format, Format::Heic | Format::Avif) {
            return Checked::heif(bytes, format, limits);
        }
        let container = scan::scan(format, bytes, limits)?;
        // Before the decoder parses the header: png inflates iCCP and text chunks while doing so.
        limits.check_container(container.chunks, container.metadata_bytes)?;
        if let Some(declared) = container.declared {
            let (width, height, frames) = (declared.width, declared.height, container.frames);
            limits.check_size(width, height, frames, declared.decoded_bytes)?;
        }

        let mut reader = ImageReader::with_format(Cursor::new(bytes), format.to_image());
        // Dimensions are checked by us right below, with errors that name the limit; the allocation
        // budget still applies to whatever the decoder allocates while parsing the header.
        let mut header_limits = limits.to_image_limits();
        header_limits.max_image_width = None;
        header_limits.max_image_height = None;
        reader.limits(header_limits);
        let mut decoder: Box<dyn ImageDecoder + 'a> = Box::new(
            reader
                .into_decoder()
                .map_err(|e| Error::from_decoder(format, e))?,
        );

        let (width, height) = decoder.dimensions();
        // The limits ran on the walk's reading of the header; they run again only on a decoder that read
        // it differently (never seen: the walk and the decoder parse the same fields).
        let checked_by_walk = container.declared.is_some_and(|declared| {
            (declared.width, declared.height) == (width, height)
                && declared.decoded_bytes >= decoder.total_bytes()
        });
        if width == 0 || height == 0 {
            return Err(Error::EmptyImage {
                format,
                width,
                height,
            });
        }
        let color = decoder.color_type();
        // A broken EXIF or ICC block never fails the image: it is read as absent.
        let orientation = decoder
            .exif_metadata()
            .ok()
            .flatten()
            .map_or(Orientation::Normal, |exif| Orientation::from_exif_block(&exif));
        let icc_profile = decoder.icc_profile().ok().flatten();
        let info = ImageInfo {
            format,
            width,
            height,
            channels: color.channel_count(),
            bits_per_sample: (color.bits_per_pixel() / u16::from(color.channel_count())) as u8,
            has_alpha: color.has_alpha(),
            frames: container.frames,
            plays: container.plays,
            orientation,
            has_icc_profile: icc_profile.is_some(),
            decoded_bytes: decoder.total_bytes(),
            chunks: container.chunks,
            metadata_bytes: container.metadata_bytes,
        };
        if !checked_by_walk {
            limits.check_header(&info)?;
        }
        decoder
            .set_limits(limits.to_image_limits())
            .map_err(|e| Error::from_decoder(format, e))?;
        Ok(Checked {
            info,
            decoder: Decoder::Image(decoder),
            icc_profile,
            bytes,
            max_alloc: limits.max_alloc,
            progressive: container.progressive,
        })
    }

    /// HEIC and AVIF: the container walk stands in for the header; then the limits.
    fn heif(bytes: &'a [u8], format: Format, limits: &Limits) -> Result<Checked<'a>> {
        let container = heif::walk(bytes, format, limits)?;
        if container.width == 0 || container.height == 0 {
            return Err(Error::EmptyImage {
                format,
                width: container.width,
                height: container.height,
            });
        }
        let channels: u8 = if container.has_alpha { 4 } else { 3 };
        let info = ImageInfo {
            format,
            width: container.width,
            height: container.height,
            channels,
            bits_per_sample: 8,
            has_alpha: container.has_alpha,
            frames: 1,
            plays: 1,
            orientation: container.orientation,
            has_icc_profile: container.icc_profile.is_some(),
            decoded_bytes: container.width as u64 * container.height as u64 * u64::from(channels),
            chunks: container.boxes,
            metadata_bytes: container.icc_profile.as_ref().map_or(0, |icc| icc.len() as u64),
        };
        limits.check(&info)?;
        Ok(Checked {
            info,
            decoder: Decoder::Sandboxed,
            icc_profile: container.icc_profile,
            bytes,
            max_alloc: limits.max_alloc,
            progressive: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorKind, Limit};

    /// What was admitted is not checked again; bytes other than the admitted ones are checked whole.
    #[test]
    fn sniffed_bytes_skip_the_admission_and_other_bytes_do_not() {
        let png = imgkit_testkit::png(64, 48);
        let jpeg = imgkit_testkit::jpeg(64, 48);
        let limits = Limits {
            max_input_bytes: png.len() as u64,
            ..Limits::default()
        };
        let sniffed = limits.admit(png.len() as u64).unwrap().sniff(&png).unwrap();
        assert_eq!(sniffed.format(), Format::Png);
        assert_eq!(sniffed.clone().probe(&png).unwrap().info().format, Format::Png);

        // Same length, other first bytes: sniffed again, so the JPEG is read as one.
        let mut other = jpeg.clone();
        other.resize(png.len(), 0);
        assert_eq!(sniffed.clone().probe(&other).unwrap().info().format, Format::Jpeg);

        // Longer than admitted: the length limit runs on the bytes actually read.
        let mut longer = png.clone();
        longer.push(0);
        let err = sniffed.probe(&longer).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Limit(Limit::InputBytes));
    }

    #[test]
    fn the_admission_refuses_by_length_before_any_byte() {
        let limits = Limits {
            max_input_bytes: 10,
            ..Limits::default()
        };
        let err = limits.admit(11).unwrap_err();
        assert_eq!(err.to_string(), "input bytes 11 exceeds max_input_bytes 10");
        assert!(limits.admit(10).is_ok());
        let empty = limits.admit(0).unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.sniff(b"").unwrap_err().kind(), ErrorKind::UnknownFormat);
    }
}
