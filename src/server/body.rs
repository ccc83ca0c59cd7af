//! The request body limit: every route reads at most `MAX_BODY_BYTES`. A declared
//! `Content-Length` over it is refused before a byte of the body is read; a body sent
//! without one (chunked) is read only up to the limit, then refused. Either way the
//! answer is 413, as problem+json under `/api` and as a page elsewhere.

use poem::{Endpoint, Middleware, Request, Result, error::ReadBodyError, http::header};

use crate::error::AppError;

/// Forms and JSON bodies: far more than any Hearth request needs (a message is at
/// most 4,000 characters). Uploads, when they come, set a limit of their own.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub struct BodyLimit {
    max: usize,
}

impl BodyLimit {
    pub fn new(max: usize) -> Self {
        Self { max }
    }
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint {
            inner,
            max: self.max,
        }
    }
}

pub struct BodyLimitEndpoint<E> {
    inner: E,
    max: usize,
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
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
