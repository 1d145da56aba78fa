//! The scan header (SOS), and the walk over a scan's units with its restart intervals.

use crate::bits::Bits;
use crate::error::{Error, Result};
use crate::frame::Frame;

/// A component a scan codes, with its table ids.
pub(crate) struct ScanComponent {
    /// Index in the frame's components.
    pub(crate) index: usize,
    pub(crate) dc: usize,
    pub(crate) ac: usize,
}

/// One scan's header.
pub(crate) struct Scan {
    pub(crate) components: Vec<ScanComponent>,
    /// Spectral selection: the first and last zig-zag positions coded (0 and 63 in a sequential scan).
    pub(crate) ss: usize,
    pub(crate) se: usize,
    /// Successive approximation: the bit position the previous scan of this band stopped at (0 for the
    /// first), and this scan's.
    pub(crate) ah: u8,
    pub(crate) al: u8,
}

impl Scan {
    /// Parses an SOS segment of `frame`, checking its parameters against the frame's kind.
    pub(crate) fn parse(s: &[u8], frame: &Frame) -> Result<Scan> {
        let count = usize::from(*s.first().ok_or(Error::Malformed("short scan header"))?);
        if count == 0 || count > 4 {
            return Err(Error::Malformed("bad scan component count"));
        }
        let specs = s
            .get(1..1 + 2 * count)
            .ok_or(Error::Malformed("short scan header"))?;
        let tail = s
            .get(1 + 2 * count..4 + 2 * count)
            .ok_or(Error::Malformed("short scan header"))?;
        let (ss, se, ah, al) = (
            usize::from(tail[0]),
            usize::from(tail[1]),
            tail[2] >> 4,
            tail[2] & 15,
        );
        if !frame.progressive && (ss, se, ah, al) != (0, 63, 0, 0) {
            return Err(Error::Malformed("sequential scan with a spectral selection"));
        }
        // DC scans code every component's DC alone; AC scans one component's band (T.81 G.1.1.1.1).
        let dc_scan = ss == 0 && se == 0;
        let ac_scan = ss > 0 && ss <= se && se <= 63 && count == 1;
        if frame.progressive && (!(dc_scan || ac_scan) || ah > 13 || al > 13) {
            return Err(Error::Malformed("bad progressive scan parameters"));
        }
        let components = specs
            .chunks_exact(2)
            .map(|spec| {
                let index = frame
                    .components
                    .iter()
                    .position(|c| c.id == spec[0])
                    .ok_or(Error::Malformed("scan names a component the frame lacks"))?;
                let (dc, ac) = (usize::from(spec[1] >> 4), usize::from(spec[1] & 15));
                Ok(ScanComponent { index, dc, ac })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Scan {
            components,
            ss,
            se,
            ah,
            al,
        })
    }

    /// More than one component: units are MCUs. Otherwise units are the one component's blocks.
    pub(crate) fn interleaved(&self) -> bool {
        self.components.len() > 1
    }

    /// Units across and down.
    pub(crate) fn units(&self, frame: &Frame) -> (usize, usize) {
        if self.interleaved() {
            (frame.mcus_x, frame.mcus_y)
        } else {
            frame.single_component_blocks(self.components[0].index)
        }
    }
}

/// Calls `unit(bits, x, y, fresh)` for every unit of a `units` grid in order, stepping over a restart
/// marker every `interval` units (0: none); `fresh` is true for the first unit of each restart interval,
/// where predictions start over. Fails if the scan needed bits past the end of its data.
pub(crate) fn walk(
    bits: &mut Bits,
    (units_x, units_y): (usize, usize),
    interval: usize,
    mut unit: impl FnMut(&mut Bits, usize, usize, bool) -> Result<()>,
) -> Result<()> {
    let mut restarts = 0u8;
    // Rows and a countdown rather than divisions of a unit index (1% of a 6 MP decode at 1/2 with a
    // restart every four units).
    let mut left = interval;
    for y in 0..units_y {
        for x in 0..units_x {
            let fresh = interval > 0 && left == 0;
            if fresh {
                bits.restart(restarts)?;
                restarts = (restarts + 1) & 7;
                left = interval;
            }
            left = left.wrapping_sub(1);
            unit(bits, x, y, fresh)?;
        }
    }
    if bits.overran() {
        return Err(Error::Malformed("scan data ends early (truncated file?)"));
    }
    Ok(())
}
