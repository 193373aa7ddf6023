//! cachegen: a policy-as-code compiler for cache configuration.
//!
//! One pipeline, one module per stage:
//! `load` (YAML → spanned tree) → `schema` (JSON Schema) → `policy::lower`
//! (validated `model::Policy`) → `lint` → `render` (files in memory) →
//! `build` (atomic write or `--check`); `check` drives the stages up to lint
//! for one file. The library's surface is `check_path`
//! / `check_bytes`, `render_report` and the diagnostic types; the binary only
//! parses arguments, calls these and maps the result to an exit code.

pub mod analysis;
pub mod build;
pub mod check;
pub mod diag;
pub mod diff;
pub mod explain;
pub mod facts;
pub mod graph;
pub mod keys;
pub mod lint;
pub mod load;
pub mod output;
pub mod policy;
pub mod redis_directives;
pub mod render;
pub mod schema;
pub mod source;
pub mod verifier;
pub mod verify;

pub use check::{CheckOptions, FileReport, check_bytes, check_lock, check_path, load_policy};
pub use render::render_report;
