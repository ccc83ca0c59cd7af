//! `/search`: a GET form that works without JavaScript (results, "More results" as a
//! link), and the same page for htmx, which asks for `#search-results` alone.

use super::*;
use crate::pages::{attr_values, find_tag, has_button, has_labelled_input, htmx_get, page};

/// alice in Kitchen and Garden, with `n` messages saying "soup" in Kitchen, one in
/// Garden from bob, and some that do not.
async fn soup(app: &TestApp, n: usize) -> (User, Vec<i64>) {
    let (alice, mut ids) = alice_says(app, "Kitchen", &[]).await;
    alice.create_room("Garden").await;
    let bob = app.user("bob").await;
    bob.join_room("Garden").await;
    for k in 1..=n {
        ids.push(alice.say("Kitchen", &format!("soup number {k}")).await);
    }
    alice.say("Kitchen", "bread").await;
    ids.push(bob.say("Garden", "<b>soup</b> in the garden").await);
    (alice, ids)
}

/// The `<li class="result">` items of a results list, in order.
fn results(html: &str) -> Vec<&str> {
    html.match_indices("<li class=\"result\">")
        .map(|(at, _)| {
            let end = at + html[at..].find("</li>").expect("a closed item");
            &html[at..end]
        })
        .collect()
}

/// Where "More results" leads, if there is such a link.
fn more_results(html: &str) -> Option<String> {
    let link = find_tag(html, "<a", "/search?")?;
    assert!(html.contains(">More results</a>"), "the link is labelled");
    let href = unescape(attr_values(link, "href")[0]);
    let hx = unescape(attr_values(link, "hx-get")[0]);
    assert_eq!(href, hx, "the same page with or without htmx");
    Some(href)
}

#[tokio::test]
async fn the_search_page_is_a_get_form_that_works_without_javascript() {
    let app = spawn_app().await;
    let (alice, _) = soup(&app, 2).await;

    let (status, html) = page(alice.get("/search").await).await;
    assert_eq!(status, StatusCode::OK);
    let form = find_tag(&html, "<form", "class=\"search-form\"").expect("a search form");
    assert!(
        form.contains("method=\"get\"") && form.contains("action=\"/search\""),
        "{form}"
    );
    assert!(form.contains("role=\"search\""), "{form}");
    for label in ["Search", "From (username)", "On or after", "Before"] {
        assert!(has_labelled_input(&html, label), "{label}");
    }
    assert!(find_tag(&html, "<input", "id=\"search-q\"").is_some());
    let rooms = find_tag(&html, "<select", "name=\"room\"").expect("a room filter");
    assert!(rooms.contains("id=\"search-room\""));
    assert!(
        html.contains("<option value=\"Kitchen\">Kitchen</option>"),
        "alice's rooms to choose"
    );
    assert!(has_button(&html, "Search"));
    assert!(results(&html).is_empty(), "nothing searched yet");
    assert!(!html.contains("No messages match."));
}

