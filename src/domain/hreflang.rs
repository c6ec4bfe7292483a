//! Choosing among links of one type by their `hreflang`, as the visitor's Accept-Language
//! asks: a resolver redirects when one link fits best and lists them when several do.

/// The languages of an Accept-Language header, most wanted first (`q=0` and `*` dropped).
pub fn accepted_languages(header: &str) -> Vec<&str> {
    let mut ranked: Vec<(&str, f32)> = header
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (!tag.is_empty() && tag != "*" && q > 0.0).then_some((tag, q))
        })
        .collect();
    // Stable: languages of equal weight keep the order the header gave them.
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked.into_iter().map(|(tag, _)| tag).collect()
}

/// The links that fit `accepted` best: for the first accepted language any link has, the
/// links of exactly that tag, else those of its primary language (`zh` for `zh-CN`); when
/// no accepted language fits, the links without a language, else all of them.
pub fn best_fit<'a, T>(
    links: &[&'a T],
    hreflang: impl Fn(&T) -> Option<&str>,
    accepted: &[&str],
) -> Vec<&'a T> {
    let primary = |tag: &str| {
        tag.split('-')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    for wanted in accepted {
        let exact: Vec<&T> = links
            .iter()
            .copied()
            .filter(|l| hreflang(l).is_some_and(|h| h.eq_ignore_ascii_case(wanted)))
            .collect();
        if !exact.is_empty() {
            return exact;
        }
        let same_language: Vec<&T> = links
            .iter()
            .copied()
            .filter(|l| hreflang(l).is_some_and(|h| primary(h) == primary(wanted)))
            .collect();
        if !same_language.is_empty() {
            return same_language;
        }
    }
    let unmarked: Vec<&T> = links
        .iter()
        .copied()
        .filter(|l| hreflang(l).is_none())
        .collect();
    if unmarked.is_empty() {
        links.to_vec()
    } else {
        unmarked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick<'a>(links: &[&'a (&'a str, Option<&'a str>)], header: &str) -> Vec<&'a str> {
        best_fit(links, |l| l.1, &accepted_languages(header))
            .into_iter()
            .map(|l| l.0)
            .collect()
    }

    #[test]
    fn accept_language_is_ranked_by_weight() {
        assert_eq!(
            accepted_languages("en;q=0.5, zh-CN, de;q=0, *;q=0.1, fr;q=0.5"),
            ["zh-CN", "en", "fr"]
        );
    }

    #[test]
    fn the_best_fitting_language_wins_and_ties_are_all_returned() {
        let (en, zh, zh_tw, any) = (
            ("en", Some("en")),
            ("zh", Some("zh-CN")),
            ("tw", Some("zh-TW")),
            ("any", None),
        );
        let links = [&en, &zh, &zh_tw, &any];
        assert_eq!(pick(&links, "zh-CN,en;q=0.8"), ["zh"]);
        assert_eq!(pick(&links, "fr,en-GB;q=0.8"), ["en"]);
        assert_eq!(pick(&links, "zh"), ["zh", "tw"]);
        assert_eq!(pick(&links, "fr"), ["any"]);
        assert_eq!(pick(&[&en, &zh], "fr"), ["en", "zh"]);
    }
}
