//! Resampling an image that arrives a row at a time (an imgkit-jpeg decode), so that the whole decoded
//! frame never exists: a 12 MP photo is 36 MB of RGB, which was most of the peak memory of a call that
//! makes a 1600 px rendition from it.
//!
//! The two passes are the ones [`Resizer::resize`](super::Resizer::resize) makes, by fast_image_resize,
//! one axis per call, on pieces:
//! - the vertical pass runs whenever the window of source rows is full, over every output row whose
//!   filter window lies inside it; the window then drops the rows no later output row reads;
//! - its output rows (only the columns the horizontal filter reaches) collect in a band of a few
//!   megabytes, which the horizontal pass turns into rows of the rendition when it is full. Few bands,
//!   because each horizontal call computes its filter weights anew.
//!
//! Each call is told its piece's place in the whole image (a crop box whose edges may fall inside
//! pixels), and fast_image_resize computes each output pixel's weights from that place alone and
//! clamps a window only at the edges of what it is given, so the pieces give the pixels one call over
//! the whole image gives (to rounding: tested below).

use fast_image_resize as fr;
use image::DynamicImage;

use super::kernel::{internal, options, reach, support};
use super::Resizer;
use crate::error::{Error, Result};
use crate::scale::Region;
use crate::Filter;

/// Bytes the vertical pass's output band may take: 4 MiB is 346 rows of a 4032 px RGB photo, so
/// four horizontal calls for a 1600 × 1200 rendition.
const BAND_BYTES: usize = 4 << 20;

/// Source rows the window holds beyond what one output row's filter reads, so that each vertical
/// call makes several output rows.
const WINDOW_SLACK: usize = 48;

/// The source's size, known when its first row is about to arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SourceShape {
    width: usize,
    height: usize,
    channels: usize,
}

/// A resize to `width × height` of the `region` of a source handed over row by row, as
/// [`imgkit_jpeg::Rows`]. Gray and RGB only (a JPEG has no alpha to premultiply).
pub(crate) struct RowResize<'r> {
    resizer: &'r mut Resizer,
    width: usize,
    height: usize,
    region: Region,
    filter: Filter,
    source: Option<SourceShape>,
    /// The source columns the horizontal filter reads.
    columns: (usize, usize),
    /// Source rows `first ..` (`capacity` of them, `filled` written).
    window: Vec<u8>,
    first: usize,
    filled: usize,
    capacity: usize,
    /// Output rows `band_first ..` after the vertical pass (`band_rows` of `band_capacity`).
    band: Vec<u8>,
    band_first: usize,
    band_rows: usize,
    band_capacity: usize,
    /// The next output row the vertical pass makes.
    next: usize,
    pixels: Vec<u8>,
    failed: Option<Error>,
    /// [`BAND_BYTES`], smaller in tests to make many bands of a small image.
    band_bytes: usize,
}

impl<'r> RowResize<'r> {
    /// A resize of `region` (in the source's pixels, whose size comes with its first row) to
    /// `width × height` with a convolution `filter`, using `resizer`'s scratch memory.
    pub(crate) fn new(
        resizer: &'r mut Resizer,
        width: u32,
        height: u32,
        region: Region,
        filter: Filter,
    ) -> Self {
        RowResize {
            resizer,
            width: width as usize,
            height: height as usize,
            region,
            filter,
            source: None,
            columns: (0, 0),
            window: Vec::new(),
            first: 0,
            filled: 0,
            capacity: 0,
            band: Vec::new(),
            band_first: 0,
            band_rows: 0,
            band_capacity: 0,
            next: 0,
            pixels: Vec::new(),
            failed: None,
            band_bytes: BAND_BYTES,
        }
    }

    /// The source's size as the decoder told it: `(width, height)`.
    pub(crate) fn source_size(&self) -> Option<(usize, usize)> {
        self.source.map(|s| (s.width, s.height))
    }

