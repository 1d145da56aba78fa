//! Peak heap while processing each corpus file, measured by a counting global allocator.
//!
//! This file holds a single test so nothing else allocates concurrently in the process.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a test failure

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use imgkit::{Limits, Processor, Spec};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: defers every call to the system allocator unchanged; only counts sizes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(now, Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            if new_size > layout.size() {
                let now = CURRENT.fetch_add(new_size - layout.size(), Relaxed) + new_size - layout.size();
                PEAK.fetch_max(now, Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Relaxed);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MIB: usize = 1024 * 1024;

/// Peak heap above the baseline while `f` runs.
fn peak_of(f: impl FnOnce()) -> usize {
    let base = CURRENT.load(Relaxed);
    PEAK.store(base, Relaxed);
    f();
    PEAK.load(Relaxed) - base
}

#[test]
fn no_corpus_file_allocates_past_the_limits() {
    let entries = common::manifest();
    // A tight budget, so "max_alloc plus a small constant" is a real bound for every file.
    let tight = Limits {
        max_alloc: 8 * MIB as u64,
        ..Limits::default()
    };
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for entry in &entries {
        let bytes = entry.bytes();
        for (name, limits) in [("default", Limits::default()), ("tight", tight)] {
            let mut outcome = None;
            let peak = peak_of(|| {
                let mut processor = Processor::new(limits);
                outcome = Some(processor.process(&bytes, &Spec::width(40)).map(|_| ()));
            });
            let rejected = matches!(outcome, Some(Err(ref e)) if e.is_input_fault());
            // Rejections must come before any large allocation: at most a copy of the input (the JPEG
            // decoder buffers it) plus decoder bookkeeping. Everything must stay within max_alloc plus
            // that same constant.
            let small = 2 * bytes.len() + 2 * MIB;
            let bound = if rejected && entry.is_hostile() {
                small
            } else {
                limits.max_alloc as usize + small
            };
            report.push((peak, entry.file.clone(), name));
            if peak > bound {
                failures.push(format!(
                    "{} ({name} limits): peak {peak} B > bound {bound} B",
                    entry.file
                ));
            }
        }
    }
    report.sort();
    let hostile = report.iter().filter(|(_, file, _)| file.starts_with("hostile/"));
    for (peak, file, name) in report.iter().rev().take(3).chain(hostile.rev().take(3)) {
        eprintln!("peak {peak:>10} B  {file} ({name} limits)");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
