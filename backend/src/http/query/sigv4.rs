//! AWS Signature Version 4 for the Query API: who signed the request, checked by recomputing the
//! signature with the key's stored secret.
//!
//! The canonical request and the signature are computed by `aws-sigv4`, the AWS SDK for Rust's
//! own signer, over exactly the headers the client listed in `SignedHeaders`; this module only
//! reads the `Authorization` header, finds the key, enforces AWS's 15-minute clock-skew limit
//! against the server clock (security rule 20), and compares in constant time. The region is
//! whatever the client signed for (it is part of the credential scope); the service must be
//! the action's (`iam`, or `sts` for STS's actions). Refusals use AWS's codes:
//! `MissingAuthenticationToken`, `IncompleteSignature`, `InvalidClientTokenId`, `ExpiredToken`,
//! `RequestExpired`, `SignatureDoesNotMatch`.
//!
//! Temporary credentials (`ASIA…`, from STS `GetSessionToken`, `crate::iam::sts`) sign like
//! access keys and carry their session token in `X-Amz-Security-Token`, which must be signed:
//! without it, with another's, or after what made them is gone, `InvalidClientTokenId`; past
//! their expiry, `ExpiredToken`. A long-term key with a token is refused too.
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-troubleshooting.html>
//!
//! Unlike AWS, a signed request that changes state is accepted once (security rule 22,
//! [`accept_once`]): the SHA-256 of its signature is kept in the database until the request
//! would fail the skew check anyway, and a repeat is `RequestAlreadyUsed`. Reads change nothing
//! and may repeat: SDKs send identical reads within one second (the signature's resolution)
//! when they poll or page.

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::http::request::Parts;
use data_encoding::HEXLOWER;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use shared::api::Service;

use super::refusal::Refusal;
use crate::audit;
use crate::iam::{Authentication, TemporaryRefusal, signing_key, temporary_signing_key};
use crate::state::AppState;
use crate::storage::PrincipalRow;

/// AWS's limit between the request's `X-Amz-Date` and the server clock.
pub const MAX_SKEW_MS: i64 = 15 * 60 * 1000;
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The header that carries temporary credentials' session token.
const SECURITY_TOKEN: &str = "x-amz-security-token";
/// The prefix of temporary credentials' key ids (long-term keys: `AKIA`).
const TEMPORARY_PREFIX: &str = "ASIA";

/// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Authorization<'a> {
    pub key_id: &'a str,
    pub scope_date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub signed_headers: Vec<&'a str>,
    pub signature: &'a str,
}

pub(crate) fn parse_authorization(value: &str) -> Result<Authorization<'_>, Refusal> {
    let rest = value
        .strip_prefix(ALGORITHM)
        .filter(|r| r.starts_with(' '))
        .ok_or_else(|| {
            Refusal::incomplete_signature(
                "Only AWS4-HMAC-SHA256 (Signature Version 4) is supported.",
            )
        })?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(Refusal::incomplete_signature(
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.",
        ));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [key_id, scope_date, region, service, "aws4_request"] = scope[..] else {
        return Err(Refusal::incomplete_signature(
            "Credential must be ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request.",
        ));
    };
    let region_ok = !region.is_empty()
        && region.len() <= 64
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if key_id.is_empty() || !region_ok {
        return Err(Refusal::incomplete_signature(
            "The credential scope is malformed.",
        ));
    }
    Ok(Authorization {
        key_id,
        scope_date,
        region,
        service,
        signed_headers: signed.split(';').collect(),
        signature,
    })
}

/// `YYYYMMDD'T'HHMMSS'Z'` as Unix seconds.
pub(crate) fn parse_amz_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hh, mm, ss) = (num(9..11)?, num(11..13)?, num(13..15)?);
    let leap_year = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days_in_month = match m {
        4 | 6 | 9 | 11 => 30,
        2 if leap_year => 29,
        2 => 28,
        _ => 31,
    };
    // A leap second is 23:59:60 (ISO 8601); :60 at any other minute, 31 April or 29 February
    // of a common year is no time at all (the fuzz target `sigv4` found `T123060Z` read as
    // 12:31:00).
    let leap_second = (hh, mm, ss) == (23, 59, 60);
    if !(1..=12).contains(&m)
        || !(1..=days_in_month).contains(&d)
        || hh > 23
        || mm > 59
        || (ss > 59 && !leap_second)
    {
        return None;
    }
    // Howard Hinnant's days-from-civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// A request whose signature holds.
