//! Owns quoting for POSIX sh: a value that a generated script passes as one
//! word, whatever it holds.

/// `s` as one single-quoted sh word: inside single quotes nothing is
/// special, and a `'` is closed, escaped and reopened.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::quote;
    use std::process::Command;

    #[test]
    fn every_string_reads_back_as_one_word() {
        for s in [
            "", "admin", "a b", "it's", "$(id)`x`", "\\'\"", "a\nb", "*?[x]",
        ] {
            let out = Command::new("sh")
                .arg("-c")
                .arg(format!("printf %s {}", quote(s)))
                .output()
                .unwrap();
            assert_eq!(String::from_utf8(out.stdout).unwrap(), s);
        }
    }
}