    /// The rendition, once every source row was handed over.
    pub(crate) fn finish(mut self) -> Result<DynamicImage> {
        let Some(source) = self.source else {
            return Err(internal("no rows were handed over"));
        };
        if self.first + self.filled != source.height {
            return Err(internal("the source ended early"));
        }
        self.vertical(true);
        self.horizontal();
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        if self.next != self.height || self.band_first != self.height {
            return Err(internal("rows of the rendition are missing"));
        }
        let (width, height) = (self.width as u32, self.height as u32);
        let mismatch = || internal("the rendition's buffer is not its size");
        // The window and band go back to the resizer for the next image.
        self.resizer.window = std::mem::take(&mut self.window);
        self.resizer.band = std::mem::take(&mut self.band);
        let pixels = std::mem::take(&mut self.pixels);
        if source.channels == 1 {
            image::GrayImage::from_raw(width, height, pixels).map(DynamicImage::ImageLuma8)
        } else {
            image::RgbImage::from_raw(width, height, pixels).map(DynamicImage::ImageRgb8)
        }
        .ok_or_else(mismatch)
    }

    /// Scale and filter radius (in source pixels) of one axis.
    fn axis(&self, source_side: f64, out: usize) -> (f64, f64) {
        let scale = source_side / out as f64;
        (scale, support(self.filter) * scale.max(1.0))
    }

    /// The source rows output row `r`'s filter may read, with a row of margin on both sides for
    /// rounding (clamped to the image).
    fn reads(&self, r: usize) -> (usize, usize) {
        let height = self.source.map_or(0, |s| s.height);
        let (scale, radius) = self.axis(self.region.height, self.height);
        let centre = self.region.top + (r as f64 + 0.5) * scale;
        let from = ((centre - radius).floor() - 1.0).max(0.0);
        let to = ((centre + radius).ceil() + 1.0).max(0.0);
        // Non-negative and at most `height` once clamped, so the casts are exact.
        (from as usize, (to as usize).min(height))
    }

    fn pixel_type(&self) -> fr::PixelType {
        match self.source.map_or(3, |s| s.channels) {
            1 => fr::PixelType::U8,
            _ => fr::PixelType::U8x3,
        }
    }

    /// Runs the vertical pass over every output row whose source rows are all in the window (`last`:
    /// no more will come), then drops the rows no later output row reads.
    fn vertical(&mut self, last: bool) {
        let Some(source) = self.source else { return };
        let (x0, x1) = self.columns;
        let row_bytes = source.width * source.channels;
        let band_row_bytes = (x1 - x0) * source.channels;
        let have = self.first + self.filled;
        let (scale, _) = self.axis(self.region.height, self.height);
        while self.next < self.height && self.failed.is_none() {
            // Output rows whose windows end within the rows in hand, as many as the band holds.
            let mut end = self.next;
            let room = self.next + (self.band_capacity - self.band_rows);
            while end < self.height.min(room) && (last || self.reads(end).1 <= have) {
                end += 1;
            }
            if end == self.next {
                if self.band_rows == self.band_capacity {
                    self.horizontal();
                    continue;
                }
                break;
            }
            let rows = end - self.next;
            let top = self.region.top + self.next as f64 * scale - self.first as f64;
            // Kept inside the window: the last row's edge can land a rounding error past it.
            let crop = (
                x0 as f64,
                top,
                (x1 - x0) as f64,
                (rows as f64 * scale).min(self.filled as f64 - top),
            );
            let band_at = self.band_rows * band_row_bytes;
            let pixel_type = self.pixel_type();
            let result = pass(
                &mut self.resizer.inner,
                self.filter,
                pixel_type,
                (&self.window[..self.filled * row_bytes], source.width, self.filled),
                (
                    &mut self.band[band_at..band_at + rows * band_row_bytes],
                    x1 - x0,
                    rows,
                ),
                crop,
            );
            if let Err(e) = result {
                self.failed = Some(e);
                return;
            }
            self.band_rows += rows;
            self.next = end;
        }
        // Drop the rows above the next output row's window (which may start below the rows in hand).
        let keep_from = if self.next < self.height {
            self.reads(self.next).0.clamp(self.first, have)
        } else {
            have
        };
        let drop = keep_from - self.first;
        if drop > 0 {
            self.window
                .copy_within(drop * row_bytes..self.filled * row_bytes, 0);
            self.first += drop;
            self.filled -= drop;
        }
    }

