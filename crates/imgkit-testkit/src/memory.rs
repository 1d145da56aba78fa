//! Peak memory: the process's resident high-water mark (the reading `imgkit resize` and calibration use,
//! [`imgkit_sizing::memory`]), and a counting allocator for peak heap.

pub use imgkit_sizing::memory::peak_rss_kib;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// [`System`], counting the live heap bytes of each thread and their high-water mark; install it with
/// `#[global_allocator] static A: imgkit_testkit::memory::CountingAlloc = CountingAlloc;` and measure
/// with [`peak_heap_during`]. Counters are per thread, so tests that measure may run in parallel; the
/// core is single-threaded per image, so a thread's count is an image's.
pub struct CountingAlloc;

thread_local! {
    // const-initialised Cells never allocate, so using them inside the allocator cannot recurse.
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn grew(bytes: usize) {
    let _ = LIVE.try_with(|c| {
        let now = c.get() + bytes as isize;
        c.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
}

fn shrank(bytes: usize) {
    let _ = LIVE.try_with(|c| c.set(c.get() - bytes as isize));
}

// SAFETY: every method forwards its arguments unchanged to `System`, so `System`'s contract is exactly
// the caller's; the counting around it is safe code on thread-local cells that never allocate.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        // On failure the old block is untouched and still counted.
        if !new.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                shrank(layout.size() - new_size);
            }
        }
        new
    }
}

/// Runs `job` and returns it with the most heap bytes this thread had live during it, above what it had
/// when it started. Counts only with [`CountingAlloc`] installed as the global allocator (else 0).
pub fn peak_heap_during<R>(job: impl FnOnce() -> R) -> (R, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = job();
    (out, (PEAK.with(Cell::get) - base).max(0) as usize)
}
