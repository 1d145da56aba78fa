//! Decode: pixels. Takes only `Checked` input, so nothing reaches a decoder without passing the limits.

use image::error::{LimitError, LimitErrorKind, ParameterError, ParameterErrorKind};
use image::{ColorType, DynamicImage, ImageBuffer, ImageDecoder, ImageError, ImageResult};

use crate::error::{Error, Result};
use crate::probe::{Checked, Decoder};
use crate::{Format, ImageInfo, Limit, Limits};

/// A decoded first frame that passed every limit, ready to render any number of renditions with
/// [`Processor::render`](crate::Processor::render).
///
/// Pixels are held in one of the 8-bit layouts the resizer and encoders work on (gray, gray+alpha, RGB,
/// RGBA), in stored orientation.
pub struct Decoded {
    pub(crate) image: DynamicImage,
    /// The DCT scale shrink the decode applied (1: full size).
    pub(crate) shrink: u32,
    pub(crate) info: ImageInfo,
    pub(crate) icc_profile: Option<Vec<u8>>,
}

impl Decoded {
    /// Hands the pixels back to `buffers` for the next decode to write into.
    pub(crate) fn recycle(self, buffers: &mut imgkit_jpeg::Buffers) {
        match self.image {
            DynamicImage::ImageLuma8(image) => buffers.recycle(image.into_raw()),
            DynamicImage::ImageLumaA8(image) => buffers.recycle(image.into_raw()),
            DynamicImage::ImageRgb8(image) => buffers.recycle(image.into_raw()),
            DynamicImage::ImageRgba8(image) => buffers.recycle(image.into_raw()),
            _ => {}
        }
    }

    /// What the probe learned about the input.
    pub fn info(&self) -> &ImageInfo {
        &self.info
    }

    /// Width of the decoded pixels (stored orientation).
    pub fn width(&self) -> u32 {
        self.image.width()
    }

    /// Height of the decoded pixels (stored orientation).
    pub fn height(&self) -> u32 {
        self.image.height()
    }

    /// Channels of the decoded pixels (1–4, 8 bits each).
    pub fn channels(&self) -> u8 {
        self.image.color().channel_count()
    }

    /// The DCT scale shrink the decode applied: what [`decode_scaled`] was asked for, or 1 where the
    /// input cannot be scaled (formats other than JPEG, and JPEG layouts no scaling decoder takes, such as
    /// CMYK).
    ///
    /// ```
    /// use imgkit::{decode_scaled, Limits};
    /// # let jpeg = imgkit_testkit::jpeg(64, 48);
    /// # let png = imgkit_testkit::png(64, 48);
    /// let quarter = decode_scaled(&jpeg, &Limits::default(), 4)?;
    /// assert_eq!((quarter.shrink(), quarter.width()), (4, 16));
    /// assert_eq!(decode_scaled(&png, &Limits::default(), 4)?.shrink(), 1);
    /// # Ok::<(), imgkit::Error>(())
    /// ```
    pub fn shrink(&self) -> u32 {
        self.shrink
    }
}

/// Probes, checks against `limits`, and decodes the first frame of `bytes`.
///
/// ```
/// use imgkit::{decode, Limits};
/// # let png = imgkit_testkit::png(64, 48);
/// let decoded = decode(&png, &Limits::default())?;
/// assert_eq!((decoded.width(), decoded.height(), decoded.channels()), (64, 48, 3));
/// # Ok::<(), imgkit::Error>(())
/// ```
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded> {
    decode_scaled(bytes, limits, 1)
}

/// Like [`decode`], but a JPEG is decoded at 1/`shrink` of its size (2, 4 or 8; other values mean
/// full size) by scaling in the DCT domain. Other formats decode at full size. This is the decode that
/// [`Processor`](crate::Processor) picks by itself for shrink-on-load; it is public for benchmarks and
/// callers that render later with [`Processor::render`](crate::Processor::render).
///
/// ```
/// use imgkit::{decode_scaled, Limits};
/// # let jpeg = imgkit_testkit::jpeg(640, 480);
/// let quarter = decode_scaled(&jpeg, &Limits::default(), 4)?;
/// assert_eq!((quarter.width(), quarter.height()), (160, 120));
/// assert_eq!((quarter.info().width, quarter.info().height), (640, 480));
/// # Ok::<(), imgkit::Error>(())
/// ```
pub fn decode_scaled(bytes: &[u8], limits: &Limits, shrink: u32) -> Result<Decoded> {
    let shrink = if matches!(shrink, 2 | 4 | 8) { shrink } else { 1 };
    let buffers = &mut imgkit_jpeg::Buffers::default();
    decode_checked(crate::probe(bytes, limits)?.checked, shrink, buffers)
}

