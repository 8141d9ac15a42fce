//! The Query protocol's XML: a minimal writer (elements and escaped text, which is all IAM's
//! responses hold) and the two envelopes, `<ActionResponse>` and `<ErrorResponse>`, in IAM's
//! namespace.

use std::fmt::Write as _;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::api::Service;

/// The XML namespace of a service's answers.
pub fn namespace(service: Service) -> &'static str {
    match service {
        Service::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
        Service::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
    }
}

/// An XML fragment under construction.
#[derive(Debug, Default)]
pub struct Xml(String);

impl Xml {
    /// An empty fragment.
    pub fn new() -> Xml {
        Xml::default()
    }

    /// `<tag>` followed by what `inner` writes and `</tag>`.
    pub fn element(&mut self, tag: &str, inner: impl FnOnce(&mut Xml)) -> &mut Xml {
        let _ = write!(self.0, "<{tag}>");
        inner(self);
        let _ = write!(self.0, "</{tag}>");
        self
    }

    /// `<tag>text</tag>`, the text escaped.
    pub fn leaf(&mut self, tag: &str, text: &str) -> &mut Xml {
        let _ = write!(self.0, "<{tag}>");
        escape_into(&mut self.0, text);
        let _ = write!(self.0, "</{tag}>");
        self
    }

    /// [`Xml::leaf`] when there is a value; nothing otherwise (absent members are left out).
    pub fn optional(&mut self, tag: &str, text: Option<&str>) -> &mut Xml {
        if let Some(text) = text {
            self.leaf(tag, text);
        }
        self
    }

    /// The text so far.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Escapes the five XML specials; characters XML 1.0 forbids become U+FFFD so the document
/// stays well-formed whatever a message holds.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…` (no `Result` element
/// for actions whose output IAM's model leaves empty).
pub fn success(service: Service, action: &str, result: Option<&Xml>, request_id: &str) -> String {
    let namespace = namespace(service);
    let mut body = Xml::new();
    if let Some(result) = result {
        body.element(&format!("{action}Result"), |x| {
            x.0.push_str(result.as_str())
        });
    }
    body.element("ResponseMetadata", |x| {
        x.leaf("RequestId", request_id);
    });
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"{namespace}\">{}</{action}Response>",
        body.as_str()
    )
}

/// `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
pub fn error(
    service: Service,
    sender_fault: bool,
    code: &str,
    message: &str,
    request_id: &str,
) -> String {
    let namespace = namespace(service);
    let mut inner = Xml::new();
    inner.element("Error", |x| {
        x.leaf("Type", if sender_fault { "Sender" } else { "Receiver" })
            .leaf("Code", code)
            .leaf("Message", message);
    });
    inner.leaf("RequestId", request_id);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"{namespace}\">{}</ErrorResponse>",
        inner.as_str()
    )
}

/// An XML answer: `text/xml`, never cached (CreateVirtualMFADevice answers with a seed), with
/// the request id in `x-amzn-requestid`.
pub(super) fn response(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    // CreateVirtualMFADevice answers with a seed: nothing here may be cached.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_wraps_results() {
        let mut r = Xml::new();
        r.leaf("UserName", "a<b>&\"'\u{1}");
        assert_eq!(
            r.as_str(),
            "<UserName>a&lt;b&gt;&amp;&quot;&apos;\u{FFFD}</UserName>"
        );
        let doc = success(Service::Iam, "GetUser", Some(&r), "rid");
        assert!(doc.ends_with(
            "<GetUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetUserResult>\
             <UserName>a&lt;b&gt;&amp;&quot;&apos;\u{FFFD}</UserName></GetUserResult>\
             <ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetUserResponse>"
        ), "{doc}");
        let empty = success(Service::Iam, "ResyncMFADevice", None, "r");
        assert!(empty.contains("<ResyncMFADeviceResponse xmlns=") && !empty.contains("Result"));
        assert!(empty.ends_with("</ResyncMFADeviceResponse>"));
    }

    #[test]
    fn error_envelope_has_iams_shape() {
        let doc = error(Service::Iam, true, "NoSuchEntity", "gone", "r1");
        assert!(doc.ends_with(
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error>\
             <Type>Sender</Type><Code>NoSuchEntity</Code><Message>gone</Message></Error>\
             <RequestId>r1</RequestId></ErrorResponse>"
        ));
        assert!(
            error(Service::Sts, false, "ServiceFailure", "x", "r")
                .contains("<Type>Receiver</Type>")
        );
    }
}
