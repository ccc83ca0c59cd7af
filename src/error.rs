//! What can go wrong for a user, once for the whole app. Every refusal has a [`Code`];
//! the language catalogues (`i18n::errors`) turn a code into words, the API sends the
//! code beside them, and pages show the words in the reader's language. Internal
//! causes are logged, never sent.

use poem::http::StatusCode;

use crate::store::StoreError;

/// Why a request was refused, named once. Catalogues translate these, never sentences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    // 422: a value broke its rule.
    UsernameLength,
    UsernameSpace,
    UsernameChar,
    UsernameMixedScripts,
    PasswordLength,
    PasswordCommon,
    RoomNameLength,
    RoomNameDots,
    RoomNameChar,
    ControlChar,
    MessageEmpty,
    MessageTooLong,
    ClientIdLength,
    LimitRange,
    BadFrame,
    BinaryFrame,
    WrongType,
    NotOneEmoji,
    SearchEmpty,
    SearchTermTooShort,
    SearchTooManyTerms,
    BadDate,
    BadQuery,
    DirectCount,
    DirectSelf,
    DirectDuplicate,
    BadNotify,
    FileMissing,
    FileEmpty,
    FileNameTooLong,
    BadUpload,
    NotAnImage,
    BadEndpoint,
    BadPushKey,
    WrongPassword,
    BadRole,
    BadRegistration,
    BadInvite,
    BadWebhookUrl,
    BadHookBody,
    // 401
    NotLoggedIn,
    BadCredentials,
    BadToken,
    // 403
    CrossSite,
    NotAMember,
    NotTheAuthor,
    DirectRoom,
    RegistrationClosed,
    NotAnAdmin,
    AccountDeactivated,
    InviteExpired,
    InviteUsedUp,
    InviteRevoked,
    ResetLinkUsed,
    ResetLinkExpired,
    // 404
    NoSuchRoom,
    NoSuchMessage,
    NoSuchPage,
    NoSuchUser,
    NoSuchFile,
    NoSuchInvite,
    NoSuchResetLink,
    NoSuchSession,
    NoSuchBot,
    // 409
    UsernameTaken,
    RoomExists,
    AlreadyMember,
    LastAdmin,
    // 413
    TooLarge,
    // 429
    TooManyRequests,
    TooManySockets,
    // 503
    ShuttingDown,
    // 500
    Internal,
}

impl Code {
    /// The code as the API sends it (`problem.code`, error frames).
    pub fn as_str(self) -> &'static str {
        match self {
            Code::UsernameLength => "username_length",
            Code::UsernameSpace => "username_space",
            Code::UsernameChar => "username_char",
            Code::UsernameMixedScripts => "username_mixed_scripts",
            Code::PasswordLength => "password_length",
            Code::PasswordCommon => "password_common",
            Code::RoomNameLength => "room_name_length",
            Code::RoomNameDots => "room_name_dots",
            Code::RoomNameChar => "room_name_char",
            Code::ControlChar => "control_char",
            Code::MessageEmpty => "message_empty",
            Code::MessageTooLong => "message_too_long",
            Code::ClientIdLength => "client_id_length",
            Code::LimitRange => "limit_range",
            Code::BadFrame => "bad_frame",
            Code::BinaryFrame => "binary_frame",
            Code::WrongType => "wrong_type",
            Code::NotOneEmoji => "not_one_emoji",
            Code::SearchEmpty => "search_empty",
            Code::SearchTermTooShort => "search_term_too_short",
            Code::SearchTooManyTerms => "search_too_many_terms",
            Code::BadDate => "bad_date",
            Code::DirectCount => "direct_count",
            Code::DirectSelf => "direct_self",
            Code::DirectDuplicate => "direct_duplicate",
            Code::BadNotify => "bad_notify",
            Code::FileMissing => "file_missing",
            Code::FileEmpty => "file_empty",
            Code::FileNameTooLong => "file_name_too_long",
            Code::BadUpload => "bad_upload",
            Code::NotAnImage => "not_an_image",
            Code::BadEndpoint => "bad_endpoint",
            Code::BadPushKey => "bad_push_key",
            Code::NoSuchFile => "no_such_file",
            Code::DirectRoom => "direct_room",
            Code::RegistrationClosed => "registration_closed",
            Code::NoSuchUser => "no_such_user",
            Code::BadQuery => "bad_query",
            Code::NotLoggedIn => "not_logged_in",
            Code::BadCredentials => "bad_credentials",
            Code::CrossSite => "cross_site",
            Code::NotAMember => "not_a_member",
            Code::NotTheAuthor => "not_the_author",
            Code::NoSuchRoom => "no_such_room",
            Code::NoSuchMessage => "no_such_message",
            Code::NoSuchPage => "no_such_page",
            Code::UsernameTaken => "username_taken",
            Code::RoomExists => "room_exists",
            Code::AlreadyMember => "already_member",
            Code::TooLarge => "too_large",
            Code::TooManyRequests => "too_many_requests",
            Code::TooManySockets => "too_many_sockets",
            Code::ShuttingDown => "shutting_down",
            Code::Internal => "internal",
            Code::WrongPassword => "wrong_password",
            Code::BadRole => "bad_role",
            Code::BadRegistration => "bad_registration",
            Code::BadInvite => "bad_invite",
            Code::BadWebhookUrl => "bad_webhook_url",
            Code::BadHookBody => "bad_hook_body",
            Code::BadToken => "bad_token",
            Code::NotAnAdmin => "not_an_admin",
            Code::AccountDeactivated => "account_deactivated",
            Code::InviteExpired => "invite_expired",
            Code::InviteUsedUp => "invite_used_up",
            Code::InviteRevoked => "invite_revoked",
            Code::ResetLinkUsed => "reset_link_used",
            Code::ResetLinkExpired => "reset_link_expired",
            Code::NoSuchInvite => "no_such_invite",
            Code::NoSuchResetLink => "no_such_reset_link",
            Code::NoSuchSession => "no_such_session",
            Code::NoSuchBot => "no_such_bot",
            Code::LastAdmin => "last_admin",
        }
    }
}

