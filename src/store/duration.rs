//! Durations as people write them on a command line: `90s`, `30m`, `12h`, `7d`, `2w`,
//! or several at once (`1d12h`).

use chrono::Duration;

/// Parse a duration such as `30m`, `12h`, `7d` or `1d12h`.
pub fn parse(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration (e.g. 30m, 12h, 7d)".to_owned());
    }
    let mut total = Duration::zero();
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits
            .parse()
            .map_err(|_| format!("invalid duration {text:?} (e.g. 30m, 12h, 7d)"))?;
        digits.clear();
        let unit = match c {
            's' => Duration::try_seconds(n),
            'm' => Duration::try_minutes(n),
            'h' => Duration::try_hours(n),
            'd' => Duration::try_days(n),
            'w' => Duration::try_weeks(n),
            _ => {
                return Err(format!(
                    "invalid duration {text:?}: unknown unit {c:?} (s, m, h, d or w)"
                ));
            }
        };
        total = unit
            .and_then(|u| total.checked_add(&u))
            .filter(|t| *t <= Duration::days(365 * 100))
            .ok_or_else(|| format!("duration {text:?} is too long (at most 100 years)"))?;
    }
    if !digits.is_empty() {
        return Err(format!(
            "invalid duration {text:?}: a number needs a unit (s, m, h, d or w)"
        ));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse("30m"), Ok(Duration::minutes(30)));
        assert_eq!(parse("12h"), Ok(Duration::hours(12)));
        assert_eq!(parse("7d"), Ok(Duration::days(7)));
        assert_eq!(parse("1d12h"), Ok(Duration::hours(36)));
        assert_eq!(parse(" 2w "), Ok(Duration::weeks(2)));
        for bad in [
            "",
            "30",
            "m",
            "3x",
            "-1d",
            "99999999999999999999d",
            "100000000w",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
