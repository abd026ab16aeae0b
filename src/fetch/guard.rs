//! Keeps an audit of other people's reports from probing the network it runs in.
//!
//! By default no connection goes to loopback, private (RFC 1918, fc00::/7), link-local,
//! shared (100.64/10), unspecified or similar addresses. The check runs after DNS
//! resolution, inside the client's resolver, so a public name that resolves to 127.0.0.1
//! is caught, and it runs again on every redirect hop because every hop resolves anew.
//! IP literals never reach a resolver, so [`check_url_host`] checks them before sending.
//! The configured proxy itself is always allowed.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

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
            if let Some(v4) = v6.to_ipv4_mapped() {
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

/// The client's resolver: fixed answers first, then the system resolver; non-public
/// addresses are dropped unless allowed, and a name with only such addresses fails with
/// [`PrivateAddress`].
pub(crate) struct GuardedResolver {
    pub(crate) allow_private: bool,
    pub(crate) overrides: HashMap<String, IpAddr>,
    /// The proxy's host name, always allowed.
    pub(crate) proxy_host: Option<String>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let fixed = self.overrides.get(&host).copied();
        let allow = self.allow_private || self.proxy_host.as_deref() == Some(host.as_str());
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = match fixed {
                Some(ip) => vec![SocketAddr::new(ip, 0)],
                None => super::dns::lookup(&host).await?,
            };
            if allow {
                return Ok(Box::new(addrs.into_iter()) as Addrs);
            }
            let first_private = addrs
                .iter()
                .find_map(|a| private_kind(a.ip()).map(|k| (a.ip(), k)));
            let public: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| private_kind(a.ip()).is_none())
                .collect();
            match (public.is_empty(), first_private) {
                (true, Some((addr, kind))) => Err(Box::new(PrivateAddress { host, addr, kind })
                    as Box<dyn std::error::Error + Send + Sync>),
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
        let r = GuardedResolver {
            allow_private: false,
            overrides: overrides.clone(),
            proxy_host: None,
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
            proxy_host: None,
        };
        assert!(
            allowed
                .resolve("inside.test".parse().unwrap())
                .await
                .is_ok()
        );
    }
}
