//! The HTML side: server-rendered pages, htmx fragments, and the page WebSocket that
//! streams new messages in as HTML.

mod account_pages;
mod admin_pages;
pub mod assets;
mod auth_pages;
mod errors;
mod files;
mod lang;
mod live;
mod message_pages;
mod people_pages;
mod room_pages;
mod room_view;
mod search_page;
pub mod views;

use askama::Template;
use poem::{
    Endpoint, FromRequest, IntoResponse, Middleware, Request, RequestBody, Response, Result, Route,
    get, handler,
    http::{StatusCode, header},
    post,
    web::{Data, Html, Multipart},
};

use crate::{
    AppState,
    error::{AppError, Code},
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
        .at(
            "/join/:code",
            get(auth_pages::join_page).post(auth_pages::join),
        )
        .at(
            "/reset/:token",
            get(auth_pages::reset_page).post(auth_pages::reset_password),
        )
        .at("/account", get(account_pages::account_page))
        .at("/account/password", post(account_pages::change_password))
        .at("/account/sessions/end", post(account_pages::end_session))
        .at("/account/delete", post(account_pages::delete_account))
        .at("/admin", get(admin_pages::admin_page))
        .at("/admin/registration", post(admin_pages::set_registration))
        .at("/admin/invites", post(admin_pages::create_invite))
        .at("/admin/invites/revoke", post(admin_pages::revoke_invite))
        .at("/admin/people/role", post(admin_pages::set_role))
        .at("/admin/people/active", post(admin_pages::set_active))
        .at("/admin/people/reset-link", post(admin_pages::reset_link))
        .at("/admin/bots", post(admin_pages::create_bot))
        .at("/admin/bots/token", post(admin_pages::rotate_token))
        .at("/admin/bots/revoke", post(admin_pages::revoke_token))
        .at("/admin/bots/webhook", post(admin_pages::set_webhook))
        .at("/admin/bots/avatar", post(admin_pages::bot_avatar))
        .at("/admin/rooms/rename", post(admin_pages::rename_room))
        .at("/admin/rooms/delete", post(admin_pages::delete_room))
        .at(
            "/admin/rooms/remove-member",
            post(admin_pages::remove_member),
        )
        .at("/lang", post(lang::switch_language))
        .at("/favicon.ico", get(assets::favicon))
        .at("/sw.js", get(assets::service_worker))
        .at("/manifest.webmanifest", get(assets::manifest))
        .at("/me.css", get(room_pages::my_stylesheet))
        .at(
            "/rooms",
            get(room_pages::rooms_page).post(room_pages::create_room),
        )
        .at("/dialogs/create-room", get(room_pages::create_dialog))
        .at("/dialogs/join-room", get(room_pages::join_dialog))
        .at("/rooms/:name", get(room_view::room_page))
        .at("/rooms/:name/messages/:id", get(room_view::permalink_page))
        .at("/rooms/:name/join", post(room_pages::join_room))
        .at(
            "/rooms/:name/messages",
            get(room_view::more_messages).post(room_pages::post_message),
        )
        .at("/rooms/:name/ws", get(live::room_socket))
        .at("/ws", get(live::sidebar_socket))
        .at("/search", get(search_page::search_page))
        .at("/files/:id/:name", get(files::serve_file))
        .at("/thumbnails/:file", get(files::serve_thumbnail))
        .at("/avatars/:file", get(files::serve_avatar))
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
        .at("/dialogs/new-message", get(people_pages::direct_dialog))
        .at("/people", get(people_pages::people_list))
        .at("/direct", post(people_pages::open_direct))
        .at("/rooms/:name/mentionable", get(people_pages::mention_list))
        .at("/rooms/:name/notify", post(people_pages::set_notify))
        .at("/dialogs/leave/:name", get(people_pages::leave_dialog))
        .at("/rooms/:name/leave", post(people_pages::leave))
        .at(
            "/settings",
            get(people_pages::settings_page).post(people_pages::save_settings),
        )
        .at("/settings/avatar", post(people_pages::upload_avatar))
        .at("/settings/avatar/remove", post(people_pages::remove_avatar))
}

pub use errors::{Asker, error_page};

/// A request's multipart form, to be read as it streams in (`files::Files::read_form`);
/// 422 `bad_upload` when the body is not one.
pub(crate) async fn multipart(req: &Request, body: poem::Body) -> Result<Multipart, AppError> {
    Multipart::from_request(req, &mut RequestBody::new(body))
        .await
        .map_err(|_| AppError::invalid("file", Code::BadUpload))
}

pub(crate) fn is_htmx(req: &Request) -> bool {
    req.headers().contains_key("HX-Request")
}

/// Where to after an action: htmx follows `HX-Redirect`, a plain form a 303.
pub(crate) fn go_to(req: &Request, path: &str) -> Response {
    if is_htmx(req) {
        return Response::builder()
            .status(StatusCode::OK)
            .header("HX-Redirect", path)
            .finish();
    }
    poem::web::Redirect::see_other(path).into_response()
}

/// `candidate` if it is a path on this site, safe to redirect to: it starts with one
/// `/` (never `//host` or `/\\host`, which browsers read as another site) and holds no
/// control characters.
pub(crate) fn local_path(candidate: &str) -> Option<&str> {
    let local = candidate.starts_with('/')
        && !candidate.starts_with("//")
        && !candidate.starts_with("/\\")
        && candidate.len() <= 2048
        && !candidate.chars().any(char::is_control);
    local.then_some(candidate)
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
pub fn metrics(client: ClientAddr, state: Data<&AppState>) -> Result<Response> {
    if !client.is_local_operator() {
        return Err(AppError::NotFound(Code::NoSuchPage).into());
    }
    Ok(metrics_text(&state))
}

/// `GET /metrics` on the metrics address.
#[handler]
pub fn metrics_for_operators(state: Data<&AppState>) -> Response {
    metrics_text(&state)
}

fn metrics_text(state: &AppState) -> Response {
    crate::metrics::record_writer_queue(state.writer.queued());
    Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(crate::metrics::render())
}

/// Renders a template, or an internal error if it cannot be.
pub(crate) fn render(template: &impl Template) -> Result<Html<String>, AppError> {
    template.render().map(Html).map_err(AppError::internal)
}

/// Whether an error refuses what a form asked (a value, a right, a name, a limit), to
/// be shown beside the form, rather than a page of its own.
pub(crate) fn is_refusal(err: &AppError) -> bool {
    matches!(
        err,
        AppError::Invalid(_)
            | AppError::Forbidden(_)
            | AppError::NotFound(_)
            | AppError::Conflict(_)
            | AppError::TooManyRequests { .. }
    )
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

const CSP: &str = "default-src 'self'; script-src 'self'; img-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; connect-src 'self'; form-action 'self'";
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
        // Errors are pages or problem+json by now (`app::errors_as_responses`); the
        // few raised outside it (by the session layer) still get these headers.
        let mut response = match self.inner.call(req).await {
            Ok(response) => response.into_response(),
            Err(err) => err.into_response(),
        };
        let headers = response.headers_mut();
        // Nothing personal stays in the browser's cache or its Back button: pages,
        // fragments and API answers are `no-store` unless they say otherwise (assets
        // and `/me.css` do).
        if !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
        }
        // A page with a policy of its own (the API docs) keeps it.
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
