//! Pieces the pages share.

pub mod activity;
pub mod code_form;
pub mod code_input;
pub mod device_picker;
pub mod device_table;
pub mod error_notice;
pub mod forecast;
pub mod link;
pub mod resync_panel;
pub mod submit_button;
pub mod warning_timer;