#[tokio::test]
async fn results_show_room_sender_time_and_the_marked_snippet_and_link_to_the_message() {
    let app = spawn_app().await;
    let (alice, ids) = soup(&app, 2).await;
    let garden = *ids.last().expect("bob's message");
    let day = "UPDATE messages SET sent_at = 1768130700000 WHERE text LIKE '%garden%'";
    assert_eq!(app.run_sql(day).await, 1, "2026-01-11T11:25:00Z");

    let (status, html) = page(alice.get("/search?q=SOUP").await).await;
    assert_eq!(status, StatusCode::OK);
    let items = results(&html);
    assert_eq!(items.len(), 3, "{html}");
    let first = items[0];
    assert!(
        first.contains("href=\"/rooms/Garden\">Garden</a>"),
        "{first}"
    );
    assert!(first.contains("<strong>bob</strong>"), "{first}");
    assert!(
        first.contains("datetime=\"2026-01-11T11:25:00Z\""),
        "{first}"
    );
    assert!(
        first.contains("2026-01-11"),
        "a result says which day, not only the time: {first}"
    );
    assert!(
        first.contains(&format!("href=\"/rooms/Garden/messages/{garden}\"")),
        "{first}"
    );
    assert!(
        first.contains("&lt;b&gt;<mark>soup</mark>&lt;/b&gt;"),
        "{first}"
    );
    assert!(!first.contains("<b>"), "{first}");
    assert!(items[1].contains("<mark>soup</mark> number 2") && items[2].contains("number 1"));
    // The form keeps what was asked, so it can be changed.
    let q = find_tag(&html, "<input", "id=\"search-q\"").expect("the query box");
    assert!(q.contains("value=\"SOUP\""), "{q}");
    assert!(
        html.contains("<title>SOUP · Search · Hearth</title>"),
        "{html}"
    );

    // Filters narrow the page's results as they do the API's.
    let (_, html) = page(
        alice
            .get("/search?q=soup&room=Kitchen&from=&after=&before=")
            .await,
    )
    .await;
    assert_eq!(results(&html).len(), 2);
    assert!(
        html.contains("<option value=\"Kitchen\" selected>"),
        "{html}"
    );
    let (_, html) = page(alice.get("/search?q=soup&from=bob").await).await;
    assert_eq!(results(&html).len(), 1);
    // Nothing found says so.
    let (status, html) = page(alice.get("/search?q=nothing+like+it").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No messages match."), "{html}");
}

#[tokio::test]
async fn more_results_is_a_link_to_the_next_page_keeping_every_filter() {
    let app = spawn_app_with(|config| config.message_burst = 1000.0).await;
    let (alice, ids) = soup(&app, 25).await;

    let (_, html) = page(alice.get("/search?q=soup+number&room=Kitchen").await).await;
    assert_eq!(results(&html).len(), 20);
    let more = more_results(&html).expect("a More results link");
    assert!(more.starts_with("/search?"), "{more}");
    let pairs: Vec<(String, String)> = url_pairs(&more);
    assert!(
        pairs.contains(&("q".into(), "soup number".into())),
        "{more}"
    );
    assert!(pairs.contains(&("room".into(), "Kitchen".into())), "{more}");
    // The 20th newest Kitchen soup is soup number 6.
    assert!(
        pairs.contains(&("before_id".into(), ids[5].to_string())),
        "{more}"
    );

    // Without JavaScript the link opens a whole page: the rest, and no more link.
    let (status, rest) = page(alice.get(&more).await).await;
    assert_eq!(status, StatusCode::OK);
    let items = results(&rest);
    assert_eq!(items.len(), 5, "{rest}");
    assert!(
        items[0].contains("<mark>number</mark> 5</a>"),
        "{}",
        items[0]
    );
    assert!(
        items[4].contains("<mark>number</mark> 1</a>"),
        "{}",
        items[4]
    );
    assert_eq!(more_results(&rest), None);
    assert!(rest.contains("<html"), "a whole page");
    assert!(rest.contains("id=\"search-results\""), "{rest}");

    // Filters with spaces, quotes and other scripts survive the round trip.
    let (_, html) = page(
        alice
            .get("/search?q=%22soup+number%22+%E6%B1%A4&after=2000-01-01")
            .await,
    )
    .await;
    assert_eq!(results(&html).len(), 0);
    let (_, html) = page(
        alice
            .get("/search?q=%22soup+number%22&after=2000-01-01")
            .await,
    )
    .await;
    let more = more_results(&html).expect("more");
    let pairs = url_pairs(&more);
    assert!(
        pairs.contains(&("q".into(), "\"soup number\"".into())),
        "{more}"
    );
    assert!(
        pairs.contains(&("after".into(), "2000-01-01".into())),
        "{more}"
    );
}

#[tokio::test]
async fn with_htmx_a_search_answers_only_the_results_and_more_answers_only_the_next_items() {
    let app = spawn_app_with(|config| config.message_burst = 1000.0).await;
    let (alice, _) = soup(&app, 25).await;

    let (status, html) = page(htmx_get(&alice, "/search?q=soup").await).await;
    assert_eq!(status, StatusCode::OK);
    let html = html.trim();
    assert!(html.starts_with("<section id=\"search-results\""), "{html}");
    assert!(html.ends_with("</section>"), "{html}");
    assert!(!html.contains("<html") && !html.contains("id=\"sidebar\""));
    assert!(
        !html.contains("class=\"search-form\""),
        "the form stays as it is"
    );
    assert_eq!(results(html).len(), 20);
    let more = more_results(html).expect("more");
    let li = find_tag(html, "<a", "/search?").expect("the link");
    assert!(
        li.contains("hx-target=\"closest li\"") && li.contains("hx-swap=\"outerHTML\""),
        "{li}"
    );

    // "More": the next items alone, to stand in for the link's <li>.
    let (status, next) = page(htmx_get(&alice, &more).await).await;
    assert_eq!(status, StatusCode::OK);
    let next = next.trim();
    assert!(next.starts_with("<li class=\"result\">"), "{next}");
    assert!(
        !next.contains("<section") && !next.contains("<ol"),
        "{next}"
    );
    assert_eq!(results(next).len(), 6);
    assert_eq!(more_results(next), None);

    // A search that cannot be made says why where the results go.
    let (status, html) = page(htmx_get(&alice, "/search?q=x").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.trim().starts_with("<section id=\"search-results\""),
        "{html}"
    );
    assert!(html.contains("role=\"alert\""), "{html}");
}

#[tokio::test]
async fn a_search_that_cannot_be_made_says_why_beside_the_form() {
    let app = spawn_app().await;
    let (alice, _) = soup(&app, 1).await;
    let bob = app.user("bob2").await;
    bob.create_room("Closed").await;

    for (path, status, says) in [
        ("/search?q=x", StatusCode::UNPROCESSABLE_ENTITY, "2"),
        ("/search?q=", StatusCode::UNPROCESSABLE_ENTITY, ""),
        (
            "/search?q=soup&after=soon",
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
        ),
        (
            "/search?q=soup&room=Nowhere",
            StatusCode::NOT_FOUND,
            "There is no room with that name.",
        ),
        ("/search?q=soup&room=Closed", StatusCode::FORBIDDEN, ""),
    ] {
        let (got, html) = page(alice.get(path).await).await;
        assert_eq!(got, status, "{path}");
        let error = find_tag(&html, "<p", "id=\"search-error\"").expect("an error beside the form");
        assert!(error.contains("role=\"alert\""), "{error}");
        let at = html.find("id=\"search-error\"").expect("the error");
        assert!(html[at..].contains(says), "{path} says {says:?}");
        // Inside the results, which a search with htmx replaces whole: a search that
        // works next leaves no stale error behind.
        let section = html
            .find("<section id=\"search-results\"")
            .expect("the results");
        let end = section + html[section..].find("</section>").expect("their end");
        assert!(
            section < at && at < end,
            "{path}: the error is in #search-results"
        );
        assert_eq!(html.matches("id=\"search-error\"").count(), 1, "{path}");
        // With htmx: the same, alone, with the same status.
        let (got, fragment) = page(htmx_get(&alice, path).await).await;
        assert_eq!(got, status, "{path} with htmx");
        let fragment = fragment.trim();
        assert!(
            fragment.starts_with("<section id=\"search-results\""),
            "{fragment}"
        );
        assert!(fragment.contains("id=\"search-error\""), "{fragment}");
        assert!(
            find_tag(&html, "<input", "id=\"search-q\"").is_some(),
            "the form, again"
        );
        assert!(results(&html).is_empty());
        assert!(!html.contains("soup number"), "{path}");
    }
    let (_, html) = page(alice.get("/search?q=x").await).await;
    let q = find_tag(&html, "<input", "id=\"search-q\"").expect("the query box");
    assert!(
        q.contains("aria-invalid=\"true\"") && q.contains("search-error"),
        "{q}"
    );
    // Without a session: to the login page, and back to this search after.
    let response = app.client().get("/search?q=soup").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = response.headers()["location"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert_eq!(to, "/login?next=%2Fsearch%3Fq%3Dsoup");
}

#[tokio::test]
async fn a_direct_room_is_called_by_the_other_persons_name_in_results_and_the_room_filter() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    assert_eq!(
        ann.create_room("Kitchen").await.status(),
        StatusCode::CREATED
    );
    let direct: Value = ann.open_direct(&["bob"]).await.json().await.unwrap();
    let name = direct["name"].as_str().expect("a name").to_owned();
    assert_eq!(name, "@ann,bob");
    bob.say(&name, "the secret recipe").await;
    ann.say("Kitchen", "a recipe for all").await;

    for (reader, other) in [(&ann, "bob"), (&bob, "ann")] {
        let (status, html) = page(reader.get("/search?q=recipe").await).await;
        assert_eq!(status, StatusCode::OK);
        let found = results(&html);
        assert_eq!(found.len(), if other == "bob" { 2 } else { 1 }, "{html}");
        let private = found
            .iter()
            .find(|r| r.contains("secret"))
            .expect("the direct message");
        assert!(
            private.contains(&format!(r#"<a href="/rooms/%40ann%2Cbob">{other}</a>"#)),
            "titled by the other person: {private}"
        );
        assert!(!html.contains(">@ann,bob<"), "never the raw name: {html}");
        // The room filter lists it by the same title, under a heading of its own,
        // and still filters by the room itself.
        let group = html
            .split_once("<optgroup label=\"Direct messages\">")
            .map(|(_, rest)| rest.split_once("</optgroup>").expect("its end").0)
            .expect("direct rooms under a heading");
        assert_eq!(
            group,
            format!(r#"<option value="@ann,bob">{other}</option>"#),
            "{html}"
        );
        // With htmx, the results alone say the same.
        let (_, fragment) = page(htmx_get(reader, "/search?q=secret").await).await;
        assert!(
            fragment.contains(&format!(r#"<a href="/rooms/%40ann%2Cbob">{other}</a>"#)),
            "{fragment}"
        );
        assert!(!fragment.contains(">@ann,bob<"), "{fragment}");
    }
    // Chosen in the filter, it finds only what was said there.
    let (_, html) = page(ann.get("/search?q=recipe&room=%40ann%2Cbob").await).await;
    assert_eq!(results(&html).len(), 1);
    assert!(
        html.contains(r#"<option value="@ann,bob" selected>bob</option>"#),
        "{html}"
    );
    // A group room keeps its own name.
    let (_, html) = page(ann.get("/search?q=recipe").await).await;
    assert!(
        html.contains(r#"<a href="/rooms/Kitchen">Kitchen</a>"#),
        "{html}"
    );
}

#[tokio::test]
async fn every_page_has_the_search_box_in_its_sidebar() {
    let app = spawn_app().await;
    let (alice, _) = soup(&app, 1).await;
    for path in ["/rooms", "/rooms/Kitchen", "/search"] {
        let (_, html) = page(alice.get(path).await).await;
        let form = find_tag(&html, "<form", "class=\"sidebar-search\"").expect("a sidebar search");
        assert!(
            form.contains("method=\"get\"") && form.contains("action=\"/search\""),
            "{form}"
        );
        assert!(form.contains("role=\"search\""), "{form}");
        let input = find_tag(&html, "<input", "id=\"sidebar-q\"").expect("the box");
        assert!(
            input.contains("name=\"q\"") && input.contains("aria-keyshortcuts=\"/\""),
            "{input}"
        );
        assert!(html.contains("<label for=\"sidebar-q\""), "it has a name");
        // Each search landmark has a name of its own.
        let mut names: Vec<&str> = html
            .match_indices("role=\"search\"")
            .map(|(at, _)| {
                let tag_end = at + html[at..].find('>').expect("a tag");
                attr_values(&html[at..tag_end], "aria-label")[0]
            })
            .collect();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "{path}: {names:?}");
    }
}

/// An attribute's value as the browser reads it (askama writes `&` as `&#38;`).
fn unescape(value: &str) -> String {
    value.replace("&#38;", "&").replace("&amp;", "&")
}

/// The decoded `name=value` pairs of a URL's query.
fn url_pairs(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    reqwest::Url::parse(&format!("http://x/?{query}"))
        .expect("a URL")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}
