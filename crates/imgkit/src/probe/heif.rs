//! HEIF containers (HEIC and AVIF): the ISOBMFF box tree walked in safe Rust, under the limits, before
//! any decoder sees a byte. It finds the primary image and what the limits and the pipeline need of it:
//! its size (`ispe`, and a grid's output size, which must agree), its coding (HEVC or AV1, which must
//! agree with the brand), tiles, alpha, the `irot`/`imir` transforms as an orientation, and the ICC
//! profile (`colr`). Every box counts against `max_chunks`; only the boxes that say where the image is
//! are descended into, so nesting cannot go deeper than the format's own.
//!
//! The EXIF block's orientation is ignored: in HEIF the `irot`/`imir` properties are the transform
//! (iPhone files carry both, and decoders that honour EXIF too rotate twice). `clap` (clean aperture)
//! is not applied.

use crate::error::{Error, Limit, Result};
use crate::{Format, Limits, Orientation};

/// What the walk found about the primary image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Container {
    /// [`Format::Heic`] (HEVC) or [`Format::Avif`] (AV1).
    pub format: Format,
    /// Stored size, before the transforms.
    pub width: u32,
    pub height: u32,
    /// An alpha plane is attached (an `auxl` item of the alpha type).
    pub has_alpha: bool,
    /// `irot` and `imir`, in their order, as the EXIF orientation that does the same.
    pub orientation: Orientation,
    pub icc_profile: Option<Vec<u8>>,
    /// Coded images behind the primary: 1, or a grid's tiles.
    pub tiles: u32,
    /// Boxes read, all levels together.
    pub boxes: u32,
}

/// The HEIF format a file's `ftyp` names: the major brand, else the first compatible brand that is one.
pub(crate) fn brand(bytes: &[u8]) -> Option<Format> {
    let size = u32::from_be_bytes(bytes.get(0..4)?.try_into().ok()?) as usize;
    if bytes.get(4..8)? != b"ftyp" || !(16..=4096).contains(&size) || !size.is_multiple_of(4) {
        return None;
    }
    let body = bytes.get(8..size.min(bytes.len()))?;
    let major = body.get(0..4)?;
    std::iter::once(major)
        .chain(body.get(8..)?.chunks_exact(4))
        .find_map(|b| match b {
            b"avif" | b"avis" => Some(Format::Avif),
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" => Some(Format::Heic),
            _ => None,
        })
}

/// Walks the container of `bytes`, sniffed as `format`, under `limits`.
pub(crate) fn walk(bytes: &[u8], format: Format, limits: &Limits) -> Result<Container> {
    let mut w = Walk {
        format,
        boxes: 0,
        max_boxes: limits.max_chunks,
    };
    let mut meta = None;
    for (kind, body) in w.children(bytes)? {
        if &kind == b"meta" {
            if meta.is_some() {
                return Err(w.malformed("two top-level meta boxes"));
            }
            meta = Some(body);
        }
    }
    let meta = meta.ok_or_else(|| w.malformed("no meta box"))?;
    let items = w.meta(meta)?;
    items.primary(&mut w, bytes, limits)
}

struct Walk {
    format: Format,
    boxes: u32,
    max_boxes: u32,
}

type Kind = [u8; 4];

impl Walk {
    fn malformed(&self, reason: impl Into<String>) -> Error {
        Error::Malformed {
            format: self.format,
            reason: reason.into(),
            source: None,
        }
    }

