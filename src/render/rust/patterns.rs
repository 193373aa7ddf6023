//! Owns the key half of the Rust module's context: typed parameters per
//! placeholder, the classifier's segment tables and each pattern's builder,
//! all laid out from the one stored-key layout (`Policy::stored_key`).

use super::*;
use crate::render::module_ir;

pub(super) use crate::render::module_ir::{effective_hash_tag, regex_types};

fn regex_ident(policy: &Policy, r: &keys::RegexType) -> String {
    format!("REGEX_TYPE_{}", module_ir::regex_index(policy, r))
}

pub(super) fn kind_variant(policy: &Policy, ty: &PlaceholderType) -> String {
    match ty {
        PlaceholderType::Int => "Int".into(),
        PlaceholderType::Uuid => "Uuid".into(),
        PlaceholderType::Slug => "Slug".into(),
        PlaceholderType::Token => "Token".into(),
        PlaceholderType::Md5 => "Md5".into(),
        PlaceholderType::Ip => "Ip".into(),
        PlaceholderType::Pattern(r) => format!("Regex(&{})", regex_ident(policy, r)),
    }
}

pub(super) fn param(policy: &Policy, name: &str, ty: &PlaceholderType) -> Param {
    let doc = match ty {
        PlaceholderType::Int => format!("{}: int.", code(name)),
        PlaceholderType::Ip => format!(
            "{}: ip, written as IPv4 dotted decimal (IPv4-mapped IPv6 too) or RFC 5952 IPv6 with `-` for `:`.",
            code(name)
        ),
        PlaceholderType::Pattern(r) => format!(
            "{}: must match {} (user-defined type [`{}`]).",
            code(name),
            code(&r.source),
            regex_ident(policy, r)
        ),
        _ => format!(
            "{}: {}, must match {}.",
            code(name),
            crate::policy::lock::placeholder_type_name(ty),
            code(keys::type_regex(ty))
        ),
    };
    Param {
        name: name.to_owned(),
        ident: ident(name),
        rust_type: match ty {
            PlaceholderType::Int => "u64",
            PlaceholderType::Ip => "std::net::IpAddr",
            _ => "&str",
        },
        kind: kind_variant(policy, ty),
        doc,
    }
}

/// A user-defined type's DFA as the module's `RegexType` constant lays it
/// out: rows of numbers, computed here so the template does no arithmetic.
pub(super) fn regex_type_item(policy: &Policy, r: &keys::RegexType) -> RegexTypeItem {
    let rows = module_ir::dfa_rows(r);
    let mut doc = code(&r.source);
    if let Some(d) = &r.description {
        doc.push_str(&format!(": {}", doc_text(d)));
    }
    RegexTypeItem {
        ident: regex_ident(policy, r),
        source: rust_str(&r.source),
        doc,
        classes: rows.classes,
        stride: rows.stride,
        next: rows.next,
        accept: rows.accept,
    }
}

pub(super) fn segment_params(policy: &Policy, segments: &[Segment]) -> Vec<Param> {
    segments
        .iter()
        .filter_map(|s| match s {
            Segment::Placeholder { name, ty } => Some(param(policy, name, ty)),
            Segment::Literal(_) => None,
        })
        .collect()
}

pub(super) fn segment_items(policy: &Policy, segments: &[Segment]) -> Vec<SegmentItem> {
    segments
        .iter()
        .map(|s| match s {
            Segment::Literal(t) => SegmentItem {
                literal: Some(rust_str(t)),
                placeholder: None,
                kind: None,
            },
            Segment::Placeholder { name, ty } => SegmentItem {
                literal: None,
                placeholder: Some(rust_str(name)),
                kind: Some(kind_variant(policy, ty)),
            },
        })
        .collect()
}

