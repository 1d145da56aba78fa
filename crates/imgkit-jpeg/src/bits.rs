//! The bit reader over a scan's entropy-coded bytes: undoes 0xFF00 stuffing, stops at markers, follows
//! restart intervals, and decodes Huffman symbols, DC differences and blocks of AC coefficients with
//! [`Table`]s. Nearly all of a scaled decode's time goes here.

use crate::error::{Error, Result};
use crate::huffman::{extend, Table, EOB_RUN, LOOKAHEAD, SKIP_BITS};

/// Where the entropy-coded data starting at `start` ends without decoding it: the first marker that is
/// neither a stuffed byte, fill, nor a restart marker (or the end of the data).
pub(crate) fn skip_scan(data: &[u8], start: usize) -> usize {
    let mut at = start;
    while let Some(i) = data
        .get(at..)
        .and_then(|rest| rest.iter().position(|&b| b == 0xFF))
    {
        let marker = at + i;
        match data.get(marker + 1) {
            Some(0x00 | 0xFF | 0xD0..=0xD7) => at = marker + 1,
            Some(_) => return marker,
            None => break,
        }
    }
    data.len()
}

/// The branch-free refill (F. Giesen's "variant 4"): ORs the eight bytes at `pos` in below the `count`
/// buffered bits and steps `pos` over the whole bytes that fitted, leaving 56 to 63 bits. The bits of
/// a partly fitted byte are loaded again next time, which is harmless: they are the same bits. Returns
/// false, changing nothing, when those bytes hold a 0xFF (a stuffed byte or a marker needs the byte
/// reader) or the data ends within them. Called before every symbol, it costs less than the
/// mispredicted branch of refilling only when the buffer runs low.
#[inline(always)]
fn load_word(data: &[u8], pos: &mut usize, buf: &mut u64, count: &mut u32) -> bool {
    let Some(chunk) = data.get(*pos..*pos + 8) else {
        return false;
    };
    let word = u64::from_be_bytes([
        chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
    ]);
    let inverted = !word;
    if inverted.wrapping_sub(0x0101_0101_0101_0101) & !inverted & 0x8080_8080_8080_8080 != 0 {
        return false;
    }
    debug_assert!(*count < 64);
    *buf |= word >> *count;
    *pos += ((63 - *count) >> 3) as usize;
    *count |= 56;
    true
}

/// Reads the entropy-coded bits of a scan, undoing 0xFF00 stuffing and stopping at the next marker.
pub(crate) struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    /// Unread bits, left-aligned.
    buf: u64,
    count: u32,
    /// Set once the reader reaches a marker (or the end of the data): from then on it feeds zeros.
    at_marker: bool,
    /// Zero bits fed after the marker; consuming them means the scan was cut short.
    padded: u32,
    /// This restart interval's data was lost (a restart marker missing or out of order): it decodes as
    /// zeros on purpose, as libjpeg's resynchronisation does, which is not a truncated file.
    lost_interval: bool,
}