    /// The boxes in `data`, each counted against the limit as it is read.
    fn children<'a>(&mut self, data: &'a [u8]) -> Result<Vec<(Kind, &'a [u8])>> {
        let mut out = Vec::new();
        let mut r = Reader::new(data, self.format);
        while !r.is_empty() {
            self.boxes += 1;
            if self.boxes > self.max_boxes {
                return Err(Error::limit(
                    Limit::Chunks,
                    self.max_boxes.into(),
                    self.boxes.into(),
                ));
            }
            let start = r.pos;
            let size = u64::from(r.u32()?);
            let kind: Kind = r.fourcc()?;
            let size = match size {
                0 => (data.len() - start) as u64,
                1 => r.u64()?,
                s => s,
            };
            let header = (r.pos - start) as u64;
            if size < header || size - header > (data.len() - r.pos) as u64 {
                return Err(self.malformed(format!(
                    "box {} claims {size} bytes, {} are left",
                    String::from_utf8_lossy(&kind),
                    data.len() - start
                )));
            }
            let body = r.take((size - header) as usize)?;
            out.push((kind, body));
        }
        Ok(out)
    }

    /// Children of a full box (version and flags first, then `skip` more bytes of its own fields).
    fn full_children<'a>(&mut self, body: &'a [u8], skip: usize) -> Result<Vec<(Kind, &'a [u8])>> {
        let rest = body
            .get(4 + skip..)
            .ok_or_else(|| self.malformed("full box cut short"))?;
        self.children(rest)
    }

    fn meta<'a>(&mut self, meta: &'a [u8]) -> Result<Items<'a>> {
        let mut items = Items::default();
        let mut handler = None;
        for (kind, body) in self.full_children(meta, 0)? {
            let mut r = Reader::new(body, self.format);
            match &kind {
                b"hdlr" => {
                    r.skip(8)?;
                    handler = Some(r.fourcc()?);
                }
                b"pitm" => {
                    let v = r.u8()?;
                    r.skip(3)?;
                    items.primary = Some(r.id(v >= 1)?);
                }
                b"iinf" => {
                    let v = body.first().copied().unwrap_or(0);
                    let skip = if v == 0 { 2 } else { 4 };
                    for (kind, body) in self.full_children(body, skip)? {
                        if &kind != b"infe" {
                            continue;
                        }
                        let mut r = Reader::new(body, self.format);
                        let v = r.u8()?;
                        r.skip(3)?;
                        if v < 2 {
                            continue; // versions 0 and 1 describe files, not images
                        }
                        let id = r.id(v >= 3)?;
                        r.skip(2)?;
                        items.types.push((id, r.fourcc()?));
                    }
                }
                b"iloc" => items.locations = self.iloc(body)?,
                b"iref" => {
                    let v = body.first().copied().unwrap_or(0);
                    for (kind, body) in self.full_children(body, 0)? {
                        let mut r = Reader::new(body, self.format);
                        let from = r.id(v >= 1)?;
                        let count = r.u16()?;
                        for _ in 0..count {
                            items.references.push((kind, from, r.id(v >= 1)?));
                        }
                    }
                }
                b"iprp" => {
                    for (kind, body) in self.children(body)? {
                        match &kind {
                            b"ipco" => {
                                items.properties.extend(self.children(body)?);
                            }
                            b"ipma" => self.ipma(body, &mut items.associations)?,
                            _ => {}
                        }
                    }
                }
                b"idat" => items.idat = body,
                _ => {}
            }
        }
        if handler != Some(*b"pict") {
            return Err(self.malformed("meta handler is not 'pict'"));
        }
        Ok(items)
    }

    fn iloc(&self, body: &[u8]) -> Result<Vec<Location>> {
        let mut r = Reader::new(body, self.format);
        let v = r.u8()?;
        r.skip(3)?;
        let sizes = r.u8()?;
        let (offset_size, length_size) = (sizes >> 4, sizes & 15);
        let sizes = r.u8()?;
        let (base_size, index_size) = (sizes >> 4, if v >= 1 { sizes & 15 } else { 0 });
        let count = if v < 2 { u32::from(r.u16()?) } else { r.u32()? };
        let mut out = Vec::new();
        for _ in 0..count {
            let item = r.id(v >= 2)?;
            let method = if v >= 1 { r.u16()? & 15 } else { 0 };
            r.skip(2)?; // data reference index: always this file
            let base = r.sized(base_size)?;
            let extents = r.u16()?;
            for _ in 0..extents {
                r.sized(index_size)?;
                let offset = r.sized(offset_size)?;
                let length = r.sized(length_size)?;
                out.push(Location {
                    item,
                    in_idat: method == 1,
                    offset: base.saturating_add(offset),
                    length,
                });
            }
        }
        Ok(out)
    }

    fn ipma(&self, body: &[u8], out: &mut Vec<(u32, u16)>) -> Result<()> {
        let mut r = Reader::new(body, self.format);
        let v = r.u8()?;
        let flags = r.u24()?;
        let count = r.u32()?;
        for _ in 0..count {
            let item = r.id(v >= 1)?;
            let n = r.u8()?;
            for _ in 0..n {
                let index = if flags & 1 == 1 {
                    r.u16()? & 0x7FFF
                } else {
                    u16::from(r.u8()? & 0x7F)
                };
                out.push((item, index));
            }
        }
        Ok(())
    }
}

