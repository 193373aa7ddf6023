//! Owns what cachegen generates for the tools around it, all from data the
//! binary already has: shell completions and the man page from the clap
//! definition (`cachegen completions SHELL`, `cachegen man`), and the README's
//! lint-rule table from `lint::registry` (`cachegen rule --all --markdown`).
//!
//! A module of the binary, not the library: it needs the `clap::Command`
//! that only main.rs builds, and the library has no reason to know about
//! shells or roff.

use super::print;
use cachegen::lint::registry;
use clap::{Command, CommandFactory};
use clap_mangen::roff::{Roff, bold, roman};

/// `cachegen completions SHELL`.
pub fn print_completions(shell: clap_complete::Shell) -> Result<u8, String> {
    print(&completions(crate::Cli::command(), shell))?;
    Ok(0)
}

/// `cachegen man`.
pub fn print_man_page() -> Result<u8, String> {
    let page =
        man_page(crate::Cli::command()).map_err(|e| format!("cannot render the man page: {e}"))?;
    print(&page)?;
    Ok(0)
}

/// The completion script for `shell`, for the `cachegen` binary name.
fn completions(mut cmd: Command, shell: clap_complete::Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "cachegen", &mut out);
    // Every generator writes UTF-8; a lossy conversion would only hide a bug.
    String::from_utf8(out).expect("clap_complete writes UTF-8")
}

/// One man page for the whole CLI: the top-level sections clap_mangen
/// renders, a list of subcommands, then a section per subcommand with its
/// synopsis, description and every option. One page rather than `cachegen-check(1)` and friends because
/// cachegen is installed with `cargo install`, which has no place for man
/// pages: users redirect `cachegen man` into one file, and `man cachegen` must
/// then answer for every subcommand.
fn man_page(mut cmd: Command) -> std::io::Result<String> {
    // Built once here so global options (`--format`, `--color`) are propagated
    // to the subcommands and their synopses carry `cachegen check`, not `check`.
    cmd.build();
    let subcommands = documented_subcommands(&cmd);
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    // Not clap_mangen's SUBCOMMANDS section: it points at `cachegen-check(1)`
    // pages that do not exist, since everything is on this one page.
    let mut list = Roff::default();
    list.control("SH", ["SUBCOMMANDS"]);
    for sub in &subcommands {
        let name = sub.get_bin_name().unwrap_or_else(|| sub.get_name());
        list.control("TP", []);
        list.text([bold(name)]);
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        let about = about.trim_end_matches('.');
        list.text([roman(format!(
            "{about}. See {} below.",
            name.to_uppercase()
        ))]);
    }
    list.to_writer(&mut out)?;
    for sub in subcommands {
        render_subcommand(sub, &mut out)?;
    }
    man.render_version_section(&mut out)?;
    let page = String::from_utf8(out).expect("clap_mangen writes UTF-8");
    Ok(once_preamble(&page))
}

/// The roff crate opens every piece it writes with the same two-line
/// definition of `\*(Aq`; a page assembled from pieces needs it once.
fn once_preamble(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    let mut seen = false;
    let mut lines = page.lines().peekable();
    while let Some(line) = lines.next() {
        if line.starts_with(".ie \\n(.g .ds Aq ") {
            if seen {
                // Skip its `.el` partner too.
                lines.next_if(|l| l.starts_with(".el .ds Aq "));
                continue;
            }
            seen = true;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Subcommands in definition order, nested ones after their parent; clap's
/// generated `help` is left out (it documents nothing of its own).
fn documented_subcommands(cmd: &Command) -> Vec<&Command> {
    let mut found = Vec::new();
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        found.push(sub);
        found.extend(documented_subcommands(sub));
    }
    found
}

/// `.SH "CACHEGEN CHECK"`, then clap_mangen's own sections for the subcommand
/// with their `.SH` headings demoted to `.SS`, so they nest under it.
fn render_subcommand(sub: &Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    let full_name = sub.get_bin_name().unwrap_or_else(|| sub.get_name());
    let mut heading = Roff::default();
    heading.control("SH", [full_name.to_uppercase().as_str()]);
    heading.to_writer(out)?;

    // Global options (`--format`, `--color`) are documented once, at the top,
    // not again under every subcommand.
    let globals: Vec<String> = sub
        .get_arguments()
        .filter(|a| a.is_global_set())
        .map(|a| a.get_id().to_string())
        .collect();
    let mut sub = sub.clone();
    for id in globals {
        sub = sub.mut_arg(id, |a| a.hide(true));
    }
    let man = clap_mangen::Man::new(sub.clone());
    let mut sections = Vec::new();
    man.render_synopsis_section(&mut sections)?;
    man.render_description_section(&mut sections)?;
    if sub.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut sections)?;
    }
    if sub.has_subcommands() {
        man.render_subcommands_section(&mut sections)?;
    }
    let sections = String::from_utf8(sections).expect("clap_mangen writes UTF-8");
    // Safe as a text rewrite: the roff crate escapes a text line that starts
    // with `.`, so only real `.SH` requests begin a line with `.SH `.
    for line in sections.lines() {
        match line.strip_prefix(".SH ") {
            Some(title) => out.extend_from_slice(format!(".SS {title}\n").as_bytes()),
            None => out.extend_from_slice(format!("{line}\n").as_bytes()),
        }
    }
    Ok(())
}

/// The lint-rule table README.md holds between `<!-- rules:start -->` and
/// `<!-- rules:end -->`; tests/ecosystem.rs fails when the two differ.
pub fn rules_markdown() -> String {
    let mut out = String::from("| code | name | default level | summary |\n|---|---|---|---|\n");
    for rule in registry::RULES {
        let c = &rule.code;
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            c.code,
            c.name,
            c.level_label(),
            // A `|` would end the cell early.
            c.summary.replace('|', "\\|")
        ));
    }
    out
}
