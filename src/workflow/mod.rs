//! The change lifecycle: the change and its files, states, reviews, gates,
//! tracking file, and which hosts a change concerns.
pub mod assistant;
pub mod change;
pub mod check;
pub mod lifecycle;
pub mod select;
pub mod status;
pub mod tracking;

pub use change::{Change, ChangeError, CreateError, Draft};
pub use lifecycle::LifecycleError;
pub use tracking::{Tracking, TrackingError};
