//! RFC 9457 problem details: every API error, ours or the framework's (a malformed
//! body, an unknown route), leaves as `application/problem+json`.

use poem::{Response, http::header};
use poem_openapi::{
    ApiResponse, Object,
    registry::{MetaMediaType, MetaResponse, MetaResponses, Registry},
    types::Type,
};

use crate::error::{AppError, GENERIC_INTERNAL};

/// A problem, as RFC 9457 shapes it.
#[derive(Debug, Object, serde::Serialize)]
pub struct Problem {
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, in a sentence for people.
    pub detail: String,
}

/// An API handler's error: an `AppError`, documented as problem+json.
#[derive(Debug)]
pub struct ApiError(pub AppError);

pub type ApiResult<T> = Result<T, ApiError>;

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(err: E) -> Self {
        ApiError(err.into())
    }
}

impl From<ApiError> for poem::Error {
    fn from(err: ApiError) -> Self {
        poem::Error::from(err.0)
    }
}

impl ApiResponse for ApiError {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "A problem (RFC 9457): 401 not logged in, 403 not a member, 404 no such room, 409 taken, 422 invalid, 429 too many requests.",
                status: None,
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "application/problem+json",
                    schema: Problem::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        Problem::register(registry);
    }
}

/// Renders any error raised under `/api` as problem+json. Internal causes are logged
/// by `AppError::detail` and never sent.
pub fn problem_response(err: poem::Error) -> Response {
    let (status, title, detail, retry_after) = match err.downcast_ref::<AppError>() {
        Some(app) => (
            app.status(),
            app.title().to_owned(),
            app.detail(),
            app.retry_after(),
        ),
        None => {
            let status = err.status();
            let title = status.canonical_reason().unwrap_or("Error").to_owned();
            let detail = if status.is_server_error() {
                tracing::error!(error = %err, "internal error");
                GENERIC_INTERNAL.to_owned()
            } else {
                err.to_string()
            };
            (status, title, detail, None)
        }
    };
    let body = Problem {
        title,
        status: status.as_u16(),
        detail,
    };
    let mut response = Response::builder()
        .status(status)
        .content_type("application/problem+json")
        .body(serde_json::to_vec(&body).unwrap_or_default());
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, secs.into());
    }
    response
}
