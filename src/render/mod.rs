//! Owns rendering: the validated policy becomes a list of output files
//! (relative path → contents). Each target builds a serializable context from
//! the model; a minijinja template (embedded, or from `--templates DIR`) lays
//! it out. Templates run in strict mode, make no policy decisions and do no
//! arithmetic. Rendering writes nothing: `build` does that.

pub mod access;
pub mod acl;
pub mod cloudflare;
pub mod cluster;
pub mod credentials;
pub mod hcl;
pub mod hosted;
pub mod kubernetes;
pub mod lock;
pub mod module_ir;
pub mod redis_conf;
pub mod replicated;
pub mod rust;
pub mod sentinel;
pub mod typescript;

use crate::FileReport;
use crate::facts::Engine;
use crate::policy::model::{Policy, Store};
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;
use std::path::PathBuf;

/// One generated file: a `/`-separated path relative to the policy's output
/// directory, and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub contents: String,
}

/// The embedded templates of every target, by name (`<target>/<file>.j2`).
/// `--templates DIR` replaces any of them with `DIR/<name>`.
fn embedded_templates() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    TARGETS.iter().flat_map(|t| t.templates.iter())
}

/// One output target: its templates and the function that renders it.
pub struct Target {
    pub name: &'static str,
    pub templates: &'static [(&'static str, &'static str)],
    pub render: Render,
}

/// How a target renders: once for the policy, or once per store into
/// `stores/<name>/` (the function's paths are relative to that directory).
pub enum Render {
    Policy(fn(&Policy, &Renderer<'_>) -> Result<Vec<OutputFile>, RenderError>),
    Store(fn(&Policy, &Store, &Renderer<'_>) -> Result<Vec<OutputFile>, RenderError>),
    /// Once per `hosted` store (which gets no `Store` target), into
    /// `stores/<name>/`.
    Hosted(fn(&Policy, &Store, &Renderer<'_>) -> Result<Vec<OutputFile>, RenderError>),
}

/// Every target, in output order. Adding one: a module here, its templates
/// under `templates/<target>/`, one line in this list.
#[rustfmt::skip]
pub const TARGETS: &[Target] = &[
    Target { name: "redis", templates: redis_conf::TEMPLATES, render: Render::Store(redis_conf::render) },
    Target { name: "acl", templates: acl::TEMPLATES, render: Render::Store(acl::render) },
    Target { name: "credentials", templates: credentials::TEMPLATES, render: Render::Store(credentials::render) },
    Target { name: "lock", templates: lock::TEMPLATES, render: Render::Policy(lock::render) },
    Target { name: "sentinel", templates: sentinel::TEMPLATES, render: Render::Store(sentinel::render) },
    Target { name: "cluster", templates: cluster::TEMPLATES, render: Render::Store(cluster::render) },
    Target { name: "replicated", templates: replicated::TEMPLATES, render: Render::Store(replicated::render) },
    Target { name: "kubernetes", templates: kubernetes::TEMPLATES, render: Render::Store(kubernetes::render) },
    Target { name: "hosted", templates: hosted::TEMPLATES, render: Render::Hosted(hosted::render) },
    Target { name: "cloudflare", templates: cloudflare::TEMPLATES, render: Render::Policy(cloudflare::render) },
    Target { name: "rust", templates: rust::TEMPLATES, render: Render::Policy(rust::render) },
    Target { name: "typescript", templates: typescript::TEMPLATES, render: Render::Policy(typescript::render) },
];

/// The server and client programs of an engine's official image. Valkey's
/// own names are used for Valkey: whether its image also carries the
/// `redis-*` compatibility links depends on how it was built.
pub(crate) struct Programs {
    pub(crate) server: &'static str,
    pub(crate) cli: &'static str,
    /// The Debian package that has both.
    pub(crate) package: &'static str,
}

impl Programs {
    pub(crate) fn of(engine: Engine) -> Programs {
        match engine {
            Engine::Redis => Programs {
                server: "redis-server",
                cli: "redis-cli",
                package: "redis-server",
            },
            Engine::Valkey => Programs {
                server: "valkey-server",
                cli: "valkey-cli",
                package: "valkey-server",
            },
        }
    }
}

/// The directory, under a policy's output directory, holding one directory
/// per store (`stores/<name>/redis.conf`).
pub const STORES_DIR: &str = "stores";

/// Where templates come from.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    pub override_dir: Option<PathBuf>,
}

/// A rendering failure: a template that does not load or render. Never the
/// user's policy (that was checked before), but a customised template can be wrong.
#[derive(Debug)]
pub struct RenderError(pub String);

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn environment(templates: &Templates) -> Result<Environment<'static>, RenderError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(|e| RenderError(format!("template syntax: {e}")))?;
    env.set_syntax(syntax);
    // No HTML escaping: none of the targets is HTML, and escaping would corrupt them.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    for (name, embedded) in embedded_templates() {
        let source = match &templates.override_dir {
            Some(dir) if dir.join(name).is_file() => std::fs::read_to_string(dir.join(name))
                .map_err(|e| {
                    RenderError(format!(
                        "cannot read template {}: {e}",
                        dir.join(name).display()
                    ))
                })?,
            _ => (*embedded).to_owned(),
        };
        env.add_template_owned(*name, source)
            .map_err(|e| RenderError(format!("template {name}: {e:#}")))?;
    }
    Ok(env)
}

/// What every generated file's header says about its origin, and the lock
/// it is taken from (built once per render: the lock target writes it).
pub struct Origin {
    pub policy_name: String,
    pub file_name: String,
    /// The model sha256, hex (`check::model_sha256`): it changes only when
    /// the policy's meaning does, not with its comments or layout, so such
    /// an edit leaves every generated file byte-identical.
    pub model_hash: String,
    /// The policy's lock (`check::lock_for`), which the hash is taken from.
    pub lock: crate::policy::lock::Lock,
}

impl Origin {
    /// The origin of `policy` read from `source_name`
    /// (`policy::lock::provenance`).
    pub fn new(policy: &Policy, source_name: &str) -> Self {
        let source = crate::policy::lock::provenance(policy, source_name);
        let lock = crate::check::lock_for(policy, &source);
        Origin {
            policy_name: policy.name.clone(),
            model_hash: lock.policy.sha256.clone(),
            file_name: source.file_name,
            lock,
        }
    }

    /// The header as comment lines with the given prefix. No timestamps or tool
    /// versions: the same policy must give byte-identical files anywhere.
    ///
    /// The file name is the one text here the policy's author did not
    /// validate (a path on the command line, or a lock's provenance), so it
    /// passes through [`comment_text`]: a line break in it would end the
    /// comment in every target (a shell command in `bootstrap.sh`, a
    /// directive in redis.conf, code in the TypeScript module).
    pub fn header(&self, comment: &str) -> String {
        format!(
            "{comment} Generated by cachegen from policy `{}` ({}). Do not edit: change the policy and run `cachegen build`.\n{comment} model sha256: {} (changes only when the policy's meaning changes, not with its comments or layout)",
            self.policy_name,
            comment_text(&self.file_name),
            self.model_hash
        )
    }
}

/// `text` safe inside a one-line comment of any target: control characters
/// (line breaks included), the line and paragraph separators JavaScript
/// ends a line at (U+2028, U+2029) and the bidirectional controls rustc
/// refuses in comments (`text_direction_codepoint_in_comment`) become `?`.
pub fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            let breaks = c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
            let bidi = matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
            if breaks || bidi { '?' } else { c }
        })
        .collect()
}