pub struct Signed {
    /// Who signed it.
    pub principal: PrincipalRow,
    /// With what: a long-term key, or temporary credentials and their MFA.
    pub authentication: Authentication,
    /// The key id it was signed with.
    pub access_key_id: String,
    /// SHA-256 (hex) of the signature: what [`accept_once`] records.
    digest: String,
    /// Unix ms after which the request fails the skew check: how long the digest is kept.
    expires_at: i64,
}

/// The signer of the request, or the refusal to send: signed for `service`. `action` only
/// labels the audit event of a refused signature by a known key.
pub async fn authenticate(
    state: &AppState,
    parts: &Parts,
    body: &[u8],
    action: &str,
    service: Service,
) -> Result<Signed, Refusal> {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let Some(value) = header("authorization") else {
        return Err(Refusal::missing_authentication_token());
    };
    let auth = parse_authorization(value)?;
    let amz_date = header("x-amz-date").ok_or_else(|| {
        Refusal::incomplete_signature(
            "Authorization header requires existence of a 'X-Amz-Date' header.",
        )
    })?;
    let signed_at = parse_amz_date(amz_date)
        .ok_or_else(|| Refusal::incomplete_signature("X-Amz-Date must be YYYYMMDD'T'HHMMSS'Z'."))?;
    for required in ["host", "x-amz-date"] {
        if !auth.signed_headers.contains(&required) {
            return Err(Refusal::incomplete_signature(format!(
                "'{required}' must be a signed header (SignedHeaders)."
            )));
        }
    }
    let now_ms = state.clock.now_ms();
    let token = header(SECURITY_TOKEN);
    let unknown = || {
        let key_id = crate::audit::bounded(auth.key_id, 128);
        tracing::info!(access_key_id = %key_id, "unknown access key");
        Refusal::invalid_client_token_id()
    };
    let (key, authentication) = if auth.key_id.starts_with(TEMPORARY_PREFIX) {
        if token.is_some() && !auth.signed_headers.contains(&SECURITY_TOKEN) {
            return Err(Refusal::incomplete_signature(format!(
                "'{SECURITY_TOKEN}' must be a signed header (SignedHeaders)."
            )));
        }
        match temporary_signing_key(state, auth.key_id, token, now_ms)
            .await
            .map_err(|e| Refusal::service_failure(&e))?
        {
            Ok((key, mfa_at)) => (key, Authentication::Temporary { mfa_at }),
            Err(TemporaryRefusal::Expired) => return Err(Refusal::expired_token()),
            Err(TemporaryRefusal::Invalid) => return Err(unknown()),
        }
    } else {
        if token.is_some() {
            // A session token belongs to temporary credentials, never to a long-term key.
            return Err(Refusal::invalid_client_token_id());
        }
        let key = signing_key(state, auth.key_id)
            .await
            .map_err(|e| Refusal::service_failure(&e))?
            .ok_or_else(unknown)?;
        (key, Authentication::AccessKey)
    };
    let checked = check(
        parts,
        body,
        &auth,
        amz_date,
        signed_at,
        &key.secret,
        now_ms,
        service.signing_name(),
    );
    if let Err(refusal) = &checked {
        audit_refusal(state, parts, &key.principal, action, refusal).await;
    }
    checked.map(|()| Signed {
        principal: key.principal,
        authentication,
        access_key_id: auth.key_id.to_owned(),
        digest: HEXLOWER.encode(&Sha256::digest(auth.signature.as_bytes())),
        expires_at: signed_at * 1000 + MAX_SKEW_MS,
    })
}