/// The key text in two forms, from the one stored layout
/// (`Policy::stored_key`): a doc shape (`v2:{user:<user_id>}:profile`) and an
/// expression building it. `before` precedes the version prefix (a lock
/// prefix).
pub(super) fn key_forms(
    policy: &Policy,
    store: &str,
    before: &str,
    segments: &[Segment],
    hash_tag: Option<(usize, usize)>,
) -> (String, KeyExpr) {
    let esc = |s: &str| s.replace('{', "{{").replace('}', "}}");
    let pieces = policy.stored_key(store, before, segments, hash_tag);
    let shape = policy.stored_shape(store, before, segments, hash_tag);
    let mut format = String::new();
    let mut args = Vec::new();
    let mut ip_args = Vec::new();
    for piece in &pieces {
        match piece {
            KeyPiece::Text(t) => format.push_str(&esc(t)),
            KeyPiece::Placeholder { name, ty } => {
                let id = ident(name);
                if **ty == PlaceholderType::Ip {
                    ip_args.push(id.clone());
                }
                // Raw identifiers cannot be inlined in a format string.
                if id.starts_with("r#") {
                    format.push_str("{}");
                    args.push(id);
                } else {
                    format.push_str(&format!("{{{id}}}"));
                }
            }
        }
    }
    let key = match pieces.as_slice() {
        [] | [KeyPiece::Text(_)] => KeyExpr {
            format: false,
            single: None,
            literal: rust_str(&shape),
            args: Vec::new(),
            ip_args: Vec::new(),
        },
        pieces => KeyExpr {
            format: true,
            single: match pieces {
                [KeyPiece::Placeholder { name, ty }] => Some(if **ty == PlaceholderType::Ip {
                    format!("ip_segment({})", ident(name))
                } else {
                    format!("{}.to_string()", ident(name))
                }),
                _ => None,
            },
            literal: rust_str(&format),
            args,
            ip_args,
        },
    };
    (shape, key)
}

pub(super) fn pattern_item(policy: &Policy, p: &KeyPattern) -> PatternItem {
    let params = segment_params(policy, &p.segments);
    let (shape, key) = key_forms(policy, &p.store, "", &p.segments, p.hash_tag);
    let id = rust_idents::pattern(&p.name);
    let ttl_ident = id.ttl_fn;
    let (ttl, ttl_doc) = match p.ttl {
        Ttl::Expires { base, max } => {
            let item = TtlItem {
                base_const: id.ttl_const,
                max_const: id.max_ttl_const,
                base_secs: base.as_secs(),
                max_secs: max.as_secs(),
                jitter_basis_points: p.jitter.basis_points(),
            };
            let mut doc = format!(
                "TTL {} s ({base}), at most {} s with {} jitter",
                item.base_secs, item.max_secs, p.jitter
            );
            if p.authenticated
                && let Some(cap) = policy.ttl.authenticated_cap
            {
                doc.push_str(&format!(" (authenticated: capped at {cap})"));
            }
            doc.push_str(&format!(": draw one with `{ttl_ident}`."));
            (Some(item), doc)
        }
        Ttl::Never => (None, "No TTL: the key never expires.".to_owned()),
    };
    let mut doc_lines = vec![format!(
        "Key of pattern {}: {}.",
        code(&p.name),
        code(&shape)
    )];
    if let Some(d) = &p.description {
        doc_lines.push(String::new());
        doc_lines.push(format!("Policy description: {}", doc_text(d)));
    }
    doc_lines.push(String::new());
    doc_lines.push(ttl_doc.clone());
    if !p.tags.is_empty() {
        let tags: Vec<String> = p.tags.iter().map(|t| code(t)).collect();
        doc_lines.push(format!("Member of tag sets {}.", tags.join(", ")));
    }
    if policy.stores.len() > 1 {
        doc_lines.push(format!(
            "Lives in store {} ([`{}`]).",
            code(&p.store),
            id.store_const
        ));
    }
    let lock = p.stampede_lock.as_ref().map(|l| {
        let (lock_shape, lock_key) =
            key_forms(policy, &p.store, &l.prefix, &p.segments, p.hash_tag);
        LockItem {
            ident: id.lock_builder,
            prefix: rust_str(&l.prefix),
            ttl_const: id.lock_ttl_const,
            ttl_secs: l.ttl.as_secs(),
            key: lock_key,
            shape: lock_shape,
        }
    });
    PatternItem {
        name: p.name.clone(),
        name_literal: rust_str(&p.name),
        ident: id.builder,
        variant: id.variant,
        shape,
        doc_lines,
        unchecked_params: params.iter().any(|x| x.rust_type != "u64"),
        params,
        key,
        segments: segment_items(policy, &p.segments),
        hash_tag: effective_hash_tag(policy, p),
        ttl_ident,
        ttl,
        ttl_doc,
        lock,
        store_variant: rust_idents::store(&p.store),
        store_const: id.store_const,
    }
}
