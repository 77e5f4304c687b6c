//! The `/v1/requests` resource: create, read, and lifecycle actions.

pub mod actions;
pub mod create;
pub mod read;
pub mod view;
