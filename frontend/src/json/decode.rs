//! Reading the API's answers: the browser's `JSON.parse`, then [`Decode`], one small
//! hand-written function per answer of the API, member by member. serde's derived `Deserialize`
//! (visitors, field matching, error paths) cost 9 KB gzip of wasm here even over a minimal
//! `Deserializer` (measured), and serde_json or serde-wasm-bindgen more. The wire names are
//! `shared::api`'s serde names; `frontend/tests/json.rs` checks every decoder against serde's
//! own output.

use js_sys::{Array, Reflect};
use shared::api::{
    ActivityEvent, ActivityResponse, ApiError, AttentionResponse, AuditEvent,
    CreateVirtualMfaDeviceResponse, CreatedVirtualMfaDevice, DeviceKind, DriftPoint, EmptyResponse,
    ErrorCode, ErrorResponse, ListMfaDevicesResponse, ListUsersResponse, LookupEventsResponse,
    MfaDevice, MfaDeviceChoice, MfaSignInResponse, Outcome, ResyncMfaDeviceResponse,
    SessionResponse, SignInResponse, TimeResponse, User,
};
use wasm_bindgen::JsValue;

use super::Error;

/// Parses JSON text with `JSON.parse` and decodes the object it holds.
pub fn from_str<T: Decode>(text: &str) -> Result<T, Error> {
    let value = js_sys::JSON::parse(text).map_err(|_| Error)?;
    T::decode(&Object::new(value)?)
}

/// An answer of the API that the app reads.
pub trait Decode: Sized {
    /// Reads the answer from its JSON object.
    fn decode(o: &Object) -> Result<Self, Error>;
}

/// The largest integer a JSON number holds exactly.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// A JSON object (not an array, not `null`), read member by member. Members the app does not
/// know are ignored, as serde does.
pub struct Object(JsValue);

impl Object {
    fn new(value: JsValue) -> Result<Object, Error> {
        if value.is_object() && !Array::is_array(&value) {
            Ok(Object(value))
        } else {
            Err(Error)
        }
    }

