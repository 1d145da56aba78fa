//! The decoder's driver: walks the file's markers, hands each segment to the stage that parses it,
//! decodes each scan, and writes the output.

use crate::bits::{self, Bits};
use crate::buffers::Buffers;
use crate::error::{Error, Result};
use crate::frame::Frame;
use crate::idct::Basis;
use crate::output::{Image, Output, Rows, Target};
use crate::progressive;
use crate::scan::Scan;
use crate::sequential;
use crate::tables::Tables;

/// Refuses any shrink but 1, 2, 4 and 8.
pub(crate) fn check_shrink(shrink: u32) -> Result<()> {
    if matches!(shrink, 1 | 2 | 4 | 8) {
        Ok(())
    } else {
        Err(Error::Unsupported("shrink must be 1, 2, 4 or 8"))
    }
}

/// Most scans a file may have. A progressive file needs about ten; each scan walks every block of its
/// component, so a flood of tiny scans would cost time out of proportion to the file's size.
pub const MAX_SCANS: usize = 128;

/// One decode: the file, the caller's memory and output, and what the segments so far defined.
pub(crate) struct Decoder<'a> {
    data: &'a [u8],
    buffers: &'a mut Buffers,
    shrink: usize,
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
    pub(crate) fn new(
        data: &'a [u8],
        shrink: usize,
        max_alloc: u64,
        buffers: &'a mut Buffers,
        rows: Option<&'a mut dyn Rows>,
    ) -> Decoder<'a> {
        Decoder {
            data,
            buffers,
            shrink,
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

    pub(crate) fn run(mut self) -> Result<Option<Image>> {
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
                        self.shrink,
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
            return Ok(bits::skip_scan(self.data, start));
        }
        // Build the tables this scan reads (only these: see `Tables`).
        let dc_bits = !frame.progressive || (scan.ss == 0 && scan.ah == 0);
        let ac_bits = !frame.progressive || scan.ss > 0;
        let skip = !frame.progressive && self.shrink > 1;
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
                    self.shrink,
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
                self.shrink,
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

/// The output of `frame` decoded at 1/`shrink`: into the caller's `rows`, or else memory from `buffers`.
/// Three components are YCbCr (to convert) rather than RGB by the Adobe marker's word when there is one,
/// else unless they are named R, G and B outside a JFIF file.
fn start_output<'a>(
    frame: &Frame,
    shrink: usize,
    adobe_transform: Option<u8>,
    jfif: bool,
    buffers: &mut Buffers,
    rows: Option<&'a mut dyn Rows>,
) -> Output<'a> {
    let (width, height) = (frame.width.div_ceil(shrink), frame.height.div_ceil(shrink));
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
