//! The frame header (SOF): the image's size and components, and what each component decodes into at the
//! requested shrink: its transform size, its plane, and (progressive frames) its coefficient store.
//! Everything a decode will allocate is sized here and checked against the caller's budget first.

use crate::buffers::Buffers;
use crate::error::{Error, Result};
use crate::idct::Basis;

/// The zig-zag order: position `k` in a block's coded sequence holds natural index `ZIGZAG[k]`.
pub(crate) const ZIGZAG: [u8; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7,
    14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39,
    46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// Marks a zig-zag position whose coefficient the scaled transform does not use.
pub(crate) const SKIP: u8 = 255;

/// One colour component.
pub(crate) struct Component {
    pub(crate) id: u8,
    pub(crate) h: usize,
    pub(crate) v: usize,
    pub(crate) quant: usize,
    /// Pixels per block in the component's plane (the scaled transform's size).
    pub(crate) block_w: usize,
    pub(crate) block_h: usize,
    /// How many output pixels each plane pixel covers: the component's subsampling on each axis.
    pub(crate) up_x: usize,
    pub(crate) up_y: usize,
    /// Blocks per row and rows of blocks, padded to whole MCUs.
    pub(crate) blocks_x: usize,
    pub(crate) blocks_y: usize,
    /// Decoded samples, `stride` per row.
    pub(crate) plane: Vec<u8>,
    pub(crate) stride: usize,
    /// For each zig-zag position: where its coefficient goes in what the transform reads, or SKIP.
    pub(crate) slot: [u8; 64],
    /// For each zig-zag position: the row of what the transform reads that it lands in, as a bit.
    pub(crate) row_bit: [u8; 64],
    /// The last zig-zag position the transform uses.
    pub(crate) last: usize,
    /// The zig-zag positions the transform uses, as bits.
    pub(crate) kept_mask: u64,
    /// Progressive frames only: each block's kept coefficients ([`Component::kept`], by slot), quantised.
    pub(crate) coefs: Vec<i16>,
    /// Progressive frames only: each block's zig-zag positions that are non-zero so far, kept or not
    /// (refinement scans send correction bits for exactly those).
    pub(crate) nonzero: Vec<u64>,
    pub(crate) scanned: bool,
}

impl Component {
    /// Coefficients kept per block: the frequencies its transform reads on each axis.
    pub(crate) fn kept(&self) -> usize {
        self.read_across() * crate::idct::frequencies(self.block_h).len()
    }

    /// Column frequencies the transform reads: a row of [`Component::kept`]'s coefficients.
    pub(crate) fn read_across(&self) -> usize {
        crate::idct::frequencies(self.block_w).len()
    }
}

/// The frame: size, components and MCU grid.
pub(crate) struct Frame {
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) components: Vec<Component>,
    pub(crate) h_max: usize,
    pub(crate) v_max: usize,
    pub(crate) mcus_x: usize,
    pub(crate) mcus_y: usize,
    pub(crate) progressive: bool,
    /// The planes hold two rows of units, in turn (a sequential scan of every component).
    pub(crate) streaming: bool,
}

