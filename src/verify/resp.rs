//! Owns the RESP2 wire format: encoding a command as an array of bulk strings
//! and parsing replies as their bytes arrive (`Parser`): a reply split
//! across reads is "incomplete", never an error, each byte is parsed once,
//! and the verdict does not depend on where the reads split it.

/// One reply from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Status(Vec<u8>),
    Error(String),
    Int(i64),
    Bulk(Vec<u8>),
    Nil,
    Array(Vec<Reply>),
}

impl Reply {
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Reply::Bulk(b) | Reply::Status(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<String> {
        self.as_bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Reply::Int(i) => Some(*i),
            _ => None,
        }
    }
}

/// Appends `args` as one RESP command (`*N\r\n$len\r\narg\r\n...`).
pub fn encode(args: &[&[u8]], out: &mut Vec<u8>) {
    out.push(b'*');
    push_decimal(out, args.len());
    out.extend_from_slice(b"\r\n");
    for arg in args {
        out.push(b'$');
        push_decimal(out, arg.len());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

fn push_decimal(out: &mut Vec<u8>, n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Why a buffer does not hold a reply.
#[derive(Debug, PartialEq, Eq)]
pub enum ParseError {
    /// More bytes are needed.
    Incomplete,
    /// The bytes are not RESP (a TLS record, an HTTP server, garbage).
    Invalid(String),
}

/// Deepest nesting accepted; verify's replies nest at most three deep
/// (SLOWLOG GET), so anything deeper is not a Redis we talk to.
const MAX_DEPTH: usize = 8;
/// Largest bulk string accepted: verify reads at most a few bytes of values,
/// and INFO / CLUSTER NODES stay far below this even with a thousand nodes.
const MAX_BULK: usize = 64 * 1024 * 1024;
const MAX_ARRAY: usize = 1 << 20;
/// Longest line (status, error, integer, length): judged by the line's own
/// length, never by how much of it has arrived, so a reply is accepted or
/// refused the same way however TCP splits it.
const MAX_LINE: usize = 64 * 1024;
/// Largest whole reply (all its elements together): the per-element caps
/// alone would let a million 64 MiB strings through.
const MAX_REPLY: usize = 256 * 1024 * 1024;
/// What one element costs against [`MAX_REPLY`] beyond its bytes on the
/// wire: its parsed `Reply`. A 4-byte `:0\r\n` takes 32 bytes parsed, so
/// counting wire bytes alone let a reply within the cap take 8 times it.
const ELEMENT_COST: usize = std::mem::size_of::<Reply>();

/// Parses one reply at the start of `buf`; returns it and the bytes used.
pub fn parse(buf: &[u8]) -> Result<(Reply, usize), ParseError> {
    match Parser::default().feed(buf) {
        (used, Ok(Some(reply))) => Ok((reply, used)),
        (_, Ok(None)) => Err(ParseError::Incomplete),
        (_, Err(e)) => Err(e),
    }
}

/// A reply parsed as its bytes arrive: every complete element is taken out
/// of the buffer once and kept here, so the work is linear in the bytes
/// received however they are split, and a partial reply is never parsed
/// again from its start.
#[derive(Debug, Default)]
pub struct Parser {
    /// Arrays being filled, outermost first: the items so far and how many
    /// are still due.
    stack: Vec<(Vec<Reply>, usize)>,
    /// Bytes at the start of the pending line already searched for its end.
    scanned: usize,
    /// Bytes of the current reply taken so far.
    taken: usize,
}

impl Parser {
    /// Parses from the start of `buf` (the bytes after those taken by
    /// earlier calls). Returns how many bytes it took (the caller drops
    /// them) and a whole reply, `None` when more bytes are needed, or why
    /// the bytes are not RESP (the connection is then unusable).
    pub fn feed(&mut self, buf: &[u8]) -> (usize, Result<Option<Reply>, ParseError>) {
        let mut pos = 0;
        let result = self.elements(buf, &mut pos);
        match result {
            Ok(Some(reply)) => {
                self.taken = 0;
                self.scanned = 0;
                (pos, Ok(Some(reply)))
            }
            Ok(None) => (pos, Ok(None)),
            Err(ParseError::Incomplete) => (pos, Ok(None)),
            Err(e) => {
                *self = Parser::default();
                (pos, Err(e))
            }
        }
    }

    fn elements(&mut self, buf: &[u8], pos: &mut usize) -> Result<Option<Reply>, ParseError> {
        loop {
            let Some(mut value) = self.element(buf, pos)? else {
                // An array header was taken: its elements come next.
                continue;
            };
            // Fold the finished element into the arrays it completes.
            loop {
                let Some((items, due)) = self.stack.last_mut() else {
                    return Ok(Some(value));
                };
                items.push(value);
                *due -= 1;
                if *due > 0 {
                    break;
                }
                let (items, _) = self.stack.pop().unwrap_or_default();
                value = Reply::Array(items);
            }
        }
    }

    /// One element at `pos`: `Some(value)` for a finished one, `None` when
    /// it opened an array, `Incomplete` (nothing taken) when its bytes have
    /// not all arrived.
    fn element(&mut self, buf: &[u8], pos: &mut usize) -> Result<Option<Reply>, ParseError> {
        if self.stack.len() > MAX_DEPTH {
            return Err(ParseError::Invalid("replies nest too deep".into()));
        }
        let Some(&kind) = buf.get(*pos) else {
            return Err(ParseError::Incomplete);
        };
        // Judge the type byte before waiting for a line: a TLS record or other
        // binary garbage may never contain one.
        if !matches!(kind, b'+' | b'-' | b':' | b'$' | b'*') {
            return Err(ParseError::Invalid(format!(
                "unexpected reply type byte 0x{kind:02x}"
            )));
        }
        let (head, after) = self.line(buf, *pos + 1)?;
        let value = match kind {
            b'+' => Reply::Status(head.to_vec()),
            b'-' => Reply::Error(String::from_utf8_lossy(head).into_owned()),
            b':' => Reply::Int(number(head)?),
            b'$' => {
                let len = number(head)?;
                if len < 0 {
                    Reply::Nil
                } else {
                    let len = usize::try_from(len).unwrap_or(usize::MAX);
                    if len > MAX_BULK {
                        return Err(ParseError::Invalid(format!(
                            "a {len}-byte bulk reply is too large"
                        )));
                    }
                    self.within_reply(after - *pos + len)?;
                    let end = after + len;
                    if buf.len() < end + 2 {
                        return Err(ParseError::Incomplete);
                    }
                    if &buf[end..end + 2] != b"\r\n" {
                        return Err(ParseError::Invalid(
                            "a bulk string does not end in CRLF".into(),
                        ));
                    }
                    let value = buf[after..end].to_vec();
                    self.take(pos, end + 2);
                    return Ok(Some(Reply::Bulk(value)));
                }
            }
            _ => {
                let len = number(head)?;
                if len > 0 {
                    let len = usize::try_from(len).unwrap_or(usize::MAX);
                    if len > MAX_ARRAY {
                        return Err(ParseError::Invalid(format!(
                            "a {len}-element array is too large"
                        )));
                    }
                    self.within_reply(after - *pos)?;
                    // Capacity from what has arrived, not from the claimed
                    // length: a hostile length must not allocate.
                    let room = (buf.len() - after) / 4;
                    self.stack.push((Vec::with_capacity(len.min(room)), len));
                    self.take(pos, after);
                    return Ok(None);
                }
                if len == 0 {
                    Reply::Array(Vec::new())
                } else {
                    Reply::Nil
                }
            }
        };
        self.within_reply(after - *pos)?;
        self.take(pos, after);
        Ok(Some(value))
    }

    /// Takes the bytes up to `to`: they belong to the reply now.
    fn take(&mut self, pos: &mut usize, to: usize) {
        self.taken += to - *pos + ELEMENT_COST;
        *pos = to;
        self.scanned = 0;
    }

    /// Whether part of a reply has been taken (an array is being filled).
    pub fn started(&self) -> bool {
        !self.stack.is_empty()
    }

    /// Refuses a reply once it would grow past [`MAX_REPLY`].
    fn within_reply(&self, more: usize) -> Result<(), ParseError> {
        if self.taken.saturating_add(more).saturating_add(ELEMENT_COST) > MAX_REPLY {
            return Err(ParseError::Invalid(format!(
                "a reply is larger than {} MiB",
                MAX_REPLY >> 20
            )));
        }
        Ok(())
    }

    /// The line starting at `start` (without its CRLF) and the position
    /// after it. The search resumes where the last one stopped.
    fn line<'a>(&mut self, buf: &'a [u8], start: usize) -> Result<(&'a [u8], usize), ParseError> {
        let rest = buf.get(start..).unwrap_or_default();
        let from = self.scanned.min(rest.len());
        match rest[from..].iter().position(|&b| b == b'\n') {
            Some(i) => {
                let nl = from + i;
                if nl > MAX_LINE + 1 {
                    return Err(too_long());
                }
                if nl == 0 || rest[nl - 1] != b'\r' {
                    return Err(ParseError::Invalid("a line does not end in CRLF".into()));
                }
                Ok((&rest[..nl - 1], start + nl + 1))
            }
            None if rest.len() > MAX_LINE + 1 => Err(too_long()),
            None => {
                self.scanned = rest.len();
                Err(ParseError::Incomplete)
            }
        }
    }
}

fn too_long() -> ParseError {
    ParseError::Invalid("a reply line is longer than 64 KiB".into())
}

fn number(text: &[u8]) -> Result<i64, ParseError> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(|| ParseError::Invalid("a length or integer is not a number".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_bulk_array() {
        let mut out = Vec::new();
        encode(&[b"SCAN", b"0", b"COUNT", b"1000"], &mut out);
        assert_eq!(
            out,
            b"*4\r\n$4\r\nSCAN\r\n$1\r\n0\r\n$5\r\nCOUNT\r\n$4\r\n1000\r\n"
        );
    }

    #[test]
    fn parses_every_type_and_reports_incomplete_prefixes() {
        let wire = b"*3\r\n$1\r\n0\r\n*2\r\n$3\r\na:b\r\n$-1\r\n:-2\r\n+OK\r\n";
        let (reply, used) = parse(wire).unwrap();
        assert_eq!(
            reply,
            Reply::Array(vec![
                Reply::Bulk(b"0".to_vec()),
                Reply::Array(vec![Reply::Bulk(b"a:b".to_vec()), Reply::Nil]),
                Reply::Int(-2),
            ])
        );
        assert_eq!(
            parse(&wire[used..]).unwrap().0,
            Reply::Status(b"OK".to_vec())
        );
        for cut in 0..used {
            assert_eq!(
                parse(&wire[..cut]),
                Err(ParseError::Incomplete),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn rejects_garbage_without_allocating() {
        assert!(matches!(
            parse(b"\x16\x03\x01\x00"),
            Err(ParseError::Invalid(_))
        ));
        assert!(matches!(
            parse(b"*99999999999\r\n"),
            Err(ParseError::Invalid(_))
        ));
        assert!(matches!(
            parse(b"$5\r\nabcdeXX"),
            Err(ParseError::Invalid(_))
        ));
        assert!(matches!(
            parse(b"HTTP/1.1 400\r\n"),
            Err(ParseError::Invalid(_))
        ));
        let deep = "*1\r\n".repeat(20);
        assert!(matches!(
            parse(deep.as_bytes()),
            Err(ParseError::Invalid(_))
        ));
    }

    /// A tiny deterministic generator (xorshift64*): the property test needs
    /// no dependency and replays the same cases on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn random_reply(rng: &mut Rng, depth: usize) -> Reply {
        let text = |rng: &mut Rng| -> Vec<u8> {
            let len = [0, 1, 3, 10, 200][rng.below(5)];
            (0..len).map(|_| b"ab:\r\n$*+-9"[rng.below(10)]).collect()
        };
        match rng.below(if depth < 3 { 7 } else { 5 }) {
            0 => Reply::Status(
                text(rng)
                    .into_iter()
                    .filter(|b| *b != b'\r' && *b != b'\n')
                    .collect(),
            ),
            1 => Reply::Error("ERR something".into()),
            2 => Reply::Int(rng.next() as i64),
            3 => Reply::Bulk(text(rng)),
            4 => Reply::Nil,
            _ => Reply::Array(
                (0..rng.below(5))
                    .map(|_| random_reply(rng, depth + 1))
                    .collect(),
            ),
        }
    }

    fn write(reply: &Reply, out: &mut Vec<u8>) {
        match reply {
            Reply::Status(s) => {
                out.push(b'+');
                out.extend_from_slice(s);
                out.extend_from_slice(b"\r\n");
            }
            Reply::Error(e) => out.extend_from_slice(format!("-{e}\r\n").as_bytes()),
            Reply::Int(i) => out.extend_from_slice(format!(":{i}\r\n").as_bytes()),
            Reply::Bulk(b) => {
                out.extend_from_slice(format!("${}\r\n", b.len()).as_bytes());
                out.extend_from_slice(b);
                out.extend_from_slice(b"\r\n");
            }
            Reply::Nil => out.extend_from_slice(b"$-1\r\n"),
            Reply::Array(items) => {
                out.extend_from_slice(format!("*{}\r\n", items.len()).as_bytes());
                for item in items {
                    write(item, out);
                }
            }
        }
    }

    /// What a connection makes of `stream` arriving in pieces cut at `cuts`:
    /// the replies, then the error that ended it (or none: more was due).
    fn verdict(stream: &[u8], cuts: &[usize]) -> (Vec<Reply>, Option<ParseError>) {
        let mut parser = Parser::default();
        let (mut buf, mut start, mut replies) = (Vec::new(), 0, Vec::new());
        let mut edges: Vec<usize> = cuts.to_vec();
        edges.push(stream.len());
        let mut from = 0;
        for edge in edges {
            buf.extend_from_slice(&stream[from..edge]);
            from = edge;
            loop {
                let (used, parsed) = parser.feed(&buf[start..]);
                start += used;
                match parsed {
                    Ok(Some(reply)) => replies.push(reply),
                    Ok(None) => break,
                    Err(e) => return (replies, Some(e)),
                }
            }
        }
        (replies, None)
    }

    #[test]
    fn the_same_bytes_give_the_same_verdict_however_they_are_split() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut invalid = 0;
        for case in 0..3_000 {
            let mut stream = Vec::new();
            let replies: Vec<Reply> = (0..1 + rng.below(4))
                .map(|_| random_reply(&mut rng, 0))
                .collect();
            for r in &replies {
                write(r, &mut stream);
            }
            // Half the cases are corrupted: a byte changed, inserted or cut.
            if case % 2 == 1 && !stream.is_empty() {
                let at = rng.below(stream.len());
                match rng.below(3) {
                    0 => stream[at] = b"x\r\n$*:-9\x16"[rng.below(9)],
                    1 => stream.insert(at, b"\n\r*$0"[rng.below(5)]),
                    _ => stream.truncate(at),
                }
            }
            let whole = verdict(&stream, &[]);
            if case % 2 == 0 {
                assert_eq!(whole, (replies, None), "a valid stream parses whole");
            }
            invalid += usize::from(whole.1.is_some());
            for _ in 0..8 {
                let mut cuts: Vec<usize> = (0..rng.below(6))
                    .map(|_| rng.below(stream.len() + 1))
                    .collect();
                cuts.sort_unstable();
                assert_eq!(
                    verdict(&stream, &cuts),
                    whole,
                    "stream {:?} cut at {cuts:?}",
                    String::from_utf8_lossy(&stream)
                );
            }
            // Byte by byte, the worst split there is.
            let every: Vec<usize> = (1..stream.len()).collect();
            assert_eq!(verdict(&stream, &every), whole);
        }
        assert!(
            invalid > 300,
            "only {invalid} corrupted streams were refused"
        );
    }

    #[test]
    fn long_lines_are_judged_by_length_not_by_arrival() {
        for (len, ok) in [(MAX_LINE, true), (MAX_LINE + 1, false), (70_000, false)] {
            let mut stream = vec![b'+'];
            stream.extend(std::iter::repeat_n(b'a', len));
            stream.extend_from_slice(b"\r\n");
            let whole = verdict(&stream, &[]);
            assert_eq!(whole.1.is_none(), ok, "{len}");
            for cut in [64 * 1024, 64 * 1024 + 1, 65_537, stream.len() - 1] {
                assert_eq!(
                    verdict(&stream, &[cut.min(stream.len())]),
                    whole,
                    "{len} cut at {cut}"
                );
            }
        }
    }

    #[test]
    fn a_streamed_array_is_parsed_in_linear_time() {
        let mut stream = b"*1000000\r\n".to_vec();
        for _ in 0..1_000_000 {
            stream.extend_from_slice(b"$1\r\na\r\n");
        }
        // 7 MB in 64 KiB pieces: re-parsing from the start would touch
        // about 400 MB; taking each element once touches 7 MB.
        let cuts: Vec<usize> = (1..stream.len() / 65_536).map(|i| i * 65_536).collect();
        let started = std::time::Instant::now();
        let (replies, error) = verdict(&stream, &cuts);
        assert!(error.is_none());
        assert!(matches!(&replies[..], [Reply::Array(items)] if items.len() == 1_000_000));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_reply_cannot_outgrow_its_total_cap() {
        // Four 64 MiB strings: each under the element cap, together over
        // the reply cap, refused at the header of the one that crosses it.
        let mut stream = b"*5\r\n".to_vec();
        let mut parser = Parser::default();
        let mut refused = false;
        for _ in 0..5 {
            stream.extend_from_slice(format!("${MAX_BULK}\r\n").as_bytes());
            if let (_, Err(ParseError::Invalid(why))) = parser.feed(&stream) {
                assert!(why.contains("larger than"), "{why}");
                refused = true;
                break;
            }
            stream.truncate(stream.len() - format!("${MAX_BULK}\r\n").len());
            stream.extend_from_slice(format!("${MAX_BULK}\r\n").as_bytes());
            stream.resize(stream.len() + MAX_BULK, b'x');
            stream.extend_from_slice(b"\r\n");
            let (used, parsed) = parser.feed(&stream);
            assert!(matches!(parsed, Ok(None)), "{parsed:?}");
            stream.drain(..used);
        }
        assert!(refused);
    }

    #[test]
    fn small_elements_count_what_they_cost_parsed() {
        // 8 arrays of 2^20 integers: 32 MiB on the wire, well under the
        // reply cap by bytes, but 8 Mi parsed `Reply`s (256 MiB and more):
        // refused, where counting wire bytes alone accepted it.
        let mut stream = b"*8\r\n".to_vec();
        for _ in 0..8 {
            stream.extend_from_slice(format!("*{MAX_ARRAY}\r\n").as_bytes());
            for _ in 0..MAX_ARRAY {
                stream.extend_from_slice(b":0\r\n");
            }
        }
        assert!(stream.len() < MAX_REPLY / 4);
        match parse(&stream) {
            Err(ParseError::Invalid(why)) => assert!(why.contains("larger than"), "{why}"),
            other => panic!("accepted: {:?}", other.map(|(_, used)| used)),
        }
    }
}
