//! Canonical Huffman tables (T.81 C, F.2.2): each DHT table built for decoding, with a lookahead
//! table that decodes short codes (and, for DC and AC tables, whole coefficients) in one lookup, and for
//! scaled decodes a table that steps over several coefficients at once. The bit reader that uses them
//! is `bits`.

use crate::error::{Error, Result};

/// Codes up to this many bits decode with one table lookup; longer ones (rare in real files) walk the
/// canonical code ranges.
pub(crate) const LOOKAHEAD: u32 = 10;

/// The run a fast AC entry gives for end of block: past any block's end.
pub(crate) const EOB_RUN: usize = 0xFF;

/// Bits a skip entry covers: several short symbols per lookup, since stepping over coefficients is a
/// chain of lookups each waiting for the bits the last one consumed (13 measured fastest of 11-14).
pub(crate) const SKIP_BITS: u32 = 13;

/// One DHT table, ready for decoding.
#[derive(Clone)]
pub(crate) struct Table {
    /// Indexed by the next `LOOKAHEAD` bits: `(code length << 8) | symbol`, or 0 for a longer code.
    pub(crate) lookup: Box<[u16; 1 << LOOKAHEAD]>,
    /// For AC tables, indexed like `lookup`: when a code and its magnitude bits both fit the lookahead,
    /// the whole coefficient at once: `(value << 16) | (run << 8) | total bits`; 0 otherwise. The two
    /// symbols without magnitude are here too: end of block as run [`EOB_RUN`], sixteen zeros (ZRL) as a
    /// zero value after a run of 15.
    pub(crate) fast_ac: Box<[i32; 1 << LOOKAHEAD]>,
    /// For DC tables, indexed like `lookup`: when a difference's code and magnitude both fit the
    /// lookahead, `(difference << 16) | total bits` (never 0: a code has at least one bit); 0 otherwise.
    pub(crate) fast_dc: Box<[i32; 1 << LOOKAHEAD]>,
    /// Once [`Table::build_skip`] ran (AC tables of scaled sequential decodes), indexed by the next
    /// [`SKIP_BITS`] bits: the whole AC symbols (codes and magnitudes) they start with, for stepping over
    /// the coefficients a scaled transform does not use. Bits 0-3 the bits they take; 4-9 how far they
    /// move the zig-zag position; 10-15 how far all but the last move it (the chain holds only if the last
    /// starts inside the block). Both distances stop at 63, which from any position past the DC ends the
    /// block, as end of block does. 0: not even one symbol fits.
    pub(crate) skip: Box<[u16]>,
    /// Largest code of each length (index 1..=16) left-aligned to 16 bits, `u32::MAX`... none: see `decode_slow`.
    pub(crate) max_code: [i32; 18],
    /// Offset from a code of each length to its index in `symbols`.
    pub(crate) delta: [i32; 17],
    pub(crate) symbols: Vec<u8>,
}

