//! The docs page's own Content-Security-Policy. Swagger UI (as poem-openapi serves it)
//! is one page with its script, its styles and the OpenAPI document inline, which the
//! site-wide policy forbids. Rather than allow inline script in general, this allows
//! exactly the page's own inline blocks, by their SHA-256 hashes, computed once from
//! the page itself. Nothing else may run or load, and no page may frame it.

use std::sync::OnceLock;

use base64::{Engine, engine::general_purpose::STANDARD};
use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, Result,
    http::{HeaderValue, header},
};
use sha2::{Digest, Sha256};

/// For anything under `/api/docs` but the page itself (the OAuth receiver, which
/// Hearth does not use): nothing runs.
const NOTHING: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub struct DocsPolicy;

impl<E: Endpoint> Middleware<E> for DocsPolicy {
    type Output = DocsPolicyEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        DocsPolicyEndpoint { inner }
    }
}

pub struct DocsPolicyEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for DocsPolicyEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let page = matches!(req.original_uri().path(), "/api/docs" | "/api/docs/");
        let mut response = self.inner.call(req).await?.into_response();
        let policy = if page && response.status().is_success() {
            page_policy(&mut response).await?
        } else {
            NOTHING.to_owned()
        };
        if let Ok(value) = HeaderValue::from_str(&policy) {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, value);
        }
        Ok(response)
    }
}

/// The page's policy, computed from the first page served (it never changes).
async fn page_policy(response: &mut Response) -> Result<String> {
    static POLICY: OnceLock<String> = OnceLock::new();
    if let Some(policy) = POLICY.get() {
        return Ok(policy.clone());
    }
    let html = response.take_body().into_bytes().await?;
    let policy = policy_for(&String::from_utf8_lossy(&html));
    response.set_body(html);
    Ok(POLICY.get_or_init(|| policy).clone())
}

fn policy_for(html: &str) -> String {
    let scripts = hashes(html, "script");
    let styles = hashes(html, "style");
    format!(
        "default-src 'none'; script-src {scripts}; style-src {styles}; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// `'sha256-…'` for the contents of each inline `<tag …>…</tag>` block.
fn hashes(html: &str, tag: &str) -> String {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let after_open = &rest[start..];
        let Some(content_start) = after_open.find('>') else {
            break;
        };
        let content = &after_open[content_start + 1..];
        let Some(end) = content.find(&close) else {
            break;
        };
        let digest = Sha256::digest(&content.as_bytes()[..end]);
        found.push(format!("'sha256-{}'", STANDARD.encode(digest)));
        rest = &content[end + close.len()..];
    }
    if found.is_empty() {
        "'none'".to_owned()
    } else {
        found.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_inline_block_is_allowed_by_its_hash_and_nothing_else() {
        let html =
            "<style>b{}</style><script charset=\"UTF-8\">alert(1)</script><script>x()</script>";
        let policy = policy_for(html);
        let hash = |s: &str| format!("'sha256-{}'", STANDARD.encode(Sha256::digest(s.as_bytes())));
        assert!(
            policy.contains(&format!("script-src {} {};", hash("alert(1)"), hash("x()"))),
            "{policy}"
        );
        assert!(
            policy.contains(&format!("style-src {};", hash("b{}"))),
            "{policy}"
        );
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("unsafe-inline"));
    }
}
