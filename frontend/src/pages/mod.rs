//! The pages, one per URL (see [`crate::nav::Page`]).

pub mod admin;
pub mod credentials;
pub mod sign_in;
pub mod troubleshoot;
