//! The operator's operations (accounts, users, device import, unlock, access keys) as plain
//! functions of values: the command line (`crate::cli`) reads the arguments and standard input
//! and prints; the demo seed calls the same functions.

use anyhow::{Context, anyhow, bail};
use data_encoding::BASE32_NOPAD;
use shared::api::DeviceKind;
use shared::secret::Secret;

use crate::crypto::{Sealed, random_bytes};
use crate::iam::{CreatedAccessKey, create_access_key, validate_serial, validate_user_name};
use crate::policy::{ADMIN_POLICY, MANAGE_OWN_MFA_POLICY, Policy, SELF_SERVICE_POLICY};
use crate::state::AppState;
use crate::storage::{AccountRow, NewDevice, NewPrincipal, PrincipalRow, StoredState};

/// A device to import, as a vendor ships it (the seed comes separately).
#[derive(Clone, Debug)]
pub struct DeviceImport {
    /// Account id or alias.
    pub account: String,
    /// The owner: an IAM user, or the root user when `None`.
    pub user_name: Option<String>,
    /// The serial number.
    pub serial: String,
    /// The kind.
    pub kind: DeviceKind,
    /// Code length.
    pub digits: u8,
    /// TOTP step in seconds.
    pub step: u32,
    /// HOTP: the token's next counter.
    pub counter: u64,
}

/// The account with this id or alias.
async fn account(state: &AppState, account: &str) -> anyhow::Result<AccountRow> {
    state
        .storage
        .find_account(account)
        .await?
        .ok_or_else(|| anyhow!("no account {account}"))
}

/// The IAM user `user_name` of `account`, or its root user for `None`.
async fn principal(
    state: &AppState,
    account: &AccountRow,
    user_name: Option<&str>,
) -> anyhow::Result<PrincipalRow> {
    match user_name {
        Some(name) => state.storage.find_user(&account.id, name).await?,
        None => state.storage.find_root(&account.id).await?,
    }
    .ok_or_else(|| {
        anyhow!(
            "no such user {} in account {}",
            user_name.unwrap_or("root"),
            account.id
        )
    })
}

/// A fresh `AIDA…` user id.
fn new_user_id() -> anyhow::Result<String> {
    Ok(format!("AIDA{}", BASE32_NOPAD.encode(&random_bytes(10)?)))
}

/// Creates an account with its root user; returns the account id.
pub async fn create_account(
    state: &AppState,
    id: Option<&str>,
    alias: &str,
    root_email: &str,
    password: &str,
) -> anyhow::Result<String> {
    crate::password::validate_new(password)?;
    let id = match id {
        Some(id) => id.to_owned(),
        None => random_bytes(12)?
            .iter()
            .map(|b| char::from(b'0' + b % 10))
            .collect(),
    };
    if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
        bail!("an account id is 12 digits");
    }
    if alias.is_empty()
        || !alias
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || alias.len() > 63
    {
        bail!("an alias is 1 to 63 of a-z, 0-9 and -");
    }
    // Sign-in looks an account up by id or alias: an alias of digits only could be (or become)
    // another account's 12-digit id and shadow it (IAM refuses all-digit aliases too).
    if alias.bytes().all(|b| b.is_ascii_digit()) {
        bail!("an alias must not be digits only (it could be taken for an account id)");
    }
    if !root_email.contains('@') {
        bail!("the root email must be an email address");
    }
    let hash = state.passwords.hash(password).await?;
    let now = state.clock.now_ms();
    state
        .storage
        .insert_account(&id, alias, now)
        .await
        .context("creating the account")?;
    state
        .storage
        .insert_principal(NewPrincipal {
            account_id: &id,
            user_name: None,
            email: Some(root_email),
            user_id: &id,
            password_hash: &hash,
            now_ms: now,
        })
        .await
        .context("creating the root user")?;
    Ok(id)
}

/// The policy document for `--policy`.
fn policy_document(policy: &str) -> anyhow::Result<(String, String)> {
    Ok(match policy {
        "self-service" => ("SelfService".into(), SELF_SERVICE_POLICY.into()),
        "manage-own-mfa" => ("ManageOwnMFA".into(), MANAGE_OWN_MFA_POLICY.into()),
        "admin" => ("Administrator".into(), ADMIN_POLICY.into()),
        file => {
            let text = std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?;
            Policy::parse(&text).map_err(|e| anyhow!("{file}: {e}"))?;
            let name = std::path::Path::new(file)
                .file_stem()
                .map_or_else(|| "Policy".into(), |s| s.to_string_lossy().into_owned());
            (name, text)
        }
    })
}

/// Creates an IAM user with an optional policy; returns its principal id.
pub async fn create_user(
    state: &AppState,
    account: &str,
    user_name: &str,
    password: &str,
    policy: Option<&str>,
) -> anyhow::Result<i64> {
    validate_user_name(user_name)?;
    crate::password::validate_new(password)?;
    let account = self::account(state, account).await?;
    let policy = policy.map(policy_document).transpose()?;
    let hash = state.passwords.hash(password).await?;
    let id = state
        .storage
        .insert_principal(NewPrincipal {
            account_id: &account.id,
            user_name: Some(user_name),
            email: None,
            user_id: &new_user_id()?,
            password_hash: &hash,
            now_ms: state.clock.now_ms(),
        })
        .await
        .with_context(|| format!("creating user {user_name} (does it exist already?)"))?;
    if let Some((name, document)) = policy {
        state.storage.put_policy(id, &name, &document).await?;
    }
    Ok(id)
}

