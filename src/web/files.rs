//! Serving files, thumbnails and avatars. Membership of the file's room is checked on
//! every request. Nothing uploaded can run as code on this origin: only sniffed images,
//! video and audio are served inline, everything else (HTML and SVG included) as a
//! download, and every answer carries `nosniff` and a sandboxing CSP.

use std::ops::Range;

use poem::{
    Body, Request, Response, handler,
    http::{HeaderValue, StatusCode, header},
    web::{Data, Path},
};

use crate::{
    AppState,
    auth::CurrentUser,
    domain::{Shown, shown_as},
    error::{AppError, AppResult, Code},
    files::Download,
    messages,
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What RFC 8187 lets stand unencoded in `filename*`: letters, digits and
/// `!#$&+-.^_`|~`. Everything else is percent-encoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// Nothing in a served file may run, load anything or be framed.
const FILE_CSP: &str = "default-src 'none'; sandbox";

/// `GET /files/{id}/{name}`: a message's file, to members of its room. Answers `Range`
/// requests (206) and `If-None-Match` (304).
#[handler]
pub async fn serve_file(
    req: &Request,
    state: Data<&AppState>,
    user: CurrentUser,
    Path((id, _name)): Path<(String, String)>,
) -> AppResult<Response> {
    let attachment = messages::find_file(&state.db, &user, &id).await?;
    let etag = format!("\"{}\"", attachment.id);
    if not_modified(req, &etag) {
        return Ok(unchanged(&etag));
    }
    let total = attachment.size.max(0) as u64;
    let range = match requested_range(req, total) {
        Ok(range) => range,
        Err(()) => {
            return Ok(Response::builder()
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{total}"))
                .header(header::CONTENT_SECURITY_POLICY, FILE_CSP)
                .header(header::CACHE_CONTROL, "private")
                .finish());
        }
    };
    let download = state.files.read(&attachment.id, range.clone()).await?;
    let inline = shown_as(&attachment.content_type) != Shown::File;
    let (content_type, disposition) = if inline {
        (attachment.content_type.as_str(), "inline")
    } else {
        ("application/octet-stream", "attachment")
    };
    let mut response = served(download, content_type, &etag, "private", range.is_some());
    let name = utf8_percent_encode(&attachment.name, ATTR_CHAR);
    let value = format!("{disposition}; filename*=UTF-8''{name}");
    if let Ok(value) = HeaderValue::from_str(&value) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// `GET /thumbnails/{id}.jpg`: an image's thumbnail, to members of its room.
#[handler]
pub async fn serve_thumbnail(
    req: &Request,
    state: Data<&AppState>,
    user: CurrentUser,
    Path(file): Path<String>,
) -> AppResult<Response> {
    let id = file
        .strip_suffix(".jpg")
        .ok_or(AppError::NotFound(Code::NoSuchFile))?;
    let attachment = messages::find_file(&state.db, &user, id).await?;
    if !attachment.thumbnail {
        return Err(AppError::NotFound(Code::NoSuchFile));
    }
    let etag = format!("\"t{}\"", attachment.id);
    if not_modified(req, &etag) {
        return Ok(unchanged(&etag));
    }
    let download = state.files.read_thumbnail(&attachment.id).await?;
    Ok(served(download, "image/jpeg", &etag, "private", false))
}

/// `GET /avatars/{key}.jpg`: someone's picture, to anyone logged in. A new picture
/// gets a new key, so each may be cached for good.
#[handler]
pub async fn serve_avatar(
    req: &Request,
    state: Data<&AppState>,
    _user: CurrentUser,
    Path(file): Path<String>,
) -> AppResult<Response> {
    let key = file
        .strip_suffix(".jpg")
        .filter(|k| k.len() == 32 && k.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or(AppError::NotFound(Code::NoSuchFile))?;
    let etag = format!("\"a{key}\"");
    if not_modified(req, &etag) {
        return Ok(unchanged(&etag));
    }
    let download = state.files.read_avatar(key).await?;
    let cache = "private, max-age=31536000, immutable";
    Ok(served(download, "image/jpeg", &etag, cache, false))
}

/// A download's answer: 200 with all of it, or 206 with the range asked for.
fn served(
    download: Download,
    content_type: &str,
    etag: &str,
    cache: &'static str,
    partial: bool,
) -> Response {
    let Download { body, range, total } = download;
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, range.end - range.start)
        .header(header::ETAG, etag)
        .header(header::CACHE_CONTROL, cache)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CONTENT_SECURITY_POLICY, FILE_CSP);
    if partial {
        builder = builder.status(StatusCode::PARTIAL_CONTENT).header(
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{total}", range.start, range.end - 1),
        );
    }
    builder.body(Body::from_bytes_stream(body))
}

fn not_modified(req: &Request, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        })
}

fn unchanged(etag: &str) -> Response {
    Response::builder()
        .status(StatusCode::NOT_MODIFIED)
        .header(header::ETAG, etag)
        .header(header::CACHE_CONTROL, "private")
        .finish()
}

/// The byte range a `Range` header asks for, if it asks for one (`bytes=a-b`,
/// `bytes=a-` or `bytes=-n`); `Err` when it cannot be satisfied (416). Several ranges,
/// or a header that cannot be read, get the whole file, as RFC 9110 allows.
fn requested_range(req: &Request, total: u64) -> Result<Option<Range<u64>>, ()> {
    let Some(value) = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    parse_range(value, total)
}

fn parse_range(value: &str, total: u64) -> Result<Option<Range<u64>>, ()> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let (start, end) = (start.trim(), end.trim());
    let range = match (start.parse::<u64>(), end.parse::<u64>()) {
        (Ok(start), Ok(end)) if start <= end => start..end.saturating_add(1).min(total),
        (Ok(start), Err(_)) if end.is_empty() => start..total,
        (Err(_), Ok(suffix)) if start.is_empty() && suffix > 0 => {
            total.saturating_sub(suffix)..total
        }
        _ => return Ok(None),
    };
    if range.start >= total || range.is_empty() {
        return Err(());
    }
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_read_as_rfc_9110_says() {
        assert_eq!(parse_range("bytes=0-9", 100), Ok(Some(0..10)));
        assert_eq!(parse_range("bytes=90-", 100), Ok(Some(90..100)));
        assert_eq!(parse_range("bytes=-5", 100), Ok(Some(95..100)));
        assert_eq!(parse_range("bytes=50-500", 100), Ok(Some(50..100)));
        assert_eq!(parse_range("bytes=100-", 100), Err(()));
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Ok(None));
        assert_eq!(parse_range("items=0-1", 100), Ok(None));
        assert_eq!(parse_range("bytes=9-2", 100), Ok(None));
    }
}
