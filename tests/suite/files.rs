//! Files: uploads stream into the store and come back byte for byte; the limit stops an
//! upload mid-stream and leaves nothing; what the first bytes say decides how a file is
//! served, so nothing uploaded runs on Hearth's origin; images get thumbnails (upright,
//! and none for a bomb); membership is checked on every download; deleting the message
//! deletes the file. Avatars. With `HEARTH_TEST_S3_URL` set (scripts/test.sh does, for
//! the PostgreSQL run), all of it runs against a real S3-compatible server.

use std::io::Cursor;

use futures_util::stream;
use hearth::{
    App, Config,
    error::AppError,
    files::{Backend, Files},
};
use image::{DynamicImage, ImageFormat, RgbImage};
use reqwest::{StatusCode, header};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, User, encode, spawn_app, spawn_app_with};

const MIB: u64 = 1024 * 1024;

/// Deterministic, incompressible-looking bytes.
fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[i % 4] ^ seed)
        .collect()
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image)
        .write_to(&mut out, ImageFormat::Png)
        .expect("a PNG");
    out.into_inner()
}

/// A photo-sized PNG: noise, so it does not compress (over 64 KiB at 200×200).
pub fn noisy_png(width: u32, height: u32) -> Vec<u8> {
    let noise = bytes((width * height * 3) as usize, 7);
    let image = RgbImage::from_raw(width, height, noise).expect("the pixels");
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image)
        .write_to(&mut out, ImageFormat::Png)
        .expect("a PNG");
    out.into_inner()
}

async fn room_with(app: &TestApp, owner: &str, room: &str) -> User {
    let user = app.user(owner).await;
    assert_eq!(user.create_room(room).await.status(), StatusCode::CREATED);
    user
}

/// The composer's form (multipart, as a browser sends it without JavaScript) posted to
/// `room`'s page.
async fn compose(user: &User, room: &str, form: reqwest::multipart::Form) -> reqwest::Response {
    user.http
        .post(user.url(&format!("/rooms/{room}/messages")))
        .multipart(form)
        .send()
        .await
        .expect("POST the composer")
}

/// The composer with text typed and its file input left empty (an empty, unnamed part).
fn typed_only(text: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("text", text.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(Vec::new()).file_name(""),
        )
}

async fn download(user: &User, url: &str) -> reqwest::Response {
    user.get(url).await
}

/// Whether the store still holds the file `id` (asked of the store itself).
async fn stored(app: &TestApp, id: &str) -> bool {
    let files = Files::open(&app.files)
        .await
        .expect("the test's store opens");
    held(files.read(id, None).await)
}

/// Whether the store still holds the thumbnail of the file `id`.
async fn stored_thumbnail(app: &TestApp, id: &str) -> bool {
    let files = Files::open(&app.files)
        .await
        .expect("the test's store opens");
    held(files.read_thumbnail(id).await)
}

fn held<T>(read: Result<T, AppError>) -> bool {
    match read {
        Ok(_) => true,
        Err(AppError::NotFound(_)) => false,
        Err(other) => panic!("reading the store failed: {other:?}"),
    }
}

/// The files waiting in the local spool (none once every upload has ended).
fn spooled(app: &TestApp) -> usize {
    match &app.files.backend {
        Backend::Directory(dir) => std::fs::read_dir(dir.join(".uploads"))
            .map(|d| d.count())
            .unwrap_or(0),
        Backend::S3 { .. } => 0,
    }
}

