//! Deterministic "photo-like" pictures and their conversion to encoder pixel layouts: the generator
//! `imgkit sizing` calibrates with ([`imgkit_sizing::photo`]), so tests and calibration draw the same
//! pictures from one implementation.

pub use imgkit_sizing::photo::{clamp01, luma, photo, Picture};