#[derive(Default)]
struct Items<'a> {
    primary: Option<u32>,
    types: Vec<(u32, Kind)>,
    locations: Vec<Location>,
    /// (type, from, to).
    references: Vec<(Kind, u32, u32)>,
    properties: Vec<(Kind, &'a [u8])>,
    /// (item, 1-based index into `properties`), in the order listed.
    associations: Vec<(u32, u16)>,
    idat: &'a [u8],
}

struct Location {
    item: u32,
    in_idat: bool,
    offset: u64,
    length: u64,
}

/// HEIF's alpha auxiliary types: MPEG-B's, and HEVC's older one.
const ALPHA_URNS: [&[u8]; 2] = [
    b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha",
    b"urn:mpeg:hevc:2015:auxid:1",
];

impl<'a> Items<'a> {
    fn kind(&self, id: u32) -> Option<Kind> {
        self.types.iter().find(|(i, _)| *i == id).map(|(_, k)| *k)
    }

    fn properties_of(&self, id: u32) -> impl Iterator<Item = (Kind, &'a [u8])> + '_ {
        self.associations
            .iter()
            .filter(move |(item, _)| *item == id)
            .filter_map(|&(_, index)| self.properties.get(usize::from(index).checked_sub(1)?).copied())
    }

    fn ispe(&self, w: &Walk, id: u32) -> Result<(u32, u32)> {
        let (_, body) = self
            .properties_of(id)
            .find(|(k, _)| k == b"ispe")
            .ok_or_else(|| w.malformed(format!("item {id} has no ispe (image size)")))?;
        let mut r = Reader::new(body, w.format);
        r.skip(4)?;
        Ok((r.u32()?, r.u32()?))
    }

    /// The bytes of an item, from the file or from `idat`.
    fn data(&self, w: &Walk, file: &'a [u8], id: u32) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        for l in self.locations.iter().filter(|l| l.item == id) {
            let source = if l.in_idat { self.idat } else { file };
            let end = l.offset.saturating_add(l.length);
            let chunk = usize::try_from(l.offset)
                .ok()
                .zip(usize::try_from(end).ok())
                .and_then(|(start, end)| source.get(start..end))
                .ok_or_else(|| w.malformed(format!("item {id} lies outside the file")))?;
            // Only small items (grid descriptions) are read here; a tile's data is the decoder's.
            if out.len() + chunk.len() > 64 {
                return Err(w.malformed(format!("item {id} is too large for a grid description")));
            }
            out.extend_from_slice(chunk);
        }
        Ok(out)
    }

    /// Checks that every extent of `id` lies within the file (or `idat`): a cut file is refused here,
    /// as a JPEG without its end marker is, rather than decoded into whatever the decoder makes of it.
    fn check_present(&self, w: &Walk, file: &[u8], id: u32) -> Result<()> {
        let mut any = false;
        for l in self.locations.iter().filter(|l| l.item == id) {
            any = true;
            let source = if l.in_idat { self.idat } else { file };
            if l.offset.saturating_add(l.length) > source.len() as u64 {
                return Err(w.malformed(format!(
                    "truncated: item {id}'s data ends at byte {}, the {} ends at {}",
                    l.offset.saturating_add(l.length),
                    if l.in_idat { "idat box" } else { "file" },
                    source.len()
                )));
            }
        }
        if any {
            Ok(())
        } else {
            Err(w.malformed(format!("item {id} has no data (iloc)")))
        }
    }

