//! Search over JSON: `GET /api/v1/search`.

use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Query, payload::Json};

use super::ApiResult;
use crate::{
    AppState,
    auth::CurrentUser,
    messages::search::{self, SearchRequest},
    render::{json::MessageOut, snippet::snippet_html},
};

/// A message that matched, with where it matched.
#[derive(Debug, Object)]
#[oai(rename = "SearchResult")]
pub struct SearchResultOut {
    #[oai(flatten)]
    pub message: MessageOut,
    /// The text around the first match, HTML-escaped, every match in `<mark>`.
    pub snippet_html: String,
}

#[derive(Debug, Object)]
#[oai(rename = "SearchResults")]
pub struct SearchResultsOut {
    /// Newest first.
    pub results: Vec<SearchResultOut>,
    /// Pass as `before_id` for the next page; null on the last page.
    pub next_before_id: Option<i64>,
}

pub struct SearchApi;

#[OpenApi]
impl SearchApi {
    /// Messages containing every term of `q`, from the rooms you are in now, newest
    /// first. Terms are split at spaces except inside "quotes" (a phrase); each needs 2
    /// or more characters, at most 10 terms; matching ignores case and works inside
    /// words in any script. Filters: `room` (a name), `from` (a username), `after` and
    /// `before` (YYYY-MM-DD, UTC: on or after, and before). Pages of `limit` (default
    /// 20, at most 50) by `before_id`.
    #[oai(path = "/search", method = "get")]
    async fn search(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        q: Query<Option<String>>,
        room: Query<Option<String>>,
        from: Query<Option<String>>,
        before: Query<Option<String>>,
        after: Query<Option<String>>,
        before_id: Query<Option<i64>>,
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<SearchResultsOut>> {
        let asked = SearchRequest {
            q: q.0.as_deref().unwrap_or(""),
            room: room.0.as_deref(),
            from: from.0.as_deref(),
            before: before.0.as_deref(),
            after: after.0.as_deref(),
            before_id: before_id.0,
            limit: limit.0,
        };
        let found = search::search(&state.db, &user, &asked).await?;
        let terms = found.terms.as_slice();
        let results = found
            .results
            .iter()
            .map(|m| SearchResultOut {
                message: m.into(),
                snippet_html: snippet_html(&m.text, terms),
            })
            .collect();
        Ok(Json(SearchResultsOut {
            results,
            next_before_id: found.next_before_id,
        }))
    }
}
