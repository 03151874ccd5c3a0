//! Who the client is, for the failed-login limits: the connection's address, or, when that is
//! a reverse proxy georep was told to trust (`serve --trusted-proxy`), the address the proxies
//! name in `X-Forwarded-For`. Anyone else's `X-Forwarded-For` is ignored: believed, it would
//! let a guesser be a new client on every request.
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<Vec<IpNet>>);

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        TrustedProxies(Arc::new(nets))
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client of a request that came from `peer`: each proxy appends the address it was
    /// sent the request by, so the client is the rightmost address that is not a trusted
    /// proxy (what a client writes in the header itself stays to the left of that).
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip.to_canonical();
                    if !self.contains(client) {
                        break;
                    }
                }
                // not an address: the last proxy that was trusted is all that is known
                Err(_) => break,
            }
        }
        client
    }
}

/// A `serve --trusted-proxy` value: an address or a CIDR block.
pub fn parse_trusted_proxy(s: &str) -> Result<IpNet, String> {
    s.trim()
        .parse::<IpNet>()
        .or_else(|_| s.trim().parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{s:?}: an IP address or a CIDR block such as 10.0.0.0/8"))
}

/// The client's address, as the request's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Every request: puts its `ClientAddr` in its extensions (none without a connection address).
pub async fn layer(
    State(trusted): State<TrustedProxies>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let client = trusted.client(peer.ip(), req.headers());
        req.extensions_mut().insert(ClientAddr(client));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = TrustedProxies::new(vec![
            parse_trusted_proxy("127.0.0.1").unwrap(),
            parse_trusted_proxy("10.0.0.0/8").unwrap(),
        ]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let xff = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert("x-forwarded-for", v.parse().unwrap());
            h
        };
        for (peer, header, client) in [
            // a stranger's header is ignored
            ("192.0.2.7", Some("198.51.100.1"), "192.0.2.7"),
            // the proxy names the client
            ("127.0.0.1", Some("198.51.100.1"), "198.51.100.1"),
            // a client that writes its own header stays to the left of what the proxy adds
            (
                "127.0.0.1",
                Some("203.0.113.9, 198.51.100.1"),
                "198.51.100.1",
            ),
            // a chain of trusted proxies
            ("127.0.0.1", Some("198.51.100.1, 10.1.2.3"), "198.51.100.1"),
            ("::ffff:127.0.0.1", Some("198.51.100.1"), "198.51.100.1"),
            // without the header, or with garbage: the proxy itself
            ("127.0.0.1", None, "127.0.0.1"),
            ("127.0.0.1", Some("nonsense"), "127.0.0.1"),
            (
                "127.0.0.1",
                Some("198.51.100.1, nonsense, 10.1.2.3"),
                "10.1.2.3",
            ),
        ] {
            let headers = header.map(xff).unwrap_or_default();
            assert_eq!(
                trusted.client(ip(peer), &headers),
                ip(client),
                "{peer} {header:?}"
            );
        }
        assert!(parse_trusted_proxy("10.0.0.0/33").is_err());
        assert!(parse_trusted_proxy("proxy.example").is_err());
        // nothing trusted: the connection's address, always
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("127.0.0.1"), &xff("198.51.100.1")),
            ip("127.0.0.1")
        );
    }
}
