//! [`CloudLinkServer`]: the running server and the knobs a test turns;
//! the token endpoint and the gate every request passes (faults, bearer
//! check, request log) live here, the users and conversations routes in
//! `routes`. A test takes the server down and brings it back on the same
//! port, its state kept, with [`CloudLinkServer::pause`] and
//! [`CloudLinkServer::resume`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::extract::{MatchedPath, Request, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::fixture::{CloudLinkFixture, Conversation};
use super::routes;
use super::state::{Fault, State};

/// The API version in every path: `/2017-09-01/...`.
pub const API_VERSION: &str = "2017-09-01";

/// Credentials and token lifetime of the server.
#[derive(Debug, Clone)]
pub struct CloudLinkConfig {
    pub account_id: String,
    pub username: String,
    pub password: String,
    /// Seconds an access token lives (`expires_in`); CloudLink's is about
    /// 3,700.
    pub expires_in: u64,
}

impl Default for CloudLinkConfig {
    fn default() -> Self {
        Self {
            account_id: super::fixture::ACCOUNT_ID.to_owned(),
            username: "lethe-admin@example.com".to_owned(),
            password: "cloudlink-test-password".to_owned(),
            expires_in: 3700,
        }
    }
}

/// The two forms of `Retry-After` (RFC 9110 §10.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: 1`.
    Seconds(u64),
    /// `Retry-After: Sun, 06 Nov 1994 08:49:37 GMT` (sub-seconds dropped).
    HttpDate(SystemTime),
}

impl RetryAfter {
    /// The header value.
    pub fn header_value(&self) -> String {
        match self {
            Self::Seconds(s) => s.to_string(),
            Self::HttpDate(t) => http_date(*t),
        }
    }
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the preferred
/// HTTP-date form.
pub fn http_date(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// One request the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `POST token`, `GET users`, `GET user`, `PUT user`, `PATCH user`,
    /// `DELETE user`, `GET conversations`, `GET messages`,
    /// `DELETE conversation`, ...
    pub route: String,
    /// The status answered.
    pub status: u16,
    /// When the request arrived (monotonic, for waits).
    pub at: Instant,
    /// When the request arrived (wall clock, to compare with HTTP dates).
    pub wall: SystemTime,
    /// `$skip` of a list request, if any.
    pub skip: Option<usize>,
}

/// The shared state handlers see.
pub(crate) struct Shared {
    pub config: CloudLinkConfig,
    pub state: Mutex<State>,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("cloudlink state lock")
    }
}

/// A running CloudLink test server; stops when dropped.
pub struct CloudLinkServer {
    url: String,
    addr: std::net::SocketAddr,
    shared: Arc<Shared>,
    /// The serving task; `None` while [paused](CloudLinkServer::pause).
    serving: Option<Serving>,
}

