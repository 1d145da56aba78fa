//! A baseline JPEG decoder that scales in the DCT domain, for imgkit's shrink-on-load.
//!
//! Decoding a 12 MP photo to a 400 px thumbnail does not need 12 million pixels: each 8×8 block's
//! low-frequency corner, inverse-transformed at 4×4, 2×2 or 1×1, gives the image at 1/2, 1/4 or 1/8 of its
//! size directly. What is left is entropy decoding, so that is where this crate spends its care: a
//! lookahead Huffman decoder that reads eight bytes at a time and skips the coefficients a scaled
//! output does not need.
//!
//! It is deliberately narrow: one thread (the caller owns parallelism), safe Rust only, 8-bit
//! sequential Huffman JPEGs with one or three components — what cameras and phones write. Anything
//! else (progressive, arithmetic coding, 12-bit, CMYK, unusual sampling) is [`Error::Unsupported`], and
//! the caller uses a general decoder.
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

mod huffman;
mod idct;

use huffman::{Bits, Table};
use idct::Basis;

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
    if !matches!(scale, 1 | 2 | 4 | 8) {
        return Err(Error::Unsupported("scale must be 1, 2, 4 or 8"));
    }
    Decoder::new(data, scale as usize, max_alloc).run()
}

/// The zig-zag order: position `k` in a block's coded sequence holds natural index `ZIGZAG[k]`.
const ZIGZAG: [u8; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7,
    14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39,
    46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// Marks a zig-zag position whose coefficient the scaled transform does not use.
const SKIP: u8 = 255;

struct Component {
    id: u8,
    h: usize,
    v: usize,
    quant: usize,
    /// Pixels per block in the component's plane (the scaled transform's size).
    block_w: usize,
    block_h: usize,
    /// How many output pixels each plane pixel covers (only above 1 when the transform cannot be
    /// large enough to absorb chroma subsampling).
    up_x: usize,
    up_y: usize,
    plane: Vec<u8>,
    stride: usize,
    /// For each zig-zag position: where its coefficient goes in the `block_w`×`block_h` corner, or SKIP.
    slot: [u8; 64],
    /// For each zig-zag position: the corner row it lands in, as a bit.
    row_bit: [u8; 64],
    /// The last zig-zag position the corner uses.
    last: usize,
    scanned: bool,
}

struct Frame {
    width: usize,
    height: usize,
    components: Vec<Component>,
    h_max: usize,
    v_max: usize,
    mcus_x: usize,
    mcus_y: usize,
}

struct Decoder<'a> {
    data: &'a [u8],
    scale: usize,
    max_alloc: u64,
    quant: [Option<[u16; 64]>; 4],
    /// Huffman tables as defined (code-length counts, symbols); built into `dc`/`ac` only when a scan
    /// uses them, so a file of nothing but table definitions costs parsing, not table building.
    dc_spec: [Option<TableSpec>; 4],
    ac_spec: [Option<TableSpec>; 4],
    dc: [Option<Table>; 4],
    ac: [Option<Table>; 4],
    restart_interval: usize,
    adobe_transform: Option<u8>,
    jfif: bool,
    frame: Option<Frame>,
    basis: Basis,
}

