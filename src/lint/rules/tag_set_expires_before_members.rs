//! CG302 tag-set-expires-before-members: a tag set that expires while keys it
//! lists are still alive.

use crate::lint::Findings;
use crate::lint::rules::written_span;
use crate::policy::model::{KeyPattern, Policy, Ttl};

crate::declare_rule! {
    /// ## What it does
    /// Reports tags whose set expires before some of its members can: a
    /// member pattern never expires, or its longest TTL (jitter and the
    /// authenticated cap included) is longer than the tag's `ttl`. A tag with
    /// `ttl: none` is never reported.
    ///
    /// ## Why is this bad?
    /// Tag invalidation reads the tag set (`SMEMBERS tag:quizzes`) to find the
    /// keys to delete. Once the set has expired, invalidating the tag finds
    /// nothing, and members still alive keep serving stale data until their
    /// own TTL ends. A set given the TTL of the last member written (as simple
    /// tagging cache clients do) is shortened by every short-lived member,
    /// and even a set as long as its members loses to their jitter.
    ///
    /// ## Example
    /// ```yaml
    /// ttl:
    ///   default: 5m
    ///   jitter: 10%
    /// keys:
    ///   patterns:
    ///     quiz_data: { pattern: "quiz:<quiz_id>:data", ttl: 30m, tags: [quizzes] }
    /// tags:
    ///   quizzes:
    ///     key: "tag:quizzes"
    ///     ttl: 5m            # CG302: quiz_data lives up to 33m
    /// ```
    /// Use instead a tag TTL at least as long as its longest member with
    /// jitter (`ttl: 1h` here), or `ttl: none`.
    "CG302", "tag-set-expires-before-members", Error, "a tag set expires while keys it lists are still alive"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["/ttl", "/keys/patterns/*/ttl", "/tags/*/ttl"];

pub fn check(policy: &Policy, out: &mut Findings) {
    for tag in policy.tags.values() {
        let Ttl::Expires { base: tag_ttl, .. } = tag.ttl else {
            continue;
        };
        // Longest-lived member: one that never expires beats any TTL.
        let mut longest: Option<&KeyPattern> = None;
        for p in tag.members.iter().filter_map(|m| policy.pattern(m)) {
            let outlives = match p.ttl.max() {
                None => true,
                Some(max) => max > tag_ttl,
            };
            if !outlives {
                continue;
            }
            longest = match longest {
                Some(l) if lives_longer(l.ttl, p.ttl) => Some(l),
                _ => Some(p),
            };
        }
        let Some(member) = longest else { continue };
        let lives = match member.ttl.max() {
            Some(max) => format!("lives up to {max}"),
            None => "never expires".to_owned(),
        };
        let span = written_span(policy, &tag.pointer, "ttl")
            .unwrap_or_else(|| policy.key_span(&tag.pointer));
        let d = out.report(
            format!(
                "tag set `{}` expires after {tag_ttl}, but its member `{}` {lives}",
                tag.name, member.name
            ),
            span,
            "expires before its members",
        );
        let fix = match member.ttl.max() {
            Some(max) => format!("set the tag's `ttl` to at least {max}, or `none`"),
            None => "set the tag's `ttl` to `none`".to_owned(),
        };
        d.add_help(format!(
            "once the set expires, invalidating tag `{}` cannot find members that are still alive; {fix}",
            tag.name
        ));
        let member_span = written_span(policy, &member.pointer, "ttl")
            .unwrap_or_else(|| policy.key_span(&member.pointer));
        let label = match member.ttl.max() {
            Some(max) if member.ttl.base() != Some(max) => format!(
                "`{}`: {} with {} jitter, up to {max}",
                member.name,
                member.ttl.base().unwrap_or_default(),
                member.jitter
            ),
            Some(max) => format!("`{}`: {max}", member.name),
            None => format!("`{}`: no TTL", member.name),
        };
        d.add_related(member_span, label);
    }
}

/// Whether a key with TTL `a` can outlive one with TTL `b` (ties go to `a`).
fn lives_longer(a: Ttl, b: Ttl) -> bool {
    match (a.max(), b.max()) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(x), Some(y)) => x >= y,
    }
}
