//! CG105 maxmemory-exceeds-container-memory: a `maxmemory` that leaves the
//! container no headroom under its Kubernetes memory limit (or no `maxmemory`
//! at all). Owns the Kubernetes-quantity-to-bytes conversion.

use crate::lint::Findings;
use crate::load::units::quantity_bytes;
use crate::policy::model::{Policy, Store};

crate::declare_rule! {
    /// ## What it does
    /// Reports a `redis.maxmemory` above 75% of
    /// `cluster.kubernetes.memory_limit` (or `replicated.kubernetes.memory_limit`),
    /// and a `maxmemory` of 0 (no limit) under a memory limit.
    ///
    /// ## Why is this bad?
    /// `maxmemory` bounds the dataset, not the process. The container also
    /// holds client output buffers, the replication backlog and replica
    /// buffers, allocator fragmentation and, worst of all, the forked child
    /// of every AOF rewrite, RDB save and full replica sync: the fork shares
    /// pages copy-on-write, and every page written meanwhile is copied. The
    /// kernel counts all of it against the pod's memory limit and OOM-kills
    /// Redis (exit 137) when it is exceeded, typically during the rewrite or
    /// resync, exactly when a node can least afford it. With `maxmemory 0`
    /// Redis never evicts and grows until it is killed. Keeping `maxmemory`
    /// at or below 75% of the limit leaves a quarter for all of that.
    ///
    /// ## Example
    /// ```yaml
    /// redis:
    ///   maxmemory: 3gb          # CG105: 100% of the 3Gi limit
    /// cluster:
    ///   kubernetes:
    ///     memory_limit: 3Gi
    /// ```
    /// Use instead `maxmemory: 2304mb` (75% of 3Gi) or less, or raise
    /// `memory_limit` to at least 4Gi.
    "CG105", "maxmemory-exceeds-container-memory", Error, "maxmemory leaves no headroom under the container's memory limit"
}

/// The share of the memory limit `maxmemory` may take, as a fraction.
const SAFE_NUMERATOR: u128 = 3;
const SAFE_DENOMINATOR: u128 = 4;

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &[
    "@store/maxmemory",
    "@cluster",
    "@store/replicated/kubernetes",
];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        check_store(policy, store, out);
    }
}

fn check_store(policy: &Policy, store: &Store, out: &mut Findings) {
    let Some((k8s, k8s_pointer)) = store.kubernetes() else {
        return;
    };
    // An unparsable limit was already reported by `lower` (CG024).
    let Some(limit) = quantity_bytes(&k8s.memory_limit) else {
        return;
    };
    let maxmemory = store.redis.maxmemory;
    let bytes = u128::from(maxmemory.bytes());
    let safe = limit * SAFE_NUMERATOR / SAFE_DENOMINATOR;
    let limit_text = &k8s.memory_limit;
    let related = (
        policy.span(&k8s_pointer, "memory_limit"),
        format!("the container memory limit: {limit} bytes"),
    );
    let span = policy.span(&store.pointer, "maxmemory");
    let d = if bytes == 0 {
        out.report(
            format!("`maxmemory: 0` sets no limit: under the container memory limit {limit_text} Redis grows until the kernel OOM-kills the pod"),
            span,
            "no limit",
        )
    } else if bytes > safe {
        out.report(
            format!(
                "`maxmemory: {maxmemory}` is {} of the container memory limit {limit_text}: above 75% the pod risks being OOM-killed during an AOF rewrite or a replica sync",
                percent_ceil(bytes, limit)
            ),
            span,
            format!("{bytes} bytes, more than 75% of {limit_text}"),
        )
    } else {
        return;
    };
    d.add_help(help(safe, limit_text))
        .add_related(related.0, related.1);
}

fn help(safe: u128, limit_text: &str) -> String {
    const MB: u128 = 1 << 20;
    let headroom = "the other quarter is headroom for the forked child of AOF rewrites and replica syncs (copy-on-write), client and replication buffers, and fragmentation";
    if safe < MB {
        return format!(
            "the memory limit {limit_text} is too small for Redis: raise `kubernetes.memory_limit`"
        );
    }
    let exact = if safe.is_multiple_of(MB) {
        String::new()
    } else {
        format!(", {safe} bytes")
    };
    format!(
        "set `maxmemory: {}mb` or less (75% of {limit_text}{exact}), or raise `memory_limit`: {headroom}",
        safe / MB
    )
}

