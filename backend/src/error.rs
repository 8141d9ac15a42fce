//! The one error type of the server. Actions return [`Error`]; only the HTTP layer turns it
//! into a response (`crate::http`, JSON for the browser's API, XML for the Query API). The
//! constructors of the answers that must read the same wherever they are given (a device or
//! user that does not exist or may not be seen, refused codes) live here, and so does the one
//! mapping of a unique-constraint failure to `EntityAlreadyExists` ([`ResultExt`]).

use shared::api::ErrorCode;
use sqlx::sqlite::SqliteError;

/// The standard refusal of codes, in words.
const INVALID_CODE: &str = "The authentication codes are not valid for this device. Use fresh \
     codes: two consecutive codes for a resync, the code showing now to sign in.";

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400 `ValidationError`: a member is missing or malformed.
    #[error("{0}")]
    Validation(String),
    /// 401 `SignInFailed`: wrong account, user name or password (never says which).
    #[error("The account, user name or password is incorrect.")]
    SignInFailed,
    /// 401 `NotSignedIn`: no session, or it expired.
    #[error("You are not signed in, or your session has expired. Please sign in again.")]
    NotSignedIn,
    /// 403 `InvalidAuthenticationCode`: wrong, stale, reused or non-consecutive codes.
    #[error("{0}")]
    InvalidAuthenticationCode(&'static str),
    /// 403 `InvalidAuthenticationCode`: codes refused and counted (security rules 7–8), with
    /// what the throttle makes of it: the refusals still free before a wait, and the wait this
    /// one started (`Retry-After`), so a person is never surprised by a lock.
    #[error("{}", INVALID_CODE)]
    CodesRefused {
        /// Refusals still free before a wait (0: the next starts one, or this one did).
        tries_left: u64,
        /// The wait this refusal started, in seconds.
        wait_seconds: Option<u64>,
    },
    /// 403 `AccessDenied`: policy or a password-only session forbids this.
    #[error("{0}")]
    AccessDenied(String),
    /// 403 `CrossOriginRequest`: the CSRF rules refused the request.
    #[error("{0}")]
    CrossOrigin(&'static str),
    /// 404 `NoSuchEntity`: no such user or device, or one the caller may not see.
    #[error("{0}")]
    NoSuchEntity(String),
    /// 409 `EntityAlreadyExists`.
    #[error("{0}")]
    EntityAlreadyExists(String),
    /// 409 `DeleteConflict`: the device is still assigned.
    #[error("{0}")]
    DeleteConflict(String),
    /// 409 `InvalidState`: e.g. a FIDO key cannot be resynced.
    #[error("{0}")]
    InvalidState(String),
    /// 409 `LimitExceeded` (IAM's quota error, with no wait): a cap on devices was reached.
    #[error("{0}")]
    Quota(String),
    /// 415 `UnsupportedMediaType`: a state change whose body is not `application/json`.
    #[error("State-changing requests must have Content-Type: application/json.")]
    UnsupportedMediaType,
    /// 429 `LimitExceeded` with `Retry-After`: throttled, or locked until an administrator
    /// unlocks it.
    #[error("{}", if *locked { "Too many failed attempts: this is locked until an administrator unlocks it." } else { "Too many failed attempts. Wait before trying again." })]
    LimitExceeded {
        /// Seconds to wait.
        retry_after: u64,
        /// Locked until an administrator unlocks it.
        locked: bool,
    },
    /// 503 `ServiceUnavailable` with `Retry-After`: the server is at its limit for this work
    /// (password hashing, security rule 24); nothing was done.
    #[error("The service is busy: try again in a moment.")]
    Busy {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// 500 `ServiceFailure`: the database failed (logged, not sent); 503 `ServiceUnavailable`
    /// with `Retry-After` when it cannot be reached now ([`is_unavailable`]).
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// 500 `ServiceFailure`: something else failed on the server (logged, not sent).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The IAM error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Validation(_) => ErrorCode::ValidationError,
            Error::SignInFailed => ErrorCode::SignInFailed,
            Error::NotSignedIn => ErrorCode::NotSignedIn,
            Error::InvalidAuthenticationCode(_) | Error::CodesRefused { .. } => {
                ErrorCode::InvalidAuthenticationCode
            }
            Error::AccessDenied(_) => ErrorCode::AccessDenied,
            Error::CrossOrigin(_) => ErrorCode::CrossOriginRequest,
            Error::NoSuchEntity(_) => ErrorCode::NoSuchEntity,
            Error::EntityAlreadyExists(_) => ErrorCode::EntityAlreadyExists,
            Error::DeleteConflict(_) => ErrorCode::DeleteConflict,
            Error::InvalidState(_) => ErrorCode::InvalidState,
            Error::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            Error::LimitExceeded { .. } | Error::Quota(_) => ErrorCode::LimitExceeded,
            Error::Busy { .. } => ErrorCode::ServiceUnavailable,
            Error::Database(e) if is_unavailable(e) => ErrorCode::ServiceUnavailable,
            Error::Database(_) | Error::Internal(_) => ErrorCode::ServiceFailure,
        }
    }

    /// The HTTP status: its code's, except a quota, which is IAM's `LimitExceeded` 409 (a
    /// cap, not a wait; the JSON API's 429 is for throttling).
    pub fn status(&self) -> u16 {
        match self {
            Error::Quota(_) => 409,
            _ => self.code().status(),
        }
    }

    /// The standard refusal of codes.
    pub fn invalid_code() -> Error {
        Error::InvalidAuthenticationCode(INVALID_CODE)
    }

    /// For a counted refusal: the refusals still free before a wait.
    pub fn tries_left(&self) -> Option<u64> {
        match self {
            Error::CodesRefused { tries_left, .. } => Some(*tries_left),
            _ => None,
        }
    }

    /// An exact repeat of the device's last accepted code or pair (security rule 23): not
    /// counted. IAM's code, a sentence of its own.
    pub fn codes_already_used() -> Error {
        Error::InvalidAuthenticationCode(
            "These codes were already used: wait for your device to show the next code, then \
             use it (for a resync, it and the one after).",
        )
    }

    /// A user's cap on assigned devices (the root user has one, a user eight, as in AWS).
    pub fn too_many_devices(max: i64) -> Error {
        Error::InvalidState(if max == 1 {
            "The root user can have one MFA device here; deactivate it first.".into()
        } else {
            format!("A user can have at most {max} MFA devices; deactivate one first.")
        })
    }

    /// The answer for a device that does not exist *or* that the caller may not see (security
    /// rule 14): both must be indistinguishable.
    pub fn no_such_device() -> Error {
        Error::NoSuchEntity("No MFA device with this serial number was found for this user.".into())
    }

    /// The answer for a user name that names no user of the caller's account.
    pub fn no_such_user(user_name: &str) -> Error {
        Error::NoSuchEntity(format!("The user with name {user_name} cannot be found."))
    }

    /// A failure inside the server (a random generator, a cipher, an encoder): logged, sent
    /// as a bare `ServiceFailure`.
    pub fn internal(e: impl std::fmt::Display) -> Error {
        Error::Internal(e.to_string())
    }

    /// Seconds the client should wait before trying again (`Retry-After`), if any.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Error::LimitExceeded { retry_after, .. } | Error::Busy { retry_after } => {
                Some(*retry_after)
            }
            // The database is away (a restart, a failover): ask again in a second.
            Error::Database(e) if is_unavailable(e) => Some(1),
            Error::CodesRefused { wait_seconds, .. } => *wait_seconds,
            _ => None,
        }
    }

    /// The message a client may see: the error's own sentence, except for database and
    /// internal errors, which are logged here (with the request's span) and answered with a
    /// fixed sentence.
    pub fn public_message(&self) -> String {
        match self {
            Error::Database(e) => {
                tracing::error!(error = %e, "database error");
                "The service failed to process the request.".to_owned()
            }
            Error::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                "The service failed to process the request.".to_owned()
            }
            other => other.to_string(),
        }
    }
}

