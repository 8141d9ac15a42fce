//! One HTTP/1.1 `GET` to a server on loopback, with the body exactly as the server sent it
//! (nothing decoded): what the transfer-size step counts. Plain HTTP on a `http://HOST:PORT`
//! base, `Connection: close`, a body framed by `Content-Length` (what the server's file
//! answers carry). The standard library suffices for that, so xtask needs no HTTP client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::shell::Result;

/// An answer: status, header lines (names lower-cased) and the body's bytes.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// `(name, value)` per header line, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body as it came over the wire.
    pub body: Vec<u8>,
}

impl Answer {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `GET base+path` with the extra request headers; an error unless the whole answer came.
pub fn get(base: &str, path: &str, headers: &[(&str, &str)]) -> Result<Answer> {
    let host = base
        .strip_prefix("http://")
        .ok_or_else(|| format!("{base}: not a plain http:// address"))?
        .trim_end_matches('/');
    let mut stream = TcpStream::connect(host).map_err(|e| format!("{host}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("{host}: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("GET {path}: {e}"))?;
    parse(&raw).map_err(|e| format!("GET {path}: {e}"))
}

/// Splits a whole HTTP/1.1 answer into status, headers and the `Content-Length` bytes of body.
fn parse(raw: &[u8]) -> Result<Answer> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("the answer has no end of header")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "the header is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("no status line")?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = raw[end + 4..].to_vec();
    let answer = Answer {
        status,
        headers,
        body,
    };
    let length: usize = answer
        .header("content-length")
        .ok_or("no Content-Length")?
        .parse()
        .map_err(|_| "a Content-Length that is not a number")?;
    if answer.body.len() != length {
        return Err(format!(
            "{} bytes of body for a Content-Length of {length}",
            answer.body.len()
        ));
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn the_body_is_the_bytes_after_the_header_as_framed() {
        let raw =
            b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\ncontent-length: 4\r\n\r\n\x0b\x01\x80\x03";
        let a = parse(raw).unwrap();
        assert_eq!(a.status, 200);
        assert_eq!(a.header("content-encoding"), Some("br"));
        assert_eq!(a.body, [0x0b, 1, 0x80, 3]);
        let short = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc";
        assert_eq!(
            parse(short).unwrap_err(),
            "3 bytes of body for a Content-Length of 5"
        );
        assert!(parse(b"HTTP/1.1 200 OK\r\n\r\nabc").is_err());
    }
}
