//! The demo account (`demo`, 123456789012): a root user, an administrator and two users with the
//! AWS guide's self-service policy, and devices of every kind — some whose stored state is off by
//! known amounts, so a correct authenticator's codes fail until the device is resynced.
//! Idempotent: a second run only prints.

use anyhow::{Context, anyhow};
use serde::Serialize;
use shared::api::DeviceKind;
use shared::code::Digits;
use shared::otp::{format_code, hotp};
use shared::otpauth::{OtpauthKind, OtpauthUri};
use shared::secret::Secret;

use crate::admin::{DeviceImport, create_account, create_user, import_device};
use crate::crypto::{Sealed, random_bytes};
use crate::state::AppState;
use crate::storage::{Generator, StoredState};

/// The demo account's id.
pub const ACCOUNT_ID: &str = "123456789012";
/// The demo account's alias.
pub const ALIAS: &str = "demo";
/// The root user's email.
pub const ROOT_EMAIL: &str = "root@demo.example";
/// The root user's password (demo credentials, printed on every run).
pub const ROOT_PASSWORD: &str = "demo-root-password";
/// The HOTP token's counter: it was pressed this often without the server seeing it.
pub const HOTP_TOKEN_COUNTER: u64 = 50;

/// (user name, password, policy) of the demo IAM users.
pub const USERS: [(&str, &str, &str); 3] = [
    ("admin", "demo-admin-password", "admin"),
    ("alice", "demo-alice-password", "self-service"),
    ("bob", "demo-bob-password", "self-service"),
];

struct DemoDevice {
    holder: Holder,
    serial: &'static str,
    kind: DeviceKind,
    /// The server's stored drift; the simulated authenticator has none.
    stored_drift: i64,
}

/// Who holds a demo device.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Holder {
    /// The account's root user.
    Root,
    /// An IAM user.
    User(&'static str),
    /// Nobody yet: a hardware token in the account's pool, as a PSKC import leaves it, for a
    /// person to assign with its serial number and two codes (issue 16).
    Nobody,
}

const DEVICES: [DemoDevice; 8] = [
    DemoDevice {
        holder: Holder::Root,
        serial: "arn:aws:iam::123456789012:mfa/root-account-mfa-device",
        kind: DeviceKind::Virtual,
        stored_drift: 4,
    },
    DemoDevice {
        holder: Holder::User("admin"),
        serial: "arn:aws:iam::123456789012:mfa/admin",
        kind: DeviceKind::Virtual,
        stored_drift: 0,
    },
    DemoDevice {
        holder: Holder::User("alice"),
        serial: "arn:aws:iam::123456789012:mfa/alice",
        kind: DeviceKind::Virtual,
        stored_drift: 10,
    },
    DemoDevice {
        holder: Holder::User("alice"),
        serial: "GAHT10000001",
        kind: DeviceKind::HardwareTotp,
        stored_drift: -6,
    },
    DemoDevice {
        holder: Holder::User("alice"),
        serial: "arn:aws:iam::123456789012:u2f/user/alice/fido-alice",
        kind: DeviceKind::Fido,
        stored_drift: 0,
    },
    DemoDevice {
        holder: Holder::User("bob"),
        serial: "arn:aws:iam::123456789012:mfa/bob",
        kind: DeviceKind::Virtual,
        stored_drift: 0,
    },
    DemoDevice {
        holder: Holder::User("bob"),
        serial: "GAKT20000002",
        kind: DeviceKind::HardwareHotp,
        stored_drift: 0,
    },
    DemoDevice {
        holder: Holder::Nobody,
        serial: "GAHT30000003",
        kind: DeviceKind::HardwareTotp,
        stored_drift: 0,
    },
];

/// `demo --json`: everything a test or a person needs.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DemoInfo {
    /// `{"Id","Alias"}`.
    pub account: DemoAccount,
    /// `{"Email","Password"}`.
    pub root: DemoRoot,
    /// The IAM users.
    pub users: Vec<DemoUser>,
    /// Every device with its secret.
    pub devices: Vec<DemoDeviceInfo>,
}

/// The account.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DemoAccount {
    /// 12 digits.
    pub id: String,
    /// Alias.
    pub alias: String,
}

/// The root user's credentials.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DemoRoot {
    /// Email.
    pub email: String,
    /// Password.
    pub password: String,
}

/// An IAM user's credentials.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DemoUser {
    /// User name.
    pub user_name: String,
    /// Password.
    pub password: String,
    /// `admin` or `self-service`.
    pub policy: String,
}

