//! An in-process lethe over a real demo estate on disk: the API served on a
//! real port (requests go over HTTP with reqwest), a SQLite store, the real
//! files connector, and an engine the test drives round by round. Counts
//! are checked against the files themselves, read independently here.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lethe_api::{ApiSettings, Authenticator, Role};
use lethe_connectors::files::{write_demo_estate, DemoEstate, FileTarget, FilesConnector};
use lethe_domain::{IdentifierHasher, PhoneRegion};
use lethe_planner::Policy;
use lethe_store::{SqliteStore, Store};
use lethe_worker::{Catalog, Engine, EngineConfig};
use serde_json::{json, Value};

pub const JWT: &[u8] = b"estate-test-secret-estate-test-secret";
pub const HASH_KEY: &[u8] = b"estate-test-hash-key-estate-test-hash-key";

pub struct Estate {
    /// Holds the estate and the store; deleted when the test ends.
    _dir: tempfile::TempDir,
    pub demo: DemoEstate,
    pub store: Arc<dyn Store>,
    pub files: Arc<FilesConnector>,
    pub engine: Engine,
    pub base: String,
    pub http: reqwest::Client,
    /// The last audit row already left for the sweep: each run adds only
    /// the rows written since.
    swept_audit: std::sync::Mutex<Option<i64>>,
}

/// Options for [`Estate::start`].
pub struct Options {
    pub policy: Policy,
    pub package_ttl: Duration,
    /// How long clear identifiers outlive a closed request (None: kept).
    pub identifier_retention: Option<Duration>,
    /// Changes the targets before the connector is built.
    pub targets: fn(Vec<FileTarget>) -> Vec<FileTarget>,
    /// Another connector beside the files (a postgres one, say).
    pub extra: Option<Arc<dyn lethe_connectors::Connector>>,
    /// More of them (the whole estate).
    pub extras: Vec<Arc<dyn lethe_connectors::Connector>>,
    /// The engine's callback dispatcher, if any.
    pub callbacks: Option<lethe_worker::CallbackConfig>,
    /// Which per-request callback URLs the API accepts.
    pub callback_urls: lethe_api::callbacks::CallbackSettings,
    /// Inbound webhook sources.
    pub webhooks: lethe_api::webhooks::WebhookSources,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            policy: Policy::default(),
            package_ttl: Duration::from_secs(3600),
            identifier_retention: None,
            targets: |t| t,
            extra: None,
            extras: Vec::new(),
            callbacks: None,
            callback_urls: Default::default(),
            webhooks: Default::default(),
        }
    }
}

