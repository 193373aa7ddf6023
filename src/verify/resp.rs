//! Owns the RESP2 wire format: encoding a command as an array of bulk strings
//! and parsing one reply out of a byte buffer, restartably (a reply split
//! across reads parses as "incomplete", never as an error).

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

/// Parses one reply at the start of `buf`; returns it and the bytes used.
pub fn parse(buf: &[u8]) -> Result<(Reply, usize), ParseError> {
    let mut pos = 0;
    let reply = parse_at(buf, &mut pos, 0)?;
    Ok((reply, pos))
}

fn line<'a>(buf: &'a [u8], pos: &mut usize) -> Result<&'a [u8], ParseError> {
    let rest = &buf[*pos..];
    match rest.iter().position(|&b| b == b'\n') {
        Some(nl) if nl > 0 && rest[nl - 1] == b'\r' => {
            *pos += nl + 1;
            Ok(&rest[..nl - 1])
        }
        Some(_) => Err(ParseError::Invalid("a line does not end in CRLF".into())),
        None if rest.len() > 64 * 1024 => Err(ParseError::Invalid(
            "a reply line is longer than 64 KiB".into(),
        )),
        None => Err(ParseError::Incomplete),
    }
}

fn number(text: &[u8]) -> Result<i64, ParseError> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(|| ParseError::Invalid("a length or integer is not a number".into()))
}

fn parse_at(buf: &[u8], pos: &mut usize, depth: usize) -> Result<Reply, ParseError> {
    if depth > MAX_DEPTH {
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
    *pos += 1;
    let head = line(buf, pos)?;
    match kind {
        b'+' => Ok(Reply::Status(head.to_vec())),
        b'-' => Ok(Reply::Error(String::from_utf8_lossy(head).into_owned())),
        b':' => Ok(Reply::Int(number(head)?)),
        b'$' => {
            let len = number(head)?;
            if len < 0 {
                return Ok(Reply::Nil);
            }
            let len = usize::try_from(len).unwrap_or(usize::MAX);
            if len > MAX_BULK {
                return Err(ParseError::Invalid(format!(
                    "a {len}-byte bulk reply is too large"
                )));
            }
            let end = *pos + len;
            if buf.len() < end + 2 {
                return Err(ParseError::Incomplete);
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err(ParseError::Invalid(
                    "a bulk string does not end in CRLF".into(),
                ));
            }
            let value = buf[*pos..end].to_vec();
            *pos = end + 2;
            Ok(Reply::Bulk(value))
        }
        b'*' => {
            let len = number(head)?;
            if len < 0 {
                return Ok(Reply::Nil);
            }
            let len = usize::try_from(len).unwrap_or(usize::MAX);
            if len > MAX_ARRAY {
                return Err(ParseError::Invalid(format!(
                    "a {len}-element array is too large"
                )));
            }
            // Capacity from what the buffer could hold, not from the claimed
            // length: a hostile length must not allocate.
            let mut items = Vec::with_capacity(len.min(buf.len() - *pos));
            for _ in 0..len {
                items.push(parse_at(buf, pos, depth + 1)?);
            }
            Ok(Reply::Array(items))
        }
        other => Err(ParseError::Invalid(format!(
            "unexpected reply type byte 0x{other:02x}"
        ))),
    }
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
}
