//! robots.txt, for `--respect-robots`: the group for our product token (else `*`),
//! `Allow`/`Disallow` by longest match (RFC 9309, with `*` and `$`), and `Crawl-delay`.

use std::time::Duration;

/// The rules of one robots.txt that apply to us.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Robots {
    /// `(allow, pattern)` pairs.
    rules: Vec<(bool, String)>,
    pub(crate) crawl_delay: Option<Duration>,
}

impl Robots {
    /// Parse robots.txt text for the product token `agent` (e.g. `citecheck`).
    pub(crate) fn parse(text: &str, agent: &str) -> Robots {
        let agent = agent.to_ascii_lowercase();
        // Groups: (user-agents, rules, crawl-delay)
        let mut groups: Vec<(Vec<String>, Robots)> = Vec::new();
        let mut in_agents = false;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default().trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "user-agent" => {
                    if !in_agents {
                        groups.push((Vec::new(), Robots::default()));
                    }
                    in_agents = true;
                    if let Some(g) = groups.last_mut() {
                        g.0.push(value.to_ascii_lowercase());
                    }
                }
                "allow" | "disallow" => {
                    in_agents = false;
                    if let Some(g) = groups.last_mut()
                        && !value.is_empty()
                    {
                        g.1.rules.push((key == "allow", value.to_owned()));
                    }
                }
                "crawl-delay" => {
                    in_agents = false;
                    if let Some(g) = groups.last_mut()
                        && let Ok(secs) = value.parse::<f64>()
                        && secs.is_finite()
                        && secs >= 0.0
                    {
                        g.1.crawl_delay = Some(Duration::from_secs_f64(secs.min(3600.0)));
                    }
                }
                _ => {}
            }
        }
        let pick = |pred: &dyn Fn(&str) -> bool| {
            let mut merged: Option<Robots> = None;
            for (agents, r) in &groups {
                if agents.iter().any(|a| pred(a)) {
                    let m = merged.get_or_insert_with(Robots::default);
                    m.rules.extend(r.rules.iter().cloned());
                    m.crawl_delay = m.crawl_delay.or(r.crawl_delay);
                }
            }
            merged
        };
        pick(&|a| a != "*" && agent.starts_with(a))
            .or_else(|| pick(&|a| a == "*"))
            .unwrap_or_default()
    }

    /// Whether `path` (with query) may be fetched.
    pub(crate) fn allows(&self, path: &str) -> bool {
        let mut best: Option<(usize, bool)> = None;
        for (allow, pattern) in &self.rules {
            if matches(pattern, path) {
                let len = pattern.len();
                // Longest match wins; on a tie, allow wins.
                if best.is_none_or(|(l, a)| len > l || (len == l && *allow && !a)) {
                    best = Some((len, *allow));
                }
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }
}

/// Match a robots.txt path pattern (`*` any run, `$` end) against a path.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let parts: Vec<&str> = pattern.split('*').collect();
    let Some(first) = parts.first() else {
        return true;
    };
    if !path.starts_with(first) {
        return false;
    }
    let mut pos = first.len();
    for (i, part) in parts.iter().enumerate().skip(1) {
        let last = i == parts.len() - 1;
        if last && anchored {
            return path.len() >= pos + part.len() && path.ends_with(part);
        }
        match path[pos..].find(part) {
            Some(at) => pos += at + part.len(),
            None => return false,
        }
    }
    !anchored || pos == path.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TXT: &str = "\
User-agent: *
Disallow: /private/
Crawl-delay: 2

User-agent: citecheck
User-agent: otherbot
Disallow: /news/archive
Allow: /news/archive/2018/
Disallow: /*.pdf$
Crawl-delay: 0.5
";

    #[test]
    fn our_group_wins_over_the_star_group() {
        let r = Robots::parse(TXT, "citecheck/0.1.0");
        assert_eq!(r.crawl_delay, Some(Duration::from_millis(500)));
        assert!(r.allows("/private/x"), "the * group does not apply to us");
        assert!(!r.allows("/news/archive/2017/a.html"));
        assert!(r.allows("/news/archive/2018/a.html"), "longer allow wins");
        assert!(!r.allows("/files/report.pdf"));
        assert!(r.allows("/files/report.pdf?x=1"));
        assert!(r.allows("/"));
    }

    #[test]
    fn other_agents_get_the_star_group() {
        let r = Robots::parse(TXT, "somebot");
        assert_eq!(r.crawl_delay, Some(Duration::from_secs(2)));
        assert!(!r.allows("/private/x"));
        assert!(r.allows("/news/archive/2017/"));
    }

    #[test]
    fn empty_or_garbage_allows_everything() {
        for t in ["", "garbage\n\u{0}\u{1}", "Disallow: /\n"] {
            assert!(Robots::parse(t, "citecheck").allows("/x"), "{t:?}");
        }
        let all = Robots::parse("User-agent: *\nDisallow: /\n", "citecheck");
        assert!(!all.allows("/anything"));
    }
}
