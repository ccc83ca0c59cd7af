//! The request body limit: every route reads at most `MAX_BODY_BYTES`. A declared
//! `Content-Length` over it is refused before a byte of the body is read; a body sent
//! without one (chunked) is read only up to the limit, then refused. Either way the
//! answer is 413, as problem+json under `/api` and as a page elsewhere.
//!
//! Uploads (a multipart form sent to one of the upload routes) are the exception: their
//! handlers stream the file and count it against `--max-upload-bytes` themselves
//! (`files`), so here they are only refused when they declare more than that.

use poem::{Endpoint, Middleware, Request, Result, error::ReadBodyError, http::header};

use crate::error::AppError;

/// Forms and JSON bodies: far more than any Hearth request needs (a message is at
/// most 4,000 characters). Uploads, when they come, set a limit of their own.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub struct BodyLimit {
    max: usize,
    max_upload: u64,
}

impl BodyLimit {
    /// `max` for every body, but `max_upload` (and the form around it) for uploads.
    pub fn new(max: usize, max_upload: u64) -> Self {
        Self { max, max_upload }
    }
}

/// What an upload form may hold beside its file: the text, the client id, the parts'
/// headers.
const FORM_SLACK: u64 = 256 * 1024;

/// Whether the body is a multipart form.
pub fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"))
}

/// A multipart form sent to a route that takes a file.
fn is_upload(req: &Request) -> bool {
    let path = req.uri().path();
    is_multipart(req)
        && ((path.starts_with("/rooms/") && path.ends_with("/messages"))
            || (path.starts_with("/api/v1/rooms/") && path.ends_with("/files"))
            || path == "/api/v1/users/me/avatar"
            || path == "/settings/avatar"
            || path == "/admin/bots/avatar")
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint {
            inner,
            max: self.max,
            max_upload: self.max_upload,
        }
    }
}

pub struct BodyLimitEndpoint<E> {
    inner: E,
    max: usize,
    max_upload: u64,
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if is_upload(&req) {
            if declared.is_some_and(|length| length > self.max_upload + FORM_SLACK) {
                return Err(AppError::TooLarge.into());
            }
            return self.inner.call(req).await;
        }
        match declared {
            Some(length) if length > self.max as u64 => return Err(AppError::TooLarge.into()),
            // hyper holds the body to its declared length.
            Some(_) => {}
            None => {
                let body = req.take_body();
                if !body.is_empty() {
                    // No length given: read no further than the limit allows.
                    let bytes = body
                        .into_bytes_limit(self.max)
                        .await
                        .map_err(|err| match err {
                            ReadBodyError::PayloadTooLarge => poem::Error::from(AppError::TooLarge),
                            other => poem::Error::from(other),
                        })?;
                    req.set_body(bytes);
                } else {
                    req.set_body(body);
                }
            }
        }
        self.inner.call(req).await
    }
}
