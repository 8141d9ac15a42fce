//! The command line of the `mfa-resync` binary: clap's arguments, standard input and what is
//! printed. Secrets and passwords are read from standard input or the environment, never from
//! arguments. The operations themselves are [`crate::admin`]'s, [`crate::demo`]'s and
//! [`crate::http::serve`].

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use shared::api::DeviceKind;
use shared::secret::Secret;
use tracing_subscriber::EnvFilter;
use zeroize::Zeroizing;

use crate::admin::{self, DeviceImport};
use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::SeedCipher;
use crate::http::{self, Limits, ServeOptions, TlsFiles, WebAssets};
use crate::password::Passwords;
use crate::state::AppState;
use crate::storage::{Database, Storage, StoredState};

/// mfa-resync: self-service MFA resynchronisation, modelled on AWS IAM.
#[derive(Debug, Parser)]
#[command(name = "mfa-resync", version, about)]
pub struct Cli {
    /// The database: a SQLite file (its folder is created when missing), or a PostgreSQL URL in
    /// libpq's form, `postgres://user@host:5432,host2:5432/mfa?target_session_attrs=read-write`
    /// (several hosts: the first that answers, and takes writes when asked, is used).
    #[arg(
        long,
        env = "MFA_RESYNC_DB",
        default_value = "./data/mfa-resync.sqlite",
        global = true
    )]
    pub db: Database,
    /// The file holding the seed-encryption key (created with mode 0600 on first start);
    /// default: `mfa-resync.key` beside a SQLite database (with PostgreSQL, this or
    /// `MFA_RESYNC_KEY` is required: every server must share the key). `MFA_RESYNC_KEY`
    /// (base64 or hex of 32 bytes) takes precedence.
    #[arg(long, env = "MFA_RESYNC_KEY_FILE", global = true)]
    pub key_file: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (and the built app with --dist).
    Serve(ServeArgs),
    /// Create the demo account once and print how to sign in and each device's secret.
    Demo(DemoArgs),
    /// Accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// IAM users.
    #[command(subcommand)]
    User(UserCommand),
    /// MFA devices.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Access keys for the IAM Query API (the aws CLI, boto3).
    #[command(subcommand)]
    AccessKey(AccessKeyCommand),
}

/// `access-key …`: an operator creates the access key an `aws` CLI or boto3 signs with. The
/// secret is printed this once and never again (the server keeps it sealed).
#[derive(Debug, Subcommand)]
pub enum AccessKeyCommand {
    /// Create an access key for the Query API (IAM user or root user); prints the key id and
    /// the secret once.
    Create {
        /// Whose key.
        #[command(flatten)]
        owner: OwnerArgs,
        /// Print IAM's `CreateAccessKey` answer as JSON: `{"AccessKey":{…}}`.
        #[arg(long)]
        json: bool,
    },
}

/// A principal of an account: `--account A (--user-name N | --root)`.
#[derive(Debug, Args)]
pub struct OwnerArgs {
    /// Account id or alias.
    #[arg(long)]
    pub account: String,
    /// The IAM user; leave out with --root.
    #[arg(long, conflicts_with = "root", required_unless_present = "root")]
    pub user_name: Option<String>,
    /// The account's root user.
    #[arg(long)]
    pub root: bool,
}

/// `device import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The owner.
    #[command(flatten)]
    pub owner: OwnerArgs,
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