/// Database results whose unique-constraint failure is the client's doing (a name taken
/// between a check and the insert, or by a concurrent request): IAM's `EntityAlreadyExists`.
pub trait ResultExt<T> {
    /// `EntityAlreadyExists(message)` for a unique-constraint violation, `Database` for any
    /// other database error.
    fn on_unique(self, message: impl FnOnce() -> String) -> Result<T, Error>;
}

impl<T> ResultExt<T> for Result<T, sqlx::Error> {
    fn on_unique(self, message: impl FnOnce() -> String) -> Result<T, Error> {
        self.map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Error::EntityAlreadyExists(message())
            }
            _ => Error::Database(e),
        })
    }
}

/// Whether `error` says the database cannot be reached or cannot take writes now (a connection
/// refused or lost, the pool's wait over, PostgreSQL shutting down or starting, a standby that
/// is read-only, a full disk): the statement did nothing and the request may be sent again, so
/// it is answered 503 with `Retry-After`, not 500. PostgreSQL: SQLSTATE classes 08 (connection
/// exception) and 53 (insufficient resources: a full disk, 53100), 57P01–57P03 (shutdown,
/// cannot connect now), 25006 (read-only transaction), and 40001/40P01 left after the retries.
/// SQLite ([`sqlite_unavailable`]): a full disk, a file it may not write, an I/O error, a lock
/// held past the busy timeout.
fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) if let Some(e) = e.try_downcast_ref::<SqliteError>() => {
            use sqlx::error::DatabaseError;
            sqlite_unavailable(e.code().and_then(|c| c.parse().ok()).unwrap_or(0))
        }
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            code.starts_with("08")
                || code.starts_with("53")
                || matches!(
                    code.as_ref(),
                    "57P01" | "57P02" | "57P03" | "25006" | "40001" | "40P01"
                )
        }),
        _ => false,
    }
}

/// SQLite's primary result codes (the extended code's low byte, <https://sqlite.org/rescode.html>)
/// that say the file cannot take this write now: `SQLITE_BUSY` (5) and `SQLITE_LOCKED` (6) past
/// the busy timeout, `SQLITE_READONLY` (8: the file, or its folder, not writable), `SQLITE_IOERR`
/// (10: `SQLITE_IOERR_WRITE` when a write is refused, as with `EFBIG` past a file-size limit),
/// `SQLITE_FULL` (13: the disk is full) and `SQLITE_CANTOPEN` (14). SQLite rolled the statement
/// back; the same request succeeds once the disk has room or the file is writable again.
/// `storage/direct.rs` reads its own errors with it too.
pub(crate) fn sqlite_unavailable(extended: i32) -> bool {
    matches!(extended & 0xff, 5 | 6 | 8 | 10 | 13 | 14)
}