impl Frame {
    /// Parses an SOF segment for a decode at 1/`shrink`, allocating the planes (and, for a progressive
    /// frame, the coefficient stores) once their total is known to fit `max_alloc`.
    pub(crate) fn parse(
        s: &[u8],
        progressive: bool,
        shrink: usize,
        max_alloc: u64,
        buffers: &mut Buffers,
    ) -> Result<Frame> {
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
                blocks_x: 0,
                blocks_y: 0,
                plane: Vec::new(),
                stride: 0,
                slot: [SKIP; 64],
                row_bit: [0; 64],
                last: 0,
                kept_mask: 0,
                coefs: Vec::new(),
                nonzero: Vec::new(),
                scanned: false,
            });
        }
        let h_max = components.iter().map(|c| c.h).max().unwrap_or(1);
        let v_max = components.iter().map(|c| c.v).max().unwrap_or(1);
        let n = 8 / shrink;
        let mcus_x = width.div_ceil(8 * h_max);
        let mcus_y = height.div_ceil(8 * v_max);
        let mut needed = (width.div_ceil(shrink) * height.div_ceil(shrink) * count) as u64;
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
            c.block_w = transform_size(n, h_max, c.h);
            c.block_h = transform_size(n, v_max, c.v);
            (c.up_x, c.up_y) = (h_max * n / (c.h * c.block_w), v_max * n / (c.v * c.block_h));
            (c.blocks_x, c.blocks_y) = (mcus_x * c.h, mcus_y * c.v);
            c.stride = c.blocks_x * c.block_w;
            needed += (c.stride * c.blocks_y * c.block_h) as u64;
            if progressive {
                needed += (c.blocks_x * c.blocks_y * (2 * c.kept() + 8)) as u64;
            }
            for (k, &natural) in ZIGZAG.iter().enumerate() {
                let (row, col) = (usize::from(natural) / 8, usize::from(natural) % 8);
                if let Some((at, read_row)) = crate::idct::slot(c.block_w, c.block_h, row, col) {
                    c.slot[k] = at as u8;
                    c.row_bit[k] = 1 << read_row;
                    c.last = k;
                    c.kept_mask |= 1 << k;
                }
            }
        }
        if needed > max_alloc {
            return Err(Error::TooLarge {
                needed,
                limit: max_alloc,
            });
        }
        let mut frame = Frame {
            width,
            height,
            components,
            h_max,
            v_max,
            mcus_x,
            mcus_y,
            progressive,
            streaming: false,
        };
        if progressive {
            frame.allocate_planes(buffers, false);
            for c in &mut frame.components {
                let blocks = c.blocks_x * c.blocks_y;
                c.coefs = vec![0; blocks * c.kept()];
                c.nonzero = vec![0; blocks];
            }
        }
        Ok(frame)
    }

    /// Allocates the planes: whole, or (`streaming`) two rows of units each, which the first scan then
    /// decodes into in turn while the rows it completed become output (see [`Component::unit_row`]).
    pub(crate) fn allocate_planes(&mut self, buffers: &mut Buffers, streaming: bool) {
        self.streaming = streaming;
        for c in &mut self.components {
            let rows = if streaming {
                2 * c.v * c.block_h
            } else {
                c.blocks_y * c.block_h
            };
            c.plane = buffers.plane(c.stride * rows);
        }
    }

    /// Output rows (of `height`) whose samples are all decoded once `done` of a streaming scan's
    /// `units_y` rows of units are: every row of a component's samples in them, and for a component
    /// upsampled with the triangle filter, the row after the ones a lower output row leans on.
    pub(crate) fn ready_rows(&self, done: usize, units_y: usize, height: usize) -> usize {
        if done >= units_y {
            return height;
        }
        let ready = self.components.iter().map(|c| {
            let rows = done * c.v * c.block_h;
            match c.up_y {
                1 => rows,
                2 => 2 * rows - 1,
                up => rows * up,
            }
        });
        ready.min().unwrap_or(0).min(height)
    }

    /// Blocks across and down that a scan of component `index` alone covers: its own size, not padded to
    /// whole MCUs (T.81 A.2.2).
    pub(crate) fn single_component_blocks(&self, index: usize) -> (usize, usize) {
        let c = &self.components[index];
        let w = (self.width * c.h).div_ceil(self.h_max);
        let h = (self.height * c.v).div_ceil(self.v_max);
        (w.div_ceil(8), h.div_ceil(8))
    }
}

/// The transform size on one axis of a component sampled `factor` times where the frame's most sampled
/// one is sampled `max` times and decoded with `n`-point transforms. A subsampled component gets a
/// larger transform for as long as that leaves it no finer than the output, as libjpeg-turbo's
/// `jdmaster.c` does: at 1/8 a 4:2:0 file's chroma comes from 2×2 transforms, not 1×1 ones upsampled,
/// and from 1/2 on from the whole 8×8, so its detail is decoded where upsampling could only guess it.
/// libjpeg-turbo keeps transforms square, so a 4:2:2 file's chroma there is still upsampled
/// horizontally; here each axis is sized on its own (2×1 for 4:2:2 at 1/8), as libjpeg 7 and later do.
pub(crate) fn transform_size(n: usize, max: usize, factor: usize) -> usize {
    let mut size = n;
    while size < 8 && (max * n).is_multiple_of(factor * size * 2) {
        size *= 2;
    }
    size
}

impl Component {
    /// What each kept coefficient (by slot) is multiplied by before the transform: its quantiser from
    /// `quant` (natural order) and the transform's own prescale.
    pub(crate) fn dequantiser(&self, quant: &[u16; 64]) -> [f32; 64] {
        let mut deq = crate::idct::prescale(self.block_w, self.block_h);
        for (k, &natural) in ZIGZAG.iter().enumerate() {
            if self.slot[k] != SKIP {
                deq[usize::from(self.slot[k])] *= f32::from(quant[usize::from(natural)]);
            }
        }
        deq
    }

    /// The plane's block row where the blocks of row `unit_y` of a scan's units start (`per_unit`
    /// block rows each): the plane holds every row, or (`streaming`) two in turn.
    #[inline(always)]
    pub(crate) fn unit_row(unit_y: usize, per_unit: usize, streaming: bool) -> usize {
        if streaming {
            (unit_y & 1) * per_unit
        } else {
            unit_y * per_unit
        }
    }

    /// Transforms a block's dequantised coefficients `coef` (`rows` as [`Basis::transform`] takes it) into the
    /// plane, at block column `col` and row `row`.
    #[inline(always)]
    pub(crate) fn put_block(&mut self, basis: &Basis, col: usize, row: usize, coef: &[f32; 64], rows: u8) {
        let offset = row * self.block_h * self.stride + col * self.block_w;
        let (w, h, stride) = (self.block_w, self.block_h, self.stride);
        basis.transform(coef, w, h, rows, &mut self.plane[offset..], stride);
    }
}
