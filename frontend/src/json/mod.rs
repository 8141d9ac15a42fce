//! JSON in and out of the browser app, written for size: the 150 KB budget.
//!
//! - Reading ([`decode`]): the browser's `JSON.parse`, then [`Decode`], one small hand-written
//!   function per answer of the API.
//! - Writing ([`encode`]): a minimal serde `Serializer` to text ([`to_string`]); request bodies
//!   hold only strings, integers, booleans and options.
//!
//! The error carries no message on purpose: formatting messages pulls in core's float
//! formatting.

pub mod decode;
pub mod encode;

pub use decode::{Decode, Object, from_str};
pub use encode::to_string;

/// The value was not JSON of the expected shape (or a value a request body cannot hold).
#[derive(Debug, PartialEq, Eq)]
pub struct Error;

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("unexpected JSON")
    }
}

impl std::error::Error for Error {}
