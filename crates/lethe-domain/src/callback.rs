//! Which callback URLs lethe may post to (SSRF protection), as pure rules.
//!
//! A callback URL comes from a ticketing system or a requester, so it must
//! not let them make lethe call its own network: https only, and no
//! address that is private, loopback, link-local (cloud metadata at
//! 169.254.169.254), unique-local, shared (CGNAT), multicast or
//! unspecified — unless the operator allows it. The caller resolves host
//! names and checks every address with [`check_ip`], both when the URL is
//! accepted and again when it is called (a name may be re-pointed at an
//! internal address after it was accepted: DNS rebinding).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What an operator allows beyond public https.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Plain `http://` URLs.
    pub allow_http: bool,
    /// Private, loopback, link-local and unique-local addresses (tests,
    /// or a ticketing system on the same private network).
    pub allow_private: bool,
}

/// Why a callback URL is refused. The text says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    #[error("not a valid absolute URL")]
    Malformed,
    #[error("must use https (plain http is not allowed by the configuration)")]
    Scheme,
    #[error("must not carry user or password")]
    Credentials,
    #[error("points at a private, loopback, link-local or otherwise non-public address, which the configuration does not allow")]
    Private,
    #[error("its host name does not resolve")]
    Unresolvable,
}

/// Parses and checks the parts of a URL that need no resolution: scheme,
/// credentials, and a host given as an IP literal.
pub fn check_url(raw: &str, policy: UrlPolicy) -> Result<url::Url, UrlError> {
    let url = url::Url::parse(raw).map_err(|_| UrlError::Malformed)?;
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_http => {}
        "http" => return Err(UrlError::Scheme),
        _ => return Err(UrlError::Malformed),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Credentials);
    }
    match url.host() {
        Some(url::Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip), policy)?,
        Some(url::Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip), policy)?,
        Some(url::Host::Domain("")) => return Err(UrlError::Malformed),
        Some(url::Host::Domain(_)) => {}
        None => return Err(UrlError::Malformed),
    }
    Ok(url)
}

/// Refuses a non-public address unless the policy allows private ones.
pub fn check_ip(ip: IpAddr, policy: UrlPolicy) -> Result<(), UrlError> {
    if policy.allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(UrlError::Private)
    }
}

/// Whether an address is reachable on the public internet (and so not
/// one of lethe's neighbours).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // shared address space (rfc 6598, carrier-grade nat)
        || (a == 100 && (64..128).contains(&b))
        // ietf protocol assignments and benchmarking (rfc 6890, 2544)
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // unique local fc00::/7
        || (first & 0xfe00) == 0xfc00
        // link-local fe80::/10
        || (first & 0xffc0) == 0xfe80
        // site-local (deprecated) fec0::/10
        || (first & 0xffc0) == 0xfec0
        // documentation 2001:db8::/32
        || (first == 0x2001 && ip.segments()[1] == 0xdb8)
        // ipv4-compatible and nat64 forms are judged by their ipv4 part
        || ip.to_ipv4().is_some_and(|v4| !is_public_v4(v4)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: UrlPolicy = UrlPolicy {
        allow_http: false,
        allow_private: false,
    };

    #[test]
    fn refuses_internal_addresses() {
        for url in [
            "https://127.0.0.1/x",
            "https://10.0.0.1/x",
            "https://[::1]/x",
            "https://169.254.169.254/latest/meta-data",
            "https://192.168.1.10/",
            "https://172.16.0.1/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://0.0.0.0/",
            "https://100.64.0.1/",
        ] {
            assert_eq!(
                check_url(url, STRICT).unwrap_err(),
                UrlError::Private,
                "{url}"
            );
        }
        assert!(check_url("https://93.184.215.14/hook", STRICT).is_ok());
        assert!(check_url("https://tickets.example.com/hook", STRICT).is_ok());
    }

    #[test]
    fn http_and_credentials_need_permission() {
        assert_eq!(
            check_url("http://tickets.example.com/", STRICT).unwrap_err(),
            UrlError::Scheme
        );
        let open = UrlPolicy {
            allow_http: true,
            allow_private: true,
        };
        assert!(check_url("http://127.0.0.1:8080/x", open).is_ok());
        assert_eq!(
            check_url("https://u:p@example.com/", open).unwrap_err(),
            UrlError::Credentials
        );
        assert_eq!(
            check_url("ftp://example.com/", open).unwrap_err(),
            UrlError::Malformed
        );
        assert_eq!(
            check_url("not a url", open).unwrap_err(),
            UrlError::Malformed
        );
    }
}
