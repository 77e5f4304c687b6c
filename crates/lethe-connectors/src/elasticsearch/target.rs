//! [`EsTarget`]: one index pattern and how the subject appears in it, and
//! [`EsConnection`]: where the cluster is and how lethe logs in.

use std::collections::BTreeMap;
use std::path::PathBuf;

use lethe_domain::{IdentifierKind, Replacement, Strategy, TargetInfo};
use secrecy::SecretString;

/// Default page size of a scroll.
pub const DEFAULT_PAGE_SIZE: usize = 1000;
/// Default budget of query clauses per `_search`: Elasticsearch 7 refuses
/// more than 1,024 (`indices.query.bool.max_clause_count`); a batch whose
/// identifiers need more is searched in several slices.
pub const DEFAULT_MAX_CLAUSES: usize = 1000;
/// Default per-request timeout, seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 60;
pub use crate::sql::REDACT_TOKEN;

/// Said in every plan and report of an Elasticsearch target.
pub const SNAPSHOT_CAVEAT: &str = "Elasticsearch snapshots, and copies kept by index lifecycle \
management (rolled-over, frozen or searchable-snapshot indices outside the target's pattern), \
hold documents as they were when copied; deleting or changing a document does not reach them. \
They go when the snapshot retention policy deletes the snapshot, or by a manual purge.";

/// How lethe authenticates to the cluster. Secrets never reach logs,
/// errors or `Debug`.
#[derive(Debug, Clone, Default)]
pub enum EsAuth {
    /// No credentials (security disabled, or a proxy adds them).
    #[default]
    None,
    /// HTTP basic auth.
    Basic {
        username: String,
        password: SecretString,
    },
    /// An Elasticsearch API key, the base64 `id:key` form the create-key
    /// API calls `encoded`: sent as `Authorization: ApiKey ...`.
    ApiKey(SecretString),
    /// A bearer token (OpenSearch with a JWT/OIDC front, a service token).
    Bearer(SecretString),
}

/// One cluster: base URLs (tried in turn when one cannot be reached),
/// credentials and the CA that signed its certificate.
#[derive(Debug, Clone)]
pub struct EsConnection {
    /// `https://es1:9200`, `https://es2:9200`: nodes of one cluster.
    pub urls: Vec<String>,
    pub auth: EsAuth,
    /// PEM file of the CA that signed the cluster's certificate (the
    /// cluster's own `http_ca.crt`); the system roots are trusted too.
    pub ca_file: Option<PathBuf>,
    pub timeout_secs: u64,
}

impl EsConnection {
    /// A connection to `url` without credentials.
    pub fn plain(url: &str) -> Self {
        Self {
            urls: vec![url.trim_end_matches('/').to_owned()],
            auth: EsAuth::None,
            ca_file: None,
            timeout_secs: DEFAULT_TIMEOUT_SECS,
        }
    }

    /// Whether two targets can share one HTTP client.
    pub(crate) fn same_as(&self, other: &Self) -> bool {
        use secrecy::ExposeSecret;
        let auth = match (&self.auth, &other.auth) {
            (EsAuth::None, EsAuth::None) => true,
            (
                EsAuth::Basic {
                    username: a,
                    password: p,
                },
                EsAuth::Basic {
                    username: b,
                    password: q,
                },
            ) => a == b && p.expose_secret() == q.expose_secret(),
            (EsAuth::ApiKey(a), EsAuth::ApiKey(b)) | (EsAuth::Bearer(a), EsAuth::Bearer(b)) => {
                a.expose_secret() == b.expose_secret()
            }
            _ => false,
        };
        auth && self.urls == other.urls
            && self.ca_file == other.ca_file
            && self.timeout_secs == other.timeout_secs
    }
}

