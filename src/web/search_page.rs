//! `/search`: a GET form (works without JavaScript) and its results. With htmx the
//! form replaces the results in place, and "More results" appends the next page.

use poem::{
    IntoResponse, Request, Response, handler,
    web::{Data, Query},
};
use serde::Deserialize;

use super::{is_htmx, render, views};
use crate::{
    AppState,
    auth::CurrentUser,
    error::{AppError, AppResult},
    i18n::{self, Lang},
    messages::search::{self, SearchRequest},
    rooms,
    store::rooms::Scope,
};

#[derive(Deserialize, Default)]
pub struct SearchForm {
    #[serde(default)]
    q: String,
    room: Option<String>,
    from: Option<String>,
    before: Option<String>,
    after: Option<String>,
    before_id: Option<i64>,
}

impl SearchForm {
    fn request(&self) -> SearchRequest<'_> {
        fn some(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|s| !s.trim().is_empty())
        }
        SearchRequest {
            q: &self.q,
            room: some(&self.room),
            from: some(&self.from),
            before: some(&self.before),
            after: some(&self.after),
            before_id: self.before_id,
            limit: None,
        }
    }

    /// This search's query string for the next page.
    fn more_url(&self, before_id: i64) -> String {
        let mut url = form_urlencoded(&[
            ("q", Some(self.q.as_str())),
            ("room", self.room.as_deref()),
            ("from", self.from.as_deref()),
            ("after", self.after.as_deref()),
            ("before", self.before.as_deref()),
        ]);
        url.push_str(&format!("&before_id={before_id}"));
        format!("/search?{url}")
    }
}

fn form_urlencoded(pairs: &[(&str, Option<&str>)]) -> String {
    pairs
        .iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
        .map(|(k, v)| format!("{k}={}", crate::render::encode_segment(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[handler]
pub async fn search_page(
    lang: Lang,
    req: &Request,
    state: Data<&AppState>,
    user: CurrentUser,
    Query(form): Query<SearchForm>,
) -> AppResult<Response> {
    let t = lang.text();
    let asked = !form.q.trim().is_empty() || req.uri().query().is_some_and(|q| q.contains("q="));
    let outcome = if asked {
        Some(search::search(&state.db, &user, &form.request()).await)
    } else {
        None
    };
    let (status, found, error) = match outcome {
        None => (poem::http::StatusCode::OK, None, None),
        Some(Ok(found)) => (poem::http::StatusCode::OK, Some(found), None),
        // A query or filter that cannot be searched is said on the page, beside the form.
        Some(Err(
            err @ (AppError::Invalid(_) | AppError::NotFound(_) | AppError::Forbidden(_)),
        )) => (err.status(), None, Some(i18n::error_text(lang, &err))),
        Some(Err(err)) => return Err(err),
    };
    let no_results = |error| views::SearchResults {
        t,
        viewer: &user.username,
        items: Vec::new(),
        more_url: None,
        appending: false,
        error,
    };
    let results = match (&found, &error) {
        (Some(found), _) => Some(views::SearchResults {
            items: found
                .results
                .iter()
                .map(|m| views::SearchItem::new(m, found.terms.as_slice()))
                .collect(),
            more_url: found.next_before_id.map(|id| form.more_url(id)),
            // Only htmx appends a next page to the list already shown; without it the
            // next page is a whole page, with a list of its own.
            appending: form.before_id.is_some() && is_htmx(req),
            ..no_results(None)
        }),
        // A search that could not be made says why where the results go, with or
        // without htmx: a new search replaces the whole of `#search-results`, error
        // and all.
        (None, Some(error)) => Some(no_results(Some(error.clone()))),
        (None, None) => None,
    };
    // htmx asks for the results alone: a new search replaces them, "More" appends.
    if is_htmx(req) {
        let shown = results.unwrap_or_else(|| no_results(None));
        return Ok((status, render(&shown)?).into_response());
    }
    let rooms = rooms::list(&state.db, &user, Scope::Joined).await?;
    let page = render(&views::SearchPage {
        t,
        username: &user.username,
        avatar: user.avatar.as_deref(),
        rooms: &rooms,
        current_room_id: 0,
        q: &form.q,
        room: form.room.as_deref().unwrap_or(""),
        from: form.from.as_deref().unwrap_or(""),
        after: form.after.as_deref().unwrap_or(""),
        before: form.before.as_deref().unwrap_or(""),
        error,
        results,
    })?;
    Ok((status, page).into_response())
}