/// In-process engines and APIs log through one subscriber that writes
/// what the personal-data sweep reads (nothing when the suite does not
/// collect).
fn init_logs() {
    static INIT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    INIT.get_or_init(|| {
        if std::env::var_os(lethe_testkit::sweep::SWEEP_DIR_ENV).is_none() {
            return;
        }
        #[derive(Clone)]
        struct Sweep;
        impl std::io::Write for Sweep {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                lethe_testkit::sweep::record("logs", String::from_utf8_lossy(buf).trim_end());
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "debug,sqlx=warn,hyper=info,h2=info",
            ))
            .with_writer(|| Sweep)
            .with_ansi(false)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

impl Estate {
    pub async fn start(opts: Options) -> Self {
        init_logs();
        let dir = tempfile::tempdir().unwrap();
        let demo = write_demo_estate(&dir.path().join("estate")).unwrap();
        let hasher = IdentifierHasher::new(HASH_KEY);
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(
                &dir.path().join("lethe.db"),
                lethe_store::AuditKey::new(HASH_KEY),
            )
            .await
            .unwrap(),
        );
        let files = Arc::new(
            FilesConnector::new((opts.targets)(demo.targets.clone()), Some(hasher.clone()))
                .unwrap(),
        );
        let mut catalog = Catalog::default().with(files.clone()).unwrap();
        for extra in opts.extra.iter().chain(&opts.extras) {
            catalog = catalog.with(Arc::clone(extra)).unwrap();
        }
        let region = PhoneRegion::parse("GB").unwrap();
        let engine = Engine::new(
            store.clone(),
            catalog.clone(),
            opts.policy.clone(),
            Arc::new(hasher.clone()),
            EngineConfig {
                name: "test-worker".into(),
                retry_base: Duration::from_millis(20),
                retry_cap: Duration::from_millis(50),
                region,
                package_ttl: Some(opts.package_ttl),
                identifier_retention: opts.identifier_retention,
                callbacks: opts.callbacks.clone(),
                ..EngineConfig::default()
            },
        );
        let app = lethe_api::app(
            store.clone(),
            Arc::new(Authenticator::new(Some(JWT), Vec::new(), 0)),
            Arc::new(hasher),
            ApiSettings {
                default_region: region,
                targets: Arc::new(catalog.targets().to_vec()),
                policy: opts.policy,
                package_ttl: opts.package_ttl,
                callbacks: opts.callback_urls,
                webhooks: Arc::new(opts.webhooks),
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            _dir: dir,
            demo,
            store,
            files,
            engine,
            base,
            http: reqwest::Client::new(),
            swept_audit: std::sync::Mutex::new(None),
        }
    }

    pub fn token(sub: &str, roles: &[Role]) -> String {
        lethe_api::auth::mint_hs256(JWT, sub, roles, 3600).unwrap()
    }

    /// The subject JSON of a planted person, as a data subject would give it.
    pub fn subject(&self, label: &str) -> Value {
        let s = self
            .demo
            .subjects
            .iter()
            .find(|s| s.label == label)
            .unwrap();
        serde_json::to_value(&s.input).unwrap()
    }

    pub async fn submit(&self, kind: &str, subject: Value) -> String {
        self.submit_body(json!({"kind": kind, "subject": subject}))
            .await
    }

    /// Creates a request from a whole body, as alice; returns its id.
    pub async fn submit_body(&self, body: Value) -> String {
        let r = self
            .http
            .post(format!("{}/v1/requests", self.base))
            .bearer_auth(Self::token("alice", &[Role::Requester]))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(Self::token("viewer", &[Role::Viewer]))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.unwrap()
    }

    pub async fn status(&self, id: &str) -> String {
        self.get_json(&format!("/v1/requests/{id}")).await["status"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn approve(&self, id: &str) {
        let r = self
            .http
            .post(format!("{}/v1/requests/{id}/approve", self.base))
            .bearer_auth(Self::token("bob", &[Role::Approver]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }

    pub async fn run(&self) {
        self.engine.run_until_idle().await.unwrap();
        self.leave_for_the_sweep().await;
    }

    /// What the personal-data sweep reads after the suite: every audit
    /// row, every step error and a metrics scrape, as lethe left them.
    async fn leave_for_the_sweep(&self) {
        use lethe_testkit::sweep::record;
        if std::env::var_os(lethe_testkit::sweep::SWEEP_DIR_ENV).is_none() {
            return;
        }
        let mut after = *self.swept_audit.lock().unwrap();
        loop {
            let page = self
                .store
                .list_audit(&lethe_store::AuditFilter {
                    after_seq: after,
                    limit: 500,
                    ..Default::default()
                })
                .await
                .unwrap();
            for a in &page {
                record(
                    "audit",
                    &format!("{} {} {} {}", a.kind, a.actor, a.seq, a.data),
                );
            }
            if let Some(last) = page.last() {
                after = Some(last.seq);
            }
            if page.len() < 500 {
                break;
            }
        }
        *self.swept_audit.lock().unwrap() = after;
        let requests = self
            .store
            .list_requests(&lethe_store::RequestFilter {
                limit: 200,
                ..Default::default()
            })
            .await
            .unwrap();
        for r in &requests.items {
            for s in self.store.list_steps(r.id).await.unwrap() {
                for e in s
                    .error
                    .iter()
                    .chain(s.attempts.iter().filter_map(|a| a.error.as_ref()))
                {
                    record("step-errors", &format!("{} {e}", s.step_key));
                }
            }
        }
        let metrics = self.get("/metrics").await.text().await.unwrap_or_default();
        record("metrics", &metrics);
    }

    /// The SQLite store's database file (its `-wal` file sits beside it).
    pub fn store_file(&self) -> PathBuf {
        self._dir.path().join("lethe.db")
    }

    pub fn root(&self) -> &Path {
        &self.demo.root
    }
}

/// Every file under `dir`, recursively, with its text (gunzipped for `.gz`).
pub fn read_tree(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let raw = std::fs::read(&p).unwrap();
            let text = if p.extension().is_some_and(|x| x == "gz") {
                let mut s = String::new();
                flate2::read::MultiGzDecoder::new(&raw[..])
                    .read_to_string(&mut s)
                    .unwrap();
                s
            } else {
                String::from_utf8_lossy(&raw).into_owned()
            };
            out.push((p, text));
        }
    }
    out.sort();
    out
}

/// Lines in the estate holding any of `forms` (case-insensitively): the
/// independent count of items a subject appears in.
pub fn count_lines(dir: &Path, forms: &[&str]) -> u64 {
    let forms: Vec<String> = forms.iter().map(|f| f.to_lowercase()).collect();
    read_tree(dir)
        .iter()
        .flat_map(|(_, text)| text.lines().map(str::to_lowercase).collect::<Vec<_>>())
        .filter(|line| forms.iter().any(|f| line.contains(f.as_str())))
        .count() as u64
}

/// Lines holding a name form of the subject but none of its strong forms.
pub fn count_name_only_lines(dir: &Path, strong: &[&str], names: &[&str]) -> u64 {
    let lower = |v: &[&str]| v.iter().map(|f| f.to_lowercase()).collect::<Vec<_>>();
    let (strong, names) = (lower(strong), lower(names));
    read_tree(dir)
        .iter()
        .flat_map(|(_, text)| text.lines().map(str::to_lowercase).collect::<Vec<_>>())
        .filter(|l| {
            !strong.iter().any(|f| l.contains(f.as_str()))
                && names.iter().any(|f| l.contains(f.as_str()))
        })
        .count() as u64
}
