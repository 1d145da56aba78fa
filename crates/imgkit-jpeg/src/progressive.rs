//! Progressive scans (spectral selection and successive approximation, Huffman coded, T.81 G.1.2):
//! each scan adds a band of coefficients, or one more bit of them, to every block's store; once all
//! scans are in, [`transform`] turns the stores into planes.
//!
//! Only the coefficients the shrink uses are stored. For the others a bit per position records whether it
//! is non-zero yet, which is all a refinement scan needs to stay in step. A component that needs no AC
//! coefficient at all (luma at 1/8) has its AC scans stepped over unread ([`skippable`]). Other AC scans
//! are decoded even when their band holds nothing the transform reads: a later refinement of a band
//! that straddles what it reads (libjpeg's scripts refine 1-63) needs the whole band's history.

use crate::bits::{Bits, Local};
use crate::error::{Error, Result};
use crate::frame::{Component, Frame, SKIP};
use crate::huffman::Table;
use crate::idct::Basis;
use crate::scan::{walk, Scan};
use crate::tables::Tables;

/// True when `scan` is an AC scan of components that use their DC alone: it can be stepped over unread.
pub(crate) fn skippable(frame: &Frame, scan: &Scan) -> bool {
    scan.ss > 0
        && scan
            .components
            .iter()
            .all(|sc| frame.components[sc.index].last == 0)
}

/// Decodes one progressive scan of `frame` from `bits` into the coefficient stores, with a restart
/// every `interval` units. The scan's tables must have been built.
pub(crate) fn decode(
    frame: &mut Frame,
    scan: &Scan,
    tables: &Tables,
    bits: &mut Bits,
    interval: usize,
) -> Result<()> {
    let units = scan.units(frame);
    if scan.ss == 0 {
        return decode_dc(frame, scan, tables, bits, interval, units);
    }
    let sc = &scan.components[0];
    let table = tables.ac(sc.ac)?;
    let c = &mut frame.components[sc.index];
    c.scanned = true;
    let kept = c.kept();
    let band = Band {
        ss: scan.ss,
        se: scan.se,
        al: scan.al,
    };
    let mut eobrun = 0u32;
    let Component {
        blocks_x,
        slot,
        kept_mask,
        coefs,
        nonzero,
        ..
    } = c;
    walk(bits, units, interval, |bits, x, y, fresh| {
        if fresh {
            eobrun = 0;
        }
        let block = y * *blocks_x + x;
        let store = Store {
            slot,
            kept: *kept_mask,
            coefs: &mut coefs[block * kept..(block + 1) * kept],
            nonzero: &mut nonzero[block],
        };
        if scan.ah == 0 {
            ac_first(bits, table, &band, store, &mut eobrun)
        } else {
            ac_refine(bits, table, &band, store, &mut eobrun)
        }
    })
}

/// A DC scan: the first bits of every component's DC (differences from the previous block's), or one
/// more bit of each.
fn decode_dc(
    frame: &mut Frame,
    scan: &Scan,
    tables: &Tables,
    bits: &mut Bits,
    interval: usize,
    units: (usize, usize),
) -> Result<()> {
    let first = scan.ah == 0;
    let mut members: Vec<(usize, Option<&Table>, i32)> = Vec::new();
    for sc in &scan.components {
        frame.components[sc.index].scanned = true;
        // A refinement reads raw bits: no table.
        let table = if first { Some(tables.dc(sc.dc)?) } else { None };
        members.push((sc.index, table, 0));
    }
    let interleaved = scan.interleaved();
    let al = scan.al;
    walk(bits, units, interval, |bits, ux, uy, fresh| {
        for (index, table, pred) in &mut members {
            if fresh {
                *pred = 0;
            }
            let c = &mut frame.components[*index];
            let (bh, bv) = if interleaved { (c.h, c.v) } else { (1, 1) };
            let kept = c.kept();
            for by in 0..bv {
                for bx in 0..bh {
                    let block = (uy * bv + by) * c.blocks_x + ux * bh + bx;
                    let dc = &mut c.coefs[block * kept];
                    if let Some(table) = table {
                        *pred = pred.wrapping_add(bits.dc(table)?);
                        *dc = (*pred << al) as i16;
                    } else if bits.bits(1) == 1 {
                        *dc |= 1 << al;
                    }
                }
            }
        }
        Ok(())
    })
}

