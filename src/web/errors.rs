//! Errors as pages, in the reader's language: not logged in goes to the login page
//! (and back to this page after); anything else is a page saying what happened with a
//! way back, inside the app's shell (sidebar and all) when the reader is logged in,
//! or, for htmx, a short fragment.

use poem::{
    IntoResponse, Request, Response,
    http::{StatusCode, header},
    web::Redirect,
};

use super::{local_path, views};
use crate::{
    AppState,
    auth::CurrentUser,
    error::{AppError, Code},
    i18n::{self, Lang},
    render::encode_segment,
    rooms,
    store::rooms::Scope,
};

/// Who asked, as far as an error page cares.
pub struct Asker {
    pub htmx: bool,
    pub lang: Lang,
    /// The page asked for (path and query), to come back to after logging in.
    pub page: String,
    pub viewer: Option<CurrentUser>,
}

impl Asker {
    /// Read before the request is handled (the handler takes the request).
    pub fn of(req: &Request) -> Self {
        let htmx = super::is_htmx(req);
        // htmx asks for fragments; the page to come back to is the one it is on.
        let page = if htmx {
            req.headers()
                .get("HX-Current-URL")
                .and_then(|v| v.to_str().ok())
                .and_then(|url| url.split_once("://").map(|(_, rest)| rest))
                .and_then(|rest| rest.find('/').map(|at| rest[at..].to_owned()))
                .unwrap_or_default()
        } else {
            req.uri()
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default()
        };
        Self {
            htmx,
            lang: Lang::of(req.headers()),
            page,
            viewer: CurrentUser::of(req),
        }
    }

    fn login_url(&self) -> String {
        match local_path(&self.page).filter(|p| !p.starts_with("/login")) {
            Some(page) => format!("/login?next={}", encode_segment(page)),
            None => "/login".to_owned(),
        }
    }
}

/// Renders any error raised by a page.
pub async fn error_page(state: Option<&AppState>, err: poem::Error, asker: Asker) -> Response {
    let app_error = err.downcast_ref::<AppError>();
    if let Some(AppError::Unauthorized) = app_error {
        let login = asker.login_url();
        return if asker.htmx {
            Response::builder()
                .status(StatusCode::UNAUTHORIZED)
                .header("HX-Redirect", login)
                .finish()
        } else {
            Redirect::see_other(login).into_response()
        };
    }
    let lang = asker.lang;
    let (status, detail) = match app_error {
        Some(app) => {
            app.log_if_internal();
            (app.status(), i18n::error_text(lang, app))
        }
        None => {
            let status = err.status();
            let code = if status.is_server_error() {
                tracing::error!(error = %err, "internal error");
                Code::Internal
            } else if status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED {
                Code::NoSuchPage
            } else if status == StatusCode::PAYLOAD_TOO_LARGE {
                Code::TooLarge
            } else {
                // poem's own words ("invalid digit found in string") are for programmers.
                Code::BadQuery
            };
            (status, i18n::code_text(lang, code))
        }
    };
    let title = i18n::page_title(lang, status);
    let t = lang.text();
    let body = if asker.htmx {
        super::render(&views::InlineError { detail: &detail })
    } else {
        let shell = match (&asker.viewer, state) {
            (Some(viewer), Some(state)) => rooms::list(&state.db, viewer, Scope::Joined)
                .await
                .ok()
                .map(|rooms| (viewer, rooms)),
            _ => None,
        };
        match shell {
            Some((viewer, rooms)) => super::render(&views::ErrorInShell {
                t,
                username: &viewer.username,
                avatar: viewer.avatar.as_deref(),
                rooms: &rooms,
                current_room_id: 0,
                title,
                detail: &detail,
            }),
            None => super::render(&views::ErrorPage {
                t,
                title,
                detail: &detail,
            }),
        }
    };
    match body {
        Ok(html) => match app_error {
            Some(app) => super::with_retry_after((status, html).into_response(), app),
            None => (status, html).into_response(),
        },
        Err(_) => Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(i18n::code_text(lang, Code::Internal)),
    }
}
