//! lethe's connectors: how a batch of data subjects is found, exported and
//! erased in each store of the Mitel estate.
//!
//! [`Connector`] is the contract the workers drive; [`files`] is the first
//! implementation (console logs, ADF directory CSVs, comments files, scratch
//! pads, suite server logs).
//! [`sql`] is the table engine shared by the SQL connectors, and
//! [`postgres`] the connector for the console's call history on it.
//! [`manual`] holds the steps a person does where no API reaches.
//! [`cloudlink`] reaches the Mitel CloudLink users and open chats over REST.

pub mod cloudlink;
mod connector;
pub mod elasticsearch;
mod error;
pub mod files;
pub mod manual;
pub mod mssql;
pub mod postgres;
mod spec;
pub mod sql;

pub use connector::{
    BatchSubject, Connector, ConnectorError, Erasure, Export, Finding, FollowUp, Place, Proposal,
    RetryClass,
};
pub use error::Error;