/// A device and its secret.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DemoDeviceInfo {
    /// Serial number.
    pub serial_number: String,
    /// `virtual`, `hardware-totp`, `hardware-hotp`, `fido`.
    pub kind: DeviceKind,
    /// The owner's user name, `root`, or empty for a hardware token nobody holds yet.
    pub owner: String,
    /// Whether the owner is the root user.
    pub root: bool,
    /// Base32 seed (`null` for FIDO).
    pub base32_seed: Option<String>,
    /// otpauth URI (`null` for FIDO).
    pub otpauth_uri: Option<String>,
    /// Code length.
    pub digits: u8,
    /// TOTP step in seconds.
    pub period: u32,
    /// The server's stored drift in steps now (the authenticator itself has none).
    pub drift_steps: i64,
    /// HOTP: the token's counter (its next press shows HOTP(Counter)).
    pub counter: Option<u64>,
    /// HOTP: the server's expected next counter.
    pub stored_counter: Option<u64>,
}

/// Creates the demo once, then prints it (text, or JSON with `json`).
pub async fn run(state: &AppState, json: bool) -> anyhow::Result<()> {
    let created = ensure(state).await?;
    let info = describe(state).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        print_text(&info, created);
    }
    Ok(())
}

async fn ensure(state: &AppState) -> anyhow::Result<bool> {
    if state.storage.find_account(ALIAS).await?.is_some() {
        return Ok(false);
    }
    create_account(state, Some(ACCOUNT_ID), ALIAS, ROOT_EMAIL, ROOT_PASSWORD).await?;
    for (name, password, policy) in USERS {
        create_user(state, ACCOUNT_ID, name, password, Some(policy)).await?;
        if policy == "admin" {
            let p = state
                .storage
                .find_user(ACCOUNT_ID, name)
                .await?
                .context("admin")?;
            state
                .storage
                .put_policy(p.id, "SelfService", crate::policy::SELF_SERVICE_POLICY)
                .await?;
        }
    }
    for d in &DEVICES {
        let seed = if d.kind.has_codes() {
            Some(Secret::from_bytes(random_bytes(20)?).map_err(|e| anyhow!("{e}"))?)
        } else {
            None
        };
        let user_name = match d.holder {
            Holder::Root => None,
            Holder::User(name) => Some(name.to_owned()),
            Holder::Nobody => {
                // Into the pool as a vendor's PSKC file puts a token there.
                let token = crate::pskc::Token {
                    serial: d.serial.into(),
                    algorithm: crate::pskc::Algorithm::Totp { step: 30, drift: 0 },
                    digits: 6,
                    secret: zeroize::Zeroizing::new(
                        seed.as_ref().map_or(&[][..], Secret::as_bytes).to_vec(),
                    ),
                };
                crate::admin::import_pskc(state, ACCOUNT_ID, &[token]).await?;
                continue;
            }
        };
        let import = DeviceImport {
            account: ACCOUNT_ID.into(),
            user_name,
            serial: d.serial.into(),
            kind: d.kind,
            digits: 6,
            step: 30,
            counter: 0,
        };
        let initial = StoredState {
            drift_steps: d.stored_drift,
            last_used_step: -1,
            hotp_counter: 0,
        };
        import_device(state, &import, seed.as_ref(), initial).await?;
    }
    give_admins_phone_a_past(state).await?;
    Ok(true)
}

/// Days of sign-ins the demo gives the administrator's phone.
const HISTORY_DAYS: i64 = 60;

/// The administrator's phone has signed in daily for [`HISTORY_DAYS`] days, its clock gaining
/// a step (30 s) every 8 days, and is in step now: the drift chart and forecast on Security
/// credentials ("gaining about 26 s a week; … a resync around …") have something to show, and
/// the administration page's list of devices that need a resync within 30 days holds it (it
/// leaves the window, 1.5 steps, in about 12 days).
async fn give_admins_phone_a_past(state: &AppState) -> anyhow::Result<()> {
    let phone = state
        .storage
        .device(ACCOUNT_ID, DEVICES[1].serial)
        .await?
        .context("the admin's phone")?;
    const DAY_MS: i64 = 86_400_000;
    let now = state.clock.now_ms();
    let samples: Vec<(i64, i64)> = (1..=HISTORY_DAYS)
        .map(|day| {
            let days_ago = HISTORY_DAYS - day;
            // An hour before now on the last day: the latest sample is not in the future.
            (now - days_ago * DAY_MS - 3_600_000, -((days_ago + 4) / 8))
        })
        .collect();
    state
        .storage
        .backdate_with_history(phone.id, now - (HISTORY_DAYS + 1) * DAY_MS, &samples)
        .await?;
    Ok(())
}