/// Decodes the checked input; a JPEG with `shrink` of 2, 4 or 8 is decoded at 1/`shrink` of its size by
/// scaling in the DCT domain, which skips most of the work and memory of a full decode.
pub(crate) fn decode_checked(
    checked: Checked<'_>,
    shrink: u32,
    buffers: &mut imgkit_jpeg::Buffers,
) -> Result<Decoded> {
    let Checked {
        info,
        decoder,
        icc_profile,
        bytes,
        max_alloc,
        progressive,
    } = checked;
    if takes_ours(info.format, shrink, progressive) {
        if let Some(image) = decode_jpeg_ours(bytes, &info, shrink, max_alloc, buffers)? {
            return Ok(Decoded {
                image,
                shrink,
                info,
                icc_profile,
            });
        }
    }
    let image = match decoder {
        Decoder::Image(decoder) => {
            read_reusing(decoder, buffers).map_err(|e| Error::from_decoder(info.format, e))?
        }
        Decoder::Sandboxed => crate::sandboxed::decode(bytes, &info, max_alloc)?,
    };
    Ok(Decoded {
        image: to_8bit(image),
        shrink: 1,
        info,
        icc_profile,
    })
}

/// Whether an input goes to imgkit-jpeg, decoded at 1/`shrink`: a JPEG, unless progressive at full size,
/// where it stays with zune-jpeg: that is faster there (README, "The library": `cargo bench -p
/// imgkit-benches --bench jpeg` compares them), and ours would hold whole planes beside the
/// coefficients.
pub(crate) fn takes_ours(format: Format, shrink: u32, progressive: bool) -> bool {
    format == Format::Jpeg && (shrink > 1 || !progressive)
}

/// Decodes a JPEG that [`takes_ours`] at 1/`shrink` into `rows`, a row at a time; `false` when
/// imgkit-jpeg turns it down or finds it broken: [`decode_checked`] then gives the verdict, or decodes
/// it with another decoder. A file over imgkit-jpeg's scan-count limit is rejected here, as there.
pub(crate) fn stream_jpeg(
    checked: &Checked<'_>,
    shrink: u32,
    buffers: &mut imgkit_jpeg::Buffers,
    rows: &mut dyn imgkit_jpeg::Rows,
) -> Result<bool> {
    match imgkit_jpeg::decode_rows(checked.bytes, shrink, checked.max_alloc, buffers, rows) {
        Ok(()) => Ok(true),
        Err(e @ imgkit_jpeg::Error::TooManyScans { .. }) => {
            Err(Error::malformed(Format::Jpeg, e.to_string()))
        }
        Err(_) => Ok(false),
    }
}

/// Decodes an 8-bit frame into the memory `buffers` kept from an earlier one. A full-size frame is tens
/// of megabytes, and faulting in fresh pages for it cost a tenth of a 12 MP photo's three renditions.
/// The memory is zeroed first, so a decoder that leaves pixels unwritten cannot show a previous image.
fn read_reusing(
    decoder: Box<dyn ImageDecoder + '_>,
    buffers: &mut imgkit_jpeg::Buffers,
) -> ImageResult<DynamicImage> {
    type Wrap = fn(u32, u32, Vec<u8>) -> Option<DynamicImage>;
    let wrap: Wrap = match decoder.color_type() {
        ColorType::L8 => |w, h, b| ImageBuffer::from_raw(w, h, b).map(DynamicImage::ImageLuma8),
        ColorType::La8 => |w, h, b| ImageBuffer::from_raw(w, h, b).map(DynamicImage::ImageLumaA8),
        ColorType::Rgb8 => |w, h, b| ImageBuffer::from_raw(w, h, b).map(DynamicImage::ImageRgb8),
        ColorType::Rgba8 => |w, h, b| ImageBuffer::from_raw(w, h, b).map(DynamicImage::ImageRgba8),
        _ => return DynamicImage::from_decoder(decoder),
    };
    let (width, height) = decoder.dimensions();
    let len = usize::try_from(decoder.total_bytes())
        .map_err(|_| ImageError::Limits(LimitError::from_kind(LimitErrorKind::InsufficientMemory)))?;
    let mut pixels = buffers.take_pixels(len);
    decoder.read_image(&mut pixels)?;
    wrap(width, height, pixels).ok_or_else(|| {
        ImageError::Parameter(ParameterError::from_kind(ParameterErrorKind::DimensionMismatch))
    })
}

/// Every output format we write is 8-bit; converting once here keeps the resizer and encoders on four
/// layouts. 16-bit sources are reduced with rounding by `image`; palettes were expanded by the decoder.
fn to_8bit(image: DynamicImage) -> DynamicImage {
    match image {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => image,
        DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma8(image.to_luma8()),
        DynamicImage::ImageLumaA16(_) => DynamicImage::ImageLumaA8(image.to_luma_alpha8()),
        DynamicImage::ImageRgb16(_) | DynamicImage::ImageRgb32F(_) => {
            DynamicImage::ImageRgb8(image.to_rgb8())
        }
        _ => DynamicImage::ImageRgba8(image.to_rgba8()),
    }
}

