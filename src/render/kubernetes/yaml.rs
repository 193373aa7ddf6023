//! Owns how values reach the Kubernetes manifest as YAML text: quoted
//! scalars (`yaml_quote`), literal blocks (`literal_block`) and comment
//! text (`comment_text`), each read back unchanged by any YAML parser.

use crate::render::RenderError;

/// A string as a YAML double-quoted scalar. Printable ASCII stays as it is;
/// everything else is escaped (`\n`, `\t`, `\uXXXX`, `\UXXXXXXXX`), so the
/// result is one line of ASCII that every YAML parser reads back as the
/// same string, whatever the input holds.
pub fn yaml_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            c if u32::from(c) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08X}", u32::from(c))),
        }
    }
    out.push('"');
    out
}

/// Checks that `text` can be written as a YAML literal block (`|`) and
/// returns it ending in exactly one newline (what `|` keeps). The template
/// indents it. Literal blocks keep every character as written, except that a
/// block cannot start with a space (the indentation would be misread) and
/// must not contain line breaks other than `\n` or non-printable characters.
/// Our own templates never produce those; a customised one might.
pub(super) fn literal_block(text: &str, what: &str) -> Result<String, RenderError> {
    let body = text.trim_end_matches('\n');
    if body.is_empty() {
        return Err(RenderError(format!("{what} is empty")));
    }
    if body.starts_with([' ', '\t']) {
        return Err(RenderError(format!(
            "{what} starts with whitespace, which a YAML literal block cannot hold"
        )));
    }
    if let Some(c) = body.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}')
    }) {
        return Err(RenderError(format!(
            "{what} contains {c:?}, which a YAML literal block cannot hold"
        )));
    }
    Ok(format!("{body}\n"))
}

/// Text for a YAML comment: one line, no control characters.
pub(super) fn comment_text(s: &str) -> String {
    if s.chars().any(char::is_control) {
        s.escape_debug().to_string()
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::{literal_block, yaml_quote};
    use crate::load;
    use crate::source::SourceFile;

    /// Reads `key: <value>` back with cachegen's own YAML loader.
    fn read_back(value: &str) -> serde_json::Value {
        let src = SourceFile::new("t.yaml", format!("key: {value}\n"));
        let loaded = load::parse(&src);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let (json, _) = load::to_json(loaded.root.as_ref().expect("a document"));
        json["key"].clone()
    }

    #[test]
    fn quoted_scalars_read_back_unchanged() {
        for s in [
            "",
            "plain",
            "yes",
            "null",
            "010",
            "3Gi",
            "8",
            "a: b",
            "# not a comment",
            "- item",
            "\"quoted\" and 'single'",
            "back\\slash",
            "line\nbreak\r\n",
            "tab\there",
            "\u{7}\u{0}\u{1b}[31m",
            "\u{85}\u{2028}\u{2029}\u{feff}",
            "é ✓ 😀",
            "$(POD_NAME).x.y.svc.cluster.local",
            "{a: [b]}",
            "*alias &anchor !tag",
        ] {
            let quoted = yaml_quote(s);
            assert!(!quoted.contains('\n') && quoted.is_ascii(), "{quoted}");
            assert_eq!(
                read_back(&quoted),
                serde_json::Value::String(s.into()),
                "{quoted}"
            );
        }
    }

    #[test]
    fn literal_blocks_are_checked_and_end_in_one_newline() {
        assert_eq!(literal_block("a\nb", "x").unwrap(), "a\nb\n");
        assert_eq!(literal_block("a\n\n\n", "x").unwrap(), "a\n");
        assert_eq!(
            literal_block("a\n  indented\n\n# c\n", "x").unwrap(),
            "a\n  indented\n\n# c\n"
        );
        for bad in [
            "",
            "\n",
            " a",
            "\ta",
            "a\r\nb",
            "a\u{0}",
            "a\u{2028}b",
            "a\u{85}",
        ] {
            assert!(literal_block(bad, "x").is_err(), "{bad:?}");
        }
    }
}