    /// The member, `undefined` when absent.
    fn member(&self, name: &str) -> JsValue {
        Reflect::get(&self.0, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
    }

    /// A required string.
    pub fn string(&self, name: &str) -> Result<String, Error> {
        self.member(name).as_string().ok_or(Error)
    }

    /// A string that may be `null` or absent.
    pub fn opt_string(&self, name: &str) -> Result<Option<String>, Error> {
        let v = self.member(name);
        if v.is_null() || v.is_undefined() {
            Ok(None)
        } else {
            v.as_string().map(Some).ok_or(Error)
        }
    }

    /// A required boolean.
    pub fn bool(&self, name: &str) -> Result<bool, Error> {
        self.member(name).as_bool().ok_or(Error)
    }

    /// A required whole number that a JSON number holds exactly.
    pub fn int(&self, name: &str) -> Result<i64, Error> {
        whole(&self.member(name))
    }

    /// A whole number `≥ 0` that may be `null` or absent.
    pub fn opt_uint(&self, name: &str) -> Result<Option<u64>, Error> {
        let v = self.member(name);
        if v.is_null() || v.is_undefined() {
            return Ok(None);
        }
        u64::try_from(whole(&v)?).map(Some).map_err(|_| Error)
    }

    /// A number that may be `null` or absent.
    pub fn opt_number(&self, name: &str) -> Result<Option<f64>, Error> {
        let v = self.member(name);
        if v.is_null() || v.is_undefined() {
            return Ok(None);
        }
        v.as_f64().map(Some).ok_or(Error)
    }

    /// A required object.
    pub fn object(&self, name: &str) -> Result<Object, Error> {
        Object::new(self.member(name))
    }

    /// An array of strings; absent, none.
    pub fn strings(&self, name: &str) -> Result<Vec<String>, Error> {
        let v = self.member(name);
        if v.is_undefined() {
            return Ok(Vec::new());
        }
        if !Array::is_array(&v) {
            return Err(Error);
        }
        Array::from(&v)
            .iter()
            .map(|e| e.as_string().ok_or(Error))
            .collect()
    }

    /// An array of objects, each read with `item`; absent, none.
    pub fn opt_list<T>(
        &self,
        name: &str,
        item: fn(&Object) -> Result<T, Error>,
    ) -> Result<Vec<T>, Error> {
        if self.member(name).is_undefined() {
            Ok(Vec::new())
        } else {
            self.list(name, item)
        }
    }

    /// A required array of objects, each read with `item`.
    pub fn list<T>(
        &self,
        name: &str,
        item: fn(&Object) -> Result<T, Error>,
    ) -> Result<Vec<T>, Error> {
        let v = self.member(name);
        if !Array::is_array(&v) {
            return Err(Error);
        }
        Array::from(&v)
            .iter()
            .map(|e| item(&Object::new(e)?))
            .collect()
    }
}

fn whole(value: &JsValue) -> Result<i64, Error> {
    match value.as_f64() {
        Some(n) if n.trunc() == n && n.abs() <= MAX_SAFE => Ok(n as i64),
        _ => Err(Error),
    }
}

fn device_kind(o: &Object) -> Result<DeviceKind, Error> {
    DeviceKind::parse(&o.string("Kind")?).ok_or(Error)
}

impl Decode for ErrorResponse {
    fn decode(o: &Object) -> Result<Self, Error> {
        let e = o.object("Error")?;
        Ok(ErrorResponse {
            error: ApiError {
                code: ErrorCode::parse(&e.string("Code")?),
                message: e.string("Message")?,
                tries_left: e.opt_uint("TriesLeft")?,
            },
        })
    }
}

impl Decode for EmptyResponse {
    fn decode(_: &Object) -> Result<Self, Error> {
        Ok(EmptyResponse {})
    }
}

impl Decode for TimeResponse {
    fn decode(o: &Object) -> Result<Self, Error> {
        Ok(TimeResponse {
            now_ms: u64::try_from(o.int("NowMs")?).map_err(|_| Error)?,
            step_seconds: u32::try_from(o.int("StepSeconds")?).map_err(|_| Error)?,
        })
    }
}

impl Decode for SessionResponse {
    fn decode(o: &Object) -> Result<Self, Error> {
        Ok(SessionResponse {
            account: o.string("Account")?,
            arn: o.string("Arn")?,
            user_name: o.opt_string("UserName")?,
            root: o.bool("Root")?,
            mfa_present: o.bool("MfaPresent")?,
            allowed: o.strings("Allowed")?,
            notices: o.opt_list("Notices", activity_event)?,
        })
    }
}

fn choice(d: &Object) -> Result<MfaDeviceChoice, Error> {
    Ok(MfaDeviceChoice {
        serial_number: d.string("SerialNumber")?,
        kind: device_kind(d)?,
    })
}

impl Decode for SignInResponse {
    fn decode(o: &Object) -> Result<Self, Error> {
        Ok(SignInResponse {
            mfa_required: o.bool("MfaRequired")?,
            // `#[serde(default)]`: may be absent.
            mfa_devices: o.opt_list("MFADevices", choice)?,
        })
    }
}

impl Decode for MfaSignInResponse {
    fn decode(o: &Object) -> Result<Self, Error> {
        Ok(MfaSignInResponse {
            mfa_present: o.bool("MfaPresent")?,
        })
    }
}

fn mfa_device(d: &Object) -> Result<MfaDevice, Error> {
    Ok(MfaDevice {
        user_name: d.string("UserName")?,
        serial_number: d.string("SerialNumber")?,
        enable_date: d.string("EnableDate")?,
        kind: device_kind(d)?,
        drift_steps: d.int("DriftSteps")?,
        drift_seconds: d.int("DriftSeconds")?,
        locked: d.bool("Locked")?,
        retry_after_seconds: d.opt_uint("RetryAfterSeconds")?,
        drift_rate_seconds_per_day: d.opt_number("DriftRateSecondsPerDay")?,
        resync_needed_by: d.opt_string("ResyncNeededBy")?,
        counter_run_ahead_per_week: d.opt_number("CounterRunAheadPerWeek")?,
        last_used_date: d.opt_string("LastUsedDate")?,
        drift_history: d.opt_list("DriftHistory", |p| {
            Ok(DriftPoint {
                at: p.int("At")?,
                offset: p.int("Offset")?,
            })
        })?,
    })
}

impl Decode for AttentionResponse {
    fn decode(o: &Object) -> Result<Self, Error> {
        Ok(AttentionResponse {
            devices_needing_resync: o.list("DevicesNeedingResync", mfa_device)?,
            unassigned_hardware_tokens: o.list("UnassignedHardwareTokens", choice)?,
        })
    }
}

impl Decode for ListMfaDevicesResponse {
    fn decode(o: &Object) -> Result<Self, Error> {
        Ok(ListMfaDevicesResponse {
            mfa_devices: o.list("MFADevices", mfa_device)?,
            is_truncated: o.bool("IsTruncated")?,
            marker: o.opt_string("Marker")?,
        })
    }
}

impl Decode for ResyncMfaDeviceResponse {
    fn decode(o: &Object) -> Result<Self, Error> {
        Ok(ResyncMfaDeviceResponse {
            drift_steps: o.int("DriftSteps")?,
            drift_seconds: o.int("DriftSeconds")?,
        })
    }
}

impl Decode for CreateVirtualMfaDeviceResponse {
    fn decode(o: &Object) -> Result<Self, Error> {
        let d = o.object("VirtualMFADevice")?;
        Ok(CreateVirtualMfaDeviceResponse {
            virtual_mfa_device: CreatedVirtualMfaDevice {
                serial_number: d.string("SerialNumber")?,
                base32_string_seed: d.string("Base32StringSeed")?,
                otpauth_uri: d.string("OtpauthUri")?,
                qr_code_svg: d.string("QRCodeSVG")?,
            },
        })
    }
}

impl Decode for ListUsersResponse {
    fn decode(o: &Object) -> Result<Self, Error> {
        let user = |u: &Object| {
            Ok(User {
                path: u.string("Path")?,
                user_name: u.string("UserName")?,
                user_id: u.string("UserId")?,
                arn: u.string("Arn")?,
                create_date: u.string("CreateDate")?,
            })
        };
        Ok(ListUsersResponse {
            users: o.list("Users", user)?,
            is_truncated: o.bool("IsTruncated")?,
            marker: o.opt_string("Marker")?,
        })
    }
}

fn activity_event(e: &Object) -> Result<ActivityEvent, Error> {
    Ok(ActivityEvent {
        event_time: e.string("EventTime")?,
        action: e.string("Action")?,
        outcome: Outcome::parse(&e.string("Outcome")?).ok_or(Error)?,
        summary: e.string("Summary")?,
    })
}

impl Decode for ActivityResponse {
    fn decode(o: &Object) -> Result<Self, Error> {
        Ok(ActivityResponse {
            events: o.list("Events", activity_event)?,
            next_token: o.opt_string("NextToken")?,
        })
    }
}

impl Decode for LookupEventsResponse {
    fn decode(o: &Object) -> Result<Self, Error> {
        let event = |e: &Object| {
            Ok(AuditEvent {
                event_id: e.string("EventId")?,
                event_time: e.string("EventTime")?,
                actor: e.string("Actor")?,
                action: e.string("Action")?,
                target_user: e.opt_string("TargetUser")?,
                serial_number: e.opt_string("SerialNumber")?,
                source_ip: e.string("SourceIp")?,
                outcome: Outcome::parse(&e.string("Outcome")?).ok_or(Error)?,
                error_code: e.opt_string("ErrorCode")?,
                repeats: e.opt_uint("Repeats")?,
                last_event_time: e.opt_string("LastEventTime")?,
            })
        };
        Ok(LookupEventsResponse {
            events: o.list("Events", event)?,
            next_token: o.opt_string("NextToken")?,
        })
    }
}
