//! Text for a terminal: widths as the terminal shows them (a Hangul syllable takes two columns,
//! so counting `char`s misaligns Korean tables) and lines cut to fit.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The widest line the runner prints (a common terminal is 100 columns or more).
pub const MAX_WIDTH: usize = 100;

/// How many columns `text` takes on a terminal.
pub fn width(text: &str) -> usize {
    text.width()
}

/// `text` cut to at most `columns` columns, ending in `…` when something was cut.
pub fn fit(text: &str, columns: usize) -> String {
    if text.width() <= columns {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > columns {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `text` padded with spaces to `columns` columns (longer text is left as it is).
pub fn pad(text: &str, columns: usize) -> String {
    format!("{text}{}", " ".repeat(columns.saturating_sub(text.width())))
}

/// `text` with every line longer than `columns` broken at spaces (lines of code, which rarely
/// are that long, are left alone when they have no space to break at).
pub fn wrap(text: &str, columns: usize) -> String {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.width() <= columns {
            out.push(line.to_string());
            continue;
        }
        let indent: String = line.chars().take_while(|c| *c == ' ').collect();
        let mut current = indent.clone();
        for word in line.split_whitespace() {
            let started = !current.trim().is_empty();
            if started && current.width() + 1 + word.width() > columns {
                out.push(std::mem::replace(&mut current, indent.clone()));
            }
            if !current.trim().is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push(current);
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hangul_takes_two_columns_and_fit_counts_them() {
        assert_eq!(width("단계"), 4);
        assert_eq!(pad("단계", 6), "단계  ");
        assert_eq!(fit("가나다라", 5), "가나…");
        assert_eq!(width(&fit("가나다라", 5)), 5);
        assert_eq!(fit("short", 10), "short");
    }

    #[test]
    fn long_lines_wrap_at_spaces_within_the_width() {
        let text = format!("  {}", "단어 ".repeat(40));
        let wrapped = wrap(&text, 30);
        assert!(wrapped
            .lines()
            .all(|l| width(l) <= 30 && l.starts_with("  ")));
        assert_eq!(wrapped.split_whitespace().count(), 40);
    }
}
