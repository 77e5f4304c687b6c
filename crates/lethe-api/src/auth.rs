//! Bearer JWT authentication and role checks.
//!
//! HS256 with a shared secret, or RS256/ES256 with configured public keys
//! chosen by `kid`. The algorithm a token may use is fixed by the key that
//! verifies it, so an RS256 public key can never be used as an HS256 secret
//! (algorithm confusion) and `alg: none` never verifies. `exp` is required.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use jsonwebtoken::{
    decode, decode_header, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::problem::ApiError;
use crate::AppState;

/// What a caller may do. `admin` may do everything the others may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Creates, cancels and extends requests.
    Requester,
    /// Approves or rejects requests created by someone else (four-eyes).
    Approver,
    /// Reads requests, plans, steps and reports.
    Viewer,
    /// Everything, plus the audit log.
    Admin,
}

impl Role {
    /// The claim value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requester => "requester",
            Self::Approver => "approver",
            Self::Viewer => "viewer",
            Self::Admin => "admin",
        }
    }
}

/// The claims lethe reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Who is calling; recorded as the actor in audit and compared for four-eyes.
    pub sub: String,
    /// Roles granted; unknown role names are ignored.
    #[serde(default, deserialize_with = "known_roles")]
    pub roles: Vec<Role>,
    /// Expiry (seconds since the epoch); required.
    pub exp: u64,
    /// Not-before, checked when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Issued-at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
}

fn known_roles<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Role>, D::Error> {
    let names: Vec<String> = Vec::deserialize(d)?;
    Ok(names
        .iter()
        .filter_map(|n| serde_json::from_value(serde_json::Value::String(n.clone())).ok())
        .collect())
}

/// A public key for RS256 or ES256 tokens.
pub struct PublicKey {
    /// Matched against the token header's `kid`.
    pub kid: String,
    /// `RS256` or `ES256`.
    pub algorithm: Algorithm,
    pub key: DecodingKey,
}

/// Verifies bearer tokens.
pub struct Authenticator {
    hs256: Option<DecodingKey>,
    public_keys: HashMap<String, PublicKey>,
    leeway_secs: u64,
}

impl Authenticator {
    /// `hs256_secret`: shared secret for HS256 tokens (None disables HS256).
    /// `public_keys`: RS256/ES256 keys by kid.
    pub fn new(hs256_secret: Option<&[u8]>, public_keys: Vec<PublicKey>, leeway_secs: u64) -> Self {
        Self {
            hs256: hs256_secret.map(DecodingKey::from_secret),
            public_keys: public_keys
                .into_iter()
                .map(|k| (k.kid.clone(), k))
                .collect(),
            leeway_secs,
        }
    }

    /// Verifies a token and returns its claims.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let header = decode_header(token)
            .map_err(|_| ApiError::Unauthenticated("the bearer token is not a valid JWT"))?;
        let (key, alg) = match header.alg {
            Algorithm::HS256 => (
                self.hs256
                    .as_ref()
                    .ok_or(ApiError::Unauthenticated("HS256 tokens are not accepted"))?,
                Algorithm::HS256,
            ),
            Algorithm::RS256 | Algorithm::ES256 => {
                let kid = header
                    .kid
                    .as_deref()
                    .ok_or(ApiError::Unauthenticated("the token has no key id (kid)"))?;
                let pk = self.public_keys.get(kid).ok_or(ApiError::Unauthenticated(
                    "the token's key id (kid) is unknown",
                ))?;
                if pk.algorithm != header.alg {
                    return Err(ApiError::Unauthenticated(
                        "the token's algorithm does not match its key",
                    ));
                }
                (&pk.key, pk.algorithm)
            }
            _ => {
                return Err(ApiError::Unauthenticated(
                    "the token's algorithm is not accepted",
                ))
            }
        };
        let mut validation = Validation::new(alg);
        validation.leeway = self.leeway_secs;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.validate_aud = false;
        decode::<Claims>(token, key, &validation)
            .map(|d| d.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind as K;
                ApiError::Unauthenticated(match e.kind() {
                    K::ExpiredSignature => "the bearer token has expired",
                    K::ImmatureSignature => "the bearer token is not valid yet (nbf)",
                    K::InvalidSignature => "the bearer token's signature is not valid",
                    K::MissingRequiredClaim(_) => {
                        "the bearer token lacks a required claim (exp, sub)"
                    }
                    _ => "the bearer token is not valid",
                })
            })
    }
}

/// Mints an HS256 development token (`lethe token`).
pub fn mint_hs256(
    secret: &[u8],
    sub: &str,
    roles: &[Role],
    ttl_secs: u64,
) -> Result<String, jsonwebtoken::errors::Error> {
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    let claims = Claims {
        sub: sub.to_owned(),
        roles: roles.to_vec(),
        exp: now + ttl_secs,
        nbf: None,
        iat: Some(now),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
}

/// The authenticated caller of a handler.
#[derive(Debug, Clone)]
pub struct Caller {
    pub sub: String,
    pub roles: Vec<Role>,
}

impl Caller {
    /// Ok when the caller holds `role` or `admin`; else 403.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.roles.contains(&role) || self.roles.contains(&Role::Admin) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this operation needs the `{}` role",
                role.as_str()
            )))
        }
    }

    /// Reading requests is open to every role.
    pub fn require_any(&self) -> Result<(), ApiError> {
        if self.roles.is_empty() {
            Err(ApiError::Forbidden(
                "this operation needs one of the roles requester, approver, viewer, admin".into(),
            ))
        } else {
            Ok(())
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let value = parts.headers.get(axum::http::header::AUTHORIZATION).ok_or(
            ApiError::Unauthenticated("send `Authorization: Bearer <token>`"),
        )?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                // The scheme is case-insensitive (RFC 9110 §11.1).
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(token)
            })
            .ok_or(ApiError::Unauthenticated(
                "the Authorization header must be `Bearer <token>`",
            ))?;
        let claims = auth_of(state).verify(token.trim())?;
        Ok(Caller {
            sub: claims.sub,
            roles: claims.roles,
        })
    }
}

fn auth_of(state: &AppState) -> &Arc<Authenticator> {
    &state.auth
}
