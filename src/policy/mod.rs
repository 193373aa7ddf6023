//! Owns the policy: its file format (`raw`), the validated model (`model`),
//! the step between them (`lower`), the lock file (`lock`), which records a
//! model and reads back into one, and the identifiers policy names become in
//! the generated Rust module (`rust_idents`, shared by `lower` and the
//! renderer).

pub mod edge_paths;
pub mod first_class;
pub mod hosted;
pub mod lock;
pub mod lower;
pub mod model;
pub mod raw;
pub mod rust_idents;
