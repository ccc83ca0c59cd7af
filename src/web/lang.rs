//! `POST /lang`: the language switch at the foot of every page.

use poem::{
    IntoResponse, Request, Response, handler,
    http::{HeaderMap, StatusCode, header},
    web::{Form, Redirect},
};
use serde::Deserialize;

use crate::i18n::{COOKIE, Lang};

#[derive(Deserialize)]
pub struct LangForm {
    #[serde(default)]
    lang: String,
}

/// `POST /lang`: remember the chosen language for a year and go back to the page the
/// form was on. A plain form, so it works without JavaScript.
#[handler]
pub fn switch_language(req: &Request, Form(form): Form<LangForm>) -> Response {
    let Some(lang) = Lang::parse(&form.lang) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, "Unknown language.").into_response();
    };
    let back = back_path(req.headers()).unwrap_or("/").to_owned();
    // Not Secure-only: it holds a language code, nothing to protect, and must work on
    // plain-HTTP installs too. HttpOnly: no script needs it.
    let cookie = format!(
        "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
        lang.code()
    );
    let mut response = Redirect::see_other(back).into_response();
    if let Ok(value) = cookie.parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// The path of the page a same-site form was posted from (its `Referer`), if it is
/// safely one of ours: never `//other.site`, which browsers read as another host.
fn back_path(headers: &HeaderMap) -> Option<&str> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let rest = referer.split_once("://")?.1;
    let path_at = rest.find('/')?;
    let (authority, path) = rest.split_at(path_at);
    let local = authority.eq_ignore_ascii_case(host)
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.starts_with("/lang");
    local.then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), value.parse().unwrap());
        }
        map
    }

    #[test]
    fn switching_goes_back_only_to_a_page_of_this_site() {
        let back = |referer: &str| {
            back_path(&headers(&[
                (header::HOST, "chat.example:8000"),
                (header::REFERER, referer),
            ]))
            .map(str::to_owned)
        };
        assert_eq!(
            back("http://chat.example:8000/rooms/Porch?x=1").as_deref(),
            Some("/rooms/Porch?x=1")
        );
        assert_eq!(back("http://evil.example/rooms"), None);
        assert_eq!(back("http://chat.example:8000//evil.example/x"), None);
        assert_eq!(back("http://chat.example:8000/\\evil.example"), None);
        assert_eq!(back("http://chat.example:8000"), None);
        assert_eq!(back("javascript:alert(1)"), None);
    }
}