/// The zig-zag band an AC scan codes, and the bit position of its values.
struct Band {
    ss: usize,
    se: usize,
    al: u8,
}

/// One block's coefficient store.
struct Store<'a> {
    slot: &'a [u8; 64],
    /// The zig-zag positions `slot` keeps, as bits.
    kept: u64,
    coefs: &'a mut [i16],
    nonzero: &'a mut u64,
}

impl Store<'_> {
    fn set(&mut self, k: usize, value: i32) {
        *self.nonzero |= 1 << k;
        if let Some(&at) = self.slot.get(k).filter(|&&at| at != SKIP) {
            self.coefs[usize::from(at)] = value as i16;
        }
    }

    /// Applies correction `bit` (0 or 1) at `k`: adds `p1`, with the coefficient's sign, unless the
    /// coefficient already has it. Without a branch on the bit, which is as good as random.
    fn refine(&mut self, k: usize, bit: u32, p1: i16) {
        if let Some(&at) = self.slot.get(k).filter(|&&at| at != SKIP) {
            let c = &mut self.coefs[usize::from(at)];
            let add = p1 * (bit as i16) * i16::from(*c & p1 == 0);
            *c = if *c >= 0 {
                c.wrapping_add(add)
            } else {
                c.wrapping_sub(add)
            };
        }
    }
}

/// The first scan of an AC band in one block (T.81 G.1.2.2), with end-of-band runs across blocks.
fn ac_first(bits: &mut Bits, table: &Table, band: &Band, mut store: Store, eobrun: &mut u32) -> Result<()> {
    if *eobrun > 0 {
        *eobrun -= 1;
        return Ok(());
    }
    let mut bits = bits.local();
    let mut k = band.ss;
    while k <= band.se {
        let rs = bits.symbol(table)?;
        let (run, size) = (u32::from(rs >> 4), u32::from(rs & 15));
        if size == 0 {
            if run < 15 {
                // This block and the next 2^run - 1 + (run more bits) blocks end here.
                *eobrun = (1 << run) - 1 + bits.bits(run);
                break;
            }
            k += 16;
            continue;
        }
        k += run as usize;
        if k > band.se {
            return Err(Error::Malformed("AC coefficients run past the band"));
        }
        store.set(k, bits.receive_extend(size) << band.al);
        k += 1;
    }
    Ok(())
}

/// A refinement scan of an AC band in one block (T.81 G.1.2.3): a correction bit for every coefficient
/// already non-zero, and new coefficients of magnitude 1 at this bit position.
///
/// Positions are found with masks rather than one by one: most of a band is zero, and the non-zero
/// ones' correction bits are read together.
fn ac_refine(bits: &mut Bits, table: &Table, band: &Band, mut store: Store, eobrun: &mut u32) -> Result<()> {
    let mut bits = bits.local();
    let p1 = 1i16 << band.al;
    let in_band = from(band.ss) & !from(band.se + 1);
    let mut k = band.ss;
    if *eobrun == 0 {
        // Where each new value lands, by the count of zero-history coefficients before it.
        let zeros = ZeroHistory::of(in_band & !*store.nonzero);
        let mut passed = 0;
        while k <= band.se {
            let rs = bits.symbol(table)?;
            let (run, size) = (rs >> 4, rs & 15);
            let value = match size {
                0 if run < 15 => {
                    *eobrun = (1 << run) + bits.bits(u32::from(run));
                    break;
                }
                0 => 0, // sixteen zero-history coefficients
                // p1 or -p1 by the sign bit, without a branch on it: it is as good as random.
                1 => (2 * bits.bits(1) as i32 - 1) * i32::from(p1),
                _ => return Err(Error::Malformed("refinement coefficient larger than one bit")),
            };
            // The new value (if any) lands on the zero-history coefficient after `run` others; the
            // non-zero ones before it get their correction bits.
            let target = zeros.at(passed + usize::from(run));
            passed += usize::from(run) + 1;
            let refined = in_band & from(k) & !from(target) & *store.nonzero;
            // Between `k` and the target lie `run` zero-history positions, and the rest are non-zero
            // (a count without a popcount, which x86-64's baseline does not have).
            let count = if target <= band.se {
                (target - k) as u32 - u32::from(run)
            } else {
                refined.count_ones()
            };
            correct(&mut bits, &mut store, refined, count, p1);
            if value != 0 {
                if target > band.se {
                    return Err(Error::Malformed("AC coefficients run past the band"));
                }
                store.set(target, value);
            }
            k = target + 1;
        }
    }
    if *eobrun > 0 {
        // The rest of the band is in an end-of-band run: only correction bits.
        let refined = in_band & from(k) & *store.nonzero;
        correct(&mut bits, &mut store, refined, refined.count_ones(), p1);
        *eobrun -= 1;
    }
    Ok(())
}

