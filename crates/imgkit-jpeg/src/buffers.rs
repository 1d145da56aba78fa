//! [`Buffers`]: the memory one decode leaves for the next.

/// Memory one decode leaves for the next: the component planes, and the pixels of an
/// [`Image`](crate::Image) handed back with [`Buffers::recycle`]. A program decoding many files keeps
/// one, so that each decode writes into pages already mapped instead of faulting in fresh ones (a tenth
/// of a 6 MP decode at 1/2). It holds at most what the largest decode so far needed.
///
/// ```
/// # let jpeg = {
/// #     let mut out = Vec::new();
/// #     let pixels: Vec<u8> = (0..64 * 48 * 3).map(|i| (i % 251) as u8).collect();
/// #     jpeg_encoder::Encoder::new(&mut out, 90).encode(&pixels, 64, 48, jpeg_encoder::ColorType::Rgb).unwrap();
/// #     out
/// # };
/// let mut buffers = imgkit_jpeg::Buffers::default();
/// for _ in 0..3 {
///     let half = imgkit_jpeg::decode_with(&jpeg, 2, 1 << 20, &mut buffers)?;
///     assert_eq!((half.width, half.height), (32, 24));
///     buffers.recycle(half.pixels);
/// }
/// # Ok::<(), imgkit_jpeg::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct Buffers {
    /// Component planes given back by earlier decodes.
    pub(crate) planes: Vec<Vec<u8>>,
    pixels: Vec<u8>,
}

impl Buffers {
    /// Takes back the pixels of an image decoded earlier, for the next decode to write into.
    pub fn recycle(&mut self, pixels: Vec<u8>) {
        if pixels.capacity() > self.pixels.capacity() {
            self.pixels = pixels;
        }
    }

    /// A zeroed buffer of `len` bytes, from the kept ones when there is one.
    pub(crate) fn plane(&mut self, len: usize) -> Vec<u8> {
        zeroed(self.planes.pop().unwrap_or_default(), len)
    }

    /// `len` zeroed bytes for a decoder's output, in the pixels given back last when they have the room.
    /// Public so that a caller's other decoders can write into the same memory.
    pub fn take_pixels(&mut self, len: usize) -> Vec<u8> {
        zeroed(std::mem::take(&mut self.pixels), len)
    }

    /// `len` bytes for our own output, which writes every one of them (`Output::rows` converts every
    /// row whole), so the earlier image's bytes are not zeroed first: at full size that was a 36 MB
    /// memset per 12 MP decode, on top of the write that replaces it.
    pub(crate) fn pixels_to_overwrite(&mut self, len: usize) -> Vec<u8> {
        let mut kept = std::mem::take(&mut self.pixels);
        if kept.capacity() < len {
            return vec![0; len];
        }
        kept.resize(len, 0);
        kept
    }
}

/// `len` zero bytes in `kept` when it has the room; otherwise newly allocated, where zeroed pages come
/// from the system for free instead of being written over.
fn zeroed(mut kept: Vec<u8>, len: usize) -> Vec<u8> {
    if kept.capacity() < len {
        return vec![0; len];
    }
    kept.clear();
    kept.resize(len, 0);
    kept
}