    /// Runs the horizontal pass over the band into the rendition, and empties the band.
    fn horizontal(&mut self) {
        let Some(source) = self.source else { return };
        if self.band_rows == 0 || self.failed.is_some() {
            return;
        }
        let (x0, x1) = self.columns;
        let rows = self.band_rows;
        let out_row_bytes = self.width * source.channels;
        let at = self.band_first * out_row_bytes;
        let crop = (self.region.left - x0 as f64, 0.0, self.region.width, rows as f64);
        let pixel_type = self.pixel_type();
        let result = pass(
            &mut self.resizer.inner,
            self.filter,
            pixel_type,
            (&self.band[..rows * (x1 - x0) * source.channels], x1 - x0, rows),
            (&mut self.pixels[at..at + rows * out_row_bytes], self.width, rows),
            crop,
        );
        if let Err(e) = result {
            self.failed = Some(e);
        }
        self.band_first += rows;
        self.band_rows = 0;
    }
}

/// One fast_image_resize call: `filter` over the `crop` box of `src` (pixels, width, height) into the
/// whole of `dst`.
fn pass(
    inner: &mut fr::Resizer,
    filter: Filter,
    pixel_type: fr::PixelType,
    (src, src_width, src_height): (&[u8], usize, usize),
    (dst, dst_width, dst_height): (&mut [u8], usize, usize),
    crop: (f64, f64, f64, f64),
) -> Result<()> {
    let src =
        fr::images::ImageRef::new(src_width as u32, src_height as u32, src, pixel_type).map_err(internal)?;
    let mut dst = fr::images::Image::from_slice_u8(dst_width as u32, dst_height as u32, dst, pixel_type)
        .map_err(internal)?;
    inner
        .resize(&src, &mut dst, &options(filter, false, crop))
        .map_err(internal)
}