impl<'a> Bits<'a> {
    pub(crate) fn new(data: &'a [u8], pos: usize) -> Bits<'a> {
        Bits {
            data,
            pos,
            buf: 0,
            count: 0,
            at_marker: false,
            padded: 0,
            lost_interval: false,
        }
    }

    /// Position of the first byte not yet loaded: the marker that ended the scan, once `at_marker`.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// Byte at a time, for the stretch near a stuffed byte, a marker or the end of the data.
    #[inline(never)]
    fn refill_slow(&mut self) {
        // Up to 56 bits, never 64: `load_word` shifts a word right by the count.
        while self.count <= 48 {
            let byte = self.next_byte();
            self.buf |= u64::from(byte) << (56 - self.count);
            self.count += 8;
        }
    }

    fn next_byte(&mut self) -> u8 {
        if self.at_marker {
            self.padded += 8;
            return 0;
        }
        match self.data.get(self.pos) {
            None => {
                self.at_marker = true;
                self.padded += 8;
                0
            }
            Some(&0xFF) => {
                // 0xFF 0x00 is a stuffed 0xFF; runs of 0xFF are fill bytes before a marker.
                let mut next = self.pos + 1;
                while self.data.get(next) == Some(&0xFF) {
                    next += 1;
                }
                match self.data.get(next) {
                    Some(0) => {
                        self.pos = next + 1;
                        0xFF
                    }
                    _ => {
                        self.pos = next - 1;
                        self.at_marker = true;
                        self.padded += 8;
                        0
                    }
                }
            }
            Some(&b) => {
                self.pos += 1;
                b
            }
        }
    }

    /// Reads `n` (≤ 32: a refill leaves at least 49) raw bits.
    #[inline(always)]
    pub(crate) fn bits(&mut self, n: u32) -> u32 {
        self.local().bits(n)
    }

    /// Decodes one Huffman symbol.
    #[inline(always)]
    pub(crate) fn symbol(&mut self, table: &Table) -> Result<u8> {
        self.local().symbol(table)
    }

    #[cold]
    fn symbol_slow(&mut self, table: &Table) -> Result<u8> {
        let top = (self.buf >> 48) as i32;
        for len in LOOKAHEAD + 1..=16 {
            let code = top >> (16 - len);
            if code <= table.max_code[len as usize] {
                self.local().consume(len);
                let index = code + table.delta[len as usize];
                return table
                    .symbols
                    .get(index as usize)
                    .copied()
                    .ok_or(Error::Malformed("bad Huffman code"));
            }
        }
        Err(Error::Malformed("bad Huffman code"))
    }

    /// Decodes one DC difference (T.81 F.2.2.1): one lookup when its code and magnitude are short, as
    /// they nearly always are.
    #[inline(always)]
    pub(crate) fn dc(&mut self, table: &Table) -> Result<i32> {
        self.local().dc(table)
    }

    /// Decodes the AC coefficients of one block, calling `store(k, value)` for each non-zero one at
    /// zig-zag position `k` (1..=`last`); the ones after `last` are only stepped over.
    ///
    /// The hot loop keeps the bit buffer in locals: as fields behind `&mut self` they would go through
    /// memory on every coefficient, because the out-of-line refill could read them.
    #[inline(always)]
    pub(crate) fn ac(&mut self, table: &Table, last: usize, mut store: impl FnMut(usize, i32)) -> Result<()> {
        let (mut buf, mut count, mut pos) = (self.buf, self.count, self.pos);
        // At least 49 bits before every symbol: one symbol and its magnitude never need more.
        macro_rules! refill {
            () => {
                // Near a marker the word holds its 0xFF until the interval ends; the bits buffered up to
                // it often suffice.
                if !load_word(self.data, &mut pos, &mut buf, &mut count) && count <= 48 {
                    (self.buf, self.count, self.pos) = (buf, count, pos);
                    self.refill_slow();
                    (buf, count, pos) = (self.buf, self.count, self.pos);
                }
            };
        }
        macro_rules! take {
            ($n:expr) => {{
                let n: u32 = $n;
                buf <<= n;
                count -= n;
            }};
        }
        // Decodes a symbol the lookahead table could not (a long code), through the slow path.
        macro_rules! slow_symbol {
            () => {{
                (self.buf, self.count, self.pos) = (buf, count, pos);
                let rs = self.symbol(table);
                (buf, count, pos) = (self.buf, self.count, self.pos);
                rs?
            }};
        }
        let mut k = 1usize;
        let result = loop {
            if k > last {
                break Ok(());
            }
            refill!();
            let fast = table.fast_ac[(buf >> (64 - LOOKAHEAD)) as usize];
            if fast != 0 {
                take!((fast & 0xFF) as u32);
                let run = ((fast >> 8) & 0xFF) as usize;
                if run == EOB_RUN {
                    (self.buf, self.count, self.pos) = (buf, count, pos);
                    return Ok(());
                }
                let value = fast >> 16;
                if value == 0 {
                    k += 16; // ZRL: only a ZRL has no value
                    continue;
                }
                k += run;
                if k >= 64 {
                    break Err(Error::Malformed("AC coefficients run past the block"));
                }
                store(k, value);
                k += 1;
                continue;
            }
            let rs = slow_symbol!();
            let (run, size) = (usize::from(rs >> 4), u32::from(rs & 0x0F));
            if size == 0 {
                if run != 15 {
                    (self.buf, self.count, self.pos) = (buf, count, pos);
                    return Ok(()); // end of block
                }
                k += 16;
                continue;
            }
            k += run;
            if k >= 64 {
                break Err(Error::Malformed("AC coefficients run past the block"));
            }
            // The symbol took at most 16 of the 49 bits; a magnitude needs at most 15 more.
            let value = extend((buf >> (64 - size)) as u32, size);
            take!(size);
            store(k, value);
            k += 1;
        };
        result?;
        // Past the last coefficient a scaled transform uses, only where the bits end matters. (A run past
        // the block's end here is tolerated, as libjpeg does: nothing is stored.)
        while k < 64 {
            if count < 32 {
                refill!();
            }
            if let Some(&chain) = table.skip.get((buf >> (64 - SKIP_BITS)) as usize) {
                if chain != 0 && k + usize::from(chain >> 10) < 64 {
                    k += usize::from((chain >> 4) & 0x3F);
                    take!(u32::from(chain & 0x0F));
                    continue;
                }
            }
            let fast = table.fast_ac[(buf >> (64 - LOOKAHEAD)) as usize];
            if fast != 0 {
                // End of block's run takes k past 64; a ZRL's (15) plus one is its 16 zeros.
                k += ((fast >> 8) & 0xFF) as usize + 1;
                take!((fast & 0xFF) as u32);
                continue;
            }
            let rs = slow_symbol!();
            let (run, size) = (usize::from(rs >> 4), u32::from(rs & 0x0F));
            if size == 0 {
                if run != 15 {
                    break;
                }
                k += 16;
                continue;
            }
            k += run + 1;
            take!(size);
        }
        (self.buf, self.count, self.pos) = (buf, count, pos);
        Ok(())
    }

    /// The buffer in locals for a hot loop: see [`Local`].
    #[inline(always)]
    pub(crate) fn local(&mut self) -> Local<'_, 'a> {
        Local {
            buf: self.buf,
            count: self.count,
            pos: self.pos,
            bits: self,
        }
    }

    /// True when the scan so far needed bits past the end of its data: the file was cut short.
    pub(crate) fn overran(&self) -> bool {
        !self.lost_interval && self.padded > self.count
    }

    /// At the start of restart interval `n` (0-7): drops buffered bits and steps over the restart marker
    /// `RSTn` expected at the byte position. When it is missing or out of order, resynchronises as libjpeg
    /// does (`jpeg_resync_to_restart`): stray data is skipped to the next marker; a marker one or two
    /// restarts ahead (or any other marker) is left for later and this interval decodes as zeros; one one
    /// or two behind is skipped; anything else is taken for `RSTn`. Only an interval with no marker after
    /// it at all is an error: the file was cut short.
    pub(crate) fn restart(&mut self, n: u8) -> Result<()> {
        // Every whole byte still buffered was loaded past the interval's padding bits; give them back.
        let unread_bytes = (self.count.saturating_sub(self.padded)) / 8;
        if !self.at_marker {
            self.pos = self.pos.saturating_sub(unread_bytes as usize);
        }
        self.buf = 0;
        self.count = 0;
        self.padded = 0;
        self.at_marker = false;
        self.lost_interval = false;
        let rst = |k: u8| 0xD0 + (k & 7);
        loop {
            let at = self
                .next_marker()
                .ok_or(Error::Malformed("scan data ends early (truncated file?)"))?;
            let marker = self.data[at + 1];
            let (ahead1, ahead2, behind1, behind2) = (
                rst(n.wrapping_add(1)),
                rst(n.wrapping_add(2)),
                rst(n.wrapping_sub(1)),
                rst(n.wrapping_sub(2)),
            );
            let is_rst = (0xD0..=0xD7).contains(&marker);
            if marker == rst(n) || (is_rst && ![ahead1, ahead2, behind1, behind2].contains(&marker)) {
                // The restart wanted, or one too far off to place: take it as this interval's.
                self.pos = at + 2;
                return Ok(());
            }
            if marker < 0xC0 || marker == behind1 || marker == behind2 {
                // Not a marker that can end an interval, or a restart already passed: look further.
                self.pos = at + 2;
                continue;
            }
            // A restart still to come, or the scan's end: this interval's data is lost.
            self.pos = at;
            self.at_marker = true;
            self.lost_interval = true;
            return Ok(());
        }
    }

    /// Position of the next marker (0xFF followed by neither 0x00 nor 0xFF) at or after the current
    /// position, skipping stuffed bytes and stray data.
    fn next_marker(&self) -> Option<usize> {
        let mut at = self.pos;
        loop {
            let i = at + self.data.get(at..)?.iter().position(|&b| b == 0xFF)?;
            match self.data.get(i + 1)? {
                0x00 | 0xFF => at = i + 1,
                _ => return Some(i),
            }
        }
    }
}

/// A [`Bits`] whose buffer, count and position live in locals while a hot loop reads symbols, and go
/// back when it is dropped: the one implementation of reading bits, symbols and DC differences, which
/// `Bits`' own methods borrow for one read. Through `&mut Bits` they would go through memory at every symbol, because the
/// out-of-line slow paths could read them: a load and a store in the chain each symbol waits on (the
/// sequential AC loop keeps its own locals for the same reason). Only the slow paths write them back
/// and read them again.
pub(crate) struct Local<'b, 'a> {
    bits: &'b mut Bits<'a>,
    buf: u64,
    count: u32,
    pos: usize,
}

impl Local<'_, '_> {
    #[inline(always)]
    fn store(&mut self) {
        (self.bits.buf, self.bits.count, self.bits.pos) = (self.buf, self.count, self.pos);
    }

