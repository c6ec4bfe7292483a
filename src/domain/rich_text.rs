//! The formatting a brand may use in a landing page's text, turned into HTML: paragraphs
//! (a blank line), line breaks, `**bold**`, `*italic*` and `[links](https://...)`.
//! Everything else is shown as typed, escaped, so no markup or script in a campaign's
//! text ever reaches a consumer's browser as code.

/// The HTML for `text`: one `<p>` per paragraph.
pub fn to_html(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut html = String::with_capacity(text.len() + 32);
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        html.push_str("<p>");
        for (i, line) in paragraph.lines().enumerate() {
            if i > 0 {
                html.push_str("<br>\n");
            }
            inline(line, &mut html, true);
        }
        html.push_str("</p>\n");
    }
    html
}

/// One line: emphasis and links, the rest escaped.
fn inline(text: &str, out: &mut String, links: bool) {
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some((inner, after)) = enclosed(rest, "**") {
            out.push_str("<strong>");
            inline(inner, out, links);
            out.push_str("</strong>");
            rest = after;
        } else if let Some((inner, after)) = enclosed(rest, "*") {
            out.push_str("<em>");
            inline(inner, out, links);
            out.push_str("</em>");
            rest = after;
        } else if let Some((label, url, after)) = links.then(|| link(rest)).flatten() {
            out.push_str("<a href=\"");
            escape(url, out);
            out.push_str("\" rel=\"noopener\">");
            inline(label, out, false);
            out.push_str("</a>");
            rest = after;
        } else {
            escape(&rest[..c.len_utf8()], out);
            rest = &rest[c.len_utf8()..];
        }
    }
}

/// `text` starting with `mark`, some text, and `mark` again: the text and what follows.
/// The text may not start or end with a space, so `2 * 3 * 4` stays as typed.
fn enclosed<'a>(text: &'a str, mark: &str) -> Option<(&'a str, &'a str)> {
    let body = text.strip_prefix(mark)?;
    let end = body.find(mark)?;
    let inner = &body[..end];
    let trimmed = !inner.is_empty() && inner.trim() == inner;
    // `**` is bold, not an empty italic.
    (trimmed && !inner.starts_with('*')).then(|| (inner, &body[end + mark.len()..]))
}

/// `[label](url)` with an http or https URL: the label, the URL and what follows.
fn link(text: &str) -> Option<(&str, &str, &str)> {
    let body = text.strip_prefix('[')?;
    let label_end = body.find("](")?;
    let label = &body[..label_end];
    let after_label = &body[label_end + 2..];
    let url_end = after_label.find(')')?;
    let url = &after_label[..url_end];
    let safe = (url.starts_with("https://") || url.starts_with("http://"))
        && !url.contains(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'));
    (safe && !label.is_empty()).then(|| (label, url, &after_label[url_end + 1..]))
}

/// `text` with the five characters HTML and XML give meaning to escaped.
pub fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape(text, &mut out);
    out
}

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn paragraphs_breaks_emphasis_and_links() {
        assert_eq!(
            to_html(
                "Cold **brewed**, *slowly*.\nFor 12 hours.\n\nSee [our farm](https://tea.example.com/farm?a=1&b=2)."
            ),
            "<p>Cold <strong>brewed</strong>, <em>slowly</em>.<br>\nFor 12 hours.</p>\n\
             <p>See <a href=\"https://tea.example.com/farm?a=1&amp;b=2\" rel=\"noopener\">our farm</a>.</p>\n"
        );
        assert_eq!(
            to_html("**[bold link](https://x.cn)**"),
            "<p><strong><a href=\"https://x.cn\" rel=\"noopener\">bold link</a></strong></p>\n"
        );
    }

    #[test]
    fn markup_and_script_are_shown_as_typed() {
        assert_eq!(
            to_html("<script>alert('x')</script> & \"quotes\""),
            "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;</p>\n"
        );
        for unsafe_link in [
            "[click](javascript:alert(1))",
            "[click](https://x.cn\" onclick=\"alert(1))",
            "[click](data:text/html,<b>)",
            "[](https://x.cn)",
        ] {
            let html = to_html(unsafe_link);
            assert!(!html.contains("<a "), "{unsafe_link}: {html}");
            assert!(!html.contains("\" on"), "{unsafe_link}: {html}");
        }
        // A link's label cannot hold another link.
        let nested = to_html("[a [b](https://y.cn)](https://x.cn)");
        assert_eq!(nested.matches("<a ").count(), 1, "{nested}");
    }

    #[test]
    fn stray_marks_stay_as_typed() {
        assert_eq!(to_html("2 * 3 * 4"), "<p>2 * 3 * 4</p>\n");
        assert_eq!(to_html("**"), "<p>**</p>\n");
        assert_eq!(to_html("*open"), "<p>*open</p>\n");
        assert_eq!(to_html("[no url]"), "<p>[no url]</p>\n");
        assert_eq!(to_html("\r\n\r\n  \n"), "");
    }
}
