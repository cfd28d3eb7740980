//! Where a webhook may be posted: `https://` URLs (plus `http://` with the insecure
//! setting) whose host resolves only to public addresses (loopback and private
//! space need the insecure setting too). Checked when an endpoint is written and
//! again before every delivery (a name may be re-pointed later; the window between
//! that check and the connection is a known, documented gap).

use url::Url;

/// Why a URL is refused (the endpoint's validation message).
pub type Refusal = &'static str;

/// Parses and checks the URL's form (not its resolution).
pub fn parse(text: &str, allow_insecure: bool) -> Result<Url, Refusal> {
    let url = Url::parse(text).map_err(|_| "must be a valid URL")?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure => {}
        _ => return Err("must be a valid URL using the https protocol"),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("must be a valid URL with a host");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain credentials");
    }
    Ok(url)
}

/// Resolves the URL's host; refused when it does not resolve or (without the
/// insecure setting) when any address is not public.
pub async fn check_resolution(url: &Url, allow_insecure: bool) -> Result<(), Refusal> {
    let Some(host) = url.host_str() else {
        return Err("must be a valid URL with a host");
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| "must resolve to an address")?
        .collect();
    if addresses.is_empty() {
        return Err("must resolve to an address");
    }
    if !allow_insecure
        && addresses
            .iter()
            .any(|a| !latchkey_core::webhooks::is_public_address(a.ip()))
    {
        return Err("must not resolve to a loopback or private address");
    }
    Ok(())
}
