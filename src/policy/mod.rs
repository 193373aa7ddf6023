//! Owns the policy: its file format (`raw`), the validated model (`model`),
//! the step between them (`lower`), reading a lock file back into the
//! model (`from_lock`), and the identifiers policy names become in the
//! generated Rust module (`rust_idents`, shared by `lower` and the renderer).

pub mod from_lock;
pub mod lower;
pub mod model;
pub mod raw;
pub mod rust_idents;
