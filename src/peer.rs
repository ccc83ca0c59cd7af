//! Who is on the other end of a request: the TCP peer's address or, when the peer is a
//! reverse proxy the operator trusts (`--trusted-proxy`), the client that proxy names
//! in `X-Forwarded-For`. Limits count clients by this address, and operational pages
//! (`/metrics`, a detailed `/healthz`) serve only loopback clients that no proxy forwarded.

use std::{
    net::{IpAddr, Ipv6Addr},
    sync::Arc,
};

use poem::{Endpoint, FromRequest, Middleware, Request, RequestBody, Result, http::HeaderMap};

/// The address a request is counted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddr {
    ip: IpAddr,
    /// Whether the request says a proxy passed it on (`X-Forwarded-For`, `Forwarded`).
    forwarded: bool,
}

impl ClientAddr {
    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// The key a per-client limit counts under: the IPv4 address, or the IPv6 /64
    /// network, since one subscriber usually holds a whole /64 and could otherwise
    /// take a fresh address for every request.
    pub fn limit_key(&self) -> IpAddr {
        match self.ip.to_canonical() {
            IpAddr::V6(v6) => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(network))
            }
            v4 => v4,
        }
    }

    /// Someone on this machine, talking to us directly: not a proxy passing on a
    /// request from elsewhere (a proxy on the same machine adds `X-Forwarded-For`).
    pub fn is_local_operator(&self) -> bool {
        !self.forwarded && self.ip.to_canonical().is_loopback()
    }
}

impl std::fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.limit_key().fmt(f)
    }
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<Vec<IpAddr>>);

impl TrustedProxies {
    pub fn new(proxies: Vec<IpAddr>) -> Self {
        Self(Arc::new(
            proxies.into_iter().map(|ip| ip.to_canonical()).collect(),
        ))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip.to_canonical())
    }

    /// The client behind a request from `peer`. A trusted proxy appends the address it
    /// saw to `X-Forwarded-For`, so the client is the rightmost address that is not
    /// itself a trusted proxy; anything further left was written by the client and
    /// proves nothing.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> ClientAddr {
        let claims_forwarding =
            headers.contains_key("x-forwarded-for") || headers.contains_key("forwarded");
        if !self.trusts(peer) {
            return ClientAddr {
                ip: peer,
                forwarded: claims_forwarding,
            };
        }
        let named = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        let mut client = peer;
        for hop in named.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) if self.trusts(ip) => client = ip,
                Ok(ip) => {
                    client = ip;
                    break;
                }
                // Garbage from the left of the list: stop at the last address we believe.
                Err(_) => break,
            }
        }
        ClientAddr {
            ip: client,
            forwarded: claims_forwarding,
        }
    }
}

/// Works out every request's [`ClientAddr`] once, for limits and handlers to read.
pub struct ResolveClient(pub TrustedProxies);

impl<E: Endpoint> Middleware<E> for ResolveClient {
    type Output = ResolveClientEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        ResolveClientEndpoint {
            inner,
            proxies: self.0.clone(),
        }
    }
}

pub struct ResolveClientEndpoint<E> {
    inner: E,
    proxies: TrustedProxies,
}

impl<E: Endpoint> Endpoint for ResolveClientEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let client = client_of(&req, &self.proxies);
        req.extensions_mut().insert(client);
        self.inner.call(req).await
    }
}

fn client_of(req: &Request, proxies: &TrustedProxies) -> ClientAddr {
    // Hearth only listens on TCP; anything else counts as one unknown client.
    let peer = req
        .remote_addr()
        .as_socket_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |addr| addr.ip());
    proxies.client(peer, req.headers())
}

impl<'a> FromRequest<'a> for ClientAddr {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> Result<Self> {
        Ok(req
            .extensions()
            .get::<ClientAddr>()
            .copied()
            .unwrap_or_else(|| client_of(req, &TrustedProxies::default())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in xff {
            map.append("x-forwarded-for", value.parse().unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let proxies = TrustedProxies::new(vec![ip("10.0.0.1")]);
        let client = proxies.client(ip("203.0.113.9"), &headers(&["198.51.100.1"]));
        assert_eq!(client.ip(), ip("203.0.113.9"));
        assert!(!client.is_local_operator());
    }

    #[test]
    fn a_trusted_proxy_names_the_client_rightmost_first() {
        let proxies = TrustedProxies::new(vec![ip("10.0.0.1"), ip("10.0.0.2")]);
        let forged_then_real = headers(&["1.1.1.1, 198.51.100.7", "10.0.0.2"]);
        let client = proxies.client(ip("10.0.0.1"), &forged_then_real);
        assert_eq!(client.ip(), ip("198.51.100.7"));
        let none = proxies.client(ip("10.0.0.1"), &HeaderMap::new());
        assert_eq!(none.ip(), ip("10.0.0.1"));
    }

    #[test]
    fn loopback_is_local_only_when_nobody_forwarded_it() {
        let proxies = TrustedProxies::default();
        assert!(
            proxies
                .client(ip("127.0.0.1"), &HeaderMap::new())
                .is_local_operator()
        );
        assert!(
            proxies
                .client(ip("::ffff:127.0.0.1"), &HeaderMap::new())
                .is_local_operator()
        );
        let via_local_proxy = proxies.client(ip("127.0.0.1"), &headers(&["203.0.113.5"]));
        assert!(!via_local_proxy.is_local_operator());
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let a = ClientAddr {
            ip: ip("2001:db8:1:2:aaaa::1"),
            forwarded: false,
        };
        let b = ClientAddr {
            ip: ip("2001:db8:1:2:bbbb::9"),
            forwarded: false,
        };
        assert_eq!(a.limit_key(), b.limit_key());
        assert_eq!(a.limit_key(), ip("2001:db8:1:2::"));
    }
}
