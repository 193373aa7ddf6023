//! Owns the policy: its file format (`raw`), the validated model (`model`),
//! the step between them (`lower`), and the lock file (`lock`), which
//! records a model and reads back into one.

pub mod lock;
pub mod lower;
pub mod model;
pub mod raw;
