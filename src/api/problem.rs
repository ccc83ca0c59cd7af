//! RFC 9457 problem details: every API error, ours or the framework's (a malformed
//! body, an unknown route), leaves as `application/problem+json`.

use poem::{Response, http::header};
use poem_openapi::{
    ApiResponse, Object,
    error::ParseRequestPayloadError,
    registry::{MetaMediaType, MetaResponse, MetaResponses, Registry},
    types::Type,
};

use super::strict::refused_field;
use crate::{
    domain::Emoji,
    error::{AppError, Code},
    i18n::{Lang, error_text, error_title},
};

/// A problem, as RFC 9457 shapes it, with Hearth's error code beside the words.
#[derive(Debug, Object, serde::Serialize)]
pub struct Problem {
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, in a sentence for people.
    pub detail: String,
    /// What went wrong, for programs: `no_such_room`, `message_too_long`, ….
    pub code: String,
    /// For 422: the request field that was refused.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
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
                description: "A problem (RFC 9457) with a `code`: 401 not logged in, 403 not allowed, 404 not found, 409 taken, 413 too large, 422 invalid (naming the `field`), 429 too many requests.",
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

/// Renders any error raised under `/api` as problem+json, in English; `reaction` says
/// the request's path names a reaction (`names_a_reaction`). Internal causes are logged
/// and never sent.
pub fn problem_response(err: poem::Error, reaction: bool) -> Response {
    let not_one_emoji;
    let app = match err.downcast_ref::<AppError>() {
        Some(app) => app,
        None if reaction && err.is::<poem::error::ParsePathError>() => {
            // poem refuses a whole path with a segment that is not UTF-8 before any
            // handler sees it; in a reaction's path that segment is the emoji, refused
            // as any other that is not one emoji.
            not_one_emoji = AppError::from(Emoji::refused());
            &not_one_emoji
        }
        None => return framework_problem(&err),
    };
    app.log_if_internal();
    let body = Problem {
        title: error_title(Lang::En, app.status()).to_owned(),
        status: app.status().as_u16(),
        detail: error_text(Lang::En, app),
        code: app.code().as_str().to_owned(),
        field: app.field().map(str::to_owned),
    };
    respond(body, app.retry_after())
}

/// Whether `path` is `/api/v1/messages/{id}/reactions/{emoji}`; read before the
/// request is handled (the handler takes the request), without allocating.
pub fn names_a_reaction(path: &str) -> bool {
    path.strip_prefix("/api/v1/messages/")
        .and_then(|rest| rest.split_once('/'))
        .and_then(|(_, rest)| rest.strip_prefix("reactions/"))
        .is_some_and(|emoji| !emoji.is_empty() && !emoji.contains('/'))
}

/// An error poem or poem-openapi raised before a handler ran: a body that is not the
/// JSON a route takes (422, naming the field when it can), a parameter that does not
/// parse (400), an unknown route (404), and so on.
fn framework_problem(err: &poem::Error) -> Response {
    if let Some(payload) = err.downcast_ref::<ParseRequestPayloadError>() {
        let refused = refused_field(&payload.reason);
        let detail = match refused {
            Some((field, what)) => format!("The field “{field}” {what}."),
            None => "The request body is not the JSON this route takes.".to_owned(),
        };
        let field = refused.map(|(field, _)| field.to_owned());
        let body = Problem {
            title: error_title(Lang::En, poem::http::StatusCode::UNPROCESSABLE_ENTITY).to_owned(),
            status: 422,
            detail,
            code: Code::WrongType.as_str().to_owned(),
            field,
        };
        return respond(body, None);
    }
    let status = err.status();
    let code = if status.is_server_error() {
        tracing::error!(error = %err, "internal error");
        Code::Internal
    } else if status == poem::http::StatusCode::NOT_FOUND {
        Code::NoSuchPage
    } else if status == poem::http::StatusCode::PAYLOAD_TOO_LARGE {
        Code::TooLarge
    } else {
        Code::BadQuery
    };
    let detail = if status.is_server_error() || status == poem::http::StatusCode::NOT_FOUND {
        crate::i18n::code_text(Lang::En, code)
    } else {
        // poem's own words for a malformed request, which name what was wrong.
        err.to_string()
    };
    let body = Problem {
        title: error_title(Lang::En, status).to_owned(),
        status: status.as_u16(),
        detail,
        code: code.as_str().to_owned(),
        field: None,
    };
    respond(body, None)
}

fn respond(body: Problem, retry_after: Option<u64>) -> Response {
    let status = poem::http::StatusCode::from_u16(body.status)
        .unwrap_or(poem::http::StatusCode::INTERNAL_SERVER_ERROR);
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
