//! The hostile set. Each file breaks exactly one rule (or, for the `ok` rows, is odd but
//! legal), so that the expected error never depends on the order the checks run in. The floods
//! that exceed several dimension limits at once rely only on the documented "width first" order.

mod bombs;
mod broken;
mod entry;
mod floods;
mod odd;
mod sniffing;

use crate::{Entry, Result};

/// Every hostile file, in no particular order (the manifest sorts).
pub(crate) fn entries() -> Result<Vec<Entry>> {
    let mut out = sniffing::sniffing()?;
    out.extend(broken::broken()?);
    out.extend(floods::floods()?);
    out.extend(bombs::bombs()?);
    out.extend(odd::odd_but_ok()?);
    Ok(out)
}