/// axum serving one listener, and the signal that shuts it down.
struct Serving {
    task: tokio::task::JoinHandle<()>,
    shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Drop for CloudLinkServer {
    fn drop(&mut self) {
        if let Some(s) = self.serving.take() {
            s.task.abort();
        }
    }
}

/// Serves `shared` on `listener` until the returned shutdown fires.
fn serve(listener: tokio::net::TcpListener, shared: &Arc<Shared>) -> Serving {
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = router(Arc::clone(shared));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Serving { task, shutdown }
}

impl CloudLinkServer {
    /// Serves `fixture` on 127.0.0.1, port 0, on the current runtime.
    pub async fn start(config: CloudLinkConfig, fixture: &CloudLinkFixture) -> Self {
        let shared = Arc::new(Shared {
            config,
            state: Mutex::new(State::new(fixture)),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let serving = Some(serve(listener, &shared));
        Self {
            url: format!("http://{addr}"),
            addr,
            shared,
            serving,
        }
    }

    /// Takes the server down as an outage of the cloud would: the port is
    /// closed (new connections are refused) and open connections are
    /// closed, a request in flight after its answer; all done when this
    /// returns. Users, chats, tokens and the request log are kept, so
    /// [`resume`](Self::resume) brings back the same tenant.
    pub async fn pause(&mut self) {
        if let Some(s) = self.serving.take() {
            let _ = s.shutdown.send(());
            // Graceful shutdown ends once the listener and every
            // connection are gone.
            let _ = s.task.await;
        }
    }

    /// Listens again on the same port after [`pause`](Self::pause) (does
    /// nothing if the server is up). Fails only if another socket took the
    /// port meanwhile.
    pub async fn resume(&mut self) -> std::io::Result<()> {
        if self.serving.is_none() {
            let listener = tokio::net::TcpListener::bind(self.addr).await?;
            self.serving = Some(serve(listener, &self.shared));
        }
        Ok(())
    }

    /// `http://127.0.0.1:<port>`, without the API version.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's credentials.
    pub fn config(&self) -> &CloudLinkConfig {
        &self.shared.config
    }

    /// Every access token issued so far stops working now (refresh
    /// tokens stay good): the next API request with one gets 401.
    pub fn expire_all_tokens(&self) {
        self.shared.lock().tokens.expire_access();
    }

    /// Access tokens expire after `n` more successful API answers: a way
    /// to expire them between two pages of one listing.
    pub fn expire_tokens_after(&self, n: usize) {
        self.shared.lock().expire_after = Some(n.max(1));
    }

    /// Access and refresh tokens both stop working: only a password
    /// grant gets a new one.
    pub fn revoke_all_tokens(&self) {
        self.shared.lock().tokens.revoke_all();
    }

    /// The next `n` requests (any route, the token route included) are
    /// answered with `status` and, if given, a `Retry-After` header.
    pub fn fail_next(&self, n: usize, status: u16, retry_after: Option<RetryAfter>) {
        self.push_faults(None, n, status, retry_after);
    }

    /// Like [`fail_next`](Self::fail_next), for requests of `route` only
    /// (`DELETE user`, see [`Seen::route`]); other routes pass.
    pub fn fail_next_on(
        &self,
        route: &'static str,
        n: usize,
        status: u16,
        retry_after: Option<RetryAfter>,
    ) {
        self.push_faults(Some(route), n, status, retry_after);
    }

    fn push_faults(
        &self,
        route: Option<&'static str>,
        n: usize,
        status: u16,
        retry_after: Option<RetryAfter>,
    ) {
        let mut s = self.shared.lock();
        for _ in 0..n {
            s.faults.push_back(Fault {
                route,
                status,
                retry_after,
            });
        }
    }

    /// Every request seen so far, in order.
    pub fn requests(&self) -> Vec<Seen> {
        self.shared.lock().log.clone()
    }

    /// Requests seen on `route` (see [`Seen::route`]).
    pub fn count(&self, route: &str) -> usize {
        self.shared
            .lock()
            .log
            .iter()
            .filter(|s| s.route == route)
            .count()
    }

    /// Password grants and refresh grants answered with a token.
    pub fn grants(&self) -> (u64, u64) {
        let s = self.shared.lock();
        (s.tokens.password_grants, s.tokens.refresh_grants)
    }

    /// Every user as stored now.
    pub fn users(&self) -> Vec<Value> {
        self.shared
            .lock()
            .users
            .iter()
            .cloned()
            .map(Value::Object)
            .collect()
    }

    /// One user as stored now.
    pub fn user(&self, user_id: &str) -> Option<Value> {
        let s = self.shared.lock();
        s.user_index(user_id)
            .map(|i| Value::Object(s.users[i].clone()))
    }

    /// Every conversation as stored now.
    pub fn conversations(&self) -> Vec<Conversation> {
        self.shared.lock().conversations.clone()
    }
}

fn router(shared: Arc<Shared>) -> Router {
    let v = format!("/{API_VERSION}");
    Router::new()
        .route(&format!("{v}/token"), post(token))
        .route(
            &format!("{v}/accounts/{{account_id}}/users"),
            get(routes::list_users),
        )
        .route(
            &format!("{v}/accounts/{{account_id}}/users/{{user_id}}"),
            get(routes::get_user)
                .put(routes::put_user)
                .patch(routes::patch_user)
                .delete(routes::delete_user),
        )
        .route(
            &format!("{v}/conversations"),
            get(routes::list_conversations),
        )
        .route(
            &format!("{v}/conversations/{{id}}"),
            get(routes::get_conversation).delete(routes::delete_conversation),
        )
        .route(
            &format!("{v}/conversations/{{id}}/messages"),
            get(routes::list_messages),
        )
        .route_layer(middleware::from_fn_with_state(Arc::clone(&shared), gate))
        .with_state(shared)
}

/// A short, stable name for a route template.
fn label(method: &str, template: &str) -> String {
    let tail = template.trim_start_matches(&format!("/{API_VERSION}/"));
    let name = match tail {
        "token" => "token",
        "accounts/{account_id}/users" => "users",
        "accounts/{account_id}/users/{user_id}" => "user",
        "conversations" => "conversations",
        "conversations/{id}" => "conversation",
        "conversations/{id}/messages" => "messages",
        other => other,
    };
    format!("{method} {name}")
}

/// The JSON error body CloudLink answers with.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    let name = status
        .canonical_reason()
        .unwrap_or("Error")
        .replace(' ', "");
    (status, Json(json!({"name": name, "message": message}))).into_response()
}

/// Every request passes here: an injected fault answers first, then API
/// routes need a live bearer token; the outcome is logged.
async fn gate(
    AxState(shared): AxState<Arc<Shared>>,
    matched: MatchedPath,
    req: Request,
    next: Next,
) -> Response {
    let route = label(req.method().as_str(), matched.as_str());
    let (at, wall) = (Instant::now(), SystemTime::now());
    let skip = req.uri().query().and_then(|q| {
        routes::parse_form(q.as_bytes())
            .get("$skip")
            .and_then(|s| s.parse().ok())
    });
    let is_token = route == "POST token";
    let fault = shared.lock().take_fault(&route);
    let response = if let Some(f) = fault {
        let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = error(status, "injected failure");
        if let Some(ra) = f.retry_after {
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_str(&ra.header_value()).expect("header value"),
            );
        }
        r
    } else if !is_token && !authorised(&shared, req.headers()) {
        error(
            StatusCode::UNAUTHORIZED,
            "missing, invalid or expired access token",
        )
    } else {
        next.run(req).await
    };
    let status = response.status().as_u16();
    let mut s = shared.lock();
    s.log.push(Seen {
        route,
        status,
        at,
        wall,
        skip,
    });
    if !is_token && (200..300).contains(&status) {
        s.served();
    }
    response
}

fn authorised(shared: &Shared, headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((scheme, token)) = value.split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer") && shared.lock().tokens.valid(token.trim())
}

/// `POST /token`: password and refresh-token grants, JSON or
/// form-urlencoded.
async fn token(AxState(shared): AxState<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let fields: HashMap<String, String> = if json {
        match serde_json::from_slice::<serde_json::Map<String, Value>>(&body) {
            Ok(m) => m
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
                .collect(),
            Err(_) => return error(StatusCode::BAD_REQUEST, "the body is not a JSON object"),
        }
    } else {
        routes::parse_form(&body)
    };
    let field = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
    let c = &shared.config;
    let mut s = shared.lock();
    match field("grant_type") {
        "password" => {
            if field("username") != c.username
                || field("password") != c.password
                || field("account_id") != c.account_id
            {
                return error(StatusCode::UNAUTHORIZED, "invalid credentials");
            }
            s.tokens.password_grants += 1;
        }
        "refresh_token" => {
            if !s.tokens.redeem(field("refresh_token")) {
                return error(StatusCode::UNAUTHORIZED, "invalid refresh token");
            }
            s.tokens.refresh_grants += 1;
        }
        _ => return error(StatusCode::BAD_REQUEST, "unsupported grant_type"),
    }
    let (access, refresh) = s.tokens.issue(Duration::from_secs(c.expires_in));
    Json(json!({
        "token_type": "bearer",
        "expires_in": c.expires_in,
        "access_token": access,
        "refresh_token": refresh,
        "scope": "read write",
    }))
    .into_response()
}
