//! Owns the staleness budget: the worst-case age of data when a user sees it,
//! added up over every cache layer that can hold it, and the limit it is
//! held to (`max_staleness`).
//!
//! # The model
//!
//! A budget is a worst case, not an expectation. Each layer is assumed to
//! have received its copy from the layer behind it at the last moment that
//! layer could still serve it, and then to keep it for its own whole
//! lifetime. Explicit invalidation (events, cascades, tags, purges) is not
//! counted: it makes data fresher when it works, but an event can be lost and
//! a write can bypass the code that emits it, so only lifetimes bound
//! staleness. The layers, from the user inwards:
//!
//! - **browser** — `browser_ttl` (`max-age`). A browser does not revalidate
//!   within it, so whatever the edge handed over ages that much more.
//! - **edge** — `edge_ttl`. The edge overrides the origin's headers with it
//!   (Cloudflare's "ignore cache-control header and use this TTL"), so it
//!   counts even on a `private` route. Without `edge_ttl` a public route's
//!   edge follows `max-age`, so the browser TTL counts a second time here.
//! - **stale-while-revalidate** — after the edge copy expires, it is served
//!   for this long more while a refetch runs; a refetch that keeps failing or
//!   hanging lets that stale copy out for the whole window.
//! - **stale-if-error** — while the origin answers with errors, the expired
//!   copy is served for this long. RFC 5861 counts both windows from the
//!   moment the copy goes stale, so at one cache they overlap; but the
//!   directives reach browsers too (which apply stale-while-revalidate
//!   themselves), and the budget stays a simple upper bound by adding both.
//! - **application** — the pattern's `app_ttl`: an in-process cache in front
//!   of Redis keeps a value it read just before the Redis key expired.
//! - **redis** — the pattern's longest TTL, jitter included (the authenticated
//!   cap applied). A key written from the database just before a change
//!   serves the old value until it expires. `ttl: none` is unbounded: nothing
//!   but invalidation ever replaces the value, and no number is invented.
//! - **refresh-ahead** — `refresh_when_remaining` × the base TTL. A
//!   refresh-ahead read inside this window is answered with the old value
//!   and only triggers a background refresh, behind a lock, which can be
//!   slow or fail; the window is added so the bound holds while a refresh is
//!   pending. It is conservative when refreshes land promptly.
//!
//! Patterns with `strategy: primary` or `write-behind` have no redis layer:
//! Redis holds the newest copy (the database, if any, lags behind it), so
//! reading it is not reading a stale copy. Their application layer still
//! counts.
//!
//! A route's budget is its HTTP layers plus the worst budget among the
//! patterns it `serves` (its responses are built from them). A route whose
//! responses no HTTP cache may store (`cache: bypass`, or authenticated: the
//! origin sends `private, no-store`) has no HTTP layers; an `immutable` route
//! has none either, because a fingerprinted URL never holds other content.
//!
//! The limit is the route's or pattern's own `max_staleness`, else
//! `ttl.max_staleness`, else none.

use crate::load::units::Duration;
use crate::policy::model::{KeyPattern, Policy, Route, Strategy, Ttl, Visibility};
use std::fmt;

/// The parts of a policy the budgets depend on, as JSON pointers: the TTL
/// rules, each pattern's TTL, jitter, in-process TTL, strategy, refresh point,
/// cap and own limit, and the edge (routes and their TTLs and stale windows).
/// Rules built on the budgets declare these as what they read.
pub const INPUTS: &[&str] = &[
    "/ttl",
    "/keys/patterns/*/ttl",
    "/keys/patterns/*/jitter",
    "/keys/patterns/*/app_ttl",
    "/keys/patterns/*/strategy",
    "/keys/patterns/*/refresh_when_remaining",
    "/keys/patterns/*/authenticated",
    "/keys/patterns/*/max_staleness",
    "/edge",
];

/// How stale one layer or a whole budget can be. Orders `Bounded` durations
/// by length, and `Unbounded` after all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Staleness {
    Bounded(Duration),
    /// No lifetime bounds it (a key with `ttl: none`).
    Unbounded,
}

