//! Administration from the command line: accounts, users, device import and unlock.

use anyhow::{Context, anyhow, bail};
use clap::Args;
use data_encoding::BASE32_NOPAD;
use shared::api::DeviceKind;
use shared::secret::Secret;

use crate::clock::now_ms;
use crate::crypto::random_bytes;
use crate::iam::{validate_serial, validate_user_name};
use crate::policy::{ADMIN_POLICY, MANAGE_OWN_MFA_POLICY, Policy, SELF_SERVICE_POLICY};
use crate::state::AppState;
use crate::storage::{NewDevice, NewPrincipal, StoredState};

/// `device import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Account id or alias.
    #[arg(long)]
    pub account: String,
    /// The owner (an IAM user).
    #[arg(long, conflicts_with = "root", required_unless_present = "root")]
    pub user_name: Option<String>,
    /// The owner is the root user.
    #[arg(long)]
    pub root: bool,
    /// The serial number.
    #[arg(long)]
    pub serial: String,
    /// `virtual`, `hardware-totp`, `hardware-hotp` or `fido` (no seed).
    #[arg(long)]
    pub kind: String,
    /// Code length.
    #[arg(long, default_value_t = 6)]
    pub digits: u8,
    /// TOTP step in seconds.
    #[arg(long, default_value_t = 30)]
    pub step: u32,
    /// HOTP: the token's next counter.
    #[arg(long, default_value_t = 0)]
    pub counter: u64,
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
    if !root_email.contains('@') {
        bail!("the root email must be an email address");
    }
    let hash = state.passwords.hash(password).await?;
    let now = now_ms();
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
    let account = state
        .storage
        .find_account(account)
        .await?
        .ok_or_else(|| anyhow!("no account {account}"))?;
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
            now_ms: now_ms(),
        })
        .await
        .with_context(|| format!("creating user {user_name} (does it exist already?)"))?;
    if let Some((name, document)) = policy {
        state.storage.put_policy(id, &name, &document).await?;
    }
    Ok(id)
}

/// Imports a device with `seed` (`None` for a FIDO key) and an initial state.
pub async fn insert_device(
    state: &AppState,
    args: &ImportArgs,
    seed: Option<&Secret>,
    initial: StoredState,
) -> anyhow::Result<()> {
    validate_serial(&args.serial)?;
    let kind =
        DeviceKind::parse(&args.kind).ok_or_else(|| anyhow!("unknown kind {}", args.kind))?;
    let account = state
        .storage
        .find_account(&args.account)
        .await?
        .ok_or_else(|| anyhow!("no account {}", args.account))?;
    let owner = match &args.user_name {
        Some(name) => state.storage.find_user(&account.id, name).await?,
        None => state.storage.find_root(&account.id).await?,
    }
    .ok_or_else(|| anyhow!("no such owner"))?;
    if kind.has_codes() != seed.is_some() {
        bail!(
            "a {} device {} a seed",
            kind.as_str(),
            if kind.has_codes() { "needs" } else { "has no" }
        );
    }
    // Security rule 1: six digits, or eight for an HOTP token enrolled with eight; a code of
    // any other length is refused before any lookup, so such a device could never be used.
    let digits_ok = args.digits == 6 || (args.digits == 8 && kind == DeviceKind::HardwareHotp);
    if !digits_ok || args.step == 0 {
        bail!("digits must be 6 (or 8 for a hardware-hotp token) and the step positive");
    }
    let sealed = seed
        .map(|s| state.cipher.encrypt(&args.serial, s.as_bytes()))
        .transpose()?;
    let now = now_ms();
    state
        .storage
        .insert_device(NewDevice {
            account_id: &account.id,
            serial_number: &args.serial,
            kind: kind.as_str(),
            owner_id: Some(owner.id),
            seed: sealed.as_deref(),
            digits: i64::from(args.digits),
            period: i64::from(args.step),
            state: initial,
            enabled_at: Some(now),
            now_ms: now,
        })
        .await
        .with_context(|| format!("importing {} (does it exist already?)", args.serial))?;
    Ok(())
}

/// `device import`: the Base32 seed comes on standard input.
pub async fn import_device(state: &AppState, args: &ImportArgs) -> anyhow::Result<()> {
    let seed = if args.kind == DeviceKind::Fido.as_str() {
        None
    } else {
        let text = crate::cli::read_stdin_line()?;
        Some(Secret::from_base32_typed(&text).map_err(|e| anyhow!("the seed: {e}"))?)
    };
    let initial = StoredState {
        drift_steps: 0,
        last_used_step: -1,
        hotp_counter: args.counter as i64,
    };
    insert_device(state, args, seed.as_ref(), initial).await?;
    println!("imported {}", args.serial);
    Ok(())
}

/// `device unlock`.
pub async fn unlock_device(state: &AppState, account: &str, serial: &str) -> anyhow::Result<()> {
    let account = state
        .storage
        .find_account(account)
        .await?
        .ok_or_else(|| anyhow!("no account {account}"))?;
    let dev = state
        .storage
        .device(&account.id, serial)
        .await?
        .ok_or_else(|| anyhow!("no device {serial}"))?;
    state.storage.unlock_device(dev.id).await?;
    println!("unlocked {serial}");
    Ok(())
}

/// `user unlock`: clears the password throttle of a user (`None`: the root user).
pub async fn unlock_user(
    state: &AppState,
    account: &str,
    user_name: Option<&str>,
) -> anyhow::Result<()> {
    let account = state
        .storage
        .find_account(account)
        .await?
        .ok_or_else(|| anyhow!("no account {account}"))?;
    let principal = match user_name {
        Some(name) => state.storage.find_user(&account.id, name).await?,
        None => state.storage.find_root(&account.id).await?,
    }
    .ok_or_else(|| anyhow!("no such user"))?;
    state.storage.unlock_principal(principal.id).await?;
    println!("unlocked {}", principal.arn());
    Ok(())
}