/// Baseline and progressive JPEGs (what cameras, phones and the web write) go through our own
/// single-threaded decoder, `imgkit-jpeg`, at any scale but a progressive file's full size. At full size
/// it is faster than zune-jpeg and, streaming baseline files row by row, needs no more memory. The rest
/// (CMYK, arithmetic coding, odd sampling), and anything it finds broken or too large for its budget, go
/// to the decoder of the same size as before: `jpeg-decoder` for a DCT-scaled decode, `image`'s
/// zune-jpeg (`Ok(None)`) for a full one, so a damaged file gets the same, more lenient verdict. A file
/// over imgkit-jpeg's scan-count limit is rejected outright: handing it on would spend the time the
/// limit saves.
fn decode_jpeg_ours(
    bytes: &[u8],
    info: &ImageInfo,
    shrink: u32,
    max_alloc: u64,
    buffers: &mut imgkit_jpeg::Buffers,
) -> Result<Option<DynamicImage>> {
    match imgkit_jpeg::decode_with(bytes, shrink, max_alloc, buffers) {
        Ok(decoded) => {
            let (width, height) = (decoded.width, decoded.height);
            check_scaled_size(info, shrink, width, height)?;
            gray_or_rgb(decoded.channels == 1, width, height, decoded.pixels)
                .map(Some)
                .ok_or_else(|| Error::Internal {
                    stage: "decode",
                    reason: format!("imgkit-jpeg returned a buffer that is not {width}x{height}"),
                })
        }
        Err(e @ imgkit_jpeg::Error::TooManyScans { .. }) => {
            Err(Error::malformed(Format::Jpeg, e.to_string()))
        }
        // It budgets whole planes for a file it does not stream; zune-jpeg may need less.
        Err(_) if shrink == 1 => Ok(None),
        Err(imgkit_jpeg::Error::TooLarge { needed, limit }) => Err(Error::limit(Limit::Alloc, limit, needed)),
        Err(_) => decode_jpeg_scaled_fallback(bytes, info, shrink, max_alloc),
    }
}

/// The size of a decode at 1/`shrink` (DCT scaling rounds up).
pub(crate) fn scaled_size(info: &ImageInfo, shrink: u32) -> (u32, u32) {
    (info.width.div_ceil(shrink), info.height.div_ceil(shrink))
}

/// The limits were checked against our probe's header; a scaled decode of another size than that header
/// divided by `shrink` means they were checked against something else.
pub(crate) fn check_scaled_size(info: &ImageInfo, shrink: u32, width: u32, height: u32) -> Result<()> {
    if (width, height) == scaled_size(info, shrink) {
        return Ok(());
    }
    Err(Error::Malformed {
        format: Format::Jpeg,
        reason: format!(
            "decoders disagree on the size: {}x{} at 1/{shrink} is not {width}x{height}",
            info.width, info.height
        ),
        source: None,
    })
}

/// 8-bit gray or RGB pixels as an image; `None` if `pixels` is not `width`×`height` of that layout.
fn gray_or_rgb(gray: bool, width: u32, height: u32, pixels: Vec<u8>) -> Option<DynamicImage> {
    if gray {
        image::GrayImage::from_raw(width, height, pixels).map(DynamicImage::ImageLuma8)
    } else {
        image::RgbImage::from_raw(width, height, pixels).map(DynamicImage::ImageRgb8)
    }
}

/// DCT-scaled decode with `jpeg-decoder`, for what `imgkit-jpeg` does not take. It starts its own IDCT
/// threads (its API cannot stop that), which is why it is not the first choice in batch work.
fn decode_jpeg_scaled_fallback(
    bytes: &[u8],
    info: &ImageInfo,
    shrink: u32,
    max_alloc: u64,
) -> Result<Option<DynamicImage>> {
    use jpeg_decoder::{Decoder, PixelFormat};
    let malformed = |e: jpeg_decoder::Error| Error::Malformed {
        format: Format::Jpeg,
        reason: e.to_string(),
        source: Some(Box::new(e)),
    };
    let mut decoder = Decoder::new(bytes);
    decoder.set_max_decoding_buffer_size(usize::try_from(max_alloc).unwrap_or(usize::MAX));
    decoder.read_info().map_err(malformed)?;
    let Some(header) = decoder.info() else {
        return Ok(None);
    };
    // Our probe and the limits checked the header the full decoder read; a second parser that disagrees
    // means the limits were checked against something else.
    if (u32::from(header.width), u32::from(header.height)) != (info.width, info.height) {
        return Err(Error::Malformed {
            format: Format::Jpeg,
            reason: format!(
                "decoders disagree on the size: {}x{} versus {}x{}",
                info.width, info.height, header.width, header.height
            ),
            source: None,
        });
    }
    if !matches!(header.pixel_format, PixelFormat::L8 | PixelFormat::RGB24) {
        return Ok(None);
    }
    let request = |side: u32| u16::try_from(side.div_ceil(shrink)).unwrap_or(u16::MAX);
    let (width, height) = decoder
        .scale(request(info.width), request(info.height))
        .map_err(malformed)?;
    let (width, height) = (u32::from(width), u32::from(height));
    check_scaled_size(info, shrink, width, height)?;
    let pixels = decoder.decode().map_err(malformed)?;
    let gray = header.pixel_format == PixelFormat::L8;
    gray_or_rgb(gray, width, height, pixels)
        .map(Some)
        .ok_or_else(|| Error::Malformed {
            format: Format::Jpeg,
            reason: format!("decoded pixel buffer does not match {width}x{height}"),
            source: None,
        })
}
