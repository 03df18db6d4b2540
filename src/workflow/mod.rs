//! The change lifecycle: states, reviews, gates, tracking file.
