//! Cross-site request refusal. A browser names the page a request came from in
//! `Origin` (or, failing that, `Referer`); a state-changing request, or a WebSocket
//! upgrade, from another site is refused. Requests naming no origin at all come from
//! scripts and other non-browser clients, which carry no ambient cookies to abuse.

use poem::{
    Endpoint, Middleware, Request, Result,
    http::{HeaderMap, Method, header},
};

use crate::error::{AppError, Code};

/// Whether the request's `Origin` (or `Referer`) names this site, or is absent.
pub fn is_same_origin(headers: &HeaderMap) -> bool {
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER));
    let Some(claimed) = claimed else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    claimed
        .to_str()
        .ok()
        .and_then(authority_of)
        .is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

/// `https://example.org:8443/path` → `example.org:8443`. `null` and junk → None.
fn authority_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|a| !a.is_empty())
}

/// Refuses unsafe-method requests from other sites with 403.
pub struct SameOriginOnly;

impl<E: Endpoint> Middleware<E> for SameOriginOnly {
    type Output = SameOriginOnlyEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        SameOriginOnlyEndpoint { inner }
    }
}

pub struct SameOriginOnlyEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for SameOriginOnlyEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        // A bot's token is never sent by a browser on its own.
        let bearer = req.extensions().get::<super::bots::Bearer>().is_some();
        if !safe && !bearer && !is_same_origin(req.headers()) {
            return Err(AppError::Forbidden(Code::CrossSite).into());
        }
        self.inner.call(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), value.parse().unwrap());
        }
        map
    }

    #[test]
    fn same_site_and_absent_origins_pass() {
        assert!(is_same_origin(&headers(&[(
            header::HOST,
            "chat.example:8000"
        )])));
        assert!(is_same_origin(&headers(&[
            (header::HOST, "chat.example:8000"),
            (header::ORIGIN, "http://chat.example:8000"),
        ])));
        assert!(is_same_origin(&headers(&[
            (header::HOST, "chat.example"),
            (header::REFERER, "https://chat.example/rooms?x=1"),
        ])));
    }

    #[test]
    fn other_sites_and_null_origins_are_refused() {
        for origin in [
            "http://evil.example",
            "http://chat.example:9999",
            "null",
            "chat.example",
        ] {
            let h = headers(&[(header::HOST, "chat.example"), (header::ORIGIN, origin)]);
            assert!(!is_same_origin(&h), "{origin}");
        }
        let sneaky = headers(&[
            (header::HOST, "chat.example"),
            (header::REFERER, "http://chat.example.evil.example/"),
        ]);
        assert!(!is_same_origin(&sneaky));
    }
}
