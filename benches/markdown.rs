//! How long the worst messages take to render: 4,000-character adversarial Markdown
//! (nested emphasis, brackets, raw HTML, deep quotes and lists, link bombs), each
//! rendered many times. Prints a table for BENCHMARKS.md; the budget is 50 ms a
//! message. Run with `cargo bench --bench markdown`.

use std::time::{Duration, Instant};

use hearth::render::markdown::render;

/// The most characters a message may have.
const LEN: usize = 4000;
const RUNS: usize = 200;
const BUDGET: Duration = Duration::from_millis(50);

/// `unit` repeated up to 4,000 characters.
fn fill(unit: &str) -> String {
    unit.chars().cycle().take(LEN).collect()
}

fn cases() -> Vec<(&'static str, String)> {
    let half = LEN / 2;
    vec![
        (
            "nested emphasis: `*`×2000 then `a`",
            format!("{}a", "*".repeat(half)),
        ),
        ("alternating `*_` openers", fill("*_")),
        ("`**a` ×1000 (unclosed strong)", fill("**a ")),
        (
            "emphasis ladder `*a **b ***c` …",
            fill("*a **b ***c ****d "),
        ),
        ("`[` ×4000 (unclosed links)", fill("[")),
        ("`[a](` ×800", fill("[a](")),
        ("`![` image openers", fill("![x")),
        ("link-in-link `[[[[a]]]](b)`", fill("[[[[a]]]](b)")),
        ("`javascript:` links", fill("[x](javascript:alert(1)) ")),
        (
            "raw HTML tags",
            fill("<script>alert(1)</script><img src=x onerror=y>"),
        ),
        ("`<` ×4000", fill("<")),
        ("autolinks with quotes", fill("https://a.example/\"'<>x ")),
        ("backticks ×4000", fill("`")),
        (
            "`` ` `` runs of growing length",
            (1..90)
                .map(|n| "`".repeat(n) + "a")
                .collect::<String>()
                .chars()
                .take(LEN)
                .collect(),
        ),
        (
            "quotes nested 2000 deep",
            format!("{}a", "> ".repeat(half - 1)),
        ),
        (
            "lists nested 1000 deep",
            (0..1000)
                .map(|n| format!("{}- a\n", " ".repeat(n * 2)))
                .collect::<String>()
                .chars()
                .take(LEN)
                .collect(),
        ),
        ("`-` ×4000", fill("- ")),
        ("mentions ×800", fill("@ann ")),
        (
            "Chinese emphasis `**我。**所以`",
            fill("这是**我想做的事。**所以"),
        ),
        ("newlines ×4000", fill("\n")),
    ]
}

fn main() {
    println!("| input (4,000 characters) | median | worst of {RUNS} | under 50 ms |");
    println!("|---|---:|---:|:---:|");
    let mut all_fast = true;
    for (name, text) in cases() {
        assert!(text.chars().count() <= LEN, "{name} is too long");
        let mut times: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                let rendered = render(&text);
                let took = start.elapsed();
                std::hint::black_box(rendered);
                took
            })
            .collect();
        times.sort();
        let median = times[RUNS / 2];
        let worst = times[RUNS - 1];
        let fast = worst < BUDGET;
        all_fast &= fast;
        println!(
            "| {name} | {:.3} ms | {:.3} ms | {} |",
            median.as_secs_f64() * 1e3,
            worst.as_secs_f64() * 1e3,
            if fast { "yes" } else { "**no**" }
        );
    }
    println!();
    println!(
        "{}",
        if all_fast {
            "every input rendered within the budget"
        } else {
            "SOME INPUT TOOK LONGER THAN 50 ms"
        }
    );
}
