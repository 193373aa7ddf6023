//! Owns the policy: its file format (`raw`), the validated model (`model`),
//! the step between them (`lower`), and reading a lock file back into the
//! model (`from_lock`).

pub mod from_lock;
pub mod lower;
pub mod model;
pub mod raw;
