//! Sequential scans (baseline and extended Huffman): each block is entropy-decoded, dequantised and
//! transformed straight into its component's plane, skipping the coefficients the shrink does not use.

use crate::bits::Bits;
use crate::error::Result;
use crate::frame::{Component, Frame, SKIP};
use crate::huffman::Table;
use crate::idct::Basis;
use crate::output::Output;
use crate::scan::{walk, Scan};
use crate::tables::Tables;

/// A scan component's decoding state.
struct Member<'t> {
    index: usize,
    dc: &'t Table,
    ac: &'t Table,
    /// By zig-zag position: the slot its coefficient adds to, and the factor (the DC's at 0; 0 for a
    /// coefficient the scaled transform does not use, which then adds nothing to slot 0). Adding instead
    /// of testing for SKIP keeps the store free of a branch that scaled decodes mispredict.
    slot: [u8; 64],
    factor: [f32; 64],
    pred: i32,
}

/// Decodes a sequential scan of `frame` from `bits`, with a restart every `interval` units; with
/// `output` (a streaming frame), each completed row of units goes on to the output rows it finishes.
pub(crate) fn decode(
    frame: &mut Frame,
    scan: &Scan,
    tables: &Tables,
    basis: &Basis,
    bits: &mut Bits,
    interval: usize,
    mut output: Option<&mut Output>,
) -> Result<()> {
    let mut members = Vec::new();
    for sc in &scan.components {
        let c = &mut frame.components[sc.index];
        c.scanned = true;
        let deq = c.dequantiser(tables.quant(c.quant)?);
        let slot = c.slot.map(|at| if at == SKIP { 0 } else { at });
        let factor = std::array::from_fn(|k| match c.slot[k] {
            SKIP => 0.0,
            at => deq[usize::from(at)],
        });
        members.push(Member {
            index: sc.index,
            dc: tables.dc(sc.dc)?,
            ac: tables.ac(sc.ac)?,
            slot,
            factor,
            pred: 0,
        });
    }
    let interleaved = scan.interleaved();
    let mut coef = [0f32; 64];
    let (units_x, units_y) = scan.units(frame);
    let streaming = frame.streaming;
    walk(bits, (units_x, units_y), interval, |bits, ux, uy, fresh| {
        for m in &mut members {
            if fresh {
                m.pred = 0;
            }
            let c = &mut frame.components[m.index];
            let (bh, bv) = if interleaved { (c.h, c.v) } else { (1, 1) };
            let row = Component::unit_row(uy, bv, streaming);
            for by in 0..bv {
                for bx in 0..bh {
                    // The whole array: sixteen inline stores, cheaper than a memset call of its used part.
                    coef = [0f32; 64];
                    m.pred = m.pred.wrapping_add(bits.dc(m.dc)?);
                    coef[0] = m.pred as f32 * m.factor[0];
                    let mut rows = 0u8;
                    let (slot, row_bit, factor) = (&m.slot, &c.row_bit, &m.factor);
                    bits.ac(m.ac, c.last, |k, value| {
                        coef[usize::from(slot[k])] += value as f32 * factor[k];
                        rows |= row_bit[k];
                    })?;
                    c.put_block(basis, ux * bh + bx, row + by, &coef, rows);
                }
            }
        }
        if let Some(out) = output.as_deref_mut() {
            if ux + 1 == units_x {
                out.rows(frame, frame.ready_rows(uy + 1, units_y, out.height()));
            }
        }
        Ok(())
    })
}
