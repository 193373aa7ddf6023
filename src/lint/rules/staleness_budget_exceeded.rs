//! CG308 staleness-budget-exceeded: a route or key pattern whose worst-case
//! staleness, added up over every cache layer, is over its `max_staleness`.

use crate::analysis::staleness::{self, Budget, Layer, Staleness, Subject};
use crate::lint::Findings;
use crate::policy::model::Policy;

crate::declare_rule! {
    /// ## What it does
    /// Adds up, for every edge route and key pattern, how long each cache
    /// layer can keep serving a value: the browser TTL, the edge TTL,
    /// `stale_while_revalidate`, `stale_if_error`, the application's
    /// in-memory `app_ttl`, the Redis TTL with jitter and the refresh-ahead
    /// window. A route counts its own HTTP layers plus the worst of the key
    /// patterns it `serves`. Reports the route or pattern when the total is
    /// over its `max_staleness` (or `ttl.max_staleness`), pointing at the
    /// layer that contributes most. A pattern with `ttl: none` has no bound
    /// at all. Nothing is reported without a limit.
    ///
    /// ## Why is this bad?
    /// Each layer's TTL looks harmless on its own line of the policy, but a
    /// user sees their sum: a leaderboard cached 5 minutes in Redis, 5 at the
    /// edge and 5 in the browser can be 15 minutes old, and a week of
    /// `stale-if-error` makes it a week old during an outage. The limit is
    /// the promise made to users (or to the product owner); the budget shows
    /// which layer breaks it.
    ///
    /// ## Example
    /// ```yaml
    /// ttl:
    ///   default: 5m
    ///   max_staleness: 15m
    /// keys:
    ///   patterns:
    ///     leaderboard_global: { pattern: "leaderboard:global", ttl: 5m }
    /// edge:
    ///   routes:
    ///     api_public:
    ///       path: "/api/public/*"
    ///       edge_ttl: 5m
    ///       browser_ttl: 5m
    ///       stale_while_revalidate: 1h    # CG308: 5m + 5m + 1h + 5m = 1h15m
    ///       serves: [leaderboard_global]
    /// ```
    /// Use instead a shorter window (`stale_while_revalidate: 1m` gives 16m,
    /// still over; `browser_ttl: 1m` too gives 12m), or declare the
    /// staleness the route really promises with its own `max_staleness`.
    "CG308", "staleness-budget-exceeded", Error, "data can be older than its max_staleness by the time a user sees it"
}

/// What the rule reads (see `lint::Rule::reads`): the budgets' inputs.
pub const READS: &[&str] = staleness::INPUTS;

pub fn check(policy: &Policy, out: &mut Findings) {
    for budget in staleness::budgets(policy) {
        if !budget.exceeds_limit() {
            continue;
        }
        let (Some(limit), Some(largest)) = (&budget.limit, budget.largest_layer()) else {
            continue;
        };
        let layers = budget
            .layers
            .iter()
            .map(layer_text)
            .collect::<Vec<_>>()
            .join(" + ");
        let age = match budget.total {
            Staleness::Bounded(d) => format!("data {d} old"),
            Staleness::Unbounded => "data of any age".to_owned(),
        };
        let limit_name = if limit.is_global() {
            "`ttl.max_staleness`"
        } else {
            "its `max_staleness`"
        };
        let label = match largest.staleness {
            Staleness::Bounded(d) => format!("{} adds {d}, the most", layer_name(largest)),
            Staleness::Unbounded => format!("{}: never expires", layer_name(largest)),
        };
        let d = out.report(
            format!(
                "{} `{}` can serve {age}, over {limit_name} of {}: {layers}",
                budget.subject.name(),
                budget.name,
                limit.duration
            ),
            policy.span(&largest.pointer, &largest.field),
            label,
        );
        d.add_help(help(&budget, largest));
        d.add_related(
            policy.span(&limit.pointer, &limit.field),
            format!("limit: {}", limit.duration),
        );
    }
}

/// `redis (quiz_data) 33m`.
fn layer_text(layer: &Layer) -> String {
    format!("{} {}", layer_name(layer), layer.staleness)
}

fn layer_name(layer: &Layer) -> String {
    match &layer.pattern {
        Some(p) => format!("{} (`{p}`)", layer.kind.name()),
        None => layer.kind.name().to_owned(),
    }
}

fn help(budget: &Budget, largest: &Layer) -> String {
    let raise = match budget.subject {
        Subject::Route => "give the route its own `max_staleness`",
        Subject::Pattern => "give the pattern its own `max_staleness`",
    };
    match (largest.staleness, &largest.pattern) {
        (Staleness::Unbounded, Some(p)) => format!(
            "`{p}` never expires, so nothing but invalidation bounds how old its value gets; give it a TTL, or `strategy: primary` if Redis owns the data"
        ),
        _ => format!(
            "{}; shorten it, or {raise} if data {} old is acceptable",
            largest.detail, budget.total
        ),
    }
}