impl Staleness {
    pub const ZERO: Staleness = Staleness::Bounded(Duration::ZERO);

    /// Sum of two amounts; anything plus `Unbounded` is `Unbounded`.
    pub fn plus(self, other: Staleness) -> Staleness {
        match (self, other) {
            (Staleness::Bounded(a), Staleness::Bounded(b)) => Staleness::Bounded(
                Duration::from_micros(a.as_micros().saturating_add(b.as_micros())),
            ),
            _ => Staleness::Unbounded,
        }
    }

    /// Whether this amount is longer than `limit`.
    pub fn exceeds(self, limit: Duration) -> bool {
        match self {
            Staleness::Bounded(d) => d > limit,
            Staleness::Unbounded => true,
        }
    }

    pub fn duration(self) -> Option<Duration> {
        match self {
            Staleness::Bounded(d) => Some(d),
            Staleness::Unbounded => None,
        }
    }
}

impl fmt::Display for Staleness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Staleness::Bounded(d) => d.fmt(f),
            Staleness::Unbounded => f.write_str("unbounded"),
        }
    }
}

/// A cache layer that can hold a copy of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayerKind {
    Browser,
    Edge,
    StaleWhileRevalidate,
    StaleIfError,
    Application,
    Redis,
    RefreshAhead,
}

impl LayerKind {
    /// Stable kebab-case name, for messages and JSON.
    pub fn name(self) -> &'static str {
        match self {
            LayerKind::Browser => "browser",
            LayerKind::Edge => "edge",
            LayerKind::StaleWhileRevalidate => "stale-while-revalidate",
            LayerKind::StaleIfError => "stale-if-error",
            LayerKind::Application => "application",
            LayerKind::Redis => "redis",
            LayerKind::RefreshAhead => "refresh-ahead",
        }
    }
}

/// One layer's contribution to a budget, and where in the policy it is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    pub kind: LayerKind,
    pub staleness: Staleness,
    /// The key pattern the layer belongs to; `None` for a route's HTTP layers.
    pub pattern: Option<String>,
    /// JSON pointer of the entity that sets the duration (`/edge/routes/api_public`,
    /// `/ttl` for `ttl.default`) and the field (`edge_ttl`, `default`); give both
    /// to `Policy::span` to point at the line.
    pub pointer: String,
    pub field: String,
    /// How the number is made up, for humans (`5m (class leaderboard) + 10% jitter`).
    pub detail: String,
}

/// The staleness limit a budget is held to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub duration: Duration,
    /// `/ttl` + `max_staleness` for the global limit, else the route or pattern.
    pub pointer: String,
    pub field: String,
}

impl Limit {
    /// Whether the limit is the global `ttl.max_staleness`.
    pub fn is_global(&self) -> bool {
        self.pointer == "/ttl"
    }
}

/// What a budget is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    Route,
    Pattern,
}

impl Subject {
    pub fn name(self) -> &'static str {
        match self {
            Subject::Route => "route",
            Subject::Pattern => "pattern",
        }
    }
}

/// The staleness budget of one route or key pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    pub subject: Subject,
    pub name: String,
    /// `/edge/routes/<name>` or `/keys/patterns/<name>`.
    pub pointer: String,
    /// Ordered from the user inwards: browser, edge, stale windows, then the
    /// worst served pattern's application, redis and refresh-ahead layers.
    pub layers: Vec<Layer>,
    /// The sum of `layers`.
    pub total: Staleness,
    pub limit: Option<Limit>,
    /// For a route: the served pattern whose layers are included (the one
    /// with the largest budget; the first listed on a tie).
    pub worst_pattern: Option<String>,
    /// Why expected layers are absent (bypass, immutable, Redis as the
    /// source of truth), for `explain`.
    pub notes: Vec<String>,
}

impl Budget {
    /// Whether the total is over the limit (never, without a limit).
    pub fn exceeds_limit(&self) -> bool {
        self.limit
            .as_ref()
            .is_some_and(|l| self.total.exceeds(l.duration))
    }

