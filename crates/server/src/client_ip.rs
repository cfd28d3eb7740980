//! The client's IP address, resolved once per request and stored as a [`ClientIp`]
//! extension for rate limits and request logs.
//!
//! The address is the TCP peer, unless that peer is one of the configured trusted
//! proxies (`--trusted-proxies`): then it is the right-most address of
//! `X-Forwarded-For` that is not itself a trusted proxy. Entries to the left of an
//! untrusted hop were written by the client and are never believed, so a client
//! cannot choose its address by sending the header itself.

use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
pub use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The resolved client address of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientIp(pub IpAddr);

/// A trusted proxy as configured: an address (`10.0.0.7`, `::1`) or a network
/// (`10.0.0.0/8`, `fd00::/8`).
pub fn parse_proxy(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("'{text}' is not an IP address or CIDR network"))
}

/// Whether `ip` is a trusted proxy.
fn trusted(ip: IpAddr, proxies: &[IpNet]) -> bool {
    proxies.iter().any(|net| net.contains(&ip))
}

/// One `X-Forwarded-For` entry: a bare address, `[v6]`, or either with a port.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(socket) = entry.parse::<SocketAddr>() {
        return Some(socket.ip().to_canonical());
    }
    let bracketed = entry.strip_prefix('[')?.strip_suffix(']')?;
    bracketed.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// The client address for a connection from `peer` carrying `headers`.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, proxies: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted(peer, proxies) {
        return peer;
    }
    // Hops in the order they were appended; several header lines form one list.
    let mut hops: Vec<&str> = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(text) = value.to_str() else {
            // An unreadable header cannot be attributed: the proxy is the client.
            return peer;
        };
        hops.extend(text.split(',').filter(|hop| !hop.trim().is_empty()));
    }
    let mut client = peer;
    for hop in hops.iter().rev() {
        match parse_entry(hop) {
            Some(ip) if trusted(ip, proxies) => client = ip,
            Some(ip) => return ip,
            // Garbage from a trusted hop's left: the last attributable hop stands.
            None => return client,
        }
    }
    client
}

/// Middleware: stores the [`ClientIp`] of every request (see module docs).
pub async fn layer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let ip = resolve(peer, request.headers(), &state.config.trusted_proxies);
    request.extensions_mut().insert(ClientIp(ip));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn proxies_parse_as_addresses_or_networks() {
        assert_eq!(parse_proxy("127.0.0.1"), Ok(nets(&["127.0.0.1/32"])[0]));
        assert_eq!(parse_proxy(" 10.0.0.0/8 "), Ok(nets(&["10.0.0.0/8"])[0]));
        assert_eq!(parse_proxy("::1"), Ok(nets(&["::1/128"])[0]));
        assert!(parse_proxy("10.0.0.0/33").is_err());
        assert!(parse_proxy("proxy.internal").is_err());
    }

    #[test]
    fn untrusted_peers_are_the_client_whatever_they_send() {
        let h = headers(&["203.0.113.9"]);
        assert_eq!(resolve(ip("198.51.100.1"), &h, &[]), ip("198.51.100.1"));
        assert_eq!(
            resolve(ip("198.51.100.1"), &h, &nets(&["10.0.0.0/8"])),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn trusted_peers_yield_the_rightmost_untrusted_hop() {
        let proxies = nets(&["10.0.0.0/8", "127.0.0.1/32"]);
        // The client forged the first entry; the proxy appended the real address.
        let h = headers(&["1.1.1.1, 203.0.113.9, 10.0.0.7"]);
        assert_eq!(resolve(ip("127.0.0.1"), &h, &proxies), ip("203.0.113.9"));
        let split = headers(&["1.1.1.1", "203.0.113.9:4711"]);
        assert_eq!(resolve(ip("10.1.2.3"), &split, &proxies), ip("203.0.113.9"));
        let v6 = headers(&["[2001:db8::1]:443"]);
        assert_eq!(resolve(ip("10.1.2.3"), &v6, &proxies), ip("2001:db8::1"));
    }

    #[test]
    fn all_trusted_or_garbage_falls_back_to_the_last_attributable_hop() {
        let proxies = nets(&["10.0.0.0/8"]);
        assert_eq!(
            resolve(ip("10.0.0.1"), &headers(&[]), &proxies),
            ip("10.0.0.1")
        );
        assert_eq!(
            resolve(ip("10.0.0.1"), &headers(&["10.0.0.2"]), &proxies),
            ip("10.0.0.2")
        );
        assert_eq!(
            resolve(ip("10.0.0.1"), &headers(&["evil, not-an-ip"]), &proxies),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn mapped_v4_peers_match_v4_proxies() {
        let proxies = nets(&["127.0.0.1/32"]);
        let h = headers(&["203.0.113.9"]);
        assert_eq!(
            resolve(ip("::ffff:127.0.0.1"), &h, &proxies),
            ip("203.0.113.9")
        );
    }
}
