//! Owns the policy: its file format (`raw`), the validated model (`model`) and
//! the step between them (`lower`).

pub mod lower;
pub mod model;
pub mod raw;
