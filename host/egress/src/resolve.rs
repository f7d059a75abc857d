//! Name resolution for egress: an injectable [`Resolver`], and the reqwest DNS hook that
//! checks every resolved address before reqwest may connect to any of them.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::address::{NonPublic, non_public};

/// What a [`Resolver`] returns.
pub type Lookup = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send + 'static>>;

/// Turns a host name into addresses; injectable so tests can map names without DNS.
pub trait Resolver: Send + Sync + 'static {
    /// All addresses of `host` (an ASCII, lower-case domain without a trailing dot).
    fn lookup(&self, host: &str) -> Lookup;
}

/// The operating system's resolver (`getaddrinfo` on tokio's blocking pool).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn lookup(&self, host: &str) -> Lookup {
        let host = host.to_owned();
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

/// A fixed name → addresses table, for tests and demos that must not touch real DNS.
#[derive(Clone, Debug, Default)]
pub struct StaticResolver {
    table: HashMap<String, Vec<IpAddr>>,
}

impl StaticResolver {
    /// An empty table: every lookup fails.
    pub fn new() -> Self {
        Self::default()
    }

    /// Maps `host` (case-insensitive) to `addrs`.
    pub fn with(mut self, host: &str, addrs: &[IpAddr]) -> Self {
        self.table.insert(host.to_ascii_lowercase(), addrs.to_vec());
        self
    }
}

impl Resolver for StaticResolver {
    fn lookup(&self, host: &str) -> Lookup {
        let found = self.table.get(&host.to_ascii_lowercase()).cloned();
        Box::pin(async move {
            found.ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "name not in table"))
        })
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A resolved address was not public: the whole lookup is refused.
#[derive(Debug, thiserror::Error)]
#[error("the host resolves to a {why}")]
pub(super) struct AddressDenied {
    pub(super) why: NonPublic,
}

/// The name did not resolve (or resolved to nothing).
#[derive(Debug, thiserror::Error)]
#[error("could not resolve the host")]
pub(super) struct LookupFailed;

/// Checks every address of a lookup; used by the reqwest hook and directly by tests.
pub(super) fn vet(
    host: &str,
    addrs: Vec<IpAddr>,
    allow_private: bool,
) -> Result<Vec<IpAddr>, AddressDenied> {
    if !allow_private {
        for ip in &addrs {
            if let Some(why) = non_public(*ip) {
                tracing::debug!(host, %ip, %why, "egress: resolved address refused");
                return Err(AddressDenied { why });
            }
        }
    }
    Ok(addrs)
}

/// The reqwest DNS hook: resolve with the injected resolver, refuse the whole name if any
/// address is non-public, and hand reqwest only the addresses that were checked.
pub(super) struct GuardedResolver {
    inner: Arc<dyn Resolver>,
    allow_private: bool,
}

impl GuardedResolver {
    /// Wraps `inner` with the address policy.
    pub(super) fn new(inner: Arc<dyn Resolver>, allow_private: bool) -> Self {
        Self {
            inner,
            allow_private,
        }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let lookup = self.inner.lookup(&host);
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs = lookup.await.map_err(|e| {
                tracing::debug!(host, error = %e, "egress: lookup failed");
                Box::new(LookupFailed) as BoxError
            })?;
            if addrs.is_empty() {
                return Err(Box::new(LookupFailed) as BoxError);
            }
            let addrs = vet(&host, addrs, allow_private).map_err(|e| Box::new(e) as BoxError)?;
            // Port 0 is replaced by reqwest with the URL's port.
            let addrs: Addrs = Box::new(addrs.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    async fn resolve(r: &GuardedResolver, host: &str) -> Result<Vec<SocketAddr>, String> {
        r.resolve(host.parse().unwrap())
            .await
            .map(|a| a.collect())
            .map_err(|e| e.to_string())
    }

    #[tokio::test]
    async fn every_address_is_checked() {
        let table = StaticResolver::new()
            .with("public.test", &[ip("93.184.216.34")])
            .with("private.test", &[ip("10.1.2.3")])
            .with("mixed.test", &[ip("93.184.216.34"), ip("127.0.0.1")])
            .with("mapped.test", &[ip("::ffff:169.254.169.254")])
            .with("empty.test", &[]);
        let guard = GuardedResolver::new(Arc::new(table), false);
        assert_eq!(
            resolve(&guard, "public.test").await.unwrap(),
            vec!["93.184.216.34:0".parse().unwrap()]
        );
        for host in ["private.test", "mixed.test", "mapped.test"] {
            let err = resolve(&guard, host).await.unwrap_err();
            assert!(err.contains("resolves to a"), "{host}: {err}");
            assert!(
                !err.contains("127.0.0.1") && !err.contains("10.1.2.3"),
                "{err}"
            );
        }
        assert!(resolve(&guard, "empty.test").await.is_err());
        assert!(resolve(&guard, "unknown.test").await.is_err());
    }

    #[tokio::test]
    async fn private_addresses_pass_when_allowed() {
        let table = StaticResolver::new().with("local.test", &[ip("127.0.0.1"), ip("::1")]);
        let guard = GuardedResolver::new(Arc::new(table), true);
        assert_eq!(resolve(&guard, "LOCAL.test").await.unwrap().len(), 2);
    }
}
