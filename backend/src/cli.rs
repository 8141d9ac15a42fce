//! The command line of the `mfa-resync` binary. Secrets and passwords are read from standard
//! input or the environment, never from arguments.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use crate::config::Settings;
use crate::crypto::SeedCipher;
use crate::headers::WebAssets;
use crate::password::Passwords;
use crate::state::AppState;
use crate::storage::Storage;

/// mfa-resync: self-service MFA resynchronisation, modelled on AWS IAM.
#[derive(Debug, Parser)]
#[command(name = "mfa-resync", version, about)]
pub struct Cli {
    /// The SQLite database file; its folder is created when missing.
    #[arg(
        long,
        env = "MFA_RESYNC_DB",
        default_value = "./data/mfa-resync.sqlite",
        global = true
    )]
    pub db: PathBuf,
    /// The file holding the seed-encryption key (created with mode 0600 on first start);
    /// default: `mfa-resync.key` beside the database. `MFA_RESYNC_KEY` (base64 or hex of 32
    /// bytes) takes precedence.
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
    AccessKey(crate::query::cli::AccessKeyCommand),
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
        /// Account id or alias.
        #[arg(long)]
        account: String,
        /// The IAM user; leave out with --root.
        #[arg(long, conflicts_with = "root", required_unless_present = "root")]
        user_name: Option<String>,
        /// The root user.
        #[arg(long)]
        root: bool,
    },
}

/// `device …`.
#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Import a device (Base32 seed on standard input, as vendors ship hardware tokens).
    Import(crate::admin::ImportArgs),
    /// Clear a device's failure counter, throttle and lock.
    Unlock {
        /// Account id or alias.
        #[arg(long)]
        account: String,
        /// The serial number.
        #[arg(long)]
        serial: String,
    },
}

/// Parses the command line, runs it, and reports errors on stderr.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init();
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

/// Opens the database (migrating it) and the key, then runs the command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let storage = Storage::open(&cli.db)
        .await
        .with_context(|| format!("opening the database {}", cli.db.display()))?;
    let key_file = cli
        .key_file
        .clone()
        .unwrap_or_else(|| default_key_file(&cli.db));
    let key_env = std::env::var("MFA_RESYNC_KEY").ok();
    let cipher = SeedCipher::load(key_env.as_deref(), &key_file)?;
    let mut settings = Settings::default();
    let web = match &cli.command {
        Command::Serve(a) => {
            settings.resync_window = a.resync_window;
            settings.allowed_origins = a.allow_origin.clone();
            match &a.dist {
                Some(dir) => {
                    Some(Arc::new(WebAssets::load(dir).with_context(|| {
                        format!("reading {}/index.html", dir.display())
                    })?))
                }
                None => None,
            }
        }
        _ => None,
    };
    let state = AppState {
        storage: storage.clone(),
        cipher: Arc::new(cipher),
        passwords: Passwords::new()?,
        settings: Arc::new(settings),
        web,
    };
    let result = match cli.command {
        Command::Serve(a) => serve(state.clone(), a.addr).await,
        Command::Demo(a) => match a.command {
            Some(DemoCommand::Codes { serial }) => crate::demo::print_codes(&state, &serial).await,
            None => crate::demo::run(&state, a.json).await,
        },
        Command::Account(AccountCommand::Create {
            alias,
            root_email,
            account_id,
        }) => {
            let password = read_stdin_line()?;
            let id = crate::admin::create_account(
                &state,
                account_id.as_deref(),
                &alias,
                &root_email,
                &password,
            )
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
            crate::admin::create_user(&state, &account, &user_name, &password, policy.as_deref())
                .await?;
            Ok(())
        }
        Command::Device(DeviceCommand::Import(args)) => {
            crate::admin::import_device(&state, &args).await
        }
        Command::User(UserCommand::Unlock {
            account, user_name, ..
        }) => crate::admin::unlock_user(&state, &account, user_name.as_deref()).await,
        Command::Device(DeviceCommand::Unlock { account, serial }) => {
            crate::admin::unlock_device(&state, &account, &serial).await
        }
        Command::AccessKey(c) => crate::query::cli::run(&state, c).await,
    };
    storage.close().await;
    result
}

fn default_key_file(db: &Path) -> PathBuf {
    db.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("mfa-resync.key")
}

/// Standard input up to the first line end (a password or a seed).
pub fn read_stdin_line() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    let line = text.lines().next().unwrap_or("").to_owned();
    if line.is_empty() {
        bail!("expected the secret on standard input");
    }
    Ok(line)
}

async fn serve(state: AppState, addr: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr()?;
    let sweeper = tokio::spawn(sweep_sessions(state.clone()));
    let app = crate::app(state);
    println!("listening on http://{local}");
    std::io::stdout().flush()?;
    tracing::info!(%local, "listening");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    sweeper.abort();
    tracing::info!("stopped");
    Ok(())
}

/// Deletes expired sessions every ten minutes.
async fn sweep_sessions(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        let now = crate::clock::now_ms();
        let s = &state.settings;
        if let Err(e) = state
            .storage
            .delete_expired_sessions(now - s.session_idle_ms, now - s.session_absolute_ms)
            .await
        {
            tracing::warn!(error = %e, "session sweep failed");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
