//! Keeps an audit of other people's reports from probing the network it runs in.
//!
//! By default no connection goes to loopback, private (RFC 1918, fc00::/7), link-local,
//! shared (100.64/10), unspecified or similar addresses, nor to an IPv6 address that
//! embeds such an IPv4 address (IPv4-mapped, IPv4-compatible, IPv4-translated, NAT64,
//! 6to4, Teredo). The check runs after DNS resolution, inside the client's resolver, so a
//! public name that resolves to 127.0.0.1 is caught, and it runs again on every redirect
//! hop because every hop resolves anew. IP literals never reach a resolver, so
//! [`check_url_host`] checks them before sending.
//!
//! Through a proxy the client resolves nothing itself (the proxy does), so the fetcher
//! resolves the name locally first ([`lookup`]) and refuses a private answer; a name that
//! does not resolve locally is left to the proxy (usual behind corporate proxies).
//! `fetch.proxy_resolves_names = true` skips the local look-up. The proxy itself is always
//! allowed: exactly its address and port, not other ports of the same host.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why an address is not connected to.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {addr}, a {kind} address (use --allow-private to check it)")]
pub(crate) struct PrivateAddress {
    pub(crate) host: String,
    pub(crate) addr: IpAddr,
    pub(crate) kind: &'static str,
}

/// The kind of non-public address `ip` is, or `None` for a public one.
pub(crate) fn private_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_private() {
                Some("private")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if v4.is_unspecified() || o[0] == 0 {
                Some("unspecified")
            } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
                Some("shared (carrier-grade NAT)")
            } else if v4.is_broadcast() || v4.is_multicast() || o[0] >= 240 {
                Some("reserved")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_ipv4(v6) {
                return private_kind(IpAddr::V4(v4));
            }
            let s = v6.segments();
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if (s[0] & 0xfe00) == 0xfc00 {
                Some("private (unique local)")
            } else if (s[0] & 0xffc0) == 0xfe80 {
                Some("link-local")
            } else if v6.is_multicast() {
                Some("reserved")
            } else {
                None
            }
        }
    }
}

/// The IPv4 address an IPv6 address stands for, in the forms that route to it:
/// IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d` (deprecated, but parsed),
/// IPv4-translated `::ffff:0:a.b.c.d`, NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`, 6to4
/// `2002:AABB:CCDD::/48` and Teredo `2001:0::/32` (the client address, inverted).
fn embedded_ipv4(v6: std::net::Ipv6Addr) -> Option<std::net::Ipv4Addr> {
    use std::net::Ipv4Addr;
    let s = v6.segments();
    let low = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[..6] == [0; 6] && !(v6.is_loopback() || v6.is_unspecified()) {
        return Some(low(s[6], s[7]));
    }
    if s[..4] == [0; 4] && s[4] == 0xffff && s[5] == 0 {
        return Some(low(s[6], s[7]));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) {
        return Some(low(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return Some(low(s[1], s[2]));
    }
    if s[0] == 0x2001 && s[1] == 0 {
        return Some(low(!s[6], !s[7]));
    }
    None
}

/// Check a URL's host before sending when it is an IP literal or a `localhost` name.
pub(crate) fn check_url_host(url: &url::Url) -> Result<(), PrivateAddress> {
    let host = url.host_str().unwrap_or_default();
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d == "localhost" || d.ends_with(".localhost") {
                return Err(PrivateAddress {
                    host: host.to_owned(),
                    addr: IpAddr::from([127, 0, 0, 1]),
                    kind: "loopback",
                });
            }
            return Ok(());
        }
        None => return Ok(()),
    };
    match private_kind(ip) {
        Some(kind) => Err(PrivateAddress {
            host: host.to_owned(),
            addr: ip,
            kind,
        }),
        None => Ok(()),
    }
}

/// Resolve `host` as the client would: a fixed answer from `overrides` first, else the
/// system resolver (with typed failures, [`super::dns`]).
pub(crate) async fn lookup(
    overrides: &HashMap<String, IpAddr>,
    host: &str,
) -> Result<Vec<IpAddr>, Box<dyn std::error::Error + Send + Sync>> {
    if let Some(ip) = overrides.get(host) {
        return Ok(vec![*ip]);
    }
    Ok(super::dns::lookup(host)
        .await?
        .into_iter()
        .map(|a| a.ip())
        .collect())
}

/// The first non-public address of `addrs`, as the error that refuses it.
pub(crate) fn first_private(host: &str, addrs: &[IpAddr]) -> Option<PrivateAddress> {
    addrs.iter().find_map(|&addr| {
        private_kind(addr).map(|kind| PrivateAddress {
            host: host.to_owned(),
            addr,
            kind,
        })
    })
}

