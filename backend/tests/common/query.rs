//! Signed IAM Query requests (SigV4 with `aws-sigv4`) and their XML answers.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use serde_json::Value;

use super::Server;

pub const NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
pub const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// An access key as `access-key create --json` prints it.
pub struct Key {
    pub id: String,
    pub secret: String,
}

pub fn create_key(server: &Server, who: &[&str]) -> Key {
    let mut args = vec!["access-key", "create", "--account", "demo", "--json"];
    args.extend_from_slice(who);
    let out: Value = serde_json::from_str(&server.cli(&args, None)).unwrap();
    let k = &out["AccessKey"];
    Key {
        id: k["AccessKeyId"].as_str().unwrap().to_owned(),
        secret: k["SecretAccessKey"].as_str().unwrap().to_owned(),
    }
}

/// How a test request is signed.
pub struct Signing<'a> {
    pub key: &'a Key,
    pub secret: Option<&'a str>,
    pub region: &'a str,
    pub service: &'a str,
    pub time: SystemTime,
}

impl<'a> Signing<'a> {
    pub fn new(key: &'a Key) -> Signing<'a> {
        Signing {
            key,
            secret: None,
            region: "us-east-1",
            service: "iam",
            time: SystemTime::now(),
        }
    }
}

/// A signed `POST /` with `body`; (status, headers, text).
pub async fn post(
    server: &Server,
    s: &Signing<'_>,
    body: &str,
) -> (u16, reqwest::header::HeaderMap, String) {
    let headers = signed_headers(server, s, body);
    post_signed(&server.base, &headers, body).await
}

/// The headers of a signed `POST /` with `body` to `server` (`Host` included), to send as
/// they are, to that server or another ([`post_signed`]).
pub fn signed_headers(server: &Server, s: &Signing<'_>, body: &str) -> Vec<(String, String)> {
    let host = server.base.strip_prefix("http://").unwrap().to_owned();
    let secret = s.secret.unwrap_or(&s.key.secret);
    let identity = Credentials::new(&s.key.id, secret, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(s.region)
        .name(s.service)
        .time(s.time)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    // A signed header of its own per request, so that two calls within one second are two
    // requests, not a replay (security rule 22), as a real client's signing times would be.
    static SENT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nonce = SENT
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        .to_string();
    let headers = [
        ("host", host.as_str()),
        ("content-type", FORM),
        ("x-test-nonce", nonce.as_str()),
    ];
    let request = SignableRequest::new(
        "POST",
        format!("{}/", server.base),
        headers.into_iter(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .unwrap();
    let (instructions, _) = sign(request, &params).unwrap().into_parts();
    let mut all: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    all.extend(
        instructions
            .headers()
            .map(|(n, v)| (n.to_owned(), v.to_owned())),
    );
    all
}

/// `POST {base}/` with exactly `headers` (one of [`signed_headers`]) and `body`.
pub async fn post_signed(
    base: &str,
    headers: &[(String, String)],
    body: &str,
) -> (u16, reqwest::header::HeaderMap, String) {
    for (name, value) in form_urlencoded::parse(body.as_bytes()) {
        if name.starts_with("AuthenticationCode") {
            super::ledger::record(super::ledger::Kind::Code, &value);
        }
    }
    let mut req = super::http_client()
        .post(format!("{base}/"))
        .body(body.to_owned());
    for (name, value) in headers {
        req = req.header(name, value);
    }
    send(req).await
}

pub async fn send(req: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, String) {
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    let text = res.text().await.unwrap();
    record_secrets(&text);
    (status, headers, text)
}

/// Puts the secrets of an XML answer in the ledger: an access key's secret, and a virtual
/// device's seed (a blob: base64 of the Base32 text).
fn record_secrets(xml: &str) {
    use super::ledger::{Kind, record};
    let element = |name: &str| {
        let open = format!("<{name}>");
        let from = xml.find(&open)? + open.len();
        Some(&xml[from..from + xml[from..].find(&format!("</{name}>"))?])
    };
    if let Some(secret) = element("SecretAccessKey") {
        record(Kind::AccessKeySecret, secret);
    }
    if let Some(blob) = element("Base32StringSeed")
        && let Ok(text) = data_encoding::BASE64.decode(blob.as_bytes())
    {
        record(Kind::Seed, &String::from_utf8_lossy(&text));
    }
}

/// The `<Code>` of an `ErrorResponse`, after checking the envelope's shape.
pub fn error_code(xml: &str) -> &str {
    let start = format!("<ErrorResponse xmlns=\"{NS}\"><Error><Type>");
    assert!(xml.contains(&start), "{xml}");
    assert!(
        xml.contains("</Message></Error><RequestId>")
            && xml.ends_with("</RequestId></ErrorResponse>"),
        "{xml}"
    );
    let from = xml.find("<Code>").unwrap() + "<Code>".len();
    &xml[from..from + xml[from..].find("</Code>").unwrap()]
}
