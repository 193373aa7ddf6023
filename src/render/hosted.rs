//! Owns the hosted target: a `hosted` store's parameter group as Terraform
//! (`stores/<s>/terraform/parameter-group.tf`), for the services and
//! releases whose parameter group family `policy::hosted` confirms. Its
//! parameters are the store's managed directives the service accepts, with
//! the values redis.conf would get (`redis_directives::hosted_parameters`).
//! No secret and no user is written: access control of a hosted store is the
//! service's, out of scope here.

use crate::policy::hosted::{Parameter, ParameterGroup, parameter_group, terraform_resource};
use crate::policy::model::{Policy, Store};
use crate::redis_directives::hosted_parameters;
use crate::render::hcl::hcl_string;
use crate::render::{OutputFile, RenderError, Renderer, comment_text};
use serde::Serialize;

pub const TEMPLATES: &[(&str, &str)] = &[(
    "hosted/parameter-group.tf.j2",
    include_str!("../../templates/hosted/parameter-group.tf.j2"),
)];

/// Context of `hosted/parameter-group.tf.j2`: every value an HCL literal
/// already, every comment one line of plain text.
#[derive(Debug, Serialize)]
struct Context {
    resource: &'static str,
    /// The resource's label: the store name, a lowercase label (an HCL
    /// identifier as it is).
    label: String,
    name: String,
    family: String,
    description: String,
    store: String,
    service: &'static str,
    release: String,
    node_type: String,
    maxmemory: String,
    parameters: Vec<Param>,
}

#[derive(Debug, Serialize)]
struct Param {
    comment: String,
    name: String,
    value: String,
}

/// The parameter group's name: `cachegen-<policy>-<store>`, with runs of
/// `-` folded into one, as ElastiCache and MemoryDB refuse two hyphens in a
/// row (both names are lowercase labels, so it begins with a letter and
/// holds only letters, digits and hyphens).
pub fn group_name(policy: &str, store: &str) -> String {
    let mut out = String::new();
    for c in format!("cachegen-{policy}-{store}").chars() {
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out
}

/// The parameter group's description: the store and the policy only. The
/// AWS provider replaces a group whose `description` changes (`ForceNew`,
/// as for `name` and `family`: hashicorp/terraform-provider-aws,
/// `internal/service/elasticache/parameter_group.go`), and a group still
/// attached to a cluster cannot be deleted (InvalidCacheParameterGroupState),
/// so it holds nothing that may change while the group is in use: not the
/// policy's file name, not the engine release (Redis 7.0 → 7.1 keeps family
/// `redis7`, so the same group).
pub fn group_description(policy: &str, store: &str) -> String {
    format!("cachegen: store `{store}` of policy `{policy}`")
}

pub fn render(
    policy: &Policy,
    store: &Store,
    r: &Renderer<'_>,
) -> Result<Vec<OutputFile>, RenderError> {
    let Some(hosted) = &store.hosted else {
        return Ok(Vec::new());
    };
    let (Some(resource), ParameterGroup::Family(family)) = (
        terraform_resource(hosted.service),
        parameter_group(hosted.service, store.engine, store.redis.version),
    ) else {
        // CG610 or CG611 says why nothing is rendered.
        return Ok(Vec::new());
    };
    let parameters = hosted_parameters(store)
        .into_iter()
        .filter(|(_, fact)| *fact == Some(Parameter::Accepted))
        .map(|(d, _)| Param {
            comment: comment_text(&d.comment),
            name: hcl_string(d.name),
            value: hcl_string(&d.value),
        })
        .collect();
    let release = format!(
        "{} {}.{}",
        store.engine.name(),
        store.redis.version.0,
        store.redis.version.1
    );
    let context = Context {
        resource,
        label: store.name.clone(),
        name: hcl_string(&group_name(&policy.name, &store.name)),
        family: hcl_string(family),
        description: hcl_string(&group_description(&policy.name, &store.name)),
        store: store.name.clone(),
        service: hosted.service.name(),
        release,
        node_type: comment_text(hosted.node_type.as_deref().unwrap_or("not declared")),
        maxmemory: store.redis.maxmemory.to_string(),
        parameters,
    };
    let contents = r.render("hosted/parameter-group.tf.j2", Some("#"), &context)?;
    Ok(vec![OutputFile {
        path: "terraform/parameter-group.tf".into(),
        contents,
    }])
}