/// Every template sees its target's context plus `header`.
#[derive(Serialize)]
struct WithHeader<'a, C: Serialize> {
    header: String,
    #[serde(flatten)]
    context: &'a C,
}

/// What a target renders with: the template environment and the origin
/// header. Targets call `render` once per file.
pub struct Renderer<'a> {
    env: Environment<'static>,
    origin: &'a Origin,
}

impl Renderer<'_> {
    /// Renders `template` with `context` plus a `header` variable: the origin
    /// header as comment lines starting with `comment` (`#`, `//`), or empty
    /// for formats without comments (JSON).
    pub fn render<C: Serialize>(
        &self,
        template: &str,
        comment: Option<&str>,
        context: &C,
    ) -> Result<String, RenderError> {
        let tmpl = self
            .env
            .get_template(template)
            .map_err(|e| RenderError(format!("{e:#}")))?;
        let header = comment.map(|c| self.origin.header(c)).unwrap_or_default();
        tmpl.render(minijinja::value::Serde(WithHeader { header, context }))
            .map_err(|e| RenderError(format!("rendering {template}: {e:#}")))
    }

    pub fn origin(&self) -> &Origin {
        self.origin
    }
}

/// Renders every target for one policy.
pub fn render_all(
    policy: &Policy,
    origin: &Origin,
    templates: &Templates,
) -> Result<Vec<OutputFile>, RenderError> {
    let renderer = Renderer {
        env: environment(templates)?,
        origin,
    };
    let mut files = Vec::new();
    for target in TARGETS {
        match target.render {
            Render::Policy(render) => files.extend(render(policy, &renderer)?),
            // A managed service configures a hosted store from its
            // parameter group: no redis.conf, ACL or scripts pretend to, and
            // only the hosted target renders for it.
            Render::Store(render) | Render::Hosted(render) => {
                let hosted = matches!(target.render, Render::Hosted(_));
                for store in policy
                    .stores
                    .values()
                    .filter(|s| s.hosted.is_some() == hosted)
                {
                    for mut file in render(policy, store, &renderer)? {
                        file.path = format!("{STORES_DIR}/{}/{}", store.name, file.path);
                        files.push(file);
                    }
                }
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Renders a checked policy. `None` when the report has error-level findings
/// or no model: a policy with errors builds nothing.
pub fn render_report(
    report: &FileReport,
    templates: &Templates,
) -> Option<Result<Vec<OutputFile>, RenderError>> {
    if report.unreadable || report.count(crate::diag::Severity::Error) > 0 {
        return None;
    }
    let policy = report.policy.as_ref()?;
    let origin = Origin::new(policy, report.source.name());
    Some(render_all(policy, &origin, templates))
}

#[cfg(test)]
mod tests {
    use super::comment_text;

    #[test]
    fn comment_text_keeps_one_line_and_no_bidi_controls() {
        assert_eq!(comment_text("a.yaml"), "a.yaml");
        assert_eq!(comment_text("é-ü_1.yaml"), "é-ü_1.yaml");
        assert_eq!(
            comment_text("p\ntouch X #\r\u{2028}\u{2029}\u{85}\u{202E}\u{2066}.yaml"),
            "p?touch X #??????.yaml"
        );
    }
}
