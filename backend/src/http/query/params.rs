//! The Query protocol's parameters (`Action=…&Version=…&Member=…`, from a form body or the
//! query string) and their conversion into the actions' typed inputs.
//!
//! IAM's member names are exactly the JSON API's (`SerialNumber`, `AuthenticationCode1`, …), so a
//! flat parameter map becomes the same input struct through serde: the JSON API and this protocol
//! share one definition of each input and one validation.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use shared::api::{Action, Paging, Service};

use super::refusal::Refusal;
use crate::error::Error;

/// Protocol members, not action members.
const PROTOCOL_MEMBERS: [&str; 4] = ["Action", "Version", "Marker", "MaxItems"];

/// The request's parameters, each name at most once.
#[derive(Debug, Default)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// The query string's parameters and, for a form body, the body's; a name given twice is
    /// refused rather than silently picking one.
    pub fn parse(query: Option<&str>, form_body: Option<&[u8]>) -> Result<Params, Refusal> {
        let mut map = BTreeMap::new();
        let pairs = form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .chain(form_urlencoded::parse(form_body.unwrap_or(b"")));
        for (name, value) in pairs {
            if map
                .insert(name.clone().into_owned(), value.into_owned())
                .is_some()
            {
                return Err(Refusal::invalid_parameter(format!(
                    "The parameter {name} was given more than once."
                )));
            }
        }
        Ok(Params(map))
    }

    /// Every parameter, in name order (for the fuzz targets).
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.0.iter().map(|(n, v)| (n.clone(), v.clone())).collect()
    }

    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// `Action`, and `Version` which must be its service's (STS's for STS's actions, IAM's
    /// for every other name).
    pub fn action(&self) -> Result<&str, Refusal> {
        let action = self.get("Action").ok_or_else(Refusal::missing_action)?;
        let service = service_of(Some(action));
        match self.get("Version") {
            Some(v) if v == service.version() => Ok(action),
            Some(other) => Err(Refusal::no_such_version(other, service)),
            None => Err(Refusal::missing_parameter("Version")),
        }
    }

    /// The action's input: every parameter except the protocol's, as a flat object of strings.
    /// List members (`Tags.member.1.Key`) are refused: no action here takes one, and dropping
    /// them silently would pretend they were stored.
    pub fn input<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let mut object = Map::new();
        for (name, value) in &self.0 {
            if PROTOCOL_MEMBERS.contains(&name.as_str()) {
                continue;
            }
            if name.contains('.') {
                return Err(Error::Validation(format!(
                    "{name}: list and structure members are not supported by this service."
                )));
            }
            object.insert(name.clone(), Value::String(value.clone()));
        }
        serde_json::from_value(Value::Object(object)).map_err(|e| {
            // serde's text names the member (`missing field `SerialNumber``) and, for an enum,
            // the allowed values; members here are strings, so no code or secret appears in it.
            Error::Validation(format!("The request was refused: {e}."))
        })
    }

    /// `MaxItems` and `Marker` of the list actions. `MaxItems` must be a whole number here; its
    /// range and the marker are checked by the action, as on the JSON API.
    pub fn paging(&self) -> Result<Paging, Error> {
        let max_items = match self.get("MaxItems") {
            None => None,
            // ASCII digits only: `u32::from_str` would also take `+5`.
            Some(max) => Some(
                max.bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| max.parse::<u32>().ok())
                    .flatten()
                    .ok_or_else(|| {
                        Error::Validation("MaxItems must be an integer from 1 to 1000.".into())
                    })?,
            ),
        };
        Ok(Paging {
            marker: self.get("Marker").map(str::to_owned),
            max_items,
        })
    }
}

/// The service an `Action=` name belongs to: STS's for its actions, IAM's for every other
/// name (unknown names included: they are refused as IAM's).
pub fn service_of(action: Option<&str>) -> Service {
    action
        .and_then(Action::of_query_name)
        .map_or(Service::Iam, Action::service)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::api::{ListVirtualMfaDevicesRequest, ResyncMfaDeviceRequest};

    #[test]
    fn builds_typed_inputs_from_a_form() {
        let body = b"Action=ResyncMFADevice&Version=2010-05-08&UserName=a%2Bb&SerialNumber=\
                     arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Fa&AuthenticationCode1=012345\
                     &AuthenticationCode2=678901";
        let p = Params::parse(None, Some(body)).unwrap();
        assert_eq!(p.action().unwrap(), "ResyncMFADevice");
        let r: ResyncMfaDeviceRequest = p.input().unwrap();
        assert_eq!(r.user_name.as_deref(), Some("a+b"));
        assert_eq!(r.serial_number, "arn:aws:iam::123456789012:mfa/a");
        assert_eq!(
            (
                r.authentication_code1.as_str(),
                r.authentication_code2.as_str()
            ),
            ("012345", "678901")
        );
    }

    #[test]
    fn refuses_what_it_cannot_honour() {
        assert!(Params::parse(Some("Action=A&Action=B"), None).is_err());
        let p = Params::parse(Some("Action=ListUsers"), None).unwrap();
        assert_eq!(p.action().unwrap_err().code, "MissingParameter");
        let p = Params::parse(Some("Action=ListUsers&Version=2009-01-01"), None).unwrap();
        assert_eq!(p.action().unwrap_err().code, "NoSuchVersion");
        let p = Params::parse(None, Some(b"Version=2010-05-08")).unwrap();
        assert_eq!(p.action().unwrap_err().code, "MissingAction");
        let p = Params::parse(Some("SerialNumber=x"), None).unwrap();
        let e = p.input::<ResyncMfaDeviceRequest>().unwrap_err();
        assert!(e.to_string().contains("AuthenticationCode1"), "{e}");
        let p = Params::parse(Some("VirtualMFADeviceName=x&Tags.member.1.Key=k"), None).unwrap();
        assert!(
            p.input::<shared::api::CreateVirtualMfaDeviceRequest>()
                .is_err()
        );
        let p = Params::parse(
            Some("AssignmentStatus=Assigned&MaxItems=5&Marker=abc"),
            None,
        )
        .unwrap();
        assert_eq!(
            p.paging().unwrap(),
            Paging {
                marker: Some("abc".into()),
                max_items: Some(5)
            }
        );
        // The paging members are not the action's.
        assert_eq!(
            p.input::<ListVirtualMfaDevicesRequest>().unwrap(),
            ListVirtualMfaDevicesRequest {
                assignment_status: Some(shared::api::AssignmentStatus::Assigned)
            }
        );
        assert_eq!(
            Params::parse(None, None).unwrap().paging().unwrap(),
            Paging::default()
        );
        for bad in [
            "MaxItems=x",
            "MaxItems=-1",
            "MaxItems=%2B5",
            "MaxItems=%205",
            "MaxItems=",
            "MaxItems=99999999999",
        ] {
            assert!(
                Params::parse(Some(bad), None).unwrap().paging().is_err(),
                "{bad}"
            );
        }
    }
}