impl<'a> Decoder<'a> {
    fn new(data: &'a [u8], scale: usize, max_alloc: u64) -> Decoder<'a> {
        Decoder {
            data,
            scale,
            max_alloc,
            quant: [None; 4],
            dc_spec: [None, None, None, None],
            ac_spec: [None, None, None, None],
            dc: [None, None, None, None],
            ac: [None, None, None, None],
            restart_interval: 0,
            adobe_transform: None,
            jfif: false,
            frame: None,
            basis: Basis::new(),
        }
    }

    fn run(mut self) -> Result<Image> {
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
                0xC0 | 0xC1 => self.start_of_frame(segment)?,
                0xC2 | 0xC6 | 0xCA | 0xCE => return Err(Error::Unsupported("progressive")),
                0xC3 | 0xC5 | 0xC7 | 0xCB | 0xCD | 0xCF => {
                    return Err(Error::Unsupported("lossless or hierarchical"))
                }
                0xC9 => return Err(Error::Unsupported("arithmetic coding")),
                0xC4 => self.define_huffman(segment)?,
                0xCC => return Err(Error::Unsupported("arithmetic coding")),
                0xDB => self.define_quant(segment)?,
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

    fn start_of_frame(&mut self, s: &[u8]) -> Result<()> {
        if self.frame.is_some() {
            return Err(Error::Malformed("second frame header"));
        }
        if s.len() < 6 {
            return Err(Error::Malformed("short frame header"));
        }
        if s[0] != 8 {
            return Err(Error::Unsupported("sample precision other than 8 bits"));
        }
        let height = usize::from(u16::from_be_bytes([s[1], s[2]]));
        let width = usize::from(u16::from_be_bytes([s[3], s[4]]));
        let count = usize::from(s[5]);
        if width == 0 || height == 0 {
            return Err(Error::Unsupported("zero dimension (DNL)"));
        }
        if count != 1 && count != 3 {
            return Err(Error::Unsupported("component count other than 1 or 3"));
        }
        let specs = s
            .get(6..6 + 3 * count)
            .ok_or(Error::Malformed("short frame header"))?;
        let mut components = Vec::new();
        for spec in specs.chunks_exact(3) {
            let (h, v, quant) = (
                usize::from(spec[1] >> 4),
                usize::from(spec[1] & 15),
                usize::from(spec[2]),
            );
            if !(1..=4).contains(&h) || !(1..=4).contains(&v) || quant > 3 {
                return Err(Error::Malformed("bad component sampling or table"));
            }
            // A single-component image is never interleaved: its sampling factors mean nothing.
            let (h, v) = if count == 1 { (1, 1) } else { (h, v) };
            components.push(Component {
                id: spec[0],
                h,
                v,
                quant,
                block_w: 0,
                block_h: 0,
                up_x: 1,
                up_y: 1,
                plane: Vec::new(),
                stride: 0,
                slot: [SKIP; 64],
                row_bit: [0; 64],
                last: 0,
                scanned: false,
            });
        }
        let h_max = components.iter().map(|c| c.h).max().unwrap_or(1);
        let v_max = components.iter().map(|c| c.v).max().unwrap_or(1);
        let n = 8 / self.scale;
        let mcus_x = width.div_ceil(8 * h_max);
        let mcus_y = height.div_ceil(8 * v_max);
        let mut needed = (width.div_ceil(self.scale) * height.div_ceil(self.scale) * count) as u64;
        for c in &mut components {
            if h_max % c.h != 0
                || v_max % c.v != 0
                || !(h_max / c.h).is_power_of_two()
                || !(v_max / c.v).is_power_of_two()
            {
                return Err(Error::Unsupported(
                    "sampling factors that are not powers of two apart",
                ));
            }
            // Subsampled chroma gets a larger transform instead of upsampling, up to the full 8×8.
            let (w, h) = (n * h_max / c.h, n * v_max / c.v);
            (c.block_w, c.up_x) = if w > 8 { (8, w / 8) } else { (w, 1) };
            (c.block_h, c.up_y) = if h > 8 { (8, h / 8) } else { (h, 1) };
            c.stride = mcus_x * c.h * c.block_w;
            needed += (c.stride * mcus_y * c.v * c.block_h) as u64;
            for (k, &natural) in ZIGZAG.iter().enumerate() {
                let (row, col) = (usize::from(natural) / 8, usize::from(natural) % 8);
                if row < c.block_h && col < c.block_w {
                    c.slot[k] = (row * c.block_w + col) as u8;
                    c.row_bit[k] = 1 << row;
                    c.last = k;
                }
            }
        }
        if needed > self.max_alloc {
            return Err(Error::TooLarge {
                needed,
                limit: self.max_alloc,
            });
        }
        for c in &mut components {
            c.plane = vec![0; c.stride * mcus_y * c.v * c.block_h];
        }
        self.frame = Some(Frame {
            width,
            height,
            components,
            h_max,
            v_max,
            mcus_x,
            mcus_y,
        });
        Ok(())
    }

    fn define_huffman(&mut self, mut s: &[u8]) -> Result<()> {
        while !s.is_empty() {
            let head = s.get(..17).ok_or(Error::Malformed("short Huffman table"))?;
            let (class, id) = (head[0] >> 4, usize::from(head[0] & 15));
            if class > 1 || id > 3 {
                return Err(Error::Malformed("bad Huffman table class or id"));
            }
            let mut counts = [0u8; 16];
            counts.copy_from_slice(&head[1..17]);
            let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
            let symbols = s
                .get(17..17 + total)
                .ok_or(Error::Malformed("short Huffman table"))?;
            let spec = Some((counts, symbols.to_vec()));
            if class == 0 {
                (self.dc_spec[id], self.dc[id]) = (spec, None);
            } else {
                (self.ac_spec[id], self.ac[id]) = (spec, None);
            }
            s = &s[17 + total..];
        }
        Ok(())
    }

    fn define_quant(&mut self, mut s: &[u8]) -> Result<()> {
        while !s.is_empty() {
            let (precision, id) = (s[0] >> 4, usize::from(s[0] & 15));
            if precision > 1 || id > 3 {
                return Err(Error::Malformed("bad quantisation table precision or id"));
            }
            let size = if precision == 0 { 64 } else { 128 };
            let values = s
                .get(1..1 + size)
                .ok_or(Error::Malformed("short quantisation table"))?;
            let mut table = [0u16; 64];
            for (k, &natural) in ZIGZAG.iter().enumerate() {
                table[usize::from(natural)] = if precision == 0 {
                    u16::from(values[k])
                } else {
                    u16::from_be_bytes([values[2 * k], values[2 * k + 1]])
                };
            }
            self.quant[id] = Some(table);
            s = &s[1 + size..];
        }
        Ok(())
    }

    /// Decodes one scan whose header is `s` and whose entropy-coded data starts at `start`; returns the
    /// position where the data ended.
    fn scan(&mut self, s: &[u8], start: usize) -> Result<usize> {
        let count = usize::from(*s.first().ok_or(Error::Malformed("short scan header"))?);
        let specs = s
            .get(1..1 + 2 * count)
            .ok_or(Error::Malformed("short scan header"))?;
        let tail = s
            .get(1 + 2 * count..4 + 2 * count)
            .ok_or(Error::Malformed("short scan header"))?;
        if tail != [0, 63, 0] {
            return Err(Error::Malformed("sequential scan with a spectral selection"));
        }
        if count == 0 || count > 4 {
            return Err(Error::Malformed("bad scan component count"));
        }
        // Build the tables this scan names (only these: see `dc_spec`).
        for spec in specs.chunks_exact(2) {
            let (dc, ac) = (usize::from(spec[1] >> 4), usize::from(spec[1] & 15));
            for (built, defined, is_ac) in [
                (&mut self.dc, &self.dc_spec, false),
                (&mut self.ac, &self.ac_spec, true),
            ] {
                let id = if is_ac { ac } else { dc };
                if let (Some(slot @ None), Some(Some((counts, symbols)))) =
                    (built.get_mut(id), defined.get(id))
                {
                    *slot = Some(Table::new(counts, symbols, is_ac)?);
                }
            }
        }
        let frame = self
            .frame
            .as_mut()
            .ok_or(Error::Malformed("scan before frame header"))?;
        // Per scan component: index into the frame, its tables and dequantisation for the kept corner.
        let mut members = Vec::new();
        for spec in specs.chunks_exact(2) {
            let index = frame
                .components
                .iter()
                .position(|c| c.id == spec[0])
                .ok_or(Error::Malformed("scan names a component the frame lacks"))?;
            let (dc, ac) = (usize::from(spec[1] >> 4), usize::from(spec[1] & 15));
            let dc = self
                .dc
                .get(dc)
                .and_then(Option::as_ref)
                .ok_or(Error::Malformed("missing DC table"))?;
            let ac = self
                .ac
                .get(ac)
                .and_then(Option::as_ref)
                .ok_or(Error::Malformed("missing AC table"))?;
            let c = &mut frame.components[index];
            let q = self.quant[c.quant].ok_or(Error::Malformed("missing quantisation table"))?;
            let mut deq = [0f32; 64];
            for (k, &natural) in ZIGZAG.iter().enumerate() {
                if c.slot[k] != SKIP {
                    deq[usize::from(c.slot[k])] = f32::from(q[usize::from(natural)]);
                }
            }
            c.scanned = true;
            members.push(Member {
                index,
                dc,
                ac,
                deq,
                pred: 0,
            });
        }
        let mut bits = Bits::new(self.data, start);
        let interleaved = count > 1;
        let (units_x, units_y) = if interleaved {
            (frame.mcus_x, frame.mcus_y)
        } else {
            let c = &frame.components[members[0].index];
            let w = (frame.width * c.h).div_ceil(frame.h_max);
            let h = (frame.height * c.v).div_ceil(frame.v_max);
            (w.div_ceil(8), h.div_ceil(8))
        };
        let mut restarts = 0u8;
        let mut coef = [0f32; 64];
        for unit in 0..units_x * units_y {
            if self.restart_interval > 0 && unit > 0 && unit % self.restart_interval == 0 {
                bits.restart(restarts)?;
                restarts = (restarts + 1) & 7;
                members.iter_mut().for_each(|m| m.pred = 0);
            }
            let (ux, uy) = (unit % units_x, unit / units_x);
            for m in &mut members {
                let c = &mut frame.components[m.index];
                let (bh, bv) = if interleaved { (c.h, c.v) } else { (1, 1) };
                for by in 0..bv {
                    for bx in 0..bh {
                        let size = c.block_w * c.block_h;
                        coef[..size].fill(0.0);
                        let s = u32::from(bits.symbol(m.dc)?);
                        if s > 11 {
                            return Err(Error::Malformed("DC difference too large"));
                        }
                        m.pred = m.pred.wrapping_add(bits.receive_extend(s));
                        coef[0] = m.pred as f32 * m.deq[0];
                        let mut rows = 0u8;
                        let (slot, row_bit, deq) = (&c.slot, &c.row_bit, &m.deq);
                        bits.ac(m.ac, c.last, |k, value| {
                            let at = slot[k];
                            if at != SKIP {
                                coef[usize::from(at)] = value as f32 * deq[usize::from(at)];
                                rows |= row_bit[k];
                            }
                        })?;
                        let (col, row) = (ux * bh + bx, uy * bv + by);
                        let offset = row * c.block_h * c.stride + col * c.block_w;
                        self.basis.transform(
                            &coef,
                            c.block_w,
                            c.block_h,
                            rows,
                            &mut c.plane[offset..],
                            c.stride,
                        );
                    }
                }
            }
        }
        if bits.overran() {
            return Err(Error::Malformed("scan data ends early (truncated file?)"));
        }
        Ok(bits.position())
    }

    fn finish(self) -> Result<Image> {
        let frame = self.frame.ok_or(Error::Malformed("no frame header"))?;
        if frame.components.iter().any(|c| !c.scanned) {
            return Err(Error::Malformed("a component has no scan"));
        }
        let (width, height) = (
            frame.width.div_ceil(self.scale),
            frame.height.div_ceil(self.scale),
        );
        let planes = &frame.components;
        let mut pixels = vec![0u8; width * height * planes.len()];
        if planes.len() == 1 {
            let c = &planes[0];
            for (y, out) in pixels.chunks_exact_mut(width).enumerate() {
                out.copy_from_slice(&row_of(c, y)[..width]);
            }
        } else {
            let rgb = match self.adobe_transform {
                Some(t) => t == 0,
                None => !self.jfif && planes.iter().map(|c| c.id).eq(*b"RGB"),
            };
            for (y, out) in pixels.chunks_exact_mut(width * 3).enumerate() {
                let (a, b, c) = (
                    row_of(&planes[0], y),
                    row_of(&planes[1], y),
                    row_of(&planes[2], y),
                );
                let (ua, ub, uc) = (planes[0].up_x, planes[1].up_x, planes[2].up_x);
                if rgb {
                    for (x, px) in out.chunks_exact_mut(3).enumerate() {
                        px.copy_from_slice(&[a[x / ua], b[x / ub], c[x / uc]]);
                    }
                } else if ua == 1 && ub == 1 && uc == 1 {
                    for (((px, &y), &cb), &cr) in out.chunks_exact_mut(3).zip(a).zip(b).zip(c) {
                        px.copy_from_slice(&ycbcr_to_rgb(y, cb, cr));
                    }
                } else {
                    for (x, px) in out.chunks_exact_mut(3).enumerate() {
                        px.copy_from_slice(&ycbcr_to_rgb(a[x / ua], b[x / ub], c[x / uc]));
                    }
                }
            }
        }
        Ok(Image {
            width: width as u32,
            height: height as u32,
            channels: planes.len() as u8,
            pixels,
        })
    }
}

/// The plane row that output row `y` samples.
fn row_of(c: &Component, y: usize) -> &[u8] {
    let start = (y / c.up_y) * c.stride;
    &c.plane[start..start + c.stride]
}

/// A DHT table as defined: 16 code-length counts and the symbols.
type TableSpec = ([u8; 16], Vec<u8>);

struct Member<'t> {
    index: usize,
    dc: &'t Table,
    ac: &'t Table,
    deq: [f32; 64],
    pred: i32,
}

/// JFIF's YCbCr to RGB in 16.16 fixed point (the coefficients of T.871).
#[inline(always)]
fn ycbcr_to_rgb(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let (y, cb, cr) = (i32::from(y) << 16, i32::from(cb) - 128, i32::from(cr) - 128);
    let half = 1 << 15;
    let r = (y + 91_881 * cr + half) >> 16;
    let g = (y - 22_554 * cb - 46_802 * cr + half) >> 16;
    let b = (y + 116_130 * cb + half) >> 16;
    [
        r.clamp(0, 255) as u8,
        g.clamp(0, 255) as u8,
        b.clamp(0, 255) as u8,
    ]
}

#[cfg(test)]
mod tests;