    /// The layer that contributes most (the first of equals, so the one
    /// nearest the user).
    pub fn largest_layer(&self) -> Option<&Layer> {
        self.layers
            .iter()
            .fold(None, |best: Option<&Layer>, l| match best {
                Some(b) if b.staleness >= l.staleness => Some(b),
                _ => Some(l),
            })
    }
}

/// Budgets of every route (in policy order), then every key pattern.
pub fn budgets(policy: &Policy) -> Vec<Budget> {
    let routes = policy.edge.iter().flat_map(|e| e.routes.values());
    routes
        .map(|r| route_budget(policy, r))
        .chain(
            policy
                .keys
                .patterns
                .values()
                .map(|p| pattern_budget(policy, p)),
        )
        .collect()
}

/// The budget of one key pattern: application, redis and refresh-ahead layers.
pub fn pattern_budget(policy: &Policy, pattern: &KeyPattern) -> Budget {
    let mut notes = Vec::new();
    let layers = pattern_layers(policy, pattern, &mut notes);
    let limit = match pattern.max_staleness {
        Some(d) => Some(Limit {
            duration: d,
            pointer: pattern.pointer.clone(),
            field: "max_staleness".into(),
        }),
        None => global_limit(policy),
    };
    Budget {
        subject: Subject::Pattern,
        name: pattern.name.clone(),
        pointer: pattern.pointer.clone(),
        total: sum(&layers),
        layers,
        limit,
        worst_pattern: None,
        notes,
    }
}

/// The budget of one edge route: its HTTP layers plus the worst budget among
/// the patterns it `serves`.
pub fn route_budget(policy: &Policy, route: &Route) -> Budget {
    let mut notes = Vec::new();
    let mut layers = http_layers(route, &mut notes);
    let worst = route
        .serves
        .iter()
        .filter_map(|name| policy.pattern(name))
        .map(|p| pattern_budget(policy, p))
        .fold(None, |best: Option<Budget>, b| match best {
            Some(best) if best.total >= b.total => Some(best),
            _ => Some(b),
        });
    let worst_pattern = worst.map(|b| {
        layers.extend(b.layers);
        notes.extend(b.notes);
        b.name
    });
    let limit = match route.max_staleness {
        Some(d) => Some(Limit {
            duration: d,
            pointer: route.pointer.clone(),
            field: "max_staleness".into(),
        }),
        None => global_limit(policy),
    };
    Budget {
        subject: Subject::Route,
        name: route.name.clone(),
        pointer: route.pointer.clone(),
        total: sum(&layers),
        layers,
        limit,
        worst_pattern,
        notes,
    }
}

fn global_limit(policy: &Policy) -> Option<Limit> {
    policy.ttl.max_staleness.map(|d| Limit {
        duration: d,
        pointer: "/ttl".into(),
        field: "max_staleness".into(),
    })
}

fn sum(layers: &[Layer]) -> Staleness {
    layers
        .iter()
        .fold(Staleness::ZERO, |acc, l| acc.plus(l.staleness))
}

