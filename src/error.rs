//! What can go wrong for a user, once for the whole app. The web pages render an
//! `AppError` as HTML (`web::PageError`) and the API as problem+json (`api::ApiError`);
//! both take status and wording from here. Internal causes are logged, never sent.

use poem::http::StatusCode;

use crate::{domain::ValidationError, store::StoreError};

/// All a client ever learns of an internal error.
pub const GENERIC_INTERNAL: &str = "Something went wrong on our side. Please try again.";

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    #[error("You need to log in first.")]
    Unauthorized,
    #[error("Wrong username or password.")]
    BadCredentials,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(&'static str),
    #[error("Too many attempts. Try again in {retry_after_secs} seconds.")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("Hearth is restarting. Try again in a moment.")]
    ShuttingDown,
    #[error("{}", GENERIC_INTERNAL)]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized | AppError::BadCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short, fixed title for the kind of problem (RFC 9457 `title`).
    pub fn title(&self) -> &'static str {
        match self {
            AppError::Invalid(_) => "Invalid input",
            AppError::Unauthorized => "Not logged in",
            AppError::BadCredentials => "Login failed",
            AppError::Forbidden(_) => "Forbidden",
            AppError::NotFound(_) => "Not found",
            AppError::Conflict(_) => "Conflict",
            AppError::TooManyRequests { .. } => "Too many requests",
            AppError::ShuttingDown => "Shutting down",
            AppError::Internal(_) => "Internal error",
        }
    }

    /// The sentence a user reads. For internal errors, a generic one: the cause is
    /// logged here, once, and never sent.
    pub fn detail(&self) -> String {
        if let AppError::Internal(cause) = self {
            tracing::error!(error = ?cause, "internal error");
        }
        self.to_string()
    }

    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            AppError::ShuttingDown => Some(1),
            _ => None,
        }
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(cause.into())
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        AppError::Internal(err.into())
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// A plain-text rendering for errors that escape both surfaces' handlers; the page
/// and API layers each turn an `AppError` into their own format before this is used.
impl poem::error::ResponseError for AppError {
    fn status(&self) -> StatusCode {
        AppError::status(self)
    }
}