/// `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port; the ready line shows the real one).
    #[arg(long, env = "MFA_RESYNC_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// The built single-page app (Trunk's dist/) to serve on the same origin.
    #[arg(long, env = "MFA_RESYNC_DIST")]
    pub dist: Option<PathBuf>,
    /// Resync search window in TOTP steps each side of now.
    #[arg(long, env = "MFA_RESYNC_RESYNC_WINDOW", default_value_t = shared::resync::DEFAULT_TOTP_WINDOW)]
    pub resync_window: u64,
    /// Other origins allowed to make state changes (e.g. the `trunk serve` dev server's).
    #[arg(long, env = "MFA_RESYNC_ALLOW_ORIGIN", value_delimiter = ',')]
    pub allow_origin: Vec<String>,
    /// The origins people reach the server at (`https://mfa.example`, behind a proxy); the
    /// browser API answers no other `Host`. Default: the listen address, and on loopback also
    /// `localhost`, `127.0.0.1` and `[::1]` with its port.
    #[arg(long, env = "MFA_RESYNC_PUBLIC_URL", value_delimiter = ',')]
    pub public_url: Vec<String>,
    /// Memory for password hashes running at once, in MiB (19 each; at least one runs); a
    /// sign-in that finds no slot within 2 s is answered 503 with Retry-After.
    #[arg(long, env = "MFA_RESYNC_PASSWORD_MEMORY_MIB", default_value_t = crate::password::DEFAULT_MEMORY_MIB)]
    pub password_memory_mib: usize,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key); the session cookie is then
    /// `__Host-mfa_resync_session` and every response carries HSTS.
    #[arg(long, env = "MFA_RESYNC_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "MFA_RESYNC_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Connections open at once; more are accepted and closed at once.
    #[arg(long, env = "MFA_RESYNC_MAX_CONNECTIONS", default_value_t = http::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Seconds a client has for the TLS handshake, its first request and each HTTP/1.1
    /// request header (also HTTP/1.1's keep-alive timeout).
    #[arg(long, env = "MFA_RESYNC_HEADER_READ_TIMEOUT_SECS", default_value_t = http::DEFAULT_HEADER_READ_TIMEOUT_SECS)]
    pub header_read_timeout_secs: u64,
    /// Seconds the open connections have to finish after SIGTERM or Ctrl-C; then they are cut.
    #[arg(long, env = "MFA_RESYNC_SHUTDOWN_DEADLINE_SECS", default_value_t = http::DEFAULT_SHUTDOWN_DEADLINE_SECS)]
    pub shutdown_deadline_secs: u64,
}

/// `demo`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DemoArgs {
    /// Print everything as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// `demo codes SERIAL`.
    #[command(subcommand)]
    pub command: Option<DemoCommand>,
}

/// `demo codes`.
#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Print the codes a demo device shows now.
    Codes {
        /// The device's serial number.
        serial: String,
    },
}

/// `account …`.
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account and its root user (root password on standard input).
    Create {
        /// The account alias.
        #[arg(long)]
        alias: String,
        /// The root user's email.
        #[arg(long)]
        root_email: String,
        /// The 12-digit account id (random when left out).
        #[arg(long)]
        account_id: Option<String>,
    },
}

/// `user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an IAM user (password on standard input).
    Create {
        /// Account id or alias.
        #[arg(long)]
        account: String,
        /// The user name.
        #[arg(long)]
        user_name: String,
        /// `self-service`, `manage-own-mfa`, `admin`, or a file with a policy document.
        #[arg(long)]
        policy: Option<String>,
    },
    /// Clear a user's (or the root user's) password failures, throttle and lock.
    Unlock {
        /// Whose password throttle.
        #[command(flatten)]
        owner: OwnerArgs,
    },
}

/// `device …`.
#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Import a device (Base32 seed on standard input, as vendors ship hardware tokens).
    Import(ImportArgs),
    /// Clear a device's failure counter, throttle and lock.
    Unlock {
        /// Account id or alias.
        #[arg(long)]
        account: String,
        /// The serial number.
        #[arg(long)]
        serial: String,
    },
    /// Import every token of a PSKC file (RFC 6030) as an unassigned hardware token of the
    /// account, all or nothing. An encrypted file's pre-shared key (hex) comes on standard
    /// input.
    ImportPskc {
        /// Account id or alias.
        #[arg(long)]
        account: String,
        /// The PSKC file.
        file: PathBuf,
    },
    /// List the devices whose clocks, at the rate they drift, will leave the sign-in window
    /// within the days given (or already have), soonest first: people to help before they
    /// are locked out.
    Forecast {
        /// Account id or alias.
        #[arg(long)]
        account: String,
        /// How far ahead to look, in days.
        #[arg(long, default_value_t = 30)]
        within_days: u32,
    },
}

