//! One lint rule per file. The file, its `CODE` and its `check` share a name;
//! `registry::RULES` lists them all.

pub mod durable_keys_under_allkeys_eviction;
