//! `cachegen build` for hosted stores: the Terraform parameter group of an
//! AWS ElastiCache store, read back with a real HCL parser (hcl-rs, its
//! templates evaluated as Terraform would) and compared with the policy
//! value by value: the family the service documents for the engine and
//! release, the name, and every parameter, whose values must equal the
//! ones redis.conf gets for the same store self-hosted. Hostile text, and
//! determinism.

mod support;

use cachegen::policy::model::{Policy, Store};
use cachegen::render::OutputFile;
use hcl::eval::{Context, Evaluate};
use std::collections::BTreeMap;
use support::render::{file, render, render_text};

const HOSTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hosted.yaml");

/// One parsed `resource "<type>" "<label>"` block: its string attributes
/// and its `parameter` blocks as name → value, in file order.
#[derive(Debug)]
struct Group {
    resource: String,
    label: String,
    attributes: BTreeMap<String, String>,
    parameters: Vec<(String, String)>,
}

/// An expression evaluated with an empty context: what Terraform makes of a
/// quoted string (escapes undone, `$${` read back as a literal `${`).
fn string(expr: &hcl::Expression) -> String {
    match expr
        .evaluate(&Context::new())
        .expect("evaluates without variables")
    {
        hcl::Value::String(s) => s,
        other => panic!("not a string: {other:?}"),
    }
}

fn parse(text: &str) -> Group {
    let body = hcl::parse(text).unwrap_or_else(|e| panic!("HCL does not parse: {e}\n{text}"));
    let blocks: Vec<_> = body.blocks().collect();
    assert_eq!(blocks.len(), 1, "one resource per file");
    assert_eq!(body.attributes().count(), 0, "nothing but the resource");
    let block = blocks[0];
    assert_eq!(block.identifier(), "resource");
    let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
    assert_eq!(labels.len(), 2, "{labels:?}");
    let attributes = block
        .body()
        .attributes()
        .map(|a| (a.key().to_owned(), string(a.expr())))
        .collect();
    let parameters = block
        .body()
        .blocks()
        .map(|p| {
            assert_eq!(p.identifier(), "parameter");
            let attrs: BTreeMap<_, _> = p
                .body()
                .attributes()
                .map(|a| (a.key().to_owned(), string(a.expr())))
                .collect();
            assert_eq!(attrs.len(), 2, "{attrs:?}");
            (attrs["name"].clone(), attrs["value"].clone())
        })
        .collect();
    Group {
        resource: labels[0].to_owned(),
        label: labels[1].to_owned(),
        attributes,
        parameters,
    }
}

fn policy(report: &cachegen::FileReport) -> &Policy {
    report.policy.as_ref().expect("model")
}

fn tf_path(store: &str) -> String {
    format!("stores/{store}/terraform/parameter-group.tf")
}

/// What the policy says each parameter must be, read off the model's
/// fields here (not through the renderer's directive table), in redis.conf
/// units: seconds, microseconds, the eviction policy's name.
fn expected_parameters(store: &Store) -> Vec<(String, String)> {
    let r = &store.redis;
    use cachegen::policy::model::EvictionPolicy::*;
    let eviction = match r.maxmemory_policy {
        Noeviction => "noeviction",
        AllkeysLru => "allkeys-lru",
        AllkeysLfu => "allkeys-lfu",
        AllkeysRandom => "allkeys-random",
        VolatileLru => "volatile-lru",
        VolatileLfu => "volatile-lfu",
        VolatileRandom => "volatile-random",
        VolatileTtl => "volatile-ttl",
    };
    let mut out = vec![("maxmemory-policy".to_owned(), eviction.to_owned())];
    let mut push = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            out.push((name.to_owned(), v));
        }
    };
    push(
        "maxmemory-samples",
        r.maxmemory_samples.map(|n| n.to_string()),
    );
    push("timeout", r.timeout.map(|d| d.as_secs().to_string()));
    push(
        "tcp-keepalive",
        r.tcp_keepalive.map(|d| d.as_secs().to_string()),
    );
    push(
        "slowlog-log-slower-than",
        r.slowlog_log_slower_than.map(|d| d.as_micros().to_string()),
    );
    push("slowlog-max-len", r.slowlog_max_len.map(|n| n.to_string()));
    out
}

/// The families AWS documents (see `policy::hosted`), per store of the
/// fixture; `None`: no parameter group may be rendered.
fn expected_family(store: &str) -> Option<(&'static str, &'static str)> {
    match store {
        "catalog" => Some(("aws_elasticache_parameter_group", "redis7")),
        "sessions" => Some(("aws_elasticache_parameter_group", "valkey8")),
        "ledger" | "edge" | "picks" => None,
        other => panic!("unexpected store {other}"),
    }
}

#[test]
fn parameter_groups_match_the_policy_value_by_value() {
    let (report, files) = render(HOSTED);
    let model = policy(&report);
    assert_eq!(model.stores.len(), 5);
    for store in model.stores.values() {
        let path = tf_path(&store.name);
        let Some((resource, family)) = expected_family(&store.name) else {
            assert!(
                !files
                    .iter()
                    .any(|f| f.path.starts_with(&format!("stores/{}/", store.name))),
                "{}: nothing may be rendered",
                store.name
            );
            continue;
        };
        let group = parse(file(&files, &path));
        assert_eq!(group.resource, resource, "{path}");
        assert_eq!(group.label, store.name, "{path}");
        assert_eq!(group.attributes["family"], family, "{path}");
        assert_eq!(
            group.attributes["name"],
            format!("cachegen-{}-{}", model.name, store.name),
            "{path}"
        );
        assert!(
            group.attributes["description"].contains(&format!("store `{}`", store.name)),
            "{path}: {}",
            group.attributes["description"]
        );
        assert_eq!(group.attributes.len(), 3, "{path}: {:?}", group.attributes);
        assert_eq!(group.parameters, expected_parameters(store), "{path}");
        // `maxmemory` is the node type's, never a parameter.
        assert!(!group.parameters.iter().any(|(n, _)| n == "maxmemory"));
    }
    // The catalog sets every parameter ElastiCache takes: none is lost.
    let catalog = parse(file(&files, &tf_path("catalog")));
    assert_eq!(catalog.parameters.len(), 6, "{:?}", catalog.parameters);
}