fn http_layers(route: &Route, notes: &mut Vec<String>) -> Vec<Layer> {
    if route.immutable {
        notes.push(format!(
            "route `{}` is immutable: a fingerprinted URL never serves other content, so no HTTP cache can hold an old version",
            route.name
        ));
        return Vec::new();
    }
    if route.is_no_store() {
        let why = if route.authenticated {
            "authenticated"
        } else {
            "`cache: bypass`"
        };
        notes.push(format!(
            "route `{}` is {why}: the origin sends `private, no-store`, so neither the edge nor browsers store it",
            route.name
        ));
        return Vec::new();
    }
    let layer = |kind, d: Duration, field: &str, detail: String| Layer {
        kind,
        staleness: Staleness::Bounded(d),
        pattern: None,
        pointer: route.pointer.clone(),
        field: field.to_owned(),
        detail,
    };
    let mut layers = Vec::new();
    if let Some(d) = route.browser_ttl {
        layers.push(layer(
            LayerKind::Browser,
            d,
            "browser_ttl",
            format!("browsers reuse a response for `max-age` {d}"),
        ));
    }
    match (route.edge_ttl, route.browser_ttl, route.visibility) {
        (Some(d), _, _) => layers.push(layer(
            LayerKind::Edge,
            d,
            "edge_ttl",
            format!("the edge keeps a response for {d}"),
        )),
        (None, Some(d), Visibility::Public) => layers.push(layer(
            LayerKind::Edge,
            d,
            "browser_ttl",
            format!("no `edge_ttl`: the edge follows `max-age` {d}"),
        )),
        _ => {}
    }
    if let Some(d) = route.stale_while_revalidate {
        layers.push(layer(
            LayerKind::StaleWhileRevalidate,
            d,
            "stale_while_revalidate",
            format!("an expired response is served for {d} more while it is refetched"),
        ));
    }
    if let Some(d) = route.stale_if_error {
        layers.push(layer(
            LayerKind::StaleIfError,
            d,
            "stale_if_error",
            format!("an expired response is served for {d} more while the origin fails"),
        ));
    }
    layers
}

fn pattern_layers(policy: &Policy, p: &KeyPattern, notes: &mut Vec<String>) -> Vec<Layer> {
    let mut layers = Vec::new();
    if let Some(d) = p.app_ttl {
        layers.push(Layer {
            kind: LayerKind::Application,
            staleness: Staleness::Bounded(d),
            pattern: Some(p.name.clone()),
            pointer: p.pointer.clone(),
            field: "app_ttl".into(),
            detail: format!("the application's in-memory cache keeps a value for {d}"),
        });
    }
    if matches!(p.strategy, Strategy::Primary | Strategy::WriteBehind) {
        let strategy = if p.strategy == Strategy::Primary {
            "primary"
        } else {
            "write-behind"
        };
        notes.push(format!(
            "pattern `{}` is `{strategy}`: Redis holds the newest copy, so its TTL does not make reads stale",
            p.name
        ));
        return layers;
    }
    // The TTL is set by the pattern's `ttl`, or by `ttl.default` when it names none.
    let (pointer, field) = if policy.written_span(&p.pointer, "ttl").is_some() {
        (p.pointer.clone(), "ttl")
    } else {
        ("/ttl".to_owned(), "default")
    };
    let (staleness, detail) = match p.ttl {
        Ttl::Never => (
            Staleness::Unbounded,
            "`ttl: none`: the key never expires, so only invalidation replaces its value"
                .to_owned(),
        ),
        Ttl::Expires { base, max } => {
            let class = p
                .ttl_class
                .as_ref()
                .map(|c| format!(" (class `{c}`)"))
                .unwrap_or_default();
            let detail = if max == base {
                format!("the key lives {base}{class}")
            } else {
                let capped = if p.ttl_capped_from.is_some() {
                    ", capped by `ttl.authenticated_cap`"
                } else {
                    ""
                };
                format!(
                    "the key lives up to {max}: {base}{class} + {} jitter{capped}",
                    p.jitter
                )
            };
            (Staleness::Bounded(max), detail)
        }
    };
    layers.push(Layer {
        kind: LayerKind::Redis,
        staleness,
        pattern: Some(p.name.clone()),
        pointer,
        field: field.into(),
        detail,
    });
    if p.strategy == Strategy::RefreshAhead
        && let (Some(share), Some(base)) = (p.refresh_when_remaining, p.ttl.base())
    {
        let micros = u128::from(base.as_micros()) * u128::from(share.basis_points()) / 10_000;
        let window = Duration::from_micros(u64::try_from(micros).unwrap_or(u64::MAX));
        layers.push(Layer {
            kind: LayerKind::RefreshAhead,
            staleness: Staleness::Bounded(window),
            pattern: Some(p.name.clone()),
            pointer: p.pointer.clone(),
            field: "refresh_when_remaining".into(),
            detail: format!(
                "reads in the last {share} of {base} get the old value while a refresh runs"
            ),
        });
    }
    layers
}
