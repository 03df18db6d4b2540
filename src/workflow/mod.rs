//! The change lifecycle: states, reviews, gates, tracking file.
pub mod check;
pub mod tracking;

pub use tracking::{Tracking, TrackingError};