impl imgkit_jpeg::Rows for RowResize<'_> {
    fn start(&mut self, width: usize, height: usize, channels: usize) {
        let source = SourceShape {
            width,
            height,
            channels,
        };
        self.source = Some(source);
        let (x0, x1) = reach(
            self.region.left,
            self.region.width,
            width as u32,
            self.width as u32,
            self.filter,
        );
        self.columns = (x0 as usize, x1 as usize);
        let (_, radius) = self.axis(self.region.height, self.height);
        // A window holds one output row's reads (2 × radius + 1, plus the margins) and the slack.
        let reads = (2.0 * radius).ceil() as usize + 4;
        self.capacity = (reads + WINDOW_SLACK).min(height.max(1));
        let band_row_bytes = ((x1 - x0) as usize * channels).max(1);
        self.band_capacity = (self.band_bytes / band_row_bytes).clamp(1, self.height.max(1));
        self.window = std::mem::take(&mut self.resizer.window);
        self.window.resize(self.capacity * width * channels, 0);
        self.band = std::mem::take(&mut self.resizer.band);
        self.band.resize(self.band_capacity * band_row_bytes, 0);
        // Zeroed pages from the system: every byte is written by the horizontal pass.
        self.pixels = vec![0; self.width * self.height * channels];
    }

    fn row(&mut self, y: usize) -> &mut [u8] {
        let Some(source) = self.source else {
            return &mut [];
        };
        let row_bytes = source.width * source.channels;
        // Rows come in order (imgkit-jpeg's promise); the rows above `y` are complete.
        self.filled = y.saturating_sub(self.first).min(self.capacity);
        if self.filled == self.capacity {
            self.vertical(false);
        }
        if self.filled == self.capacity {
            // Only when a pass failed (the window always frees rows otherwise): write to the end of
            // the window, which nothing reads any more.
            self.filled = self.capacity - 1;
        }
        let at = self.filled * row_bytes;
        self.filled += 1;
        &mut self.window[at..at + row_bytes]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use imgkit_jpeg::Rows;

    /// Photo-like pixels of `channels` (1 or 3).
    fn photo(width: u32, height: u32, channels: u8) -> DynamicImage {
        let rgb = imgkit_testkit::photo(width, height, 3);
        if channels == 1 {
            DynamicImage::ImageRgb8(rgb).grayscale()
        } else {
            DynamicImage::ImageRgb8(rgb)
        }
    }

    /// Hands `image` over a row at a time.
    fn by_rows(image: &DynamicImage, mut rows: RowResize<'_>) -> Result<DynamicImage> {
        let channels = usize::from(image.color().channel_count());
        let (width, height) = (image.width() as usize, image.height() as usize);
        rows.start(width, height, channels);
        for (y, row) in image.as_bytes().chunks_exact(width * channels).enumerate() {
            rows.row(y).copy_from_slice(row);
        }
        rows.finish()
    }

    /// Row by row, in bands of every size, gives the pixels of one resize of the whole image: down and
    /// up, with crops whose edges fall inside pixels, every convolution filter, gray and RGB.
    #[test]
    fn rows_resize_like_the_whole_image() {
        let cases = [
            // source, output, crop (centred; None: all)
            ((403, 301), (160, 120), None),
            ((403, 301), (97, 61), Some((250.5, 180.25))),
            ((64, 200), (21, 77), None),
            ((120, 90), (301, 211), None),
            ((333, 250), (100, 100), Some((249.75, 250.0))),
            ((40, 1000), (13, 9), None),
            // One axis kept as it is.
            ((160, 301), (160, 120), None),
            ((403, 120), (160, 120), None),
        ];
        let filters = [
            Filter::Lanczos3,
            Filter::CatmullRom,
            Filter::Mitchell,
            Filter::Bilinear,
            Filter::Box,
        ];
        for channels in [1, 3] {
            for ((sw, sh), (w, h), crop) in cases {
                let src = photo(sw, sh, channels);
                let region = Region::centred((sw, sh), crop);
                for filter in filters {
                    let whole = Resizer::default().resize(&src, w, h, region, filter).unwrap();
                    for band_bytes in [1, 1000, BAND_BYTES] {
                        let mut resizer = Resizer::default();
                        let mut rows = RowResize::new(&mut resizer, w, h, region, filter);
                        rows.band_bytes = band_bytes;
                        let ours = by_rows(&src, rows).unwrap();
                        let case = format!(
                            "{channels}ch {sw}x{sh} -> {w}x{h} {crop:?} {filter:?} band {band_bytes}"
                        );
                        assert_eq!((ours.width(), ours.height()), (w, h), "{case}");
                        let diffs: Vec<u8> = ours
                            .as_bytes()
                            .iter()
                            .zip(whole.as_bytes())
                            .map(|(a, b)| a.abs_diff(*b))
                            .collect();
                        let worst = diffs.iter().max().copied().unwrap_or(0);
                        let over = diffs.iter().filter(|&&d| d > 1).count();
                        // The pieces compute each output pixel's position apart, to the last bit, so a
                        // weight rounds the other way now and then (and the second pass can carry a
                        // difference of 1 to 2). The box filter's edge is a step: a source pixel centred
                        // exactly on it is in or out by that last bit.
                        let (allowed, worst_allowed) = if filter == Filter::Box {
                            (diffs.len() / 200, u8::MAX)
                        } else {
                            (diffs.len() / 1000, 2)
                        };
                        assert!(
                            over <= allowed && worst <= worst_allowed,
                            "{case}: {over} values differ by up to {worst}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_source_that_ends_early_is_an_error() {
        let mut resizer = Resizer::default();
        let mut rows = RowResize::new(
            &mut resizer,
            10,
            10,
            Region::centred((40, 40), None),
            Filter::Lanczos3,
        );
        rows.start(40, 40, 3);
        for y in 0..20 {
            rows.row(y).fill(7);
        }
        assert!(rows.finish().is_err());
    }
}
