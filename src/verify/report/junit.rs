//! The JUnit XML verify report: one test case per check (code). A check
//! with error findings fails; warnings and notes pass with their text in
//! `system-out`; an incomplete run is an `error` case. A one-store policy
//! gets a test suite per category of checks; with several stores, one test
//! suite per store holds its cases (classes `cachegen.verify.<store>.<category>`).

use super::*;

/// The test cases of one category (`config`, …, and `run`, whether the
/// run was complete).
struct Suite {
    category: &'static str,
    cases: String,
    tests: usize,
    failures: usize,
    errors: usize,
}

pub(super) fn junit_run(run: &RunReport, source: &SourceFile) -> String {
    let mut suites = String::new();
    let (mut total, mut failures, mut errors) = (0, 0, 0);
    let mut add = |name: &str, s: &Suite, cases: &str, out: &mut String| {
        total += s.tests;
        failures += s.failures;
        errors += s.errors;
        let _ = write!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n{cases}  </testsuite>\n",
            xml_escape(name),
            s.tests,
            s.failures,
            s.errors
        );
    };
    let (name, elapsed) = if let [only] = run.stores.as_slice()
        && let Some(report) = &only.report
    {
        for s in suites_of(report, source, "cachegen.verify") {
            add(
                &format!("cachegen.verify.{}", s.category),
                &s,
                &s.cases,
                &mut suites,
            );
        }
        (format!("cachegen verify {}", report.target), report.elapsed)
    } else {
        for store in &run.stores {
            let class = format!("cachegen.verify.{}", store.store);
            let merged = match &store.report {
                Some(report) => {
                    let parts = suites_of(report, source, &class);
                    Suite {
                        category: "",
                        cases: parts.iter().map(|s| s.cases.as_str()).collect(),
                        tests: parts.iter().map(|s| s.tests).sum(),
                        failures: parts.iter().map(|s| s.failures).sum(),
                        errors: parts.iter().map(|s| s.errors).sum(),
                    }
                }
                None => Suite {
                    category: "",
                    cases: format!(
                        "    <testcase classname=\"{}.run\" name=\"verified\">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                        xml_escape(&class),
                        xml_escape(&not_verified_text(store))
                    ),
                    tests: 1,
                    failures: 0,
                    errors: 0,
                },
            };
            add(&class, &merged, &merged.cases, &mut suites);
        }
        let elapsed = run.verified().map(|r| r.elapsed).sum();
        (format!("cachegen verify {}", stores_text(run)), elapsed)
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" tests=\"{total}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{:.3}\">\n{suites}</testsuites>\n",
        xml_escape(&name),
        elapsed.as_secs_f64()
    )
}

/// One store's cases by category, classes named `{class}.{category}`.
fn suites_of(report: &Report, source: &SourceFile, class: &str) -> Vec<Suite> {
    let mut categories: Vec<(&str, &[&str])> = vec![
        ("config", &["CG40"]),
        ("topology", &["CG41"]),
        ("keyspace", &["CG42"]),
        ("runtime", &["CG43"]),
    ];
    if !report.sentinels.is_empty() {
        categories.push(("sentinel", &["CG45", "CG46"]));
    }
    let mut suites = Vec::new();
    for (category, prefixes) in categories {
        let mut cases = String::new();
        let (mut tests, mut failed) = (0, 0);
        for code in codes::ALL
            .iter()
            .filter(|c| prefixes.iter().any(|p| c.code.starts_with(p)))
        {
            tests += 1;
            let found: Vec<&crate::diag::Diagnostic> = report
                .findings
                .iter()
                .filter(|d| d.code.code == code.code)
                .collect();
            let mut lines: Vec<String> = found
                .iter()
                .map(|d| {
                    let at = d.span.map_or(String::new(), |s| {
                        let (l, c) = source.line_col(s.start);
                        format!("{}:{l}:{c}: ", source.name())
                    });
                    format!("{at}{}: {}", d.severity.as_str(), d.message)
                })
                .collect();
            if code.code == codes::HIT_RATIO_BELOW_TARGET.code && report.flavour.is_some() {
                // What the ratio was read from, judged or not.
                lines.push(report.runtime.window.describe());
            }
            if code.code == codes::SENTINELS_DISAGREE.code {
                // What each Sentinel named, agreed or not.
                lines.extend(report.sentinels.iter().map(sentinel_text));
            }
            let _ = write!(
                cases,
                "    <testcase classname=\"{}.{category}\" name=\"{} {}\">",
                xml_escape(class),
                code.code,
                code.name
            );
            if found.iter().any(|d| d.severity == Severity::Error) {
                failed += 1;
                let _ = write!(
                    cases,
                    "\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    ",
                    xml_escape(&found[0].message),
                    code.code,
                    xml_escape(&lines.join("\n"))
                );
            } else if !lines.is_empty() {
                let _ = write!(
                    cases,
                    "\n      <system-out>{}</system-out>\n    ",
                    xml_escape(&lines.join("\n"))
                );
            }
            cases.push_str("</testcase>\n");
        }
        suites.push(Suite {
            category,
            cases,
            tests,
            failures: failed,
            errors: 0,
        });
    }
    // The run itself: complete or not.
    let mut run_case = format!(
        "    <testcase classname=\"{}.run\" name=\"complete\">",
        xml_escape(class)
    );
    let errors = usize::from(!report.incomplete.is_empty());
    if errors > 0 {
        let _ = write!(
            run_case,
            "\n      <error message=\"the run is incomplete\">{}</error>\n    ",
            xml_escape(&report.incomplete.join("\n"))
        );
    }
    run_case.push_str("</testcase>\n");
    suites.push(Suite {
        category: "run",
        cases: run_case,
        tests: 1,
        failures: 0,
        errors,
    });
    suites
}