/// A block's zero-history positions in a band, in order, for a refinement scan to count along.
///
/// Made once a block from its mask, a byte of it at a time, so that each symbol finds where its value
/// lands with one load. Finding it in the mask instead ([`select`]) put a chain of twenty operations
/// between one symbol and the next: the correction bits to read before the next symbol depend on it.
struct ZeroHistory {
    /// The positions, then [`PAST`] (at least 16 of it, the longest run a symbol codes).
    positions: [u8; 80],
}

/// Past every band: a new value that lands here has run off its band's end.
const PAST: u8 = 64;

impl ZeroHistory {
    #[inline(always)]
    fn of(mask: u64) -> ZeroHistory {
        let mut positions = [PAST; 80];
        let sums = running_byte_sums(mask);
        // Where each byte's positions start: the count in the bytes before it.
        let starts = sums << 8;
        for (byte, offset) in mask.to_le_bytes().into_iter().zip((0u64..).step_by(8)) {
            // The byte's positions, moved to its place in the block (unused lanes are overwritten by the
            // next byte's, or by the padding).
            let placed = POSITIONS_IN_BYTE[usize::from(byte)].wrapping_add(offset * 0x0101_0101_0101_0101);
            let start = (starts >> offset) as u8 as usize;
            positions[start..start + 8].copy_from_slice(&placed.to_le_bytes());
        }
        let len = (sums >> 56) as usize;
        positions[len..len + 16].fill(PAST);
        ZeroHistory { positions }
    }

    /// The position of the zero-history coefficient with `rank` others before it ([`PAST`] if none).
    #[inline(always)]
    fn at(&self, rank: usize) -> usize {
        usize::from(self.positions.get(rank).copied().unwrap_or(PAST))
    }
}

/// `POSITIONS_IN_BYTE[b]`: the set bits of `b`, lowest first, a byte each (then zeros).
static POSITIONS_IN_BYTE: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let (mut bit, mut n) = (0, 0);
        while bit < 8 {
            if b >> bit & 1 == 1 {
                table[b] |= (bit as u64) << (8 * n);
                n += 1;
            }
            bit += 1;
        }
        b += 1;
    }
    table
};

/// The position of the set bit of `mask` that has `rank` set bits below it, if there is one.
///
/// Broadword, without a branch on `rank` (S. Vigna, "Broadword implementation of rank/select queries",
/// 2008): per-byte counts of set bits, summed so byte i holds the count in bytes 0..=i; the bytes
/// whose sum is at most `rank` lie wholly before the bit, so their number locates its byte, and a table
/// finds the bit within it. Dropping the `rank` lowest bits one at a time instead cost a mispredicted
/// loop exit per refinement symbol.
fn select(mask: u64, rank: u32) -> Option<usize> {
    const L8: u64 = 0x0101_0101_0101_0101;
    const H8: u64 = 0x8080_8080_8080_8080;
    let sums = running_byte_sums(mask);
    let rank = u64::from(rank);
    if sums >> 56 <= rank {
        return None;
    }
    // High bit of each byte whose running sum is at most `rank` (an unsigned byte-wise comparison).
    let spread = rank.wrapping_mul(L8);
    let before = (((spread | H8) - (sums & !H8)) ^ sums ^ spread) & H8;
    let byte = ((before >> 7).wrapping_mul(L8) >> 53) & !7;
    let rank_in_byte = rank - (((sums << 8) >> byte) & 0xFF);
    let bits = (mask >> byte) & 0xFF;
    Some(byte as usize + usize::from(SELECT_IN_BYTE[bits as usize][rank_in_byte as usize]))
}