async fn describe(state: &AppState) -> anyhow::Result<DemoInfo> {
    let mut devices = Vec::new();
    for d in &DEVICES {
        let Some(row) = state.storage.device(ACCOUNT_ID, d.serial).await? else {
            continue; // deactivated or deleted since
        };
        let secret = match &row.codes {
            Some(codes) => Some(
                Secret::from_bytes(
                    state
                        .cipher
                        .decrypt(Sealed::seed_of(&row), &codes.sealed_seed)?
                        .to_vec(),
                )
                .map_err(|e| anyhow!("{e}"))?,
            ),
            None => None,
        };
        // The pool's token has no owner: an empty name.
        let owner = match d.holder {
            Holder::Root => "root",
            Holder::User(name) => name,
            Holder::Nobody => "",
        };
        let hotp_kind = d.kind == DeviceKind::HardwareHotp;
        devices.push(DemoDeviceInfo {
            serial_number: d.serial.into(),
            kind: d.kind,
            owner: owner.into(),
            root: d.holder == Holder::Root,
            base32_seed: secret.as_ref().map(Secret::to_base32),
            otpauth_uri: secret.as_ref().map(|s| {
                OtpauthUri {
                    issuer: "mfa-resync demo",
                    account: if owner.is_empty() { d.serial } else { owner },
                    secret: s,
                    digits: Digits::SIX,
                    kind: if hotp_kind {
                        OtpauthKind::Hotp {
                            counter: HOTP_TOKEN_COUNTER,
                        }
                    } else {
                        OtpauthKind::Totp { period: 30 }
                    },
                }
                .to_uri()
            }),
            digits: row.codes.as_ref().map_or(6, |c| c.digits.get()),
            period: u32::try_from(row.period())
                .ok()
                .filter(|p| *p > 0)
                .unwrap_or(30),
            drift_steps: row.state.drift_steps,
            counter: hotp_kind.then_some(HOTP_TOKEN_COUNTER),
            stored_counter: hotp_kind.then_some(row.state.hotp_counter as u64),
        });
    }
    Ok(DemoInfo {
        account: DemoAccount {
            id: ACCOUNT_ID.into(),
            alias: ALIAS.into(),
        },
        root: DemoRoot {
            email: ROOT_EMAIL.into(),
            password: ROOT_PASSWORD.into(),
        },
        users: USERS
            .iter()
            .map(|(n, p, pol)| DemoUser {
                user_name: (*n).into(),
                password: (*p).into(),
                policy: (*pol).into(),
            })
            .collect(),
        devices,
    })
}

fn print_text(info: &DemoInfo, created: bool) {
    println!(
        "{} demo account {} (alias {}).",
        if created { "Created the" } else { "The" },
        info.account.id,
        info.account.alias
    );
    println!(
        "Sign in as the root user: email {}  password {}",
        info.root.email, info.root.password
    );
    for u in &info.users {
        println!(
            "Sign in as an IAM user:  account {}  user {}  password {}  ({})",
            info.account.alias, u.user_name, u.password, u.policy
        );
    }
    println!(
        "\nMFA devices (add a seed to any authenticator app; `mfa-resync demo codes SERIAL` shows its codes):"
    );
    for d in &info.devices {
        let state = match (d.kind, d.drift_steps) {
            (DeviceKind::Fido, _) => "FIDO key: never drifts, cannot be resynced".to_owned(),
            (DeviceKind::HardwareHotp, _) => format!(
                "token counter {}, server expects {}: resync needed",
                d.counter.unwrap_or(0),
                d.stored_counter.unwrap_or(0)
            ),
            (_, 0) => "in sync".to_owned(),
            (_, n) => format!("server's stored drift {n} steps: codes fail until resynced"),
        };
        let owner = if d.owner.is_empty() {
            "nobody yet (assign it on Security credentials)"
        } else {
            &d.owner
        };
        println!(
            "  {} [{}] owner {}: {}",
            d.serial_number,
            d.kind.as_str(),
            owner,
            state
        );
        if let Some(uri) = &d.otpauth_uri {
            println!("      {uri}");
        }
    }
}

/// `demo codes SERIAL`: what a correct authenticator (or the demo HOTP token) shows now.
pub async fn print_codes(state: &AppState, serial: &str) -> anyhow::Result<()> {
    let account = state
        .storage
        .find_account(ALIAS)
        .await?
        .context("no demo account: run `demo` first")?;
    let row = state
        .storage
        .device(&account.id, serial)
        .await?
        .with_context(|| format!("no device {serial}"))?;
    let codes = row.codes.as_ref().context("a FIDO key shows no codes")?;
    let secret = Secret::from_bytes(
        state
            .cipher
            .decrypt(Sealed::seed_of(&row), &codes.sealed_seed)?
            .to_vec(),
    )
    .map_err(|e| anyhow!("{e}"))?;
    let digits = codes.digits;
    if let Generator::Totp(totp) = codes.generator {
        let now = (state.clock.now_ms() / 1000) as u64;
        let step = totp.step_at(now);
        let left = u64::from(totp.period) - (now % u64::from(totp.period));
        println!(
            "now:  {} ({left} s left)",
            format_code(totp.code_for_step(&secret, step), digits)
        );
        println!(
            "next: {}",
            format_code(totp.code_for_step(&secret, step + 1), digits)
        );
    } else {
        let from = HOTP_TOKEN_COUNTER.max(row.state.hotp_counter as u64);
        for c in from..from + 3 {
            println!(
                "press {}: {}",
                c - from + 1,
                format_code(hotp(&secret, c, digits), digits)
            );
        }
    }
    Ok(())
}
