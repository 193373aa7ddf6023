//! Owns what an edge route's path matches, in Cloudflare's terms, for every
//! stage that needs it: the renderer writes the bypass forms into rules,
//! `explain` evaluates the emitted `wildcard` and `extension`, and lint
//! finds overlaps between routes without rendering.

/// The patterns a bypass of `path` matches. An origin router commonly
/// serves `/checkout/*`'s handler for the bare `/checkout`, for
/// `/checkout.json` (format suffixes) and `/checkout;jsessionid=…` (path
/// parameters), so a bypass of `/checkout/*` (or `/checkout/`, or
/// `/checkout`) covers `/checkout`, `/checkout/*`, `/checkout.*` and
/// `/checkout;*`. A path ending in `*` without a `/` before it (`/a*`) is
/// already a prefix and stays as written.
pub fn bypass_forms(path: &str) -> Vec<String> {
    if path.ends_with('*') && !path.ends_with("/*") {
        return vec![path.to_owned()];
    }
    let base = path
        .strip_suffix("/*")
        .or_else(|| path.strip_suffix('/'))
        .unwrap_or(path);
    if base.is_empty() {
        return vec![path.to_owned()];
    }
    vec![
        base.to_owned(),
        format!("{base}/*"),
        format!("{base}.*"),
        format!("{base};*"),
    ]
}

/// `http.request.uri.path.extension`: the lower-cased text after the last
/// `.` of the last path segment, empty when there is none.
pub fn extension(path: &str) -> String {
    let last = path.rsplit('/').next().unwrap_or("");
    match last.rsplit_once('.') {
        // `.js` alone is a dot file, not an extension (Cloudflare gives "").
        Some(("", _)) | None => String::new(),
        Some((_, ext)) => ext.to_ascii_lowercase(),
    }
}

/// Cloudflare's `wildcard`: the whole value, case-insensitive, `*` matches
/// any run of characters (also `/`), `\*` and `\\` are literal.
pub fn wildcard(pattern: &str, value: &str) -> bool {
    let mut tokens: Vec<Option<char>> = Vec::new(); // None = `*`
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => tokens.push(chars.next().map(|c| c.to_ascii_lowercase())),
            '*' => tokens.push(None),
            c => tokens.push(Some(c.to_ascii_lowercase())),
        }
    }
    let value: Vec<char> = value.chars().map(|c| c.to_ascii_lowercase()).collect();
    // Classic two-pointer glob match with backtracking to the last `*`:
    // linear in practice, no recursion.
    let (mut t, mut v) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while v < value.len() {
        match tokens.get(t) {
            Some(Some(c)) if *c == value[v] => {
                t += 1;
                v += 1;
            }
            Some(None) => {
                star = Some((t, v));
                t += 1;
            }
            _ => match star {
                Some((st, sv)) => {
                    t = st + 1;
                    v = sv + 1;
                    star = Some((st, sv + 1));
                }
                None => return false,
            },
        }
    }
    tokens[t..].iter().all(Option::is_none)
}