#[tokio::test]
async fn a_file_goes_up_with_its_text_and_comes_back_byte_for_byte() {
    let app = spawn_app().await;
    let ann = room_with(&app, "ann", "files").await;
    let data = bytes(3 * MIB as usize + 17, 7);
    let response = ann
        .upload(
            "files",
            "季度报告 v2.pdf",
            data.clone(),
            Some("the **report**"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let message: Value = response.json().await.unwrap();
    assert_eq!(message["text"], "the **report**");
    assert_eq!(message["html"], "<p>the <strong>report</strong></p>");
    let a = &message["attachment"];
    assert_eq!(a["name"], "季度报告 v2.pdf");
    assert_eq!(a["size"], data.len() as u64);
    assert_eq!(a["content_type"], "application/octet-stream");
    assert_eq!(a["thumbnail_url"], Value::Null);
    assert_eq!(a["width"], Value::Null);
    let id = a["id"].as_str().unwrap();
    assert_eq!(
        a["url"],
        format!("/files/{id}/{}", encode("季度报告 v2.pdf")).as_str()
    );

    // It is in the history and the event stream like any message.
    let events = ann.events("files", "").await;
    assert_eq!(events[0]["attachment"], *a);

    let got = download(&ann, a["url"].as_str().unwrap()).await;
    assert_eq!(got.status(), StatusCode::OK);
    let etag = got.headers()[header::ETAG].to_str().unwrap().to_owned();
    assert_eq!(got.headers()[header::CACHE_CONTROL], "private");
    assert_eq!(got.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(
        got.headers()[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'; sandbox"
    );
    assert_eq!(
        got.headers()[header::CONTENT_DISPOSITION],
        format!("attachment; filename*=UTF-8''{}", encode("季度报告 v2.pdf")).as_str()
    );
    assert_eq!(got.bytes().await.unwrap(), data, "byte for byte");

    let again = ann
        .http
        .get(app.url(a["url"].as_str().unwrap()))
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(spooled(&app), 0, "the spool file is gone");
}

#[tokio::test]
async fn a_hundred_mebibyte_file_streams_up_and_down_intact() {
    let app = spawn_app_with(|c| c.max_upload_bytes = 101 * MIB).await;
    let ann = room_with(&app, "ann", "big").await;
    const CHUNK: usize = 1 << 20;
    let chunks = (0..100u8).map(|i| Ok::<_, std::io::Error>(bytes(CHUNK, i)));
    let mut sent = Sha256::new();
    for i in 0..100u8 {
        sent.update(bytes(CHUNK, i));
    }
    let body = reqwest::Body::wrap_stream(stream::iter(chunks));
    let part =
        reqwest::multipart::Part::stream_with_length(body, 100 * MIB).file_name("backup.bin");
    let form = reqwest::multipart::Form::new().part("file", part);
    let response = ann
        .http
        .post(ann.api("/rooms/big/files"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let message: Value = response.json().await.unwrap();
    assert_eq!(message["attachment"]["size"], 100 * MIB);

    let got = download(&ann, message["attachment"]["url"].as_str().unwrap()).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.content_length(), Some(100 * MIB));
    let mut received = Sha256::new();
    let mut body = got.bytes_stream();
    use futures_util::StreamExt;
    while let Some(chunk) = body.next().await {
        received.update(chunk.unwrap());
    }
    assert_eq!(received.finalize(), sent.finalize(), "the same 100 MiB");
}

#[tokio::test]
async fn the_limit_stops_an_upload_mid_stream_and_leaves_nothing_behind() {
    let app = spawn_app_with(|c| c.max_upload_bytes = MIB).await;
    let ann = room_with(&app, "ann", "limits").await;
    // Sent without a length (chunked): only counting the bytes can stop it.
    let chunks = (0..4u8).map(|i| Ok::<_, std::io::Error>(bytes(512 * 1024, i)));
    let part = reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(stream::iter(chunks)))
        .file_name("too-big.bin");
    let form = reqwest::multipart::Form::new()
        .text("text", "this will not arrive")
        .part("file", part);
    let response = ann
        .http
        .post(ann.api("/rooms/limits/files"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "too_large");
    assert_eq!(ann.events("limits", "").await, Vec::<Value>::new());
    assert_eq!(spooled(&app), 0, "the spool file is gone");
    if let Backend::Directory(dir) = &app.files.backend {
        let kept = std::fs::read_dir(dir.join("files")).map_or(0, |d| d.count());
        assert_eq!(kept, 0, "nothing reached the store");
    }

    // One that says it is too large is refused before it is read.
    let declared = ann.upload("limits", "big.bin", bytes(2 * MIB as usize, 1), None);
    assert_eq!(declared.await.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // And one at the limit goes through.
    let exact = ann.upload("limits", "exact.bin", bytes(MIB as usize, 2), None);
    assert_eq!(exact.await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn bad_uploads_get_a_clear_422_and_store_nothing() {
    let app = spawn_app().await;
    let ann = room_with(&app, "ann", "bad").await;
    let problem = |response: reqwest::Response| async move {
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = response.json().await.unwrap();
        body["code"].as_str().unwrap().to_owned()
    };
    let empty = ann.upload("bad", "empty.txt", Vec::new(), None).await;
    assert_eq!(problem(empty).await, "file_empty");
    let long = format!("{}.txt", "名".repeat(86));
    assert!(long.len() > 255);
    let named = ann.upload("bad", &long, b"hello".to_vec(), None).await;
    assert_eq!(problem(named).await, "file_name_too_long");
    let no_file = ann
        .http
        .post(ann.api("/rooms/bad/files"))
        .multipart(reqwest::multipart::Form::new().text("text", "where is it"))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(no_file).await, "file_missing");
    let not_a_form = ann
        .http
        .post(ann.api("/rooms/bad/files"))
        .json(&serde_json::json!({ "text": "hi" }))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(not_a_form).await, "bad_upload");
    let long_text = ann
        .upload("bad", "a.txt", b"x".to_vec(), Some(&"y".repeat(4001)))
        .await;
    assert_eq!(problem(long_text).await, "message_too_long");
    // Not a member: 403; no such room: 404, as for messages; logged out: 401 (the API).
    let bob = app.user("bob").await;
    let outsider = bob.upload("bad", "a.txt", b"hi".to_vec(), None).await;
    assert_eq!(outsider.status(), StatusCode::FORBIDDEN);
    let nowhere = ann.upload("nowhere", "a.txt", b"hi".to_vec(), None).await;
    assert_eq!(nowhere.status(), StatusCode::NOT_FOUND);
    let anonymous = app
        .client()
        .upload("bad", "a.txt", b"hi".to_vec(), None)
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(ann.events("bad", "").await, Vec::<Value>::new());
}

#[tokio::test]
async fn html_renamed_png_and_svg_with_script_are_only_ever_downloads() {
    let app = spawn_app().await;
    let ann = room_with(&app, "ann", "safe").await;
    let html = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>".to_vec();
    let disguised = ann.attach("safe", "cat.png", html.clone()).await;
    assert_eq!(disguised["content_type"], "text/html", "sniffed, not named");
    assert_eq!(disguised["thumbnail_url"], Value::Null);
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    let drawing = ann.attach("safe", "logo.svg", svg.to_vec()).await;
    for (a, name) in [(&disguised, "cat.png"), (&drawing, "logo.svg")] {
        let got = download(&ann, a["url"].as_str().unwrap()).await;
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(
            got.headers()[header::CONTENT_TYPE],
            "application/octet-stream"
        );
        assert_eq!(
            got.headers()[header::CONTENT_DISPOSITION],
            format!("attachment; filename*=UTF-8''{}", encode(name)).as_str()
        );
        assert_eq!(got.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(
            got.headers()[header::CONTENT_SECURITY_POLICY],
            "default-src 'none'; sandbox"
        );
    }
    // A real PNG is shown inline, as what it is.
    let picture = ann.attach("safe", "real.png", png(20, 10)).await;
    let got = download(&ann, picture["url"].as_str().unwrap()).await;
    assert_eq!(got.headers()[header::CONTENT_TYPE], "image/png");
    assert!(
        got.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("inline;")
    );
}

#[tokio::test]
async fn video_and_audio_play_in_the_page_and_are_served_as_what_they_are() {
    let app = spawn_app().await;
    let ann = room_with(&app, "ann", "media").await;
    // The first bytes of an MP4 (an `ftyp` box) and of an Ogg stream.
    let mut mp4 = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
    mp4.extend(bytes(4096, 1));
    let mut ogg = b"OggS\0\x02\0\0\0\0\0\0\0\0".to_vec();
    ogg.extend(bytes(4096, 2));
    let video = ann.attach("media", "clip.mp4", mp4).await;
    let audio = ann.attach("media", "song.ogg", ogg).await;
    assert_eq!(video["content_type"], "video/mp4");
    assert_eq!(audio["content_type"], "audio/ogg");
    for (a, kind) in [(&video, "video/mp4"), (&audio, "audio/ogg")] {
        let got = download(&ann, a["url"].as_str().unwrap()).await;
        assert_eq!(got.headers()[header::CONTENT_TYPE], kind);
        let disposition = got.headers()[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(disposition.starts_with("inline;"), "{disposition}");
    }
    let page = ann.get("/rooms/media").await.text().await.unwrap();
    let (v, a) = (
        video["url"].as_str().unwrap(),
        audio["url"].as_str().unwrap(),
    );
    assert!(page.contains(&format!(
        r#"<video controls preload="metadata" src="{v}" aria-label="clip.mp4"></video>"#
    )));
    assert!(page.contains(&format!(
        r#"<audio controls preload="metadata" src="{a}" aria-label="song.ogg"></audio>"#
    )));
}

#[tokio::test]
async fn file_names_and_captions_stay_text_in_pages_and_headers() {
    let app = spawn_app().await;
    let ann = room_with(&app, "ann", "names").await;
    let name = "<img src=x onerror=alert(1)>\"'; DROP TABLE messages; --.txt";
    let a = ann.attach("names", name, b"plain".to_vec()).await;
    assert_eq!(a["name"], name, "stored exactly as given");
    let caption = "<script>alert(2)</script>";
    let response = ann
        .upload("names", "photo.png", png(30, 30), Some(caption))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let page = ann.get("/rooms/names").await.text().await.unwrap();
    assert!(!page.contains("<img src=x"), "the name is escaped");
    assert!(page.contains("&#60;img src=x onerror=alert(1)&#62;&#34;&#39;; DROP TABLE"));
    assert!(!page.contains("<script>alert(2)"), "the caption is escaped");
    assert!(page.contains(r#"alt="&#60;script&#62;alert(2)&#60;/script&#62;""#));
    let got = download(&ann, a["url"].as_str().unwrap()).await;
    let disposition = got.headers()[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(!disposition.contains('"') && !disposition.contains('<'));
    // The messages table is still there.
    assert_eq!(ann.events("names", "").await.len(), 2);
}

#[tokio::test]
async fn an_image_gets_an_upright_thumbnail_that_fits_800_by_600() {
    let app = spawn_app().await;
    let ann = room_with(&app, "ann", "pics").await;
    let a = ann.attach("pics", "wide.png", png(1600, 400)).await;
    assert_eq!(
        (a["width"].as_u64(), a["height"].as_u64()),
        (Some(1600), Some(400))
    );
    let thumb_url = a["thumbnail_url"].as_str().expect("a thumbnail");
    let thumb = download(&ann, thumb_url).await;
    assert_eq!(thumb.status(), StatusCode::OK);
    assert_eq!(thumb.headers()[header::CONTENT_TYPE], "image/jpeg");
    assert_eq!(thumb.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let small = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert_eq!((small.width(), small.height()), (800, 200));

    // A photo taken sideways: 300×100 pixels, EXIF orientation 6 (turn right).
    let rotated = ann
        .attach("pics", "sideways.jpg", jpeg_with_orientation(300, 100, 6))
        .await;
    assert_eq!(
        (rotated["width"].as_u64(), rotated["height"].as_u64()),
        (Some(100), Some(300))
    );
    let thumb = download(&ann, rotated["thumbnail_url"].as_str().unwrap()).await;
    let thumb_bytes = thumb.bytes().await.unwrap();
    let upright = image::load_from_memory(&thumb_bytes).unwrap();
    assert_eq!((upright.width(), upright.height()), (100, 300));
    assert!(
        !thumb_bytes.windows(4).any(|w| w == b"Exif"),
        "metadata is dropped"
    );

    // The page shows the thumbnail, linking to the image, described by its name.
    let page = ann.get("/rooms/pics").await.text().await.unwrap();
    let id = a["id"].as_str().unwrap();
    assert!(page.contains(&format!(
        r#"<a class="image" href="/files/{id}/wide.png"><img src="/thumbnails/{id}.jpg" alt="wide.png" width="800" height="200""#
    )));
}

#[tokio::test]
async fn a_decompression_bomb_is_kept_as_a_plain_file_without_a_thumbnail() {
    let app = spawn_app().await;
    let ann = room_with(&app, "ann", "bombs").await;
    // 60,000 × 60,000 pixels declared, a few hundred bytes sent; one within the
    // width and height limits whose pixels would take 550 MiB; and real ones, whole
    // and valid, that the image library's own defaults (512 MiB) would decode: too
    // wide for Hearth, and 224 MB of pixels in 1.4 MB.
    let bombs = [
        png_header_only(60_000, 60_000, 6),
        png_header_only(12_000, 12_000, 6),
        zeros_png(16_000, 4),
        zeros_png(8_000, 7_000),
    ];
    for bomb in bombs {
        let (width, height) = (
            u32::from_be_bytes(bomb[16..20].try_into().unwrap()),
            u32::from_be_bytes(bomb[20..24].try_into().unwrap()),
        );
        let a = ann.attach("bombs", "bomb.png", bomb.clone()).await;
        assert_eq!(a["content_type"], "image/png");
        assert_eq!(a["thumbnail_url"], Value::Null, "{width}×{height}");
        assert_eq!(a["width"], Value::Null);
        let got = download(&ann, a["url"].as_str().unwrap()).await;
        assert_eq!(got.bytes().await.unwrap(), bomb);
    }
    // The node is fine.
    assert_eq!(
        ann.post_message("bombs", "still here").await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn range_requests_get_the_bytes_asked_for() {
    let app = spawn_app().await;
    let ann = room_with(&app, "ann", "ranges").await;
    let data = bytes(10_000, 3);
    let a = ann.attach("ranges", "clip.bin", data.clone()).await;
    let url = app.url(a["url"].as_str().unwrap());
    let range = |spec: &'static str| ann.http.get(&url).header(header::RANGE, spec).send();

    let first = range("bytes=0-9").await.unwrap();
    assert_eq!(first.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(first.headers()[header::CONTENT_RANGE], "bytes 0-9/10000");
    assert_eq!(first.bytes().await.unwrap(), data[..10]);
    let tail = range("bytes=-100").await.unwrap();
    assert_eq!(
        tail.headers()[header::CONTENT_RANGE],
        "bytes 9900-9999/10000"
    );
    assert_eq!(tail.bytes().await.unwrap(), data[9900..]);
    let rest = range("bytes=9990-").await.unwrap();
    assert_eq!(rest.bytes().await.unwrap(), data[9990..]);
    let beyond = range("bytes=10000-").await.unwrap();
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(beyond.headers()[header::CONTENT_RANGE], "bytes */10000");
    let several = range("bytes=0-1,5-6").await.unwrap();
    assert_eq!(
        several.status(),
        StatusCode::OK,
        "several ranges: the whole file"
    );
}

#[tokio::test]
async fn only_members_may_download_and_leaving_takes_that_away() {
    let app = spawn_app().await;
    let ann = room_with(&app, "ann", "club").await;
    let bob = app.user("bob").await;
    let a = ann.attach("club", "minutes.png", png(900, 700)).await;
    let (url, thumb) = (
        a["url"].as_str().unwrap().to_owned(),
        a["thumbnail_url"].as_str().unwrap().to_owned(),
    );
    assert_eq!(download(&bob, &url).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(download(&bob, &thumb).await.status(), StatusCode::FORBIDDEN);
    // Logged out: these are page routes, so the way to the login page (and back).
    let stranger = app.client();
    for path in [&url, &thumb] {
        let refused = download(&stranger, path).await;
        assert_eq!(refused.status(), StatusCode::SEE_OTHER, "{path}");
        let to = refused.headers()["location"].to_str().unwrap();
        assert!(to.starts_with("/login?next="), "{to}");
    }
    assert_eq!(
        download(&ann, "/files/0123456789abcdef0123456789abcdef/x")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    assert_eq!(bob.join_room("club").await.status(), StatusCode::CREATED);
    assert_eq!(download(&bob, &url).await.status(), StatusCode::OK);
    assert_eq!(download(&bob, &thumb).await.status(), StatusCode::OK);
    assert_eq!(
        bob.leave_room("club").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(download(&bob, &url).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(download(&bob, &thumb).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn deleting_the_message_deletes_its_file_and_thumbnail() {
    let app = spawn_app().await;
    let ann = room_with(&app, "ann", "gone").await;
    let response = ann.upload("gone", "secret.png", png(1000, 900), None).await;
    let message: Value = response.json().await.unwrap();
    let a = &message["attachment"];
    let id = a["id"].as_str().unwrap();
    assert!(stored(&app, id).await);
    assert!(stored_thumbnail(&app, id).await);
    let message_id = message["id"].as_i64().unwrap();
    assert_eq!(
        ann.delete_message(message_id).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        download(&ann, a["url"].as_str().unwrap()).await.status(),
        StatusCode::NOT_FOUND
    );
    let thumb = a["thumbnail_url"].as_str().unwrap();
    assert_eq!(download(&ann, thumb).await.status(), StatusCode::NOT_FOUND);
    assert!(!stored(&app, id).await, "the bytes left the store");
    assert!(
        !stored_thumbnail(&app, id).await,
        "and so did the thumbnail's"
    );
    let events = ann.events("gone", "").await;
    let tombstone = events.iter().find(|e| e["type"] == "delete").unwrap();
    assert_eq!(tombstone["id"], message_id);
}

#[tokio::test]
async fn uploads_past_the_per_user_rate_get_429() {
    let app = spawn_app_with(|c| c.uploads_per_minute = 2).await;
    let ann = room_with(&app, "ann", "rate").await;
    for i in 0..2u8 {
        let ok = ann.upload("rate", "a.bin", bytes(100, i), None).await;
        assert_eq!(ok.status(), StatusCode::CREATED);
    }
    let refused = ann.upload("rate", "a.bin", bytes(100, 9), None).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key(header::RETRY_AFTER));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "too_many_requests");
    // Text messages are not uploads, from the API or from the composer's form (a
    // multipart form whose file input is empty).
    assert_eq!(
        ann.post_message("rate", "words").await.status(),
        StatusCode::CREATED
    );
    for n in 0..3 {
        let sent = compose(&ann, "rate", typed_only(&format!("typed {n}"))).await;
        assert_eq!(sent.status(), StatusCode::SEE_OTHER, "composer message {n}");
    }
}

#[tokio::test]
async fn a_retried_client_id_stores_the_file_once() {
    let app = spawn_app().await;
    let ann = room_with(&app, "ann", "retry").await;
    let send = || {
        let form = reqwest::multipart::Form::new()
            .text("client_id", "upload-1")
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes(2048, 5)).file_name("a.bin"),
            );
        ann.http
            .post(ann.api("/rooms/retry/files"))
            .multipart(form)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let second = send().await.unwrap();
    assert_eq!(second.status(), StatusCode::OK);
    let second: Value = second.json().await.unwrap();
    assert_eq!(first["id"], second["id"]);
    assert_eq!(first["attachment"], second["attachment"]);
    assert_eq!(ann.events("retry", "").await.len(), 1);
}

#[tokio::test]
async fn the_composer_form_sends_a_file_without_javascript() {
    let app = spawn_app().await;
    let ann = room_with(&app, "ann", "forms").await;
    let form = reqwest::multipart::Form::new()
        .text("text", "from the form")
        .text("client_id", "")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"notes".to_vec()).file_name("notes.txt"),
        );
    let response = compose(&ann, "forms", form).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // A form whose file input was left empty sends an empty, unnamed part: text only.
    let response = compose(&ann, "forms", typed_only("just words")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let events = ann.events("forms", "").await;
    assert_eq!(events[0]["attachment"]["name"], "notes.txt");
    assert_eq!(events[1]["text"], "just words");
    assert_eq!(events[1]["attachment"], Value::Null);
    let page = ann.get("/rooms/forms").await.text().await.unwrap();
    assert!(page.contains(r#"<a class="file-chip""#));
    assert!(page.contains(
        r#"<span class="file-name">notes.txt</span> <span class="file-size">5 B</span>"#
    ));
}

#[tokio::test]
async fn an_avatar_is_cropped_square_shown_on_messages_and_removable() {
    let app = spawn_app().await;
    let ann = room_with(&app, "ann", "faces").await;
    ann.say("faces", "hello").await;
    let refused = ann.put_avatar(b"not an image at all".to_vec()).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "not_an_image");

    let set = ann.put_avatar(png(600, 300)).await;
    assert_eq!(set.status(), StatusCode::OK);
    let body: Value = set.json().await.unwrap();
    let url = body["avatar_url"].as_str().unwrap().to_owned();
    let picture = download(&ann, &url).await;
    assert_eq!(picture.headers()[header::CONTENT_TYPE], "image/jpeg");
    let square = image::load_from_memory(&picture.bytes().await.unwrap()).unwrap();
    assert_eq!((square.width(), square.height()), (256, 256));
    // Anyone logged in sees it, beside every message (old ones too) and in the sidebar.
    let bob = app.user("bob").await;
    assert_eq!(download(&bob, &url).await.status(), StatusCode::OK);
    assert_eq!(bob.join_room("faces").await.status(), StatusCode::CREATED);
    let page = bob.get("/rooms/faces").await.text().await.unwrap();
    assert!(page.contains(&format!(r#"<img class="avatar" src="{url}""#)));
    let own = ann.get("/rooms/faces").await.text().await.unwrap();
    assert!(own.contains(&format!(r#"<img class="avatar small" src="{url}""#)));

    let removed = ann
        .http
        .delete(ann.api("/users/me/avatar"))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_eq!(download(&bob, &url).await.status(), StatusCode::NOT_FOUND);
    let page = bob.get("/rooms/faces").await.text().await.unwrap();
    assert!(!page.contains(r#"<img class="avatar""#), "initials again");
    assert!(page.contains(r#"aria-hidden="true">A</span>"#));
}

#[tokio::test]
async fn hearth_refuses_to_start_when_the_store_is_unwritable_or_unreachable() {
    let (database_url, _dir) = crate::helpers::fresh_database().await;
    let blocker = tempfile::NamedTempFile::new().unwrap();
    let mut config = Config::for_tests(database_url.clone());
    config.files_dir = Some(blocker.path().join("files"));
    let err = App::build(config).await.err().expect("refused");
    assert!(format!("{err:#}").contains("files directory"), "{err:#}");

    let mut config = Config::for_tests(database_url);
    config.s3_url = Some("http://127.0.0.1:9".into());
    config.s3_bucket = Some("hearth".into());
    let err = App::build(config).await.err().expect("refused");
    assert!(
        format!("{err:#}").contains("unreachable or unwritable"),
        "{err:#}"
    );
}

/// A JPEG of `width`×`height` with an EXIF block saying how to turn it.
fn jpeg_with_orientation(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            image::Rgb([250, 0, 0])
        } else {
            image::Rgb([0, 0, 250])
        }
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image)
        .write_to(&mut out, ImageFormat::Jpeg)
        .unwrap();
    let jpeg = out.into_inner();
    // TIFF, little-endian: one IFD entry, Orientation (0x0112), SHORT, 1 value.
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut with_exif = jpeg[..2].to_vec();
    with_exif.extend_from_slice(&[0xFF, 0xE1]);
    with_exif.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    with_exif.extend_from_slice(&app1);
    with_exif.extend_from_slice(&jpeg[2..]);
    with_exif
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A PNG of `width` × `height` 8-bit pixels of `colour` type, with `idat` as its data.
fn png_with(width: u32, height: u32, colour: u8, idat: &[u8]) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, colour, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"IDAT", idat);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A PNG that declares a huge image and holds one tiny compressed row.
fn png_header_only(width: u32, height: u32, colour: u8) -> Vec<u8> {
    // zlib: a stored empty block would do; these bytes are a deflate of a few zeros.
    let idat = [0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01];
    png_with(width, height, colour, &idat)
}

/// A real decompression bomb: a valid PNG of `width` × `height` black RGBA pixels,
/// whose zlib stream is written here by hand (one zero, then copies of the 258 bytes
/// before, 13 bits each), so 200 MB of pixels take 1.3 MB.
pub fn zeros_png(width: u32, height: u32) -> Vec<u8> {
    /// Deflate's bits, least significant first.
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u64, count: u32) {
            self.acc |= value << self.n;
            self.n += count;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code: its bits go most significant first.
        fn code(&mut self, code: u64, len: u32) {
            let reversed = (0..len).fold(0, |r, i| r | ((code >> i) & 1) << (len - 1 - i));
            self.put(reversed, len);
        }
    }
    // Each row: filter byte 0, then four zero bytes a pixel: all zeros.
    let raw = u64::from(height) * (1 + u64::from(width) * 4);
    let mut bits = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        n: 0,
    };
    bits.put(1, 1); // the last block,
    bits.put(1, 2); // with the fixed Huffman codes
    const ZERO: u64 = 0x30; // literal 0: 8 bits
    bits.code(ZERO, 8);
    let mut left = raw - 1;
    while left >= 258 {
        bits.code(0xC5, 8); // length 258 (symbol 285)
        bits.code(0, 5); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        bits.code(ZERO, 8);
    }
    bits.code(0, 7); // end of block
    if bits.n > 0 {
        bits.out.push(bits.acc as u8);
    }
    let mut zlib = bits.out;
    // Adler-32 of zeros: a stays 1, b adds 1 a byte.
    let b = (raw % 65_521) as u32;
    zlib.extend_from_slice(&((b << 16) | 1).to_be_bytes());
    png_with(width, height, 6, &zlib)
}

#[test]
fn the_hand_written_bomb_is_a_valid_png() {
    let small = image::load_from_memory(&zeros_png(300, 7)).expect("a PNG that decodes");
    assert_eq!((small.width(), small.height()), (300, 7));
    assert!(small.to_rgba8().pixels().all(|p| p.0 == [0, 0, 0, 0]));
}
