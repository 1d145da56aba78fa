//! DQT and DHT segments: quantisation tables, and Huffman tables as defined, built into decoding tables
//! only when a scan first uses them (so a file of nothing but table definitions costs parsing, not
//! table building).

use crate::error::{Error, Result};
use crate::frame::ZIGZAG;
use crate::huffman::Table;

/// A DHT table as defined: 16 code-length counts and the symbols.
type Spec = ([u8; 16], Vec<u8>);

/// The tables defined so far; later definitions replace earlier ones with the same id.
#[derive(Default)]
pub(crate) struct Tables {
    quant: [Option<[u16; 64]>; 4],
    dc_spec: [Option<Spec>; 4],
    ac_spec: [Option<Spec>; 4],
    dc: [Option<Table>; 4],
    ac: [Option<Table>; 4],
}

impl Tables {
    /// Reads a DHT segment.
    pub(crate) fn define_huffman(&mut self, mut s: &[u8]) -> Result<()> {
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

    /// Reads a DQT segment.
    pub(crate) fn define_quant(&mut self, mut s: &[u8]) -> Result<()> {
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

    /// Quantisation table `id` (0-3), in natural order.
    pub(crate) fn quant(&self, id: usize) -> Result<&[u16; 64]> {
        self.quant
            .get(id)
            .and_then(Option::as_ref)
            .ok_or(Error::Malformed("missing quantisation table"))
    }

    /// Builds the DC table `dc` (when given) and the AC table `ac` (when given) if a DHT defined them and
    /// they are not built yet, the AC one with its skip table when `skip` (a scaled sequential scan). A
    /// scan calls this first, then [`Tables::dc`] and [`Tables::ac`].
    pub(crate) fn build(&mut self, dc: Option<usize>, ac: Option<usize>, skip: bool) -> Result<()> {
        for (id, built, defined, is_ac) in [
            (dc, &mut self.dc, &self.dc_spec, false),
            (ac, &mut self.ac, &self.ac_spec, true),
        ] {
            if let Some(id) = id {
                if let (Some(slot @ None), Some(Some((counts, symbols)))) =
                    (built.get_mut(id), defined.get(id))
                {
                    *slot = Some(Table::new(counts, symbols, is_ac)?);
                }
                if let (true, Some(Some(table))) = (is_ac && skip, built.get_mut(id)) {
                    table.build_skip();
                }
            }
        }
        Ok(())
    }

    /// DC table `id`, once built.
    pub(crate) fn dc(&self, id: usize) -> Result<&Table> {
        self.dc
            .get(id)
            .and_then(Option::as_ref)
            .ok_or(Error::Malformed("missing DC table"))
    }

    /// AC table `id`, once built.
    pub(crate) fn ac(&self, id: usize) -> Result<&Table> {
        self.ac
            .get(id)
            .and_then(Option::as_ref)
            .ok_or(Error::Malformed("missing AC table"))
    }
}
