//! Owns the Terraform half of the Cloudflare target: the context of
//! `cloudflare/cache-ruleset.tf.j2`, every value an HCL literal escaped here
//! (strings, keys, nested objects), laid out from the same `Ruleset` the API
//! body serializes, so the two cannot disagree.

use super::{Ruleset, URL_NORMALIZATION};
use crate::policy::model::Edge;
use crate::render::RenderError;
pub use crate::render::hcl::hcl_string;
use serde::Serialize;
use serde_json::Value;

/// Context of `cloudflare/cache-ruleset.tf.j2`: every value already an HCL
/// literal (quoted and escaped), so the template only lays them out.
#[derive(Debug, Serialize)]
pub(super) struct TerraformContext {
    zone_id_description: String,
    url_normalization_scope: String,
    url_normalization_type: String,
    name: String,
    description: String,
    kind: String,
    phase: String,
    rules: Vec<TerraformRule>,
}

#[derive(Debug, Serialize)]
struct TerraformRule {
    #[serde(rename = "ref")]
    reference: String,
    description: String,
    expression: String,
    action: String,
    /// A multi-line HCL object, indented from column 0; the template indents it.
    action_parameters: String,
}

fn hcl_key(key: &str) -> String {
    let mut chars = key.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if identifier {
        key.to_owned()
    } else {
        hcl_string(key)
    }
}

/// A JSON value as an HCL expression, formatted the way `terraform fmt` leaves
/// it: two-space indentation, the `=` of consecutive one-line attributes
/// aligned, nested objects on their own lines.
pub fn hcl_value(value: &Value, indent: usize) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => hcl_string(s),
        Value::Array(items) if items.is_empty() => "[]".into(),
        Value::Array(items) if items.iter().all(|v| !v.is_object() && !v.is_array()) => {
            let items: Vec<String> = items.iter().map(|v| hcl_value(v, indent)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Array(items) => {
            let pad = "  ".repeat(indent + 1);
            let mut out = String::from("[\n");
            for v in items {
                out.push_str(&format!("{pad}{},\n", hcl_value(v, indent + 1)));
            }
            out.push_str(&"  ".repeat(indent));
            out.push(']');
            out
        }
        Value::Object(map) if map.is_empty() => "{}".into(),
        Value::Object(map) => {
            let pad = "  ".repeat(indent + 1);
            let items: Vec<(String, String)> = map
                .iter()
                .map(|(k, v)| (hcl_key(k), hcl_value(v, indent + 1)))
                .collect();
            let mut out = String::from("{\n");
            let mut i = 0;
            while i < items.len() {
                // A run of one-line attributes is aligned on `=`; a multi-line
                // one stands alone.
                let mut end = i;
                while end < items.len() && !items[end].1.contains('\n') {
                    end += 1;
                }
                if end == i {
                    let (k, v) = &items[i];
                    out.push_str(&format!("{pad}{k} = {v}\n"));
                    i += 1;
                    continue;
                }
                let width = items[i..end]
                    .iter()
                    .map(|(k, _)| k.len())
                    .max()
                    .unwrap_or(0);
                for (k, v) in &items[i..end] {
                    out.push_str(&format!("{pad}{k:<width$} = {v}\n"));
                }
                i = end;
            }
            out.push_str(&"  ".repeat(indent));
            out.push('}');
            out
        }
    }
}

pub(super) fn terraform_context(
    edge: &Edge,
    ruleset: &Ruleset,
) -> Result<TerraformContext, RenderError> {
    let rules = ruleset
        .rules
        .iter()
        .map(|rule| {
            let params = serde_json::to_value(&rule.action_parameters)
                .map_err(|e| RenderError(format!("JSON: {e}")))?;
            Ok(TerraformRule {
                reference: hcl_string(&rule.reference),
                description: hcl_string(&rule.description),
                expression: hcl_string(&rule.expression),
                action: hcl_string(rule.action),
                action_parameters: hcl_value(&params, 0),
            })
        })
        .collect::<Result<Vec<_>, RenderError>>()?;
    let zone_id_description = match &edge.zone {
        Some(zone) => format!("Cloudflare zone ID of {zone}"),
        None => "Cloudflare zone ID".to_owned(),
    };
    Ok(TerraformContext {
        zone_id_description: hcl_string(&zone_id_description),
        url_normalization_scope: hcl_string(URL_NORMALIZATION.scope),
        url_normalization_type: hcl_string(URL_NORMALIZATION.kind),
        name: hcl_string(&ruleset.name),
        description: hcl_string(&ruleset.description),
        kind: hcl_string(ruleset.kind),
        phase: hcl_string(ruleset.phase),
        rules,
    })
}
