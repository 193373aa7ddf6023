//! Owns HCL string literals, the one escaper of every Terraform target
//! (Cloudflare's ruleset, a hosted store's parameter group).

/// An HCL quoted string literal: `\\`, `\"`, `\n`, `\r`, `\t`, other control
/// characters as `\uXXXX`, and the template introducers `${` and `%{` doubled
/// (`$${`, `%%{`) so Terraform does not interpolate them.
pub fn hcl_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' => {
                out.push(c);
                if chars.peek() == Some(&'{') {
                    out.push(c);
                }
            }
            c if c.is_control() => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