/// A declared Elasticsearch target.
///
/// A document is an item. It matches a subject when a keyword field holds
/// one of the subject's identifiers or a free-text field mentions one; the
/// match is *strong* when an identifier other than a name matched, *weak*
/// when only names did.
///
/// Erasure per strategy, on each subject's documents (weak ones only when
/// the subject's step includes them):
/// - `delete`: the document is deleted.
/// - `anonymise`: every field of each **party** holding a match is
///   overwritten with the replacement, identifier fields outside parties
///   that match are overwritten, and free text is redacted; everything else
///   (times, queues, counters, another person's party) stays.
/// - `redact`: each matched identifier inside any read field becomes
///   `[REDACTED]`; nothing else changes.
/// - `retain`: nothing changes; the ground is reported.
#[derive(Debug, Clone)]
pub struct EsTarget {
    /// Target name, unique within the connector (`micc-contacts`).
    pub name: String,
    pub connection: EsConnection,
    /// Index pattern, alias or comma-separated list (`micc-cases-*`).
    /// Resolved by the cluster on every search; writes address the
    /// concrete index each hit came from.
    pub index: String,
    /// Keyword fields holding identifiers, by dotted path
    /// (`PhoneNumbers.Number`), and the kinds each may hold. Searched with
    /// `terms` on every variant.
    pub fields: BTreeMap<String, Vec<IdentifierKind>>,
    /// Analysed text fields (`Notes`, `Transcript.Text`, `Variables.*`),
    /// searched with a phrase query for every variant of every identifier
    /// and redacted in place.
    pub free_text: Vec<String>,
    /// Fields that describe one person of the document (dotted paths; the
    /// fields of one party share their array parent, so `Contacts.Name`
    /// and `Contacts.Address` are one party per element of `Contacts`).
    /// `anonymise` overwrites a whole party when any of its fields holds
    /// a match. Fields such as `FirstName`, which never hold a whole
    /// identifier, are reached only this way.
    pub parties: Vec<Vec<String>>,
    /// What erasure does here.
    pub strategy: Strategy,
    /// The token of `redact` and of free-text redaction under `anonymise`.
    pub token: String,
    /// Whether the indices are in snapshots (or ILM-managed copies) that a
    /// delete cannot reach: the plan then gets a manual purge step.
    pub snapshotted: bool,
    /// Documents per scroll page (and per `_bulk` of erasure).
    pub page_size: usize,
    /// Query clauses per `_search` before a batch is split.
    pub max_clauses: usize,
    pub description: String,
    pub purposes: Vec<String>,
    pub recipients: Vec<String>,
    pub retention: String,
}

impl EsTarget {
    /// The target as the planner sees it.
    pub fn info(&self) -> TargetInfo {
        TargetInfo {
            connector: "elasticsearch".to_owned(),
            name: self.name.clone(),
            strategy: self.strategy.clone(),
            description: self.description.clone(),
            purposes: self.purposes.clone(),
            recipients: self.recipients.clone(),
            retention: self.retention.clone(),
            caveats: vec![SNAPSHOT_CAVEAT.to_owned()],
            manual_for: Vec::new(),
        }
    }

    /// Every field whose values are read to attribute a hit: the
    /// structured ones, then the free-text ones.
    pub fn read_fields(&self) -> impl Iterator<Item = &str> {
        self.fields
            .keys()
            .map(String::as_str)
            .chain(self.free_text.iter().map(String::as_str))
    }

    /// The top-level fields erasure reads and may rewrite as a whole (a
    /// partial update replaces arrays wholesale).
    pub(crate) fn top_fields(&self) -> Vec<String> {
        let mut top: Vec<String> = self
            .read_fields()
            .chain(self.parties.iter().flatten().map(String::as_str))
            .map(|f| f.split('.').next().unwrap_or(f).to_owned())
            .collect();
        top.sort();
        top.dedup();
        top
    }

    /// The replacement `anonymise` writes, if that is the strategy.
    pub(crate) fn replacement(&self) -> Option<&Replacement> {
        match &self.strategy {
            Strategy::Anonymise { with } => Some(with),
            _ => None,
        }
    }

    /// Checks what a configuration can get wrong; errors name the target
    /// and say what to fix.
    pub fn validate(&self) -> Result<(), String> {
        let name = &self.name;
        if name.is_empty() {
            return Err("an elasticsearch target has an empty name".to_owned());
        }
        if self.connection.urls.is_empty() {
            return Err(format!(
                "elasticsearch target `{name}`: give `url` or `urls`"
            ));
        }
        for url in &self.connection.urls {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "elasticsearch target `{name}`: URLs must start with http:// or https://"
                ));
            }
        }
        if self.index.trim().is_empty() || self.index.contains(['/', '?', '#', ' ']) {
            return Err(format!(
                "elasticsearch target `{name}`: `index` must be an index name, pattern or alias (no `/`, `?`, `#` or spaces)"
            ));
        }
        if self.fields.is_empty() && self.free_text.is_empty() {
            return Err(format!(
                "elasticsearch target `{name}`: declare `fields` or `free_text`, or nothing can ever match"
            ));
        }
        for field in self
            .read_fields()
            .chain(self.parties.iter().flatten().map(String::as_str))
        {
            if field.is_empty() || field.split('.').any(str::is_empty) {
                return Err(format!(
                    "elasticsearch target `{name}`: field paths are dotted names such as `Transcript.Text`"
                ));
            }
        }
        if self.page_size == 0 || self.page_size > 10_000 {
            return Err(format!(
                "elasticsearch target `{name}`: `page_size` must be between 1 and 10000"
            ));
        }
        if self.max_clauses < 16 {
            return Err(format!(
                "elasticsearch target `{name}`: `max_clauses` must be at least 16"
            ));
        }
        Ok(())
    }
}
