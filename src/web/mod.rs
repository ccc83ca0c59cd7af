//! The HTML side: server-rendered pages, htmx fragments, and the page WebSocket that
//! streams new messages in as HTML.

pub mod assets;
mod auth_pages;
mod lang;
mod live;
mod message_pages;
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
    error::{AppError, Code},
    i18n::{self, Lang},
    peer::ClientAddr,
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
        .at("/lang", post(lang::switch_language))
        .at("/favicon.ico", get(assets::favicon))
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
        .at("/messages/:id/menu", get(message_pages::menu))
        .at("/messages/:id/actions", get(message_pages::actions_page))
        .at(
            "/messages/:id/edit",
            get(message_pages::edit_form).post(message_pages::save_edit),
        )
        .at(
            "/messages/:id/delete",
            get(message_pages::delete_dialog).post(message_pages::delete),
        )
        .at("/messages/:id/content", get(message_pages::content))
        .at(
            "/messages/:id/reactions",
            post(message_pages::toggle_reaction),
        )
        .at("/dialogs/react/:id", get(message_pages::react_dialog))
}

pub(crate) fn is_htmx(req: &Request) -> bool {
    req.headers().contains_key("HX-Request")
}

/// `GET /healthz`: 200 once the database answers, 503 otherwise. Anyone may ask, but
/// only the operator (a loopback client no proxy forwarded, or anyone on the metrics
/// address) sees more than `{"status":"ok"}`: the state of each link,
/// `{"status":"ok","database":"ok","redis":"ok"|"down"|"off"}`. A node whose Redis
/// link is down still serves its own sockets, so it stays healthy (200).
#[handler]
pub async fn health(state: Data<&AppState>, client: ClientAddr) -> Response {
    health_report(&state, client.is_local_operator()).await
}

/// `GET /healthz` on the metrics address: always with details.
#[handler]
pub async fn health_for_operators(state: Data<&AppState>) -> Response {
    health_report(&state, true).await
}

async fn health_report(state: &AppState, detailed: bool) -> Response {
    let database = match state.db.ping().await {
        Ok(()) => "ok",
        Err(err) => {
            tracing::warn!(%err, "health check: database unreachable");
            "down"
        }
    };
    let (status, word) = if database == "ok" {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    };
    if !detailed {
        let body = serde_json::json!({ "status": word });
        return (status, poem::web::Json(body)).into_response();
    }
    let redis = match &state.redis {
        None => "off",
        Some(link) if link.is_up() => "ok",
        Some(_) => "down",
    };
    let body = serde_json::json!({ "status": word, "database": database, "redis": redis });
    (status, poem::web::Json(body)).into_response()
}

/// `GET /metrics` on the public port (when no metrics address is set): Prometheus
/// text for the operator on this machine; 404 for everyone else, as if it were not there.
#[handler]
pub fn metrics(client: ClientAddr) -> Result<Response> {
    if !client.is_local_operator() {
        return Err(AppError::NotFound(Code::NoSuchPage).into());
    }
    Ok(metrics_text())
}

/// `GET /metrics` on the metrics address.
#[handler]
pub fn metrics_for_operators() -> Response {
    metrics_text()
}

fn metrics_text() -> Response {
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
pub fn error_page(err: poem::Error, htmx: bool, lang: Lang) -> Response {
    let app_error = err.downcast_ref::<AppError>();
    if let Some(AppError::Unauthorized) = app_error {
        return if htmx {
            Response::builder()
                .status(StatusCode::UNAUTHORIZED)
                .header("HX-Redirect", "/login")
                .finish()
        } else {
            Redirect::see_other("/login").into_response()
        };
    }
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
            } else if status == StatusCode::NOT_FOUND {
                Code::NoSuchPage
            } else if status == StatusCode::PAYLOAD_TOO_LARGE {
                Code::TooLarge
            } else {
                Code::BadQuery
            };
            (status, i18n::code_text(lang, code))
        }
    };
    let title = i18n::error_title(lang, status);
    let body = if htmx {
        views::InlineError { detail: &detail }.render()
    } else {
        views::ErrorPage {
            t: lang.text(),
            title,
            detail: &detail,
        }
        .render()
    };
    let body = body.unwrap_or_else(|_| i18n::code_text(lang, Code::Internal));
    let response = (status, Html(body)).into_response();
    match app_error {
        Some(app) => with_retry_after(response, app),
        None => response,
    }
}

/// Adds `Retry-After` to a refusal that says when to come back.
pub(crate) fn with_retry_after(mut response: Response, err: &AppError) -> Response {
    if let Some(secs) = err.retry_after() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, secs.into());
    }
    response
}

/// Headers every response gets: a strict Content-Security-Policy (no inline script,
/// no eval, nothing from elsewhere) unless the route set its own (the API docs do), no
/// MIME sniffing, a careful referrer and, when served over HTTPS (Secure cookies on),
/// HSTS so browsers never fall back to plain HTTP.
pub struct SecurityHeaders {
    hsts: bool,
}

impl SecurityHeaders {
    pub fn new(https: bool) -> Self {
        Self { hsts: https }
    }
}

const CSP: &str = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; connect-src 'self'; form-action 'self'";
/// A year, the minimum the browsers' preload lists accept.
const HSTS: &str = "max-age=31536000";

impl<E: Endpoint> Middleware<E> for SecurityHeaders {
    type Output = SecurityHeadersEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        SecurityHeadersEndpoint {
            inner,
            hsts: self.hsts,
        }
    }
}

pub struct SecurityHeadersEndpoint<E> {
    inner: E,
    hsts: bool,
}

impl<E: Endpoint> Endpoint for SecurityHeadersEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let mut response = self.inner.call(req).await?.into_response();
        let headers = response.headers_mut();
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
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
        if self.hsts {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                header::HeaderValue::from_static(HSTS),
            );
        }
        Ok(response)
    }
}