    #[inline(always)]
    fn load(&mut self) {
        (self.buf, self.count, self.pos) = (self.bits.buf, self.bits.count, self.bits.pos);
    }

    /// Fills the buffer to at least 49 bits.
    #[inline(always)]
    fn refill(&mut self) {
        if !load_word(self.bits.data, &mut self.pos, &mut self.buf, &mut self.count) && self.count <= 48 {
            self.store();
            self.bits.refill_slow();
            self.load();
        }
    }

    #[inline(always)]
    fn consume(&mut self, n: u32) {
        self.buf <<= n;
        self.count -= n;
    }

    /// The next `LOOKAHEAD` bits, the index into a table's one-lookup decoding, with at least 16 bits
    /// buffered (any code).
    #[inline(always)]
    fn peek(&mut self) -> usize {
        if self.count < 16 {
            self.refill();
        }
        (self.buf >> (64 - LOOKAHEAD)) as usize
    }

    /// [`Bits::bits`].
    #[inline(always)]
    pub(crate) fn bits(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        if self.count < n {
            self.refill();
        }
        let v = (self.buf >> (64 - n)) as u32;
        self.consume(n);
        v
    }

    /// Reads `size` magnitude bits and extends them to a signed coefficient.
    #[inline(always)]
    pub(crate) fn receive_extend(&mut self, size: u32) -> i32 {
        extend(self.bits(size), size)
    }

