//! What a query finds: every term as a substring, ignoring case, in any script;
//! 2-character terms; phrases; punctuation; FTS and SQL syntax typed as text; and the
//! escaped, marked snippet.

use super::*;

#[tokio::test]
async fn chinese_words_of_any_length_are_found_inside_longer_sentences() {
    let app = spawn_app().await;
    let (alice, _) = alice_says(
        &app,
        "开发",
        &[
            "我们讨论数据库迁移",
            "用户注册流程要改",
            "数据迁移已经完成",
            "今天天气很好",
            "新用户和老用户",
        ],
    )
    .await;

    // Three characters, inside a sentence with no spaces.
    assert_eq!(found(&alice, "数据库").await, ["我们讨论数据库迁移"]);
    // Four characters.
    assert_eq!(found(&alice, "注册流程").await, ["用户注册流程要改"]);
    assert_eq!(found(&alice, "数据库迁移").await, ["我们讨论数据库迁移"]);
    // Two characters: a whole word in Chinese, newest first.
    assert_eq!(
        found(&alice, "迁移").await,
        ["数据迁移已经完成", "我们讨论数据库迁移"]
    );
    assert_eq!(
        found(&alice, "用户").await,
        ["新用户和老用户", "用户注册流程要改"]
    );
    // Every term must be there, short and long alike.
    assert_eq!(
        found(&alice, "数据 迁移").await,
        ["数据迁移已经完成", "我们讨论数据库迁移"]
    );
    assert_eq!(found(&alice, "数据库 完成").await, Vec::<String>::new());
    assert_eq!(found(&alice, "用户 流程").await, ["用户注册流程要改"]);
    assert_eq!(found(&alice, "天气 迁移").await, Vec::<String>::new());
}

#[tokio::test]
async fn case_is_ignored_and_a_term_is_found_inside_a_word() {
    let app = spawn_app().await;
    let (alice, _) = alice_says(
        &app,
        "Ops",
        &[
            "Deployed to PROD",
            "we deploy at noon",
            "REDEPLOYMENT planned",
            "nothing to see",
        ],
    )
    .await;

    let all = [
        "REDEPLOYMENT planned",
        "we deploy at noon",
        "Deployed to PROD",
    ];
    for q in ["deploy", "DEPLOY", "dEpLoY"] {
        assert_eq!(found(&alice, q).await, all, "{q}");
    }
    assert_eq!(found(&alice, "prod").await, ["Deployed to PROD"]);
    assert_eq!(found(&alice, "Ployed").await, ["Deployed to PROD"]);
    assert_eq!(found(&alice, "deploy noon").await, ["we deploy at noon"]);
}

#[tokio::test]
async fn case_is_ignored_beyond_latin_for_short_and_long_terms_alike() {
    let app = spawn_app().await;
    let (alice, _) = alice_says(
        &app,
        "Мир",
        &[
            "Привет, Мир",
            "ДА или нет",
            "Ärger im Büro",
            "ΣΟΦΊΑ είναι εδώ",
            "Η ΟΔΟΣ ΠΡΟΣ ΤΟ ΣΠΙΤΙ",
            "η οδος της πολης",
        ],
    )
    .await;
    // A final sigma (ς) is a sigma (σ, Σ), in a term of any length, on both databases.
    let both = ["η οδος της πολης", "Η ΟΔΟΣ ΠΡΟΣ ΤΟ ΣΠΙΤΙ"];
    for term in ["οδος", "ΟΔΟΣ", "οδοσ", "ΟΔΟς", "\"η οδος\""] {
        assert_eq!(found(&alice, term).await, both, "{term}");
    }
    assert_eq!(found(&alice, "ος").await, both);
    assert_eq!(found(&alice, "πολησ").await, ["η οδος της πολης"]);
    assert_eq!(found(&alice, "προς").await, ["Η ΟΔΟΣ ΠΡΟΣ ΤΟ ΣΠΙΤΙ"]);

    assert_eq!(found(&alice, "привет").await, ["Привет, Мир"]);
    assert_eq!(found(&alice, "ПРИВЕТ").await, ["Привет, Мир"]);
    assert_eq!(found(&alice, "ärger").await, ["Ärger im Büro"]);
    assert_eq!(found(&alice, "BÜRO").await, ["Ärger im Büro"]);
    assert_eq!(found(&alice, "σοφία").await, ["ΣΟΦΊΑ είναι εδώ"]);
    assert_eq!(found(&alice, "мир").await, ["Привет, Мир"]);
    // Two characters, which no trigram index can look up.
    assert_eq!(found(&alice, "да").await, ["ДА или нет"]);
    assert_eq!(found(&alice, "Да").await, ["ДА или нет"]);
    assert_eq!(found(&alice, "ÄR").await, ["Ärger im Büro"]);
    assert_eq!(found(&alice, "σο").await, ["ΣΟΦΊΑ είναι εδώ"]);
}