/// A value that broke its rule: which field, which rule, and (for rules that name
/// something, such as the character that is not allowed) that thing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {}", code.as_str())]
pub struct ValidationError {
    /// The field the value came from, as the API names it (`username`, `text`, ...).
    pub field: &'static str,
    pub code: Code,
    pub value: Option<String>,
}

impl ValidationError {
    pub fn new(field: &'static str, code: Code) -> Self {
        Self {
            field,
            code,
            value: None,
        }
    }

    pub fn naming(field: &'static str, code: Code, value: impl Into<String>) -> Self {
        Self {
            field,
            code,
            value: Some(value.into()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("not logged in")]
    Unauthorized,
    #[error("bad credentials")]
    BadCredentials,
    /// A bearer token that is not (or no longer) a bot's.
    #[error("bad token")]
    BadToken,
    #[error("forbidden: {}", .0.as_str())]
    Forbidden(Code),
    #[error("not found: {}", .0.as_str())]
    NotFound(Code),
    #[error("conflict: {}", .0.as_str())]
    Conflict(Code),
    #[error("too large")]
    TooLarge,
    #[error("too many requests (retry after {retry_after_secs} s)")]
    TooManyRequests { retry_after_secs: u64 },
    /// The user has as many sockets open on this node as one may.
    #[error("too many sockets")]
    TooManySockets,
    #[error("shutting down")]
    ShuttingDown,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized | AppError::BadCredentials | AppError::BadToken => {
                StatusCode::UNAUTHORIZED
            }
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests { .. } | AppError::TooManySockets => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> Code {
        match self {
            AppError::Invalid(v) => v.code,
            AppError::Unauthorized => Code::NotLoggedIn,
            AppError::BadCredentials => Code::BadCredentials,
            AppError::BadToken => Code::BadToken,
            AppError::Forbidden(code) | AppError::NotFound(code) | AppError::Conflict(code) => {
                *code
            }
            AppError::TooLarge => Code::TooLarge,
            AppError::TooManyRequests { .. } => Code::TooManyRequests,
            AppError::TooManySockets => Code::TooManySockets,
            AppError::ShuttingDown => Code::ShuttingDown,
            AppError::Internal(_) => Code::Internal,
        }
    }

    /// The field a 422 is about, as the API names it.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            AppError::Invalid(v) => Some(v.field),
            _ => None,
        }
    }

    /// Logs an internal cause, once, where the error is turned into a response.
    pub fn log_if_internal(&self) {
        if let AppError::Internal(cause) = self {
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
    }

    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            // A socket frees its place when its tab closes.
            AppError::TooManySockets => Some(5),
            AppError::ShuttingDown => Some(1),
            _ => None,
        }
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(cause.into())
    }

    /// A value of `field` was refused by `code`.
    pub fn invalid(field: &'static str, code: Code) -> Self {
        AppError::Invalid(ValidationError::new(field, code))
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        AppError::Internal(err.into())
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// A plain rendering for errors that escape both surfaces' handlers; the error
/// middleware turns an `AppError` into a page or problem+json before this is used.
impl poem::error::ResponseError for AppError {
    fn status(&self) -> StatusCode {
        AppError::status(self)
    }
}
