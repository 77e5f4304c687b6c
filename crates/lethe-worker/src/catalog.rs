//! The configured connectors and their targets, as one lookup table.

use std::collections::BTreeMap;
use std::sync::Arc;

use lethe_connectors::Connector;
use lethe_domain::TargetInfo;

/// Every connector instance by kind, and every target they serve.
#[derive(Clone, Default)]
pub struct Catalog {
    connectors: BTreeMap<&'static str, Arc<dyn Connector>>,
    targets: Vec<TargetInfo>,
}

/// Two connectors of one kind, or two targets with one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError(pub String);

impl std::fmt::Display for CatalogError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CatalogError {}

impl Catalog {
    /// Adds a connector and its targets.
    pub fn with(mut self, connector: Arc<dyn Connector>) -> Result<Self, CatalogError> {
        let kind = connector.kind();
        if self.connectors.contains_key(kind) {
            return Err(CatalogError(format!("connector `{kind}` configured twice")));
        }
        for t in connector.targets() {
            if self.targets.iter().any(|o| o.key() == t.key()) {
                return Err(CatalogError(format!("target `{}` declared twice", t.key())));
            }
            self.targets.push(t);
        }
        self.connectors.insert(kind, connector);
        Ok(self)
    }

    /// Every target, in configuration order: the order of plans and reports.
    pub fn targets(&self) -> &[TargetInfo] {
        &self.targets
    }

    pub fn connector(&self, kind: &str) -> Option<&Arc<dyn Connector>> {
        self.connectors.get(kind)
    }

    pub fn target(&self, connector: &str, name: &str) -> Option<&TargetInfo> {
        self.targets
            .iter()
            .find(|t| t.connector == connector && t.name == name)
    }
}