    fn primary(&self, w: &mut Walk, file: &'a [u8], limits: &Limits) -> Result<Container> {
        let id = self
            .primary
            .ok_or_else(|| w.malformed("no primary item (pitm)"))?;
        let kind = self
            .kind(id)
            .ok_or_else(|| w.malformed(format!("primary item {id} is not described (infe)")))?;
        let (width, height) = self.ispe(w, id)?;
        let (coding, tiles) = if &kind == b"grid" {
            let tiles: Vec<u32> = self
                .references
                .iter()
                .filter(|(k, from, _)| k == b"dimg" && *from == id)
                .map(|&(_, _, to)| to)
                .collect();
            let grid = self.data(w, file, id)?;
            let mut r = Reader::new(&grid, w.format);
            r.skip(1)?;
            let flags = r.u8()?;
            let (rows, columns) = (u32::from(r.u8()?) + 1, u32::from(r.u8()?) + 1);
            let (out_w, out_h) = if flags & 1 == 1 {
                (r.u32()?, r.u32()?)
            } else {
                (u32::from(r.u16()?), u32::from(r.u16()?))
            };
            if (out_w, out_h) != (width, height) {
                return Err(w.malformed(format!(
                    "grid output {out_w}x{out_h} disagrees with its ispe {width}x{height}"
                )));
            }
            if tiles.len() as u64 != u64::from(rows * columns) {
                return Err(w.malformed(format!("a {rows}x{columns} grid with {} tiles", tiles.len())));
            }
            let mut coding = None;
            for &tile in &tiles {
                let k = self
                    .kind(tile)
                    .ok_or_else(|| w.malformed(format!("tile {tile} is not described")))?;
                if coding.is_some_and(|c| c != k) {
                    return Err(w.malformed("tiles of different codings"));
                }
                coding = Some(k);
                self.check_present(w, file, tile)?;
                let (tw, th) = self.ispe(w, tile)?;
                if u64::from(tw) * u64::from(columns) < u64::from(width)
                    || u64::from(th) * u64::from(rows) < u64::from(height)
                {
                    return Err(w.malformed(format!(
                        "{rows}x{columns} tiles of {tw}x{th} do not cover {width}x{height}"
                    )));
                }
            }
            (coding.unwrap_or(*b"none"), tiles.len() as u32)
        } else {
            self.check_present(w, file, id)?;
            (kind, 1)
        };
        let format = match &coding {
            b"hvc1" => Format::Heic,
            b"av01" => Format::Avif,
            other => {
                return Err(Error::UnsupportedFormat {
                    format: format!(
                        "{} (HEIF image coded as {:?})",
                        w.format.name(),
                        String::from_utf8_lossy(other)
                    ),
                    why: ": only HEVC and AV1 images are decoded",
                })
            }
        };
        if format != w.format {
            return Err(Error::FormatMismatch {
                sniffed: w.format.name().into(),
                detected: format.name().into(),
            });
        }
        let has_alpha = self.references.iter().any(|(k, from, to)| {
            k == b"auxl"
                && *to == id
                && self.properties_of(*from).any(|(k, body)| {
                    k == *b"auxC"
                        && ALPHA_URNS
                            .iter()
                            .any(|urn| body.get(4..4 + urn.len()) == Some(urn))
                })
        });
        let mut transform = Transform::default();
        let mut icc_profile = None;
        for (k, body) in self.properties_of(id) {
            match &k {
                b"irot" => transform.rotate_ccw(body.first().map_or(0, |b| b & 3)),
                b"imir" => transform.mirror(body.first().map_or(0, |b| b & 1)),
                b"colr" if matches!(body.get(0..4), Some(b"prof" | b"rICC")) => {
                    let icc = &body[4..];
                    if icc.len() as u64 > limits.max_metadata_bytes {
                        return Err(Error::limit(
                            Limit::MetadataBytes,
                            limits.max_metadata_bytes,
                            icc.len() as u64,
                        ));
                    }
                    icc_profile = Some(icc.to_vec());
                }
                _ => {}
            }
        }
        Ok(Container {
            format,
            width,
            height,
            has_alpha,
            orientation: transform.orientation(),
            icc_profile,
            tiles,
            boxes: w.boxes,
        })
    }
}

