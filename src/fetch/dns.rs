//! The system resolver (getaddrinfo) with typed failures.
//!
//! `std`/`tokio` lookups turn every getaddrinfo failure into an uncategorised
//! `io::Error` whose only trace of the cause is its message. The fetcher must tell "the
//! name does not exist" (final: the link is dead) from "the lookup failed" (transient:
//! retried) by type, so the lookup here keeps getaddrinfo's error code.

use std::net::{IpAddr, SocketAddr};

use dns_lookup::LookupErrorKind;

use crate::model::Reason;

/// A failed name lookup.
#[derive(Debug, thiserror::Error)]
#[error("{}", if self.no_such_host { "no such host" } else { "DNS lookup failed" })]
pub(crate) struct DnsError {
    /// The name does not exist or has no addresses (`EAI_NONAME`, `EAI_NODATA`,
    /// `EAI_FAIL`); otherwise the failure may be temporary.
    pub(crate) no_such_host: bool,
    #[source]
    source: dns_lookup::LookupError,
}

impl DnsError {
    /// The reason code of this failure.
    pub(crate) fn reason(&self) -> Reason {
        if self.no_such_host {
            Reason::DnsNoSuchHost
        } else {
            Reason::DnsFailed
        }
    }
}

/// Resolve `host` on a blocking thread.
pub(crate) async fn lookup(
    host: &str,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    let name = host.to_owned();
    let result = tokio::task::spawn_blocking(move || {
        dns_lookup::lookup_host(&name).map(|ips| ips.collect::<Vec<IpAddr>>())
    })
    .await?;
    match result {
        Ok(ips) => Ok(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect()),
        Err(source) => {
            let no_such_host = matches!(
                source.kind(),
                LookupErrorKind::NoName | LookupErrorKind::NoData | LookupErrorKind::Fail
            );
            Err(Box::new(DnsError {
                no_such_host,
                source,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_name_that_does_not_exist_is_typed() {
        // `.invalid` is reserved (RFC 6761): it never resolves. Without a resolver the
        // lookup fails temporarily instead; either way the error is a typed DnsError.
        let err = lookup("no-such-host.invalid").await.unwrap_err();
        let dns = err.downcast_ref::<DnsError>().expect("a DnsError");
        assert!(matches!(
            dns.reason(),
            Reason::DnsNoSuchHost | Reason::DnsFailed
        ));
        assert!(
            ["no such host", "DNS lookup failed"].contains(&dns.to_string().as_str()),
            "{dns}"
        );
        let ok = lookup("localhost").await.unwrap();
        assert!(ok.iter().any(|a| a.ip().is_loopback()));
    }
}
