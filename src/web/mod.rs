//! The HTML side: server-rendered pages, htmx fragments, and the page WebSocket that
//! streams new messages in as HTML.

pub mod assets;
mod auth_pages;
pub mod i18n;
mod linkify;
mod live;
mod room_pages;
pub mod views;

use askama::Template;
use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, Result, Route, get, handler,
    http::{StatusCode, header},
    post,
    web::{Data, Html, Redirect},
};

use crate::{
    AppState,
    error::{AppError, GENERIC_INTERNAL},
};

pub fn routes() -> Route {
    Route::new()
        .at("/", get(auth_pages::home))
        .at(
            "/login",
            get(auth_pages::login_page).post(auth_pages::log_in),
        )
        .at(
            "/register",
            get(auth_pages::register_page).post(auth_pages::register),
        )
        .at("/logout", post(auth_pages::log_out))
        .at("/lang", post(i18n::switch_language))
        .at("/me.css", get(room_pages::my_stylesheet))
        .at(
            "/rooms",
            get(room_pages::rooms_page).post(room_pages::create_room),
        )
        .at("/dialogs/create-room", get(room_pages::create_dialog))
        .at("/dialogs/join-room", get(room_pages::join_dialog))
        .at("/rooms/:name", get(room_pages::room_page))
        .at("/rooms/:name/join", post(room_pages::join_room))
        .at(
            "/rooms/:name/messages",
            get(room_pages::earlier_messages).post(room_pages::post_message),
        )
        .at("/rooms/:name/ws", get(live::room_socket))
}

/// `GET /healthz`: 200 once the database answers, with the state of each link:
/// `{"status":"ok","database":"ok","redis":"ok"|"down"|"off"}`. A node whose Redis
/// link is down still serves its own sockets, so it stays healthy (200).
#[handler]
pub async fn health(state: Data<&AppState>) -> Response {
    let database = match state.db.ping().await {
        Ok(()) => "ok",
        Err(err) => {
            tracing::warn!(%err, "health check: database unreachable");
            "down"
        }
    };
    let redis = match &state.redis {
        None => "off",
        Some(link) if link.is_up() => "ok",
        Some(_) => "down",
    };
    let status = if database == "ok" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if database == "ok" { "ok" } else { "unavailable" },
        "database": database,
        "redis": redis,
    });
    (status, poem::web::Json(body)).into_response()
}

/// `GET /metrics`: Prometheus text.
#[handler]
pub fn metrics() -> Response {
    Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(crate::metrics::render())
}

/// Renders a template, or an internal error if it cannot be.
pub(crate) fn render(template: &impl Template) -> Result<Html<String>, AppError> {
    template.render().map(Html).map_err(AppError::internal)
}

/// Renders any error raised by a page as HTML: not logged in goes to the login page;
/// everything else is a small page (or, for htmx, a fragment) saying what happened,
/// in the reader's language.
pub fn error_page(err: poem::Error, htmx: bool, lang: i18n::Lang) -> Response {
    let app_error = err.downcast_ref::<AppError>();
    let (status, title, detail) = match app_error {
        Some(AppError::Unauthorized) if htmx => {
            return Response::builder()
                .status(StatusCode::UNAUTHORIZED)
                .header("HX-Redirect", "/login")
                .finish();
        }
        Some(AppError::Unauthorized) => return Redirect::see_other("/login").into_response(),
        Some(app) => {
            // `detail()` logs an internal cause once; the reader gets their language.
            let _ = app.detail();
            (app.status(), app.title(), i18n::error_text(lang, app))
        }
        None if err.status().is_server_error() => {
            tracing::error!(error = %err, "internal error");
            (err.status(), "Internal error", GENERIC_INTERNAL.to_owned())
        }
        None => (
            err.status(),
            err.status().canonical_reason().unwrap_or("Error"),
            err.to_string(),
        ),
    };
    let title = i18n::error_title(lang, app_error, title);
    let body = if htmx {
        views::InlineError { detail: &detail }.render()
    } else {
        views::ErrorPage {
            t: lang.text(),
            title: &title,
            detail: &detail,
        }
        .render()
    };
    let body = body.unwrap_or_else(|_| GENERIC_INTERNAL.to_owned());
    (status, Html(body)).into_response()
}

/// Headers every response gets: a strict Content-Security-Policy (no inline script,
/// no eval, nothing from elsewhere), no MIME sniffing, and a careful referrer.
pub struct SecurityHeaders;

const CSP: &str = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; connect-src 'self'; form-action 'self'";

impl<E: Endpoint> Middleware<E> for SecurityHeaders {
    type Output = SecurityHeadersEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        SecurityHeadersEndpoint { inner }
    }
}

pub struct SecurityHeadersEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for SecurityHeadersEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let path = req.uri().path().to_owned();
        let htmx = req.headers().contains_key("HX-Request");
        let lang = i18n::Lang::of(req.headers());
        let mut response = match self.inner.call(req).await {
            Ok(response) => response.into_response(),
            // The one place errors become responses: problem+json under /api, HTML elsewhere.
            Err(err) if path.starts_with("/api/") => crate::api::problem_response(err),
            Err(err) => error_page(err, htmx, lang),
        };
        let headers = response.headers_mut();
        // The API docs page is Swagger UI, which needs inline script; it is not ours to rewrite.
        if !path.starts_with("/api/docs") {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                header::HeaderValue::from_static(CSP),
            );
        }
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            header::HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            header::HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
        Ok(response)
    }
}
