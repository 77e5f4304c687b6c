//! The `manual` connector: stores lethe cannot reach through an API (a bot
//! vendor's history, a third party's workforce management, backups,
//! support packages sent to the vendor, console registries, voicemail
//! boxes, Elasticsearch snapshots). Each such target becomes a `manual`
//! step in a plan: lethe waits in `awaiting_manual` until an approver
//! confirms the work was done or declines it with a reason, and the
//! recipient of the instruction is recorded for Art. 19 notification.
//!
//! The connector never runs anything: the planner plans no discover,
//! export or erase step on a manual target, and a worker that claims a
//! manual step only parks it in `awaiting_manual`. Its [`Connector`]
//! methods exist so a misrouted step fails loudly instead of pretending.
//!
//! ```toml
//! [[manual]]
//! preset = "dialogflow"
//! recipient = "Google Cloud project owner, contact-centre IT"
//!
//! [[manual]]
//! name = "crm-archive"
//! instructions = "Delete the subject's tickets from the CRM archive."
//! recipient = "CRM administrator"
//! on = ["erasure", "access"]
//! ```

pub mod presets;
mod spec;

use async_trait::async_trait;
use lethe_domain::{RequestKind, Strategy, TargetInfo};

use crate::{BatchSubject, Connector, ConnectorError, Erasure, Export, Finding};

pub use spec::ManualTargetSpec;

/// The connector kind, the first half of every manual target key.
pub const KIND: &str = "manual";

/// What a worker gets if it ever calls a manual target.
const NOT_A_WORKER_JOB: &str = "manual targets are done by a person, not by a worker";

/// One piece of work a person does, as resolved from configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualTarget {
    /// Unique among manual targets; part of the step key and of the
    /// `/steps/{step}` path, so letters, digits, `.`, `_` and `-` only.
    pub name: String,
    /// What the person must do, in words they can act on.
    pub instructions: String,
    /// Who does it or receives the instruction: the recipient Art. 19
    /// requires the controller to notify of an erasure.
    pub recipient: String,
    /// The data categories concerned (bot history, schedules, ...).
    pub categories: Vec<String>,
    /// Request kinds that need this step (default: erasure only).
    pub on: Vec<RequestKind>,
    /// Why the data is processed there (Art. 15(1)(a)).
    pub purposes: Vec<String>,
    /// How long it is kept there, or the criteria (Art. 15(1)(d)).
    pub retention: String,
}

impl ManualTarget {
    /// The target as the planner, plans and reports see it. The strategy
    /// is `delete` because that is what the person is asked to do for an
    /// erasure; the instructions (and the data concerned) are the
    /// description, the recipient the one recipient.
    pub fn info(&self) -> TargetInfo {
        let mut description = self.instructions.clone();
        if !self.categories.is_empty() {
            description.push_str(&format!(" Data concerned: {}.", self.categories.join(", ")));
        }
        TargetInfo {
            connector: KIND.to_owned(),
            name: self.name.clone(),
            strategy: Strategy::Delete,
            description,
            purposes: self.purposes.clone(),
            recipients: vec![self.recipient.clone()],
            retention: self.retention.clone(),
            caveats: Vec::new(),
            manual_for: self.on.clone(),
        }
    }

    /// Checks what the planner and the API rely on. Errors name the target
    /// and say what to fix.
    pub fn validate(&self) -> Result<(), String> {
        let name = &self.name;
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(format!(
                "manual target `{name}`: `name` must be letters, digits, `.`, `_` or `-` (it is part of a URL path)"
            ));
        }
        for (field, value) in [
            ("instructions", &self.instructions),
            ("recipient", &self.recipient),
        ] {
            if value.trim().is_empty() {
                return Err(format!(
                    "manual target `{name}`: `{field}` must not be empty"
                ));
            }
        }
        if self.on.is_empty() {
            return Err(format!(
                "manual target `{name}`: `on` must name at least one request kind (access, erasure)"
            ));
        }
        Ok(())
    }
}

/// The manual step that purges an Elasticsearch target's snapshots: a
/// document erased from the live index survives in every snapshot taken
/// before, which no API call of lethe's may rewrite.
pub fn snapshot_purge(es_target_name: &str, index: &str) -> ManualTarget {
    ManualTarget {
        name: format!("purge-snapshots-{es_target_name}"),
        instructions: format!(
            "Delete the Elasticsearch snapshots that hold documents of `{index}`, or restore each into a \
             scratch cluster, erase the subject there, and snapshot it again in place of the old one. \
             Where neither is possible, leave them to the snapshot retention policy and note in the \
             confirmation the date the last such snapshot is deleted."
        ),
        recipient: "Elasticsearch administrator".to_owned(),
        categories: vec![format!("documents of `{index}` as they were when snapshotted")],
        on: vec![RequestKind::Erasure],
        purposes: vec!["Restoring the suite's archive after a failure".to_owned()],
        retention: "Until the snapshot retention policy deletes the snapshot.".to_owned(),
    }
}

/// The `manual` connector: one instance holds every `[[manual]]` target.
#[derive(Debug, Clone)]
pub struct ManualConnector {
    targets: Vec<ManualTarget>,
}

impl ManualConnector {
    /// Validates every target and refuses two with one name.
    pub fn new(targets: Vec<ManualTarget>) -> Result<Self, String> {
        for (i, t) in targets.iter().enumerate() {
            t.validate()?;
            if targets[..i].iter().any(|o| o.name == t.name) {
                return Err(format!("manual target `{}` declared twice", t.name));
            }
        }
        Ok(Self { targets })
    }

    /// The targets, in configuration order.
    pub fn manual_targets(&self) -> &[ManualTarget] {
        &self.targets
    }
}

#[async_trait]
impl Connector for ManualConnector {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn targets(&self) -> Vec<TargetInfo> {
        self.targets.iter().map(ManualTarget::info).collect()
    }

    async fn discover(
        &self,
        _target: &str,
        _batch: &[BatchSubject],
    ) -> Result<Vec<Finding>, ConnectorError> {
        Err(ConnectorError::permanent(NOT_A_WORKER_JOB))
    }

    async fn export(
        &self,
        _target: &str,
        _batch: &[BatchSubject],
    ) -> Result<Vec<Export>, ConnectorError> {
        Err(ConnectorError::permanent(NOT_A_WORKER_JOB))
    }

    async fn erase(
        &self,
        _target: &str,
        _batch: &[BatchSubject],
    ) -> Result<Vec<Erasure>, ConnectorError> {
        Err(ConnectorError::permanent(NOT_A_WORKER_JOB))
    }
}

#[cfg(test)]
mod tests;
