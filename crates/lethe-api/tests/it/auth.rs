//! Token verification: expiry, not-before, signature, algorithm confusion.

use axum::http::Method;
use base64::Engine;
use lethe_api::auth::Claims;
use lethe_api::Role;

use crate::harness::{assert_problem, TestApp, SECRET};

fn encode(header: serde_json::Value, claims: serde_json::Value, secret: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let signing_input = format!(
        "{}.{}",
        b64.encode(header.to_string()),
        b64.encode(claims.to_string())
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        b64.encode(mac.finalize().into_bytes())
    )
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn rejects_expired_premature_forged_and_unsigned_tokens() {
    let app = TestApp::new().await;
    let hs = serde_json::json!({"alg": "HS256", "typ": "JWT"});
    let cases = [
        (
            "expired",
            encode(
                hs.clone(),
                serde_json::json!({"sub": "a", "roles": ["admin"], "exp": now() - 60}),
                SECRET,
            ),
        ),
        (
            "not yet valid",
            encode(
                hs.clone(),
                serde_json::json!({"sub": "a", "roles": ["admin"], "exp": now() + 600, "nbf": now() + 300}),
                SECRET,
            ),
        ),
        (
            "no exp",
            encode(
                hs.clone(),
                serde_json::json!({"sub": "a", "roles": ["admin"]}),
                SECRET,
            ),
        ),
        (
            "wrong key",
            encode(
                hs.clone(),
                serde_json::json!({"sub": "a", "roles": ["admin"], "exp": now() + 600}),
                b"another-secret-another-secret-xx",
            ),
        ),
        ("alg none", {
            let t = encode(
                serde_json::json!({"alg": "none"}),
                serde_json::json!({"sub": "a", "roles": ["admin"], "exp": now() + 600}),
                SECRET,
            );
            format!("{}.", t.rsplit_once('.').unwrap().0)
        }),
        (
            "RS256 without a key",
            encode(
                serde_json::json!({"alg": "RS256", "kid": "k1"}),
                serde_json::json!({"sub": "a", "roles": ["admin"], "exp": now() + 600}),
                SECRET,
            ),
        ),
    ];
    for (name, token) in cases {
        let reply = app
            .call(Method::GET, "/v1/requests", Some(&token), None)
            .await;
        assert_eq!(reply.status.as_u16(), 401, "{name}: {}", reply.text);
        assert_problem(&reply, 401, "unauthenticated");
    }
    let good = encode(
        hs,
        serde_json::json!({"sub": "a", "roles": ["viewer", "unknown-role"], "exp": now() + 600}),
        SECRET,
    );
    assert_eq!(
        app.call(Method::GET, "/v1/requests", Some(&good), None)
            .await
            .status
            .as_u16(),
        200
    );
}

#[test]
fn minted_tokens_carry_roles() {
    let token = TestApp::token("alice", &[Role::Approver]);
    let claims: Claims = lethe_api::Authenticator::new(Some(SECRET), Vec::new(), 0)
        .verify(&token)
        .unwrap();
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.roles, vec![Role::Approver]);
}