/// Security rule 22: records the signature of a state change, refusing it when it was accepted
/// before (a replay, or the same request sent twice within one second). One insert, shared by
/// every server on the database.
pub async fn accept_once(
    state: &AppState,
    parts: &Parts,
    signed: &Signed,
    action: &str,
) -> Result<(), Refusal> {
    let fresh = state
        .storage
        .accept_signature_once(&signed.digest, signed.expires_at)
        .await
        .map_err(|e| Refusal::service_failure(&crate::error::Error::internal(e)))?;
    if fresh {
        return Ok(());
    }
    let refusal = Refusal::request_already_used();
    audit_refusal(state, parts, &signed.principal, action, &refusal).await;
    Err(refusal)
}

/// Scope (signed for `service`), clock and signature, in that order.
#[allow(clippy::too_many_arguments)]
fn check(
    parts: &Parts,
    body: &[u8],
    auth: &Authorization<'_>,
    amz_date: &str,
    signed_at: i64,
    secret: &str,
    now_ms: i64,
    service: &str,
) -> Result<(), Refusal> {
    if auth.service != service {
        return Err(Refusal::signature_does_not_match(format!(
            "Credential should be scoped to correct service: '{service}'."
        )));
    }
    if auth.scope_date != &amz_date[..8] {
        return Err(Refusal::signature_does_not_match(
            "Date in Credential scope does not match YYYYMMDD from X-Amz-Date.",
        ));
    }
    let skew = now_ms - signed_at * 1000;
    if skew.abs() > MAX_SKEW_MS {
        return Err(Refusal::request_expired(amz_date));
    }
    let mut headers = Vec::new();
    for name in &auth.signed_headers {
        let values: Vec<&str> = parts
            .headers
            .get_all(*name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if values.is_empty() {
            return Err(Refusal::signature_does_not_match(format!(
                "The signed header '{name}' is missing from the request."
            )));
        }
        headers.extend(values.into_iter().map(|v| (*name, v)));
    }
    let expected =
        recompute(parts, body, auth, signed_at, secret, headers, service).map_err(|e| {
            Refusal::incomplete_signature(format!("The request cannot be signed: {e}."))
        })?;
    if bool::from(expected.as_bytes().ct_eq(auth.signature.as_bytes())) {
        Ok(())
    } else {
        Err(Refusal::signature_does_not_match(
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method.",
        ))
    }
}

/// `aws-sigv4`'s signature of the request as received, over the listed headers only (nothing
/// excluded, nothing added but what the client signed). It runs without a tracing subscriber:
/// at trace level the signer logs the request, whose query string may hold codes.
fn recompute(
    parts: &Parts,
    body: &[u8],
    auth: &Authorization<'_>,
    signed_at: i64,
    secret: &str,
    headers: Vec<(&str, &str)>,
    service: &str,
) -> Result<String, String> {
    let identity = Credentials::new(auth.key_id, secret, None, None, "mfa-resync").into();
    let mut settings = SigningSettings::default();
    settings.excluded_headers = Some(Vec::new());
    let time =
        UNIX_EPOCH + Duration::from_secs(u64::try_from(signed_at).map_err(|e| e.to_string())?);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(auth.region)
        .name(service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let uri = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let request = SignableRequest::new(
        parts.method.as_str(),
        uri,
        headers.into_iter(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| e.to_string())?;
    let output =
        tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), || {
            sign(request, &params).map_err(|e| e.to_string())
        })?;
    Ok(output.signature().to_owned())
}

/// Security rule 21 for a known key whose signature was refused (a stolen key id, a wrong
/// secret, a replayed old request). Unknown keys have no account to file the event under; they
/// are logged.
async fn audit_refusal(
    state: &AppState,
    parts: &Parts,
    principal: &PrincipalRow,
    action: &str,
    refusal: &Refusal,
) {
    let meta = super::super::extract::request_meta(&parts.extensions);
    audit::record_by(state, &meta, action, Some(principal), Some(refusal.code)).await;
}

#[cfg(test)]
mod tests;
