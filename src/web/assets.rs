//! Static files, built into the binary. Each URL carries a hash of the file's content
//! (`/assets/app.css?v=…`), so browsers may cache them for a year and still see a new
//! version the moment it ships.

use std::sync::LazyLock;

use poem::{
    Request, Response, Route, get, handler,
    http::{StatusCode, header},
    web::Path,
};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    version: String,
}

macro_rules! asset {
    ($name:literal, $file:literal, $type:literal) => {
        (
            $name,
            $type,
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/", $file)).as_slice(),
        )
    };
}

/// htmx and its ws extension are pinned: the file names carry their versions.
const FILES: [(&str, &str, &[u8]); 8] = [
    asset!("app.css", "app.css", "text/css; charset=utf-8"),
    asset!(
        "htmx.min.js",
        "htmx-2.0.11.min.js",
        "text/javascript; charset=utf-8"
    ),
    asset!(
        "htmx-ext-ws.min.js",
        "htmx-ext-ws-2.0.4.min.js",
        "text/javascript; charset=utf-8"
    ),
    asset!("hearth.js", "hearth.js", "text/javascript; charset=utf-8"),
    asset!("icon.svg", "icon.svg", "image/svg+xml"),
    asset!("icon-32.png", "icon-32.png", "image/png"),
    asset!("icon-192.png", "icon-192.png", "image/png"),
    asset!("icon-512.png", "icon-512.png", "image/png"),
];

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(name, content_type, body)| Asset {
            name,
            content_type,
            body,
            version: format!("{:016x}", crate::render::fnv1a(body)),
        })
        .collect()
});

/// The versioned URL of an asset, for templates.
pub fn url(name: &str) -> String {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(asset) => format!("/assets/{}?v={}", asset.name, asset.version),
        None => format!("/assets/{name}"),
    }
}

pub fn routes() -> Route {
    Route::new().at("/:name", get(serve))
}

#[handler]
fn serve(req: &Request, Path(name): Path<String>) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into();
    };
    let versioned = req
        .uri()
        .query()
        .is_some_and(|q| q == format!("v={}", asset.version));
    respond(asset, versioned)
}

/// `/sw.js`: the service worker (Web Push notifications). At the root, so its scope is
/// the whole site; revalidated on every check, so a new one ships at once.
#[handler]
pub fn service_worker() -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, "text/javascript; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/sw.js")).as_slice())
}

/// `/manifest.webmanifest`: what makes Hearth installable as an app.
#[handler]
pub fn manifest() -> Response {
    let icon = |size: u32, purpose: &str| {
        serde_json::json!({
            "src": url(&format!("icon-{size}.png")),
            "sizes": format!("{size}x{size}"),
            "type": "image/png",
            "purpose": purpose,
        })
    };
    let manifest = serde_json::json!({
        "name": "Hearth",
        "short_name": "Hearth",
        "id": "/",
        "start_url": "/rooms",
        "scope": "/",
        "display": "standalone",
        "background_color": "#b4441c",
        "theme_color": "#b4441c",
        "icons": [icon(192, "any"), icon(512, "any"), icon(192, "maskable"), icon(512, "maskable")],
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "application/manifest+json")
        .header(header::CACHE_CONTROL, "public, max-age=300")
        .body(manifest.to_string())
}

/// `/favicon.ico`, which browsers and feed readers ask for by habit (pages name
/// `icon.svg`): the small PNG icon.
#[handler]
pub fn favicon() -> Response {
    match ASSETS.iter().find(|a| a.name == "icon-32.png") {
        Some(asset) => respond(asset, false),
        None => StatusCode::NOT_FOUND.into(),
    }
}

fn respond(asset: &Asset, versioned: bool) -> Response {
    let cache = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    Response::builder()
        .header(header::CONTENT_TYPE, asset.content_type)
        .header(header::CACHE_CONTROL, cache)
        .header(header::ETAG, format!("\"{}\"", asset.version))
        .body(asset.body)
}
