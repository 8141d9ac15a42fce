//! The mfa-resync server: accounts, devices, sessions, IAM policy and the resync API, on SQLite.
//!
//! The core — the actions ([`iam`]), [`session`]s, the [`audit`] trail, [`policy`] evaluation,
//! the [`throttle`], [`storage`] and [`crypto`] — knows nothing of HTTP; [`http`] is the one
//! layer that does ([`http::app`] builds the whole application from an [`AppState`]). `main.rs`
//! only runs [`cli`], which parses the command line and calls [`admin`], [`demo`] or
//! [`http::serve`].

pub mod admin;
pub mod audit;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod error;
pub mod housekeeping;
pub mod http;
pub mod iam;
pub mod password;
pub mod policy;
pub mod pskc;
pub mod session;
pub mod state;
pub mod storage;
pub mod throttle;

pub use error::Error;
pub use http::app;
pub use state::AppState;
