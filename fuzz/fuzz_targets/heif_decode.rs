//! Arbitrary bytes through the whole HEIC/AVIF path: sniff, container walk, limits, then libheif in the
//! sandbox child (this fuzz binary is its own child: `init` serves it). Never panics in this process; an
//! `Ok` has the size the container promised; an `Err` is the input's fault, whatever the child did
//! (refused, crashed, was killed, answered garbage).
#![no_main]

use imgkit::{decode, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: imgkit::serve_sandbox_if_child(),
    |data: &[u8]| {
        // Small limits keep each execution fast: the child's budget follows from them.
        let limits = Limits {
            max_pixels: 4_000_000,
            max_alloc: 16 << 20,
            ..Limits::default()
        };
        match decode(data, &limits) {
            Ok(decoded) => {
                let info = decoded.info();
                assert_eq!((decoded.width(), decoded.height()), (info.width, info.height));
                assert!(info.pixels() <= limits.max_pixels);
            }
            Err(e) => assert!(e.is_input_fault(), "{e} is not classified as the input's fault"),
        }
    }
);