impl Table {
    /// Builds a table from a DHT segment's 16 code-length counts and its symbols.
    pub(crate) fn new(counts: &[u8; 16], symbols: &[u8], is_ac: bool) -> Result<Table> {
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        if total != symbols.len() || total > 256 || total == 0 {
            return Err(Error::Malformed("Huffman table symbol count is wrong"));
        }
        let mut lookup = Box::new([0u16; 1 << LOOKAHEAD]);
        let mut max_code = [-1i32; 18];
        let mut delta = [0i32; 17];
        let mut code: u32 = 0;
        let mut k = 0usize;
        for len in 1..=16u32 {
            let n = u32::from(counts[len as usize - 1]);
            delta[len as usize] = k as i32 - code as i32;
            for _ in 0..n {
                if code >= (1 << len) {
                    return Err(Error::Malformed("Huffman code lengths overflow the code space"));
                }
                if len <= LOOKAHEAD {
                    let shift = LOOKAHEAD - len;
                    let first = (code << shift) as usize;
                    let entry = ((len as u16) << 8) | u16::from(symbols[k]);
                    lookup[first..first + (1 << shift)].fill(entry);
                }
                code += 1;
                k += 1;
            }
            if n > 0 {
                max_code[len as usize] = (code - 1) as i32;
            }
            code <<= 1;
        }
        max_code[17] = i32::MAX;
        let mut fast_ac = Box::new([0i32; 1 << LOOKAHEAD]);
        let mut fast_dc = Box::new([0i32; 1 << LOOKAHEAD]);
        if !is_ac {
            for (bits, slot) in fast_dc.iter_mut().enumerate() {
                let entry = lookup[bits];
                let (len, size) = (u32::from(entry >> 8), u32::from(entry & 0xFF));
                if len == 0 || size > 11 || len + size > LOOKAHEAD {
                    continue;
                }
                let magnitude = (bits as u32 >> (LOOKAHEAD - len - size)) & ((1 << size) - 1);
                *slot = (extend(magnitude, size) << 16) | (len + size) as i32;
            }
        }
        if is_ac {
            for (bits, slot) in fast_ac.iter_mut().enumerate() {
                let entry = lookup[bits];
                let len = u32::from(entry >> 8);
                let (run, size) = (u32::from(entry & 0xFF) >> 4, u32::from(entry & 0x0F));
                if len == 0 || len + size > LOOKAHEAD {
                    continue;
                }
                if size == 0 {
                    *slot = match run {
                        0 => ((EOB_RUN as i32) << 8) | len as i32,
                        15 => (15 << 8) | len as i32,
                        _ => 0, // EOBn: progressive only, decoded elsewhere
                    };
                    continue;
                }
                let magnitude = (bits as u32 >> (LOOKAHEAD - len - size)) & ((1 << size) - 1);
                let value = extend(magnitude, size);
                *slot = (value << 16) | ((run as i32) << 8) | (len + size) as i32;
            }
        }
        Ok(Table {
            lookup,
            fast_ac,
            fast_dc,
            skip: Box::default(),
            max_code,
            delta,
            symbols: symbols.to_vec(),
        })
    }

    /// Builds the skip table (see `skip`), once: only scaled decodes step over coefficients.
    pub(crate) fn build_skip(&mut self) {
        if self.skip.is_empty() {
            self.skip = (0..1u32 << SKIP_BITS).map(|bits| self.skip_entry(bits)).collect();
        }
    }

    /// The AC symbol at the top of the `n` (≥ 1) bits `bits`, if its code is short enough for `lookup` and
    /// it fits with its magnitude: (bits it takes, how far it moves the zig-zag position, whether it ends
    /// the block).
    fn step(&self, bits: u32, n: u32) -> Option<(u32, usize, bool)> {
        let index = if n >= LOOKAHEAD {
            bits >> (n - LOOKAHEAD)
        } else {
            bits << (LOOKAHEAD - n)
        };
        let entry = self.lookup[index as usize];
        let len = u32::from(entry >> 8);
        let (run, size) = (usize::from(entry as u8 >> 4), u32::from(entry & 0x0F));
        match (size, run) {
            _ if len == 0 || len > n => None,
            (0, 0) => Some((len, 63, true)),
            (0, 15) => Some((len, 16, false)),
            (0, _) => None,
            _ => (len + size <= n).then_some((len + size, run + 1, false)),
        }
    }

    fn skip_entry(&self, bits: u32) -> u16 {
        let (mut used, mut moved, mut before_last) = (0u32, 0usize, 0usize);
        while used < SKIP_BITS && moved < 63 {
            let rest = SKIP_BITS - used;
            let Some((n, step, end)) = self.step(bits & ((1 << rest) - 1), rest) else {
                break;
            };
            (used, before_last, moved) = (used + n, moved, moved + step);
            if end {
                break;
            }
        }
        if used == 0 {
            return 0;
        }
        (used | (moved.min(63) as u32) << 4 | (before_last.min(63) as u32) << 10) as u16
    }
}

/// Turns `size` magnitude bits into the signed value they code (T.81 F.2.2.1).
#[inline(always)]
pub(crate) fn extend(v: u32, size: u32) -> i32 {
    if size == 0 {
        0
    } else if v < (1 << (size - 1)) {
        v as i32 - (1 << size) + 1
    } else {
        v as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_tables_that_overflow_the_code_space() {
        let mut counts = [0u8; 16];
        counts[0] = 3; // three 1-bit codes cannot exist
        assert!(Table::new(&counts, &[1, 2, 3], false).is_err());
    }

    #[test]
    fn extend_follows_the_standard() {
        assert_eq!(extend(0, 1), -1);
        assert_eq!(extend(1, 1), 1);
        assert_eq!(extend(0b00, 2), -3);
        assert_eq!(extend(0b11, 2), 3);
        assert_eq!(extend(0, 0), 0);
    }
}
