//! Shared helpers for the imgkit benchmarks.