    /// [`Bits::dc`].
    #[inline(always)]
    pub(crate) fn dc(&mut self, table: &Table) -> Result<i32> {
        let fast = table.fast_dc[self.peek()];
        if fast != 0 {
            self.consume((fast & 0xFF) as u32);
            return Ok(fast >> 16);
        }
        let size = u32::from(self.symbol(table)?);
        if size > 11 {
            return Err(Error::Malformed("DC difference too large"));
        }
        Ok(self.receive_extend(size))
    }

    /// [`Bits::symbol`].
    #[inline(always)]
    pub(crate) fn symbol(&mut self, table: &Table) -> Result<u8> {
        let entry = table.lookup[self.peek()];
        if entry != 0 {
            self.consume(u32::from(entry >> 8));
            return Ok(entry as u8);
        }
        self.store();
        let symbol = self.bits.symbol_slow(table);
        self.load();
        symbol
    }
}

impl Drop for Local<'_, '_> {
    #[inline(always)]
    fn drop(&mut self) {
        self.store();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The standard luminance DC table from T.81 K.3.
    const DC_COUNTS: [u8; 16] = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    const DC_SYMBOLS: [u8; 12] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

    #[test]
    fn decodes_codes_of_every_length_in_the_standard_dc_table() {
        let table = Table::new(&DC_COUNTS, &DC_SYMBOLS, false).unwrap();
        // Codes per T.81 table K.3: 0 → 00, 5 → 110, 11 → 111111110 (9 bits).
        // Bits: 00 110 111111110 then padding ones.
        let data = [0b0011_0111, 0b1111_1011, 0xFF, 0x00];
        let mut bits = Bits::new(&data, 0);
        assert_eq!(bits.symbol(&table).unwrap(), 0);
        assert_eq!(bits.symbol(&table).unwrap(), 5);
        assert_eq!(bits.symbol(&table).unwrap(), 11);
    }

    /// Short differences come from the one-lookup table, long ones (code and magnitude past the
    /// lookahead) from the slow path; both must read what an encoder wrote.
    #[test]
    fn dc_differences_of_every_size_decode_as_written() {
        let table = Table::new(&DC_COUNTS, &DC_SYMBOLS, false).unwrap();
        // Canonical codes (T.81 C.2): (code, length) by symbol.
        let mut codes = Vec::new();
        let (mut code, mut k) = (0u32, 0);
        for (len, &n) in (1..).zip(&DC_COUNTS) {
            for _ in 0..n {
                codes.push((code, len));
                code += 1;
                k += 1;
            }
            code <<= 1;
        }
        assert_eq!(k, DC_SYMBOLS.len());
        let mut want = Vec::new();
        let (mut acc, mut n, mut data) = (0u64, 0u32, Vec::new());
        let mut put = |value: u32, len: u32| {
            acc = acc << len | u64::from(value);
            n += len;
            while n >= 8 {
                n -= 8;
                let byte = (acc >> n) as u8;
                data.push(byte);
                if byte == 0xFF {
                    data.push(0); // stuffing
                }
            }
        };
        for size in 0..=11u32 {
            let magnitudes = if size == 0 {
                vec![0]
            } else {
                vec![0, (1 << size) - 1, 1 << (size - 1)]
            };
            for m in magnitudes {
                let (code, len) = codes[size as usize];
                put(code, len);
                put(m, size);
                want.push(extend(m, size));
            }
        }
        put(0x7F, 7); // pad to a byte with ones
        let mut bits = Bits::new(&data, 0);
        let got: Vec<i32> = want.iter().map(|_| bits.dc(&table).unwrap()).collect();
        assert_eq!(got, want);
        assert!(!bits.overran());
    }

    #[test]
    fn stuffed_bytes_read_as_ff_and_markers_stop_the_reader() {
        let data = [0xFF, 0x00, 0xAB, 0xFF, 0xD9];
        let mut bits = Bits::new(&data, 0);
        assert_eq!(bits.bits(8), 0xFF);
        assert_eq!(bits.bits(8), 0xAB);
        assert!(!bits.overran());
        assert_eq!(bits.bits(8), 0);
        assert!(bits.overran());
        assert_eq!(bits.position(), 3);
    }
}
