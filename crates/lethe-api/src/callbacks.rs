//! Callback URLs given with a request: the rules of
//! [`lethe_domain::callback`], plus name resolution, so a host name that
//! points at an internal address is refused when the URL is accepted. The
//! dispatcher resolves and checks again at every delivery (DNS rebinding).

use lethe_domain::callback::{check_ip, check_url, UrlError, UrlPolicy};

/// What the server accepts as a per-request `callback_url`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallbackSettings {
    /// Per-request callbacks are accepted (`[callbacks] secret_env` is set,
    /// so they can be signed).
    pub enabled: bool,
    /// http and private addresses (`[callbacks] allow_http`, `allow_private`).
    pub policy: UrlPolicy,
}

/// Checks a callback URL and every address its host resolves to; returns
/// the URL as normalised by the parser.
pub async fn check_callback_url(raw: &str, policy: UrlPolicy) -> Result<String, UrlError> {
    let url = check_url(raw, policy)?;
    if let Some(url::Host::Domain(host)) = url.host() {
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs = tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| UrlError::Unresolvable)?;
        let mut any = false;
        for addr in addrs {
            any = true;
            check_ip(addr.ip(), policy)?;
        }
        if !any {
            return Err(UrlError::Unresolvable);
        }
    }
    Ok(url.to_string())
}