/// A HEIF transform as display = rotate `cw` quarter-turns clockwise ∘ mirror left-right if `flip`.
#[derive(Default)]
struct Transform {
    cw: u8,
    flip: bool,
}

impl Transform {
    /// `irot`: anticlockwise quarter-turns.
    fn rotate_ccw(&mut self, turns: u8) {
        self.cw = (self.cw + 4 - turns % 4) % 4;
    }

    /// `imir`: axis 0 mirrors top-bottom (about the horizontal axis), 1 left-right; libheif's reading,
    /// which every decoder built on it (libvips, ImageMagick, browsers' HEIF paths) follows.
    fn mirror(&mut self, axis: u8) {
        // A left-right mirror after the rotation is a mirror first and the opposite rotation; a
        // top-bottom mirror is a left-right one and a half turn.
        let half = if axis == 0 { 2 } else { 0 };
        self.cw = (half + 4 - self.cw) % 4;
        self.flip = !self.flip;
    }

    fn orientation(&self) -> Orientation {
        Orientation::from_exif(match (self.cw, self.flip) {
            (0, false) => 1,
            (0, true) => 2,
            (2, false) => 3,
            (2, true) => 4,
            (3, true) => 5,
            (1, false) => 6,
            (1, true) => 7,
            _ => 8,
        })
    }
}

/// Big-endian reads that fail as a malformed input, never panic.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    format: Format,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8], format: Format) -> Reader<'a> {
        Reader { data, pos: 0, format }
    }

    fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let out = self
            .pos
            .checked_add(n)
            .and_then(|end| self.data.get(self.pos..end))
            .ok_or_else(|| Error::Malformed {
                format: self.format,
                reason: "truncated: a box ends early".into(),
                source: None,
            })?;
        self.pos += n;
        Ok(out)
    }

    fn skip(&mut self, n: usize) -> Result<()> {
        self.take(n).map(|_| ())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u24(&mut self) -> Result<u32> {
        let [a, b, c] = self.array()?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    fn fourcc(&mut self) -> Result<Kind> {
        self.array()
    }

    /// An item id: 32 bits in the newer box versions, 16 before.
    fn id(&mut self, wide: bool) -> Result<u32> {
        if wide {
            self.u32()
        } else {
            self.u16().map(u32::from)
        }
    }

    /// An unsigned field of 0, 4 or 8 bytes (`iloc`'s sizes).
    fn sized(&mut self, bytes: u8) -> Result<u64> {
        match bytes {
            0 => Ok(0),
            4 => self.u32().map(u64::from),
            8 => self.u64(),
            other => Err(Error::Malformed {
                format: self.format,
                reason: format!("iloc field of {other} bytes"),
                source: None,
            }),
        }
    }
}

/// The container walk alone, for the `heif` fuzz target: whatever the bytes, an answer within the limits
/// or an error that is the input's fault. Returns the stored size and the box count.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub fn fuzz_heif_walk(bytes: &[u8]) -> Result<(u32, u32, u32)> {
    let limits = Limits::default();
    let format = brand(bytes).unwrap_or(Format::Heic);
    walk(bytes, format, &limits).map(|c| (c.width, c.height, c.boxes))
}
