//! Test support for build tests: looking up rendered files and masking the
//! policy hash in snapshots.

use cachegen::render::OutputFile;

/// The contents of the rendered file at `path`; panics naming it if absent.
pub fn file<'a>(files: &'a [OutputFile], path: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} not generated"))
        .contents
}

/// The rendered paths under `dir/`.
pub fn paths_under<'a>(files: &'a [OutputFile], dir: &str) -> Vec<&'a str> {
    files
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| p.starts_with(&format!("{dir}/")))
        .collect()
}

/// The model hash changes with every change of the policy's meaning;
/// snapshots are about the layout, so it is masked (up to the end of the
/// line, which says what the hash covers).
pub fn without_policy_hash(text: &str) -> String {
    text.lines()
        .map(|l| match l.split_once("model sha256: ") {
            Some((prefix, _)) => format!("{prefix}model sha256: [model hash]"),
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Checks policy text that must have no error-level findings.
pub fn checked_text(name: &str, text: &str) -> cachegen::FileReport {
    let report = cachegen::check_bytes(name, text.as_bytes(), &cachegen::CheckOptions::default());
    assert_eq!(
        report.count(cachegen::diag::Severity::Error),
        0,
        "{name} must be clean: {:?}",
        report.diagnostics
    );
    report
}

/// Checks the policy file at `path`, which must have no error-level findings.
pub fn checked(path: &str) -> cachegen::FileReport {
    checked_text(
        path,
        &std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}")),
    )
}

/// Checks and renders policy text with the embedded templates.
pub fn render_text(name: &str, text: &str) -> (cachegen::FileReport, Vec<OutputFile>) {
    let report = checked_text(name, text);
    let files = cachegen::render_report(&report, &cachegen::render::Templates::default())
        .expect("renders")
        .expect("templates render");
    (report, files)
}

/// Checks and renders the policy file at `path`.
pub fn render(path: &str) -> (cachegen::FileReport, Vec<OutputFile>) {
    render_text(
        path,
        &std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}")),
    )
}

/// quizmentor's policy text with its `cache` store (the cluster) moved to
/// Redis `version`.
pub fn quizmentor_cache_at(text: &str, version: &str) -> String {
    store_at_version(text, "cache", "7.0", version)
}

/// Policy text with store `store`'s first `version: "from"` line (written
/// under `stores:`) changed to `to`.
pub fn store_at_version(text: &str, store: &str, from: &str, to: &str) -> String {
    let at_store = text
        .find(&format!("\n  {store}:\n"))
        .unwrap_or_else(|| panic!("the policy has a store {store}"));
    let line = format!("    version: \"{from}\"");
    let at = at_store
        + text[at_store..]
            .find(&line)
            .unwrap_or_else(|| panic!("{store} declares {from}"));
    format!(
        "{}    version: \"{to}\"{}",
        &text[..at],
        &text[at + line.len()..]
    )
}

/// Names Rust cares about: keywords as pattern, placeholder and event
/// parameter names (`match`, `type`, `gen`, `self`, `crate_`), a key that is a
/// single placeholder, a lock prefix without `:`, a hash tag around a lone
/// placeholder and around a constant key, a cascade, an event parameter given
/// twice, tag invalidation, no version prefix. Shared by the Rust and
/// TypeScript targets' tests (the Rust crate compiles it with edition 2021).
pub const EDGE_CASES: &str = r#"
version: 1
name: edge-cases
ttl:
  default: 1m
  jitter: 7.5%
keys:
  placeholders:
    type: slug
    gen: token
    self: int
    id: uuid
    crate_: md5
  patterns:
    match:
      pattern: "match:<type>:<gen>"
      hash_tag: "match:<type>"
      stampede_lock: {prefix: "lk", ttl: 5s}
      tags: [by_type]
    self:
      pattern: "self:<self>:<id>"
      hash_tag: "<self>"
      ttl: none
    whole:
      pattern: "<crate_>"
      ttl: 10s
      description: "A <b>whole</b> key\twith `ticks` & tabs\n- and a list"
    sub:
      pattern: "sub:<type>:<gen>"
      hash_tag: "sub:<type>"
    fixed:
      pattern: "fixed:only"
      hash_tag: "fixed:only"
tags:
  by_type:
    key: "bt:<type>"
    ttl: 1h
invalidation:
  cascade:
    match: [sub]
  events:
    thing.happened:
      params: [type, gen, crate_, self, self, id]
      invalidate: [match, self, fixed]
      invalidate_tags: [by_type]
      when_changed:
        type: [whole]
redis:
  version: "7.0"
  maxmemory: 64mb
  maxmemory_policy: allkeys-lru
cluster:
  masters: 3
  replicas_per_master: 0
  node_timeout: 5s
"#;