/// The same store self-hosted (its `hosted:` section removed) gets these
/// values in redis.conf: the parameter group and redis.conf agree on
/// every value.
#[test]
fn parameter_values_are_the_redis_conf_values() {
    let text = std::fs::read_to_string(HOSTED).unwrap();
    let (_, hosted_files) = render(HOSTED);
    let group = parse(file(&hosted_files, &tf_path("catalog")));
    let start = text.find("  catalog:\n").unwrap();
    let hosted_at = start + text[start..].find("    hosted:\n").unwrap();
    let end = hosted_at + text[hosted_at..].find("  sessions:\n").unwrap();
    let self_hosted = format!("{}{}", &text[..hosted_at], &text[end..]);
    let (_, files) = render_text("self-hosted.yaml", &self_hosted);
    let conf = file(&files, "stores/catalog/redis.conf");
    for (name, value) in &group.parameters {
        let line = format!("{name} {value}");
        assert!(
            conf.lines().any(|l| l == line),
            "redis.conf has no `{line}`:\n{conf}"
        );
    }
}

/// A hostile file name reaches only the header comment, on one line: the
/// group's attributes do not hold it.
#[test]
fn hostile_text_stays_a_string() {
    let text = std::fs::read_to_string(HOSTED).unwrap();
    let name = "evil\"} resource \"x\" \"y\" { ${path.cwd} %{if true}\\\n#\u{202e}.yaml";
    let (_, files) = render_text(name, &text);
    let tf = file(&files, &tf_path("catalog"));
    let group = parse(tf);
    assert!(
        group.attributes.values().all(|v| !v.contains("evil")),
        "{:?}",
        group.attributes
    );
    // The header's one comment line holds the name without its line break
    // or bidi control.
    assert!(
        tf.lines().next().unwrap().contains("%{if true}\\?#?.yaml"),
        "{tf}"
    );
}

/// `description`, like `name` and `family`, makes Terraform replace the
/// group when it changes, and a group in use cannot be deleted: it names
/// the store and the policy only, the same whatever the file is called and
/// whichever release of the family the store runs.
#[test]
fn description_is_stable() {
    let text = std::fs::read_to_string(HOSTED).unwrap();
    let (_, first) = render(HOSTED);
    let (_, renamed) = render_text("elsewhere/renamed-policy.yaml", &text);
    for store in ["catalog", "sessions"] {
        let description = parse(file(&first, &tf_path(store))).attributes["description"].clone();
        assert_eq!(
            description,
            format!("cachegen: store `{store}` of policy `hosted`")
        );
        assert_eq!(
            parse(file(&renamed, &tf_path(store))).attributes["description"],
            description,
            "{store}"
        );
    }
}

#[test]
fn output_is_deterministic() {
    let (_, first) = render(HOSTED);
    let (_, second) = render(HOSTED);
    let tf = |files: &[OutputFile]| -> Vec<(String, String)> {
        files
            .iter()
            .filter(|f| f.path.ends_with(".tf"))
            .map(|f| (f.path.clone(), f.contents.clone()))
            .collect()
    };
    assert_eq!(tf(&first).len(), 2);
    assert_eq!(tf(&first), tf(&second));
    // A comment and layout edit changes no byte of it.
    let text = std::fs::read_to_string(HOSTED).unwrap();
    let edited = text.replace(
        "    maxmemory_samples: 10\n",
        "    # sampled\n    maxmemory_samples:   10\n",
    );
    assert_ne!(edited, text);
    let (_, third) = render_text("hosted.yaml", &edited);
    assert_eq!(tf(&first), tf(&third));
}

#[test]
fn group_names_fold_hyphen_runs() {
    assert_eq!(
        cachegen::render::hosted::group_name("a--b", "c---d"),
        "cachegen-a-b-c-d"
    );
}

/// The one HCL escaper every Terraform target uses, against the real
/// parser: each hostile text reads back as exactly itself.
#[test]
fn hcl_strings_read_back_as_written() {
    for text in [
        "",
        "plain",
        "\"quoted\" \\back\\slash",
        "${path.cwd} %{if true}x%{endif}",
        "$${already} %%{doubled}",
        "$ { % { trailing $",
        "line\nbreak\r\ttab",
        "nul\u{0} del\u{7f} bell\u{7}",
        "bidi \u{202e} sep \u{2028} é 😀",
        "} resource \"x\" \"y\" {",
    ] {
        let source = format!("x = {}\n", cachegen::render::hcl::hcl_string(text));
        let body = hcl::parse(&source).unwrap_or_else(|e| panic!("{text:?}: {e}\n{source}"));
        let attr = body.attributes().next().expect("one attribute");
        assert_eq!(string(attr.expr()), text, "{source}");
    }
}