/// Parses the command line, runs it, and reports errors on stderr.
pub fn main() -> ExitCode {
    crate::password::return_hash_memory_after_each_hash();
    ignore_file_size_signal();
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A file-size limit (`RLIMIT_FSIZE`, systemd's `LimitFSIZE=`) reached by the database or its
/// WAL is an error SQLite returns (`SQLITE_IOERR_WRITE`, or `SQLITE_FULL` for a write cut
/// short), answered 503 with `Retry-After` until there is room again — not a reason to die:
/// SIGXFSZ's default action ends the process, with a core dump, at the first write past it.
fn ignore_file_size_signal() {
    // SAFETY: changes one signal's disposition, before any thread is started.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Logs to stderr; `RUST_LOG` overrides the default `info,sqlx=warn`.
fn init_logging() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

/// Opens the database (migrating it) and the key, then runs the command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let key_env = std::env::var("MFA_RESYNC_KEY").ok();
    let key_file = match (&cli.key_file, &cli.db) {
        (Some(file), _) => file.clone(),
        (None, Database::Sqlite(path)) => default_key_file(path),
        (None, Database::Postgres(_)) if key_env.is_some() => PathBuf::new(),
        (None, Database::Postgres(_)) => bail!(
            "with a PostgreSQL database the seed-encryption key must be given: set \
             MFA_RESYNC_KEY or --key-file (the same key on every server)"
        ),
    };
    // The key is read before the database is opened, and checked against it before anything
    // is written: a truncated key file, a missing one or another database's key stops here.
    let key = SeedCipher::read(key_env.as_deref(), &key_file)?;
    let storage = Storage::connect(&cli.db)
        .await
        .with_context(|| format!("opening the database {}", cli.db))?;
    let cipher = crate::crypto::key_for(&storage, key, &key_file).await?;
    // Security rule 30: rows sealed before migration 0007 are sealed anew before any command
    // reads one.
    let resealed = crate::crypto::migrate_sealed(&storage, &cipher).await?;
    if resealed > 0 {
        tracing::info!(
            resealed,
            "re-sealed stored seeds and secrets for their purpose and account"
        );
    }
    let mut settings = Settings::default();
    let mut password_memory = crate::password::DEFAULT_MEMORY_MIB;
    if let Command::Serve(a) = &cli.command {
        settings.resync_window = a.resync_window;
        settings.allowed_origins = a.allow_origin.clone();
        password_memory = a.password_memory_mib;
    }
    let state = AppState {
        storage: storage.clone(),
        cipher: Arc::new(cipher),
        passwords: Passwords::with_budget(password_memory, crate::password::QUEUE)?,
        settings: Arc::new(settings),
        clock: Clock::system(),
    };
    let result = command(&state, cli.command).await;
    storage.close().await;
    result
}

/// Runs one command: its arguments and standard input in, its output printed.
async fn command(state: &AppState, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(a) => {
            let web = match &a.dist {
                Some(dir) => {
                    Some(Arc::new(WebAssets::load(dir).with_context(|| {
                        format!("reading {}/index.html", dir.display())
                    })?))
                }
                None => None,
            };
            let tls = match (a.tls_cert, a.tls_key) {
                (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
                _ => None,
            };
            if a.header_read_timeout_secs == 0 {
                bail!("--header-read-timeout-secs must be at least 1");
            }
            let limits = Limits {
                header_read_timeout: Duration::from_secs(a.header_read_timeout_secs),
                idle_timeout: http::IDLE_TIMEOUT,
                max_connections: a.max_connections.max(1),
                shutdown_deadline: Duration::from_secs(a.shutdown_deadline_secs),
            };
            let options = ServeOptions {
                addr: a.addr,
                web,
                public_urls: a.public_url.clone(),
                tls,
                limits,
            };
            http::serve(state.clone(), options).await
        }
        Command::Demo(a) => match a.command {
            Some(DemoCommand::Codes { serial }) => crate::demo::print_codes(state, &serial).await,
            None => crate::demo::run(state, a.json).await,
        },
        Command::Account(AccountCommand::Create {
            alias,
            root_email,
            account_id,
        }) => {
            let password = read_stdin_line()?;
            let id =
                admin::create_account(state, account_id.as_deref(), &alias, &root_email, &password)
                    .await?;
            println!("{id}");
            Ok(())
        }
        Command::User(UserCommand::Create {
            account,
            user_name,
            policy,
        }) => {
            let password = read_stdin_line()?;
            admin::create_user(state, &account, &user_name, &password, policy.as_deref()).await?;
            Ok(())
        }
        Command::User(UserCommand::Unlock { owner }) => {
            let arn = admin::unlock_user(state, &owner.account, owner.user_name.as_deref()).await?;
            println!("unlocked {arn}");
            Ok(())
        }
        Command::Device(DeviceCommand::Import(args)) => import_device(state, args).await,
        Command::Device(DeviceCommand::ImportPskc { account, file }) => {
            let xml = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let tokens = match crate::pskc::read(&xml, None) {
                Err(crate::pskc::PskcError::Key(why)) => {
                    let hex = Zeroizing::new(read_stdin_line().map_err(|_| anyhow!(why))?);
                    let psk = Zeroizing::new(
                        data_encoding::HEXLOWER_PERMISSIVE
                            .decode(hex.trim().as_bytes())
                            .map_err(|_| anyhow!("the pre-shared key must be hex"))?,
                    );
                    crate::pskc::read(&xml, Some(&psk))?
                }
                read => read?,
            };
            let n = admin::import_pskc(state, &account, &tokens).await?;
            println!("imported {n} hardware token(s) into {account}");
            Ok(())
        }
        Command::Device(DeviceCommand::Forecast {
            account,
            within_days,
        }) => {
            let due = admin::devices_needing_resync(state, &account, within_days).await?;
            for d in &due {
                println!(
                    "{}\t{}\tresync needed by {}\tdrifts {:+} s a day",
                    d.serial_number,
                    d.user_name,
                    d.resync_needed_by.as_deref().unwrap_or("-"),
                    d.drift_rate_seconds_per_day.unwrap_or(0.0),
                );
            }
            println!(
                "{} device(s) of {account} need a resync within {within_days} day(s)",
                due.len()
            );
            Ok(())
        }
        Command::Device(DeviceCommand::Unlock { account, serial }) => {
            admin::unlock_device(state, &account, &serial).await?;
            println!("unlocked {serial}");
            Ok(())
        }
        Command::AccessKey(AccessKeyCommand::Create { owner, json }) => {
            let user_name = owner.user_name.as_deref();
            let key = admin::create_access_key_for(state, &owner.account, user_name).await?;
            if json {
                let out = serde_json::json!({
                    "AccessKey": {
                        "UserName": key.user_name,
                        "AccessKeyId": key.access_key_id,
                        "Status": key.status,
                        "SecretAccessKey": key.secret_access_key.as_str(),
                        "CreateDate": key.create_date,
                    }
                });
                println!("{out}");
            } else {
                println!("AccessKeyId:     {}", key.access_key_id);
                println!("SecretAccessKey: {}", key.secret_access_key.as_str());
                println!("UserName:        {}", key.user_name);
                println!(
                    "The secret is shown this once. For the aws CLI: aws configure, then \
                     aws iam list-mfa-devices --user-name {} --endpoint-url http://SERVER/",
                    key.user_name
                );
            }
            Ok(())
        }
    }
}

/// `device import`: the Base32 seed comes on standard input (none for a FIDO key).
async fn import_device(state: &AppState, args: ImportArgs) -> anyhow::Result<()> {
    let kind =
        DeviceKind::parse(&args.kind).ok_or_else(|| anyhow!("unknown kind {}", args.kind))?;
    let seed = if kind.has_codes() {
        let text = read_stdin_line()?;
        Some(Secret::from_base32_typed(&text).map_err(|e| anyhow!("the seed: {e}"))?)
    } else {
        None
    };
    let import = DeviceImport {
        account: args.owner.account,
        user_name: args.owner.user_name,
        serial: args.serial,
        kind,
        digits: args.digits,
        step: args.step,
        counter: args.counter,
    };
    let initial = StoredState {
        drift_steps: 0,
        last_used_step: -1,
        hotp_counter: args.counter as i64,
    };
    admin::import_device(state, &import, seed.as_ref(), initial).await?;
    println!("imported {}", import.serial);
    Ok(())
}

fn default_key_file(db: &Path) -> PathBuf {
    db.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("mfa-resync.key")
}

/// Standard input up to the first line end (a password or a seed).
fn read_stdin_line() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    let line = text.lines().next().unwrap_or("").to_owned();
    if line.is_empty() {
        bail!("expected the secret on standard input");
    }
    Ok(line)
}
