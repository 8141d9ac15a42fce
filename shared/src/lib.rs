//! The one-time-password engine of mfa-resync, shared by the server and the browser app.
//!
//! Every decision about a code is made here, by pure functions: nothing reads the clock or
//! does I/O, so the crate builds natively and for `wasm32-unknown-unknown` alike.
//!
//! - [`code`]: codes as typed, exactly N ASCII digits (RFC 4226 §5.3).
//! - [`secret`]: the shared secret, ≥ 128 bits, Base32 (RFC 4226 §4, RFC 4648 §6).
//! - [`otp`]: HOTP (RFC 4226 §5) and TOTP (RFC 6238 §4).
//! - [`device`]: the drift and replay state the server stores (RFC 6238 §5.2, §6).
//! - [`resync`]: resynchronisation from two consecutive codes (RFC 4226 §7.4, RFC 6238 §6).
//! - [`verify`]: one code at sign-in, with replay refusal (RFC 6238 §5.2).
//! - [`otpauth`]: `otpauth://` enrolment URIs.
//! - [`api`]: the HTTP API's request and response types.
//!
//! # A resync
//!
//! A phone whose clock runs 40 minutes fast (80 steps of 30 s) shows two consecutive codes.
//! The search finds the pair, reports the drift, and burns the second code's step, so the
//! phone's *next* code signs in and the two used codes never work again.
//!
//! ```
//! use shared::code::{Code, Digits};
//! use shared::device::TotpState;
//! use shared::otp::{Totp, format_code};
//! use shared::resync::{DEFAULT_TOTP_WINDOW, resync_totp};
//! use shared::secret::Secret;
//! use shared::verify::{VerifyError, verify_totp};
//!
//! let secret = Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")?;
//! let totp = Totp::default(); // SHA-1, 30 s, T0 = 0, six digits
//! let now = 1_764_428_400; // the server's clock, passed in
//!
//! // What the fast phone shows: steps now + 79 and now + 80.
//! let phone = |step| Code::parse(&format_code(totp.code_for_step(&secret, step), Digits::SIX), Digits::SIX);
//! let first = totp.step_at(now) + 79;
//! let (code1, code2) = (phone(first)?, phone(first + 1)?);
//!
//! let state = TotpState::default();
//! let resync = resync_totp(&totp, &secret, &code1, &code2, now, DEFAULT_TOTP_WINDOW, state)?;
//! assert_eq!(resync.first_step, first);
//! assert_eq!(resync.drift.steps, 80);
//! assert_eq!(resync.drift.seconds(totp.period), 2_400);
//! assert_eq!(resync.before, state); // what the server's compare-and-set expects
//! assert_eq!(resync.after, TotpState { drift_steps: 80, last_used_step: Some(first + 1) });
//!
//! // At sign-in, the phone's next code works; the codes used for the resync do not.
//! let signed_in = verify_totp(&totp, &secret, &phone(first + 2)?, now, resync.after)?;
//! assert_eq!(signed_in.step, first + 2);
//! assert_eq!(verify_totp(&totp, &secret, &code2, now, resync.after), Err(VerifyError::Replayed));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod action;
pub mod api;
#[cfg(target_arch = "x86_64")]
mod avx512;
pub mod code;
pub mod device;
pub mod forecast;
mod hotp_key;
pub mod otp;
pub mod otpauth;
pub mod resync;
pub mod secret;
#[cfg(target_arch = "x86_64")]
mod sha_ni;
pub mod verify;

pub use code::{Code, CodeError, Digits};
pub use device::{Drift, HotpState, TotpState};
pub use otp::{Totp, format_code, hotp};
pub use resync::{HotpResync, ResyncError, TotpResync, resync_hotp, resync_totp};
pub use secret::{Secret, SecretError};
pub use verify::{HotpVerified, TotpVerified, VerifyError, verify_hotp, verify_totp};