/// Byte i of the result: the number of set bits of `mask` in its bytes 0..=i.
#[inline(always)]
fn running_byte_sums(mask: u64) -> u64 {
    let mut sums = mask - ((mask & 0xAAAA_AAAA_AAAA_AAAA) >> 1);
    sums = (sums & 0x3333_3333_3333_3333) + ((sums >> 2) & 0x3333_3333_3333_3333);
    ((sums + (sums >> 4)) & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(0x0101_0101_0101_0101)
}

/// `SELECT_IN_BYTE[b][r]`: the position of the set bit of `b` with `r` set bits below it (8: none).
static SELECT_IN_BYTE: [[u8; 8]; 256] = {
    let mut table = [[8u8; 8]; 256];
    let mut b = 0;
    while b < 256 {
        let (mut bit, mut rank) = (0, 0);
        while bit < 8 {
            if b >> bit & 1 == 1 {
                table[b][rank] = bit as u8;
                rank += 1;
            }
            bit += 1;
        }
        b += 1;
    }
    table
};

/// The zig-zag positions from `k` on, as a mask (none when `k` is past the block).
fn from(k: usize) -> u64 {
    u64::MAX.checked_shl(k as u32).unwrap_or(0)
}

/// Reads a correction bit for each of the `count` positions in `positions` (all non-zero already), in
/// zig-zag order, applying those the store keeps.
///
/// Up to 32 bits are read at once. When the store keeps them all (full size), they are applied in order;
/// otherwise each kept position finds its bit by its rank among the positions read, so positions the
/// shrink drops cost nothing past their bit.
#[inline(always)]
fn correct(bits: &mut Local, store: &mut Store, positions: u64, count: u32, p1: i16) {
    let (mut rest, mut left) = (positions, count);
    while rest != 0 {
        let n = left.min(32);
        let word = bits.bits(n);
        // The positions `word` holds: all of `rest`, or those below the one with `n` before it.
        let read = if n == left {
            rest
        } else {
            select(rest, n).map_or(rest, |at| rest & !(u64::MAX << at))
        };
        (rest, left) = (rest & !read, left - n);
        let mut kept = read & store.kept;
        if kept == read {
            for i in (0..n).rev() {
                let k = kept.trailing_zeros();
                kept &= kept.wrapping_sub(1);
                store.refine(k as usize, (word >> i) & 1, p1);
            }
            continue;
        }
        while kept != 0 {
            let k = kept.trailing_zeros();
            kept &= kept - 1;
            let rank = (read & !(u64::MAX << k)).count_ones();
            store.refine(k as usize, (word >> (n - 1 - rank)) & 1, p1);
        }
    }
}

/// Dequantises and transforms every block of every component into its plane, once all scans are in.
pub(crate) fn transform(frame: &mut Frame, tables: &Tables, basis: &Basis) -> Result<()> {
    let mut coef = [0f32; 64];
    for c in &mut frame.components {
        let deq = c.dequantiser(tables.quant(c.quant)?);
        let (kept, across) = (c.kept(), c.read_across());
        // Taken: the stores are done with, and the plane is written while they are read.
        let coefs = std::mem::take(&mut c.coefs);
        for (block, stored) in coefs.chunks_exact(kept).enumerate() {
            let mut rows = 0u8;
            for (i, ((out, &v), &d)) in coef.iter_mut().zip(stored).zip(&deq).enumerate() {
                *out = f32::from(v) * d;
                if v != 0 && i != 0 {
                    rows |= 1 << (i / across);
                }
            }
            c.put_block(basis, block % c.blocks_x, block / c.blocks_x, &coef, rows);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::select;

    /// Against dropping the lowest set bits one at a time, on masks of every density.
    #[test]
    fn select_finds_the_bit_of_each_rank() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for round in 0..4000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mask = match round % 4 {
                0 => state,
                1 => state & (state >> 1),
                2 => state & (state >> 1) & (state >> 2) & (state >> 3),
                _ => state | 1 << 63,
            };
            for rank in 0..65 {
                let mut rest = mask;
                for _ in 0..rank {
                    rest &= rest.wrapping_sub(1);
                }
                let want = (rest != 0).then(|| rest.trailing_zeros() as usize);
                assert_eq!(select(mask, rank), want, "{mask:#x} rank {rank}");
            }
        }
    }
}
