//! The report as JUnit XML, the format CI systems read: one `<testsuite>` per connector, one
//! `<testcase>` per case (`classname` = `<connector>.<group>`), `<failure>` and `<skipped>`
//! with the message.

use std::fmt::Write as _;

use super::report::{Outcome, Report};

/// Text safe inside an XML attribute or element: escaped, and without the control characters
/// XML 1.0 cannot carry.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// The whole report as a JUnit XML document.
pub fn render(report: &Report) -> String {
    let t = report.totals();
    let errors = report.errors.len();
    let total_ms: u64 = report.connectors.iter().map(|c| c.duration_ms).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"latchkey check\" tests=\"{}\" failures=\"{}\" errors=\"{errors}\" skipped=\"{}\" time=\"{}\">",
        t.cases,
        t.failed,
        t.skipped,
        seconds(total_ms)
    );
    for c in &report.connectors {
        let ct = c.totals();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\">",
            escape(&c.id),
            ct.cases,
            ct.failed,
            ct.skipped,
            seconds(c.duration_ms)
        );
        let _ = writeln!(
            out,
            "    <properties><property name=\"version\" value=\"{}\"/><property name=\"provider\" value=\"{}\"/></properties>",
            escape(&c.version),
            escape(&c.provider)
        );
        for case in &c.cases {
            let _ = write!(
                out,
                "    <testcase classname=\"{}.{}\" name=\"{}\" time=\"{}\"",
                escape(&c.id),
                escape(case.group()),
                escape(case.name()),
                seconds(case.duration_ms)
            );
            let message = escape(case.message.as_deref().unwrap_or(""));
            match case.outcome {
                Outcome::Passed => out.push_str("/>\n"),
                Outcome::Skipped => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{message}\"/>\n    </testcase>"
                    );
                }
                Outcome::Failed => {
                    let mut body = format!("{}\n", case.title);
                    for d in &case.details {
                        body.push_str(d);
                        body.push('\n');
                    }
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{message}\" type=\"{}\">{}</failure>\n    </testcase>",
                        escape(case.group()),
                        escape(&body)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    if errors > 0 {
        out.push_str("  <testsuite name=\"plugins\" tests=\"0\" failures=\"0\" errors=\"");
        let _ = writeln!(out, "{errors}\" skipped=\"0\">");
        for e in &report.errors {
            let _ = writeln!(out, "    <system-err>{}</system-err>", escape(e));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample;

    #[test]
    fn counts_escapes_and_shapes() {
        let xml = render(&sample());
        assert!(xml.starts_with("<?xml"), "{xml}");
        assert!(
            xml.contains("tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""),
            "{xml}"
        );
        assert!(
            xml.contains("<testcase classname=\"acme.oauth2\" name=\"refresh\" time=\"0.012\"/>"),
            "{xml}"
        );
        assert!(
            xml.contains("detail &lt;1&gt; &amp; &quot;2&quot;"),
            "{xml}"
        );
        assert!(xml.contains("<skipped message=\"no expiry\"/>"), "{xml}");
        assert_eq!(xml.matches("<testcase ").count(), 3);
        assert_eq!(escape("a\u{1}b\n"), "a?b\n");
    }
}
