//! The `/v1/requests` resource: create, read, lifecycle actions, and what a
//! request produces (plan, steps, access package, erasure report), and
//! the manual steps a person confirms or declines.

pub mod actions;
pub mod callbacks;
pub mod create;
pub mod identifiers;
pub mod manual;
pub mod package;
pub mod plan;
pub mod read;
pub mod report;
pub mod steps;
pub mod view;