/// `part / whole` as a percentage with one decimal, rounded up, so anything
/// above 75% never reads as `75.0%`.
fn percent_ceil(part: u128, whole: u128) -> String {
    let permille = (part * 1000).div_ceil(whole.max(1));
    format!("{}.{}%", permille / 10, permille % 10)
}

#[cfg(test)]
mod tests {
    use super::percent_ceil;
    use crate::{CheckOptions, check_bytes};

    fn policy(maxmemory: &str, memory_limit: &str) -> String {
        format!(
            "version: 1\nttl:\n  default: 5m\n  jitter: 10%\nkeys:\n  patterns:\n    quiz:\n      pattern: \"quiz\"\n\
             redis:\n  version: \"7.0\"\n  maxmemory: {maxmemory}\n  maxmemory_policy: allkeys-lru\n\
             cluster:\n  masters: 3\n  replicas_per_master: 1\n  node_timeout: 5s\n  kubernetes:\n    namespace: ns\n    image: redis\n    memory_limit: {memory_limit}\n    storage: 1Gi\n\
             lint:\n  allow: [store-without-access-control]\n"
        )
    }

    /// The CG105 findings as (message, help), after checking that nothing else
    /// is reported.
    fn findings(maxmemory: &str, memory_limit: &str) -> Vec<(String, String)> {
        let yaml = policy(maxmemory, memory_limit);
        let report = check_bytes("inline.yaml", yaml.as_bytes(), &CheckOptions::default());
        let others: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.code.code != "CG105")
            .map(|d| format!("{} {}", d.code.code, d.message))
            .collect();
        assert!(others.is_empty(), "{others:?}");
        report
            .diagnostics
            .iter()
            .map(|d| (d.message.clone(), d.help.clone().unwrap_or_default()))
            .collect()
    }

    #[test]
    fn exactly_75_percent_passes_one_byte_more_fires() {
        // 75% of 3Gi = 2415919104 bytes.
        assert!(findings("2415919104", "3Gi").is_empty());
        assert!(findings("2304mb", "3Gi").is_empty());
        let found = findings("2415919105", "3Gi");
        assert_eq!(found.len(), 1);
        assert!(found[0].0.contains("75.1%"), "{found:?}");
        assert!(
            found[0].1.contains("`maxmemory: 2304mb` or less"),
            "{found:?}"
        );
    }

    #[test]
    fn no_maxmemory_under_a_limit_fires() {
        let found = findings("0", "3Gi");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].0.starts_with("`maxmemory: 0` sets no limit"),
            "{found:?}"
        );
    }

    #[test]
    fn decimal_and_fractional_limits() {
        // 75% of 3G = 2.25e9 bytes: 2gb (2147483648) fits, 2250000001 does not.
        assert!(findings("2gb", "3G").is_empty());
        assert_eq!(findings("2250000001", "3G").len(), 1);
        // 75% of 1.5Gi = 1207959552 bytes = 1152mb.
        assert!(findings("1152mb", "1.5Gi").is_empty());
        let found = findings("1153mb", "1.5Gi");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].1.contains("`maxmemory: 1152mb` or less"),
            "{found:?}"
        );
        // A limit that is not a whole number of MiB at 75%: the exact figure is given.
        let found = findings("1gb", "1G");
        assert!(
            found[0]
                .1
                .contains("`maxmemory: 715mb` or less (75% of 1G, 750000000 bytes)"),
            "{found:?}"
        );
    }

    #[test]
    fn a_tiny_limit_says_so() {
        let found = findings("1mb", "1Ki");
        assert!(found[0].1.contains("too small for Redis"), "{found:?}");
    }

    #[test]
    fn percentages_round_up() {
        assert_eq!(percent_ceil(3, 4), "75.0%");
        assert_eq!(percent_ceil(3 * 1000 + 1, 4000), "75.1%");
        assert_eq!(percent_ceil(2 << 30, 3 << 30), "66.7%");
        assert_eq!(percent_ceil(3 << 30, 3 << 30), "100.0%");
    }
}
