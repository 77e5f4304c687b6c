//! `TestApp`: the real router on a temp SQLite store, HS256 tokens, and a
//! process-wide log capture so tests can grep what lethe logged.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use lethe_api::{ApiSettings, Authenticator, Role};
use lethe_domain::{IdentifierHasher, PhoneRegion};
use lethe_store::{AuditKey, SqliteStore, Store};
use serde_json::Value;
use tower::ServiceExt;

pub const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";
pub const HASH_KEY: &[u8] = b"test-hash-key-test-hash-key-test-hash-key";

/// Everything every test wrote to the log, at TRACE level.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUF: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUF.get_or_init(|| Arc::new(Mutex::new(Vec::new())))
}

#[derive(Clone)]
struct Capture;
impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        log_buffer().lock().unwrap().extend_from_slice(buf);
        // The suite's personal-data sweep reads every line afterwards.
        lethe_testkit::sweep::record("api-logs", String::from_utf8_lossy(buf).trim_end());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logs() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
            .with_writer(|| Capture)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
    });
}

pub struct TestApp {
    pub router: Router,
    pub store: Arc<dyn Store>,
    pub sqlite: Arc<SqliteStore>,
    /// The hasher the app uses, so tests can name identifiers by hash.
    pub hasher: Arc<IdentifierHasher>,
    _dir: tempfile::TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
    /// The body as sent (a zip is not text).
    pub bytes: Vec<u8>,
}

impl TestApp {
    /// An app with no targets and the default settings.
    pub async fn new() -> Self {
        Self::with_settings(|_| {}).await
    }

    /// An app whose settings `configure` adjusts (targets, policy, package TTL).
    pub async fn with_settings(configure: impl FnOnce(&mut ApiSettings)) -> Self {
        init_logs();
        let dir = tempfile::tempdir().unwrap();
        let sqlite = Arc::new(
            SqliteStore::open(&dir.path().join("lethe.db"), AuditKey::new(b"audit-key"))
                .await
                .unwrap(),
        );
        let store: Arc<dyn Store> = sqlite.clone();
        let hasher = Arc::new(IdentifierHasher::new(HASH_KEY));
        let mut settings = ApiSettings::new(PhoneRegion::parse("GB").unwrap());
        configure(&mut settings);
        let router = lethe_api::app(
            store.clone(),
            Arc::new(Authenticator::new(Some(SECRET), Vec::new(), 0)),
            hasher.clone(),
            settings,
        );
        Self {
            router,
            store,
            sqlite,
            hasher,
            _dir: dir,
        }
    }

    pub fn token(sub: &str, roles: &[Role]) -> String {
        lethe_api::auth::mint_hs256(SECRET, sub, roles, 3600).unwrap()
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if status.is_client_error() || status.is_server_error() {
            lethe_testkit::sweep::record("api-errors", &text);
        }
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
            bytes: bytes.to_vec(),
        }
    }

    /// A JSON call with an optional bearer token.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        };
        self.send(req.unwrap()).await
    }

    /// Creates an erasure request as `sub` and returns its id.
    pub async fn create(&self, sub: &str, subject: Value) -> String {
        let token = Self::token(sub, &[Role::Requester]);
        let reply = self
            .call(
                Method::POST,
                "/v1/requests",
                Some(&token),
                Some(serde_json::json!({"kind": "erasure", "subject": subject})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body["id"].as_str().unwrap().to_owned()
    }

    /// Moves a request to `awaiting_approval` as the planner will.
    pub async fn plan_for_approval(&self, id: &str) {
        use lethe_domain::RequestEvent as E;
        let id = uuid::Uuid::parse_str(id).unwrap();
        for event in [E::StartPlanning, E::PlanNeedsApproval] {
            let change = lethe_store::StatusChange {
                event,
                actor: "lethe".into(),
                reason: None,
                four_eyes: false,
                include_weak: None,
                audit_data: serde_json::json!({}),
            };
            self.store.transition(id, change).await.unwrap();
        }
    }
}

/// Asserts a problem+json reply with the given status and type code.
pub fn assert_problem(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text);
    assert_eq!(
        reply
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json"),
        "{}",
        reply.text
    );
    assert_eq!(
        reply.body["type"],
        format!("urn:lethe:problem:{code}"),
        "{}",
        reply.text
    );
    assert_eq!(reply.body["status"], status, "{}", reply.text);
    assert!(
        reply.body["title"].is_string() && reply.body["detail"].is_string(),
        "{}",
        reply.text
    );
}