#[tokio::test]
async fn two_character_terms_are_found_in_latin_and_chinese() {
    let app = spawn_app().await;
    let (alice, _) = alice_says(
        &app,
        "Short",
        &[
            "Go live on Friday",
            "a long time ago",
            "OK then",
            "好的，用户已通知",
            "x y z",
        ],
    )
    .await;

    assert_eq!(
        found(&alice, "go").await,
        ["a long time ago", "Go live on Friday"]
    );
    assert_eq!(found(&alice, "ok").await, ["OK then"]);
    assert_eq!(found(&alice, "好的").await, ["好的，用户已通知"]);
    assert_eq!(found(&alice, "go friday").await, ["Go live on Friday"]);
    assert_eq!(found(&alice, "用户 通知").await, ["好的，用户已通知"]);
    assert_eq!(found(&alice, "go ok").await, Vec::<String>::new());
}

#[tokio::test]
async fn a_quoted_phrase_is_found_only_as_written_while_two_terms_may_be_apart() {
    let app = spawn_app().await;
    let (alice, _) = alice_says(
        &app,
        "Docs",
        &[
            "the Release Notes are ready",
            "notes about the release",
            "release-notes.md updated",
            "数据 迁移 开始",
            "迁移 数据",
        ],
    )
    .await;

    assert_eq!(
        found(&alice, "\"release notes\"").await,
        ["the Release Notes are ready"],
        "a phrase is matched as written, ignoring case"
    );
    assert_eq!(
        found(&alice, "release notes").await,
        [
            "release-notes.md updated",
            "notes about the release",
            "the Release Notes are ready",
        ],
        "two terms match in any order, anywhere"
    );
    assert_eq!(
        found(&alice, "\"release-notes\"").await,
        ["release-notes.md updated"]
    );
    assert_eq!(found(&alice, "\"数据 迁移\"").await, ["数据 迁移 开始"]);
    assert_eq!(
        found(&alice, "数据 迁移").await,
        ["迁移 数据", "数据 迁移 开始"]
    );
    // A phrase beside a term; and a phrase left open runs to the end.
    assert_eq!(
        found(&alice, "\"the release\" notes").await,
        ["notes about the release", "the Release Notes are ready"]
    );
    assert_eq!(
        found(&alice, "\"about the\" release").await,
        ["notes about the release"]
    );
    assert_eq!(
        found(&alice, "ready \"release notes").await,
        ["the Release Notes are ready"]
    );
}

#[tokio::test]
async fn punctuation_is_text_to_find_and_like_wildcards_match_only_themselves() {
    let app = spawn_app().await;
    let (alice, _) = alice_says(
        &app,
        "Marks",
        &[
            "wait!! what",
            "a -- b",
            "50% done",
            "50 percent done",
            "my_x var",
            "max value",
            "C:\\path\\to",
            "100%% sure",
        ],
    )
    .await;

    assert_eq!(found(&alice, "!!").await, ["wait!! what"]);
    assert_eq!(found(&alice, "--").await, ["a -- b"]);
    assert_eq!(found(&alice, "50%").await, ["50% done"]);
    assert_eq!(found(&alice, "%%").await, ["100%% sure"]);
    assert_eq!(
        found(&alice, "_x").await,
        ["my_x var"],
        "not max: _ is no wildcard"
    );
    assert_eq!(found(&alice, "\\p").await, ["C:\\path\\to"]);
    assert_eq!(found(&alice, ":\\path").await, ["C:\\path\\to"]);
    assert_eq!(found(&alice, "%d").await, Vec::<String>::new());
}