/// The client's resolver: fixed answers first, then the system resolver; non-public
/// addresses are dropped unless allowed, and a name with only such addresses fails with
/// [`PrivateAddress`].
pub(crate) struct GuardedResolver {
    pub(crate) allow_private: bool,
    pub(crate) overrides: Arc<HashMap<String, IpAddr>>,
    /// The proxies' host names. A resolver sees no port, so the fetcher refuses other
    /// ports of these hosts before sending ([`crate::fetch`]); here they are allowed.
    pub(crate) proxy_hosts: Vec<String>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let overrides = Arc::clone(&self.overrides);
        let allow = self.allow_private || self.proxy_hosts.contains(&host);
        Box::pin(async move {
            let addrs = lookup(&overrides, &host).await?;
            if allow {
                let addrs: Vec<SocketAddr> =
                    addrs.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect();
                return Ok(Box::new(addrs.into_iter()) as Addrs);
            }
            let public: Vec<SocketAddr> = addrs
                .iter()
                .filter(|ip| private_kind(**ip).is_none())
                .map(|ip| SocketAddr::new(*ip, 0))
                .collect();
            match (public.is_empty(), first_private(&host, &addrs)) {
                (true, Some(p)) => Err(Box::new(p) as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(public.into_iter()) as Addrs),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_addresses() {
        let cases = [
            ("127.0.0.1", Some("loopback")),
            ("10.1.2.3", Some("private")),
            ("172.16.0.1", Some("private")),
            ("192.168.1.1", Some("private")),
            ("169.254.169.254", Some("link-local")),
            ("0.0.0.0", Some("unspecified")),
            ("100.64.0.1", Some("shared (carrier-grade NAT)")),
            ("8.8.8.8", None),
            ("172.32.0.1", None),
            ("::1", Some("loopback")),
            ("::", Some("unspecified")),
            ("fd00::1", Some("private (unique local)")),
            ("fe80::1", Some("link-local")),
            ("::ffff:127.0.0.1", Some("loopback")),
            ("::127.0.0.1", Some("loopback")),
            ("::ffff:0:7f00:1", Some("loopback")),
            ("::ffff:0:a00:1", Some("private")),
            ("64:ff9b::7f00:1", Some("loopback")),
            ("64:ff9b:1::c0a8:101", Some("private")),
            ("2002:7f00:1::", Some("loopback")),
            ("2002:a9fe:a9fe::1", Some("link-local")),
            ("2001:0:4136:e378:8000:63bf:80ff:fffe", Some("loopback")),
            ("64:ff9b::808:808", None),
            ("2002:808:808::1", None),
            ("2001:4860:4860::8888", None),
        ];
        for (ip, want) in cases {
            assert_eq!(private_kind(ip.parse().unwrap()), want, "{ip}");
        }
    }

    #[test]
    fn url_literals_and_localhost_are_checked() {
        for u in [
            "http://127.0.0.1:8080/",
            "http://[::1]/x",
            "http://[::127.0.0.1]/",
            "http://[::ffff:0:7f00:1]/",
            "http://[64:ff9b::a00:1]/",
            "http://localhost/",
            "http://admin.localhost./",
            "http://169.254.169.254/latest/meta-data/",
        ] {
            assert!(check_url_host(&url::Url::parse(u).unwrap()).is_err(), "{u}");
        }
        for u in ["http://example.org/", "http://93.184.216.34/"] {
            assert!(check_url_host(&url::Url::parse(u).unwrap()).is_ok(), "{u}");
        }
    }

    #[tokio::test]
    async fn resolver_refuses_names_resolving_to_private_addresses() {
        let mut overrides = HashMap::new();
        overrides.insert("inside.test".to_owned(), IpAddr::from([127, 0, 0, 1]));
        overrides.insert("outside.test".to_owned(), IpAddr::from([93, 184, 216, 34]));
        let overrides = Arc::new(overrides);
        let r = GuardedResolver {
            allow_private: false,
            overrides: Arc::clone(&overrides),
            proxy_hosts: Vec::new(),
        };
        let err = r
            .resolve("inside.test".parse().unwrap())
            .await
            .err()
            .unwrap();
        assert!(err.to_string().contains("loopback"), "{err}");
        assert!(r.resolve("outside.test".parse().unwrap()).await.is_ok());
        let allowed = GuardedResolver {
            allow_private: true,
            overrides,
            proxy_hosts: Vec::new(),
        };
        assert!(
            allowed
                .resolve("inside.test".parse().unwrap())
                .await
                .is_ok()
        );
    }
}