/// Imports a device with `seed` (`None` for a FIDO key) and an initial state.
pub async fn import_device(
    state: &AppState,
    import: &DeviceImport,
    seed: Option<&Secret>,
    initial: StoredState,
) -> anyhow::Result<()> {
    validate_serial(&import.serial)?;
    let kind = import.kind;
    let account = account(state, &import.account).await?;
    let owner = principal(state, &account, import.user_name.as_deref()).await?;
    if kind.has_codes() != seed.is_some() {
        bail!(
            "a {} device {} a seed",
            kind.as_str(),
            if kind.has_codes() { "needs" } else { "has no" }
        );
    }
    // Security rule 1: six digits, or eight for an HOTP token enrolled with eight; a code of
    // any other length is refused before any lookup, so such a device could never be used.
    let digits_ok = import.digits == 6 || (import.digits == 8 && kind == DeviceKind::HardwareHotp);
    if !digits_ok || import.step == 0 {
        bail!("digits must be 6 (or 8 for a hardware-hotp token) and the step positive");
    }
    let sealed = seed
        .map(|s| {
            let what = Sealed::DeviceSeed {
                account_id: &account.id,
                serial_number: &import.serial,
            };
            state.cipher.encrypt(what, s.as_bytes())
        })
        .transpose()?;
    let now = state.clock.now_ms();
    state
        .storage
        .insert_device(NewDevice {
            account_id: &account.id,
            serial_number: &import.serial,
            kind: kind.as_str(),
            owner_id: Some(owner.id),
            seed: sealed.as_deref(),
            digits: i64::from(import.digits),
            period: i64::from(import.step),
            state: initial,
            enabled_at: Some(now),
            now_ms: now,
        })
        .await
        .with_context(|| format!("importing {} (does it exist already?)", import.serial))?;
    // Security rule 26: the owner's sessions were opened under another MFA state.
    state.storage.delete_sessions_of(owner.id, None).await?;
    Ok(())
}

/// `device unlock`: clears a device's failure counter, throttle and lock.
pub async fn unlock_device(state: &AppState, account: &str, serial: &str) -> anyhow::Result<()> {
    let account = self::account(state, account).await?;
    let dev = state
        .storage
        .device(&account.id, serial)
        .await?
        .ok_or_else(|| anyhow!("no device {serial}"))?;
    state.storage.unlock_device(dev.id).await?;
    Ok(())
}

/// `device forecast`: the assigned devices of the account that will need a resync within
/// `days` days, at the rate their clocks drift, soonest first.
pub async fn devices_needing_resync(
    state: &AppState,
    account: &str,
    days: u32,
) -> anyhow::Result<Vec<shared::api::MfaDevice>> {
    let account = self::account(state, account).await?;
    let within = i64::from(days) * 86_400_000;
    Ok(crate::iam::needing_resync(state, &account.id, within).await?)
}

/// `user unlock`: clears the password throttle of a user (`None`: the root user); returns its
/// ARN.
pub async fn unlock_user(
    state: &AppState,
    account: &str,
    user_name: Option<&str>,
) -> anyhow::Result<String> {
    let account = self::account(state, account).await?;
    let principal = principal(state, &account, user_name).await?;
    state.storage.unlock_principal(principal.id).await?;
    Ok(principal.arn())
}

/// `access-key create`: a new access key of the user (`None`: the root user), with its secret.
pub async fn create_access_key_for(
    state: &AppState,
    account: &str,
    user_name: Option<&str>,
) -> anyhow::Result<CreatedAccessKey> {
    let account = self::account(state, account).await?;
    let principal = principal(state, &account, user_name).await?;
    create_access_key(state, &principal)
        .await
        .context("creating the access key")
}

/// `device import-pskc`: every token of a PSKC file (read by [`crate::pskc::read`]) stored as
/// an unassigned hardware token of `account`, all or nothing: a serial IAM would refuse, or
/// one the account holds already, refuses the file and names the package. One transaction
/// (`Storage::insert_devices`). Returns how many were imported.
pub async fn import_pskc(
    state: &AppState,
    account: &str,
    tokens: &[crate::pskc::Token],
) -> anyhow::Result<usize> {
    use crate::pskc::Algorithm;
    let account = self::account(state, account).await?;
    let now = state.clock.now_ms();
    let mut sealed = Vec::with_capacity(tokens.len());
    for (i, t) in tokens.iter().enumerate() {
        let name = || format!("KeyPackage {} (serial {})", i + 1, t.serial);
        validate_serial(&t.serial).map_err(|e| anyhow!("{}: {e}; nothing was imported", name()))?;
        if state
            .storage
            .device(&account.id, &t.serial)
            .await?
            .is_some()
        {
            bail!(
                "{}: the account has a device with this serial already; nothing was imported",
                name()
            );
        }
        let what = Sealed::DeviceSeed {
            account_id: &account.id,
            serial_number: &t.serial,
        };
        sealed.push(state.cipher.encrypt(what, &t.secret)?);
    }
    let devices: Vec<NewDevice<'_>> = tokens
        .iter()
        .zip(&sealed)
        .map(|(t, seed)| {
            let (kind, period, drift, counter) = match t.algorithm {
                Algorithm::Totp { step, drift } => {
                    (DeviceKind::HardwareTotp, i64::from(step), drift, 0)
                }
                Algorithm::Hotp { counter } => (DeviceKind::HardwareHotp, 30, 0, counter as i64),
            };
            NewDevice {
                account_id: &account.id,
                serial_number: &t.serial,
                kind: kind.as_str(),
                owner_id: None,
                seed: Some(seed),
                digits: i64::from(t.digits),
                period,
                state: StoredState {
                    drift_steps: drift,
                    last_used_step: -1,
                    hotp_counter: counter,
                },
                enabled_at: None,
                now_ms: now,
            }
        })
        .collect();
    state
        .storage
        .insert_devices(&devices)
        .await
        .context("storing the tokens (nothing was imported)")?;
    Ok(devices.len())
}