#[tokio::test]
async fn search_syntax_typed_by_a_person_is_only_text_and_never_an_error() {
    let app = spawn_app().await;
    let (alice, _) = alice_says(
        &app,
        "Syntax",
        &[
            "he said \"hi\" twice",
            "glob x* star",
            "NEAR(a b) is fts",
            "cats OR dogs",
            "use -x flag",
            "col:x field",
            "^start and end$",
            "{curly} [square] (round)",
        ],
    )
    .await;

    let cases: &[(&str, &[&str])] = &[
        ("x*", &["glob x* star"]),
        ("\"x* star\"", &["glob x* star"]),
        ("NEAR(a b)", &["NEAR(a b) is fts"]),
        ("\"NEAR(a b)\"", &["NEAR(a b) is fts"]),
        ("NEAR", &["NEAR(a b) is fts"]),
        ("cats OR dogs", &["cats OR dogs"]),
        ("cats OR birds", &[]),
        ("-x", &["use -x flag"]),
        ("col:x", &["col:x field"]),
        ("text:hi", &[]),
        ("he said \"hi", &["he said \"hi\" twice"]),
        ("said\"hi\"twice", &["he said \"hi\" twice"]),
        ("^start", &["^start and end$"]),
        ("end$", &["^start and end$"]),
        ("{curly} [square]", &["{curly} [square] (round)"]),
        ("(round)", &["{curly} [square] (round)"]),
        ("AND NOT", &[]),
        ("**", &[]),
        ("\"\"\"hi\"", &["he said \"hi\" twice"]),
    ];
    for (q, expected) in cases {
        assert_eq!(found(&alice, q).await, strings(expected), "{q}");
    }

    // Whatever else is typed is a 200 or a 422 (a term too short, nothing to find),
    // never a server error.
    for q in [
        "\"",
        "\"\"",
        "*",
        "* *",
        "\"*\"",
        "NEAR(",
        ")",
        "a OR b",
        "OR",
        "-",
        ":",
        "x:",
        "\"a\"",
        "^",
        "'",
        "''",
        "\\",
        "%",
        "_",
        "\u{0}\u{0}",
        "()",
        "NOT x",
        "\"NEAR\"",
        "{a}",
    ] {
        let response = search_response(&alice, &[("q", q)]).await;
        let status = response.status();
        assert!(
            status == StatusCode::OK || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{q:?} answered {status}"
        );
    }
}

#[tokio::test]
async fn sql_typed_into_the_box_finds_the_message_that_says_it_and_changes_nothing() {
    let app = spawn_app().await;
    let hostile = [
        "'); DROP TABLE messages;--",
        "' OR '1'='1",
        "%' OR 1=1 --",
        "Robert'); DELETE FROM memberships WHERE ('1'='1",
        "1; UPDATE users SET username='x'",
    ];
    let (alice, _) = alice_says(&app, "Tables", &hostile).await;
    alice.say("Tables", "an innocent message").await;

    for text in hostile {
        let phrase = format!("\"{text}\"");
        assert_eq!(found(&alice, &phrase).await, [text], "{text}");
    }
    assert_eq!(found(&alice, "'1'='1").await.len(), 2);
    // Every table is still there: alice is still a member, and posts and finds.
    alice.say("Tables", "still standing").await;
    assert_eq!(found(&alice, "standing").await, ["still standing"]);
    assert_eq!(found(&alice, "innocent").await, ["an innocent message"]);
}

#[tokio::test]
async fn the_snippet_escapes_the_text_first_and_marks_every_match_in_its_own_case() {
    let app = spawn_app().await;
    let text = "<script>alert('Deploy')</script> deploy & DEPLOY <b>now</b>";
    let (alice, ids) = alice_says(&app, "Snips", &[text, "我们讨论数据库迁移"]).await;

    let (results, _) = search(&alice, &[("q", "deploy")]).await;
    assert_eq!(super::ids(&results), [ids[0]]);
    let found = &results[0];
    assert_eq!(found["text"], text, "the text itself comes back as written");
    assert_has_fields(
        found,
        &[
            "id",
            "seq",
            "room",
            "sender",
            "text",
            "sent_at",
            "edited_at",
            "deleted",
            "reactions",
            "snippet_html",
        ],
    );
    assert_eq!(found["room"], "Snips");
    assert_eq!(found["sender"], "alice");
    let snippet = found["snippet_html"].as_str().expect("a snippet");
    assert!(
        !snippet.contains("<script") && !snippet.contains("<b>"),
        "{snippet}"
    );
    assert_eq!(
        snippet,
        "&lt;script&gt;alert(&#39;<mark>Deploy</mark>&#39;)&lt;/script&gt; <mark>deploy</mark> \
         &amp; <mark>DEPLOY</mark> &lt;b&gt;now&lt;/b&gt;",
    );

    // A term that looks like markup is marked as the text it is.
    let (results, _) = search(&alice, &[("q", "<b>")]).await;
    let snippet = results[0]["snippet_html"].as_str().expect("a snippet");
    assert!(snippet.contains("<mark>&lt;b&gt;</mark>now"), "{snippet}");
    // Chinese, every term marked.
    let (results, _) = search(&alice, &[("q", "数据库 迁移")]).await;
    assert_eq!(
        results[0]["snippet_html"],
        "我们讨论<mark>数据库迁移</mark>"
    );
}
