//! Fitting a post's text to a network's length limit ([`TextLimit`]): a text that fits is sent
//! as it is; a longer one becomes a thread of parts or one truncated post ([`fit_text`]).
//!
//! Everything is counted the network's way ([`TextLimit::count`]: Mastodon's 23 per URL and
//! mentions without their domain included). The *budget* of a part is `max - reserved`, less the
//! width of the widest numbering `" n/n"` when parts are numbered, or less the suffix (`…`, and
//! the link after a blank line) for a truncation.
//!
//! # Where a text is cut
//!
//! A part ends only at a *break*, of one of three levels:
//! - **paragraph**: whitespace that holds a blank line;
//! - **sentence**: whitespace where UAX #29 ends a sentence (after `.` `!` `?` before a new
//!   sentence, at a line break), and in text written without spaces the point after `。` `！` `？`;
//! - **word**: any other whitespace, and in text written without spaces (Chinese, Japanese) a
//!   UAX #29 word boundary next to an ideograph or kana (each ideograph is a word), except before
//!   closing punctuation (`。` `」`) or after opening punctuation (`「`), as Japanese line
//!   breaking (kinsoku) wants.
//!
//! No break is ever inside a URL, a mention (`@a@b.c`), a hashtag or a grapheme cluster. Glued
//! to other text, a URL is taken to run to the first ideograph or kana (where Mastodon's
//! linkifier ends it too), a mention or hashtag over every character a handle or domain may hold.
//!
//! **The preference rule.** Of the breaks where the part still fits, the furthest paragraph
//! break is taken when the part it ends is at least half the budget; else the furthest sentence
//! (or paragraph) break under the same rule; else the furthest break of any level. So parts end
//! where paragraphs and sentences end, but never at the price of a part less than half full.
//! A truncation keeps the first part this rule makes, at the truncation's budget.
//!
//! Only when no break fits (one URL or word longer than a whole post) is a token cut: at its last
//! UAX #29 word boundary outside any URL, mention or hashtag that keeps the part at least half
//! full, else at the last grapheme cluster boundary that fits. [`Fitted::truncated`] says so.
//!
//! # When the limit is too small
//!
//! Numbering is dropped when `" n/n"` leaves no room; a truncation's link is dropped when it
//! leaves no room for a character, then its `…`; with no room at all, parts of one grapheme are
//! made (and may not fit). Each of these sets [`Fitted::truncated`] where text was cut; nothing
//! panics or loops.
//!
//! # Cost
//!
//! The breaks are found once, in one pass. Each part is then found by a galloping search over
//! the breaks after its start, counting only the candidate slice and stopping as soon as the
//! count passes the budget, so a 100 KB text costs a few passes over itself, never one per break.

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

use crate::connector::{CountUnit, TextLimit};

/// What to do with a text longer than one post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LongText {
    Thread,
    Truncate,
}

/// How [`fit_text`] fits a long text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FitOptions {
    /// Thread or truncate; `None` = Thread when the network has threads (`threads` arg), else
    /// Truncate.
    pub long: Option<LongText>,
    /// Number thread parts (" 1/3" appended to each part) — only when asked.
    pub number: bool,
    /// A link to the original, appended (after a blank line, "\n\n") to a truncated post,
    /// counted the network's way.
    pub link: Option<String>,
    /// Units already used by something counted with the text (Mastodon counts the content
    /// warning with it): each part gets max - reserved.
    pub reserved: usize,
}

/// A text fitted to a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fitted {
    /// The posts, in order: one when the text fits (unchanged, byte for byte), several for a
    /// thread, one for a truncation.
    pub parts: Vec<String>,
    /// The text was cut (truncated, or a single token was too long to keep whole).
    pub truncated: bool,
}

/// Ends a truncated text, glued to its last word.
const ELLIPSIS: &str = "…";

/// Fits `text` to `limit` (minus `opts.reserved`), as a thread or a truncation (see the module
/// doc for where it is cut).
///
/// Every part is trimmed, none is empty, and each fits with its numbering; the thread's parts
/// hold every non-whitespace character of `text` once, in order. When the limit leaves no room
/// even for one character and the suffix, the result is the best that can be done (numbering or
/// link dropped, then parts of a single grapheme) and `truncated` is set; it never panics or
/// loops. A text of only whitespace that does not fit becomes one empty part.
pub fn fit_text(text: &str, limit: &TextLimit, threads: bool, opts: &FitOptions) -> Fitted {
    let room = limit.max.saturating_sub(opts.reserved);
    if limit.count(text) <= room {
        return whole(text);
    }
    let trimmed = text.trim();
    if limit.count(trimmed) <= room {
        return whole(trimmed);
    }
    let default = if threads {
        LongText::Thread
    } else {
        LongText::Truncate
    };
    let cutter = Cutter::new(text, limit);
    match opts.long.unwrap_or(default) {
        LongText::Thread => thread(&cutter, room, opts.number),
        LongText::Truncate => truncate(&cutter, room, opts.link.as_deref()),
    }
}

/// The strictest reading of `limit`, for a server that refused a fitted text as too long: code
/// points (or bytes when the limit is bytes), every URL and mention at its full length.
pub fn stricter(limit: &TextLimit) -> TextLimit {
    TextLimit {
        max: limit.max,
        unit: match limit.unit {
            CountUnit::Bytes => CountUnit::Bytes,
            CountUnit::Graphemes | CountUnit::CodePoints => CountUnit::CodePoints,
        },
        url_length: None,
        mention_without_domain: false,
    }
}

fn whole(text: &str) -> Fitted {
    Fitted {
        parts: vec![text.to_owned()],
        truncated: false,
    }
}

/// Splits into parts of `room`, numbered when asked and when the numbers fit.
fn thread(cutter: &Cutter<'_>, room: usize, number: bool) -> Fitted {
    if let Some(fitted) = number.then(|| numbered(cutter, room)).flatten() {
        return fitted;
    }
    let (parts, hard) = cutter.split(room.max(1));
    Fitted {
        parts: parts.into_iter().map(str::to_owned).collect(),
        truncated: hard || room == 0,
    }
}

/// The parts numbered " i/n", with room for " n/n" kept in every part: the split is redone with
/// wider room when the part count has more digits than were kept. The digits only grow and the
/// budget shrinks with them, so this ends. `None` when the numbers leave no room, or there is
/// only one part.
fn numbered(cutter: &Cutter<'_>, room: usize) -> Option<Fitted> {
    let mut digits = 1;
    loop {
        let widest = "9".repeat(digits);
        let width = cutter.limit.count(&format!(" {widest}/{widest}"));
        let (parts, hard) = cutter.split(room.checked_sub(width).filter(|&b| b > 0)?);
        let total = parts.len();
        if total < 2 {
            return None;
        }
        if total.to_string().len() <= digits {
            let parts = parts
                .iter()
                .enumerate()
                .map(|(i, part)| format!("{part} {}/{total}", i + 1))
                .collect();
            return Some(Fitted {
                parts,
                truncated: hard,
            });
        }
        digits = total.to_string().len();
    }
}

/// One post: the text cut where it best fits with `…` and the link, else with `…` alone, else
/// cut anywhere without a suffix.
fn truncate(cutter: &Cutter<'_>, room: usize, link: Option<&str>) -> Fitted {
    let with_link = link.map(|l| format!("{ELLIPSIS}\n\n{l}"));
    let suffixes = with_link.iter().map(String::as_str).chain([ELLIPSIS]);
    let part = suffixes
        .filter_map(|suffix| cutter.shortened(room, suffix))
        .next()
        .unwrap_or_else(|| {
            let from = skip_space(cutter.text, 0);
            let cut = cutter.next_cut(from, room.max(1));
            cutter.text[from..cut.end].to_owned()
        });
    Fitted {
        parts: vec![part],
        truncated: true,
    }
}

/// Where a part may end, and where the next one starts (after the whitespace between them).
#[derive(Debug, Clone, Copy)]
struct Break {
    end: usize,
    start: usize,
    level: Level,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Word,
    Sentence,
    Paragraph,
}

/// One part's end and the next part's start; `hard` when a token was cut.
#[derive(Debug, Clone, Copy)]
struct Cut {
    end: usize,
    next: usize,
    hard: bool,
}

/// A text with its breaks found, ready to be cut at any budget.
struct Cutter<'a> {
    text: &'a str,
    limit: &'a TextLimit,
    /// Every place a part may end, in order.
    breaks: Vec<Break>,
    /// For each break, the last break at or before it of at least sentence level.
    last_sentence: Vec<Option<usize>>,
    /// For each break, the last paragraph break at or before it.
    last_paragraph: Vec<Option<usize>>,
    /// Byte ranges no cut may fall strictly inside: URLs, mentions, hashtags. In order.
    protected: Vec<(usize, usize)>,
    /// The end of the text without its trailing whitespace.
    end: usize,
}

impl<'a> Cutter<'a> {
    fn new(text: &'a str, limit: &'a TextLimit) -> Self {
        let sentences: Vec<usize> = text
            .split_sentence_bound_indices()
            .map(|(i, _)| i)
            .collect();
        let mut breaks = Vec::new();
        let mut protected = Vec::new();
        for (at, run, space) in runs(text) {
            let interior = at > 0 && at + run.len() < text.len();
            if space && interior {
                let level = space_level(run, at, &sentences);
                breaks.push(Break {
                    end: at,
                    start: at + run.len(),
                    level,
                });
            } else if !space {
                let spans = protected_spans(run);
                spaceless_breaks(run, at, &spans, &sentences, &mut breaks);
                protected.extend(spans.iter().map(|&(lo, hi)| (at + lo, at + hi)));
            }
        }
        let last_at_least = |level: Level| {
            let mut last = None;
            let found = |(i, b): (usize, &Break)| {
                if b.level >= level {
                    last = Some(i);
                }
                last
            };
            breaks.iter().enumerate().map(found).collect()
        };
        Cutter {
            text,
            limit,
            last_sentence: last_at_least(Level::Sentence),
            last_paragraph: last_at_least(Level::Paragraph),
            breaks,
            protected,
            end: text.trim_end().len(),
        }
    }

    /// The parts at `budget`, and whether a token had to be cut.
    fn split(&self, budget: usize) -> (Vec<&'a str>, bool) {
        let mut parts = Vec::new();
        let mut hard = false;
        let mut from = skip_space(self.text, 0);
        while from < self.end {
            let cut = self.next_cut(from, budget);
            parts.push(&self.text[from..cut.end]);
            hard |= cut.hard;
            from = skip_space(self.text, cut.next);
        }
        (parts, hard)
    }

    /// The text from its start, cut so that it and `suffix` fit `room`. `None` when not even
    /// one grapheme does.
    fn shortened(&self, room: usize, suffix: &str) -> Option<String> {
        let mut budget = room.checked_sub(self.limit.count(suffix))?;
        let from = skip_space(self.text, 0);
        while budget > 0 && from < self.end {
            let cut = self.next_cut(from, budget);
            let part = format!("{}{suffix}", &self.text[from..cut.end]);
            // The suffix is glued to the last word, which a URL or mention may count
            // differently; the whole is checked, and the budget lowered by what it overshot.
            let over = self.limit.count(&part).saturating_sub(room);
            if over == 0 {
                return Some(part);
            }
            budget = budget.saturating_sub(over);
        }
        None
    }

    /// The part that starts at `from` (not whitespace) within `budget`.
    fn next_cut(&self, from: usize, budget: usize) -> Cut {
        if self.fits(from, self.end, budget) {
            return Cut {
                end: self.end,
                next: self.end,
                hard: false,
            };
        }
        let first = self.breaks.partition_point(|b| b.end <= from);
        if let Some(furthest) = self.furthest_fitting(from, first, budget) {
            let chosen = self.preferred(from, first, furthest, budget);
            if let Some(b) = self.breaks.get(chosen) {
                return Cut {
                    end: b.end,
                    next: b.start,
                    hard: false,
                };
            }
        }
        let stop = self.breaks.get(first).map_or(self.end, |b| b.end);
        let end = self.hard_cut(from, stop, budget);
        Cut {
            end,
            next: end,
            hard: true,
        }
    }

    /// The last break from index `first` on whose part fits, by galloping then bisecting.
    /// Counts grow with the break's index, so the breaks that fit come first.
    fn furthest_fitting(&self, from: usize, first: usize, budget: usize) -> Option<usize> {
        let fits = |i: usize| {
            self.breaks
                .get(i)
                .is_some_and(|b| self.fits(from, b.end, budget))
        };
        if !fits(first) {
            return None;
        }
        let (mut good, mut bad, mut step) = (first, self.breaks.len(), 1);
        while good + step < bad {
            if fits(good + step) {
                good += step;
                step *= 2;
            } else {
                bad = good + step;
            }
        }
        while bad - good > 1 {
            let mid = good + (bad - good) / 2;
            if fits(mid) {
                good = mid;
            } else {
                bad = mid;
            }
        }
        Some(good)
    }

    /// The break the preference rule (module doc) takes among `first..=furthest`.
    fn preferred(&self, from: usize, first: usize, furthest: usize, budget: usize) -> usize {
        let half_full = |i: usize| {
            self.breaks
                .get(i)
                .is_some_and(|b| 2 * self.count_capped(from, b.end, budget) >= budget)
        };
        [&self.last_paragraph, &self.last_sentence]
            .into_iter()
            .filter_map(|last| last.get(furthest).copied().flatten())
            .find(|&i| i >= first && half_full(i))
            .unwrap_or(furthest)
    }

    /// Where to cut the token `from..stop` that has no break and is too long: the last word
    /// boundary outside URLs, mentions and hashtags that keeps the part half full, else the
    /// last grapheme boundary that fits (at least one grapheme, so the split always moves on).
    fn hard_cut(&self, from: usize, stop: usize, budget: usize) -> usize {
        let token = &self.text[from..stop];
        let mut ends = LazyEnds {
            iter: token
                .grapheme_indices(true)
                .map(|(i, g)| from + i + g.len()),
            seen: Vec::new(),
        };
        let fits = |e: Option<usize>| e.is_some_and(|e| self.fits(from, e, budget));
        let (mut good, mut step) = (0, 1);
        let mut bad = loop {
            let probe = ends.get(good + step);
            if probe.is_none() {
                break ends.seen.len();
            }
            if !fits(probe) {
                break good + step;
            }
            good += step;
            step *= 2;
        };
        while bad - good > 1 {
            let mid = good + (bad - good) / 2;
            if fits(ends.get(mid)) {
                good = mid;
            } else {
                bad = mid;
            }
        }
        let grapheme_end = ends.get(good).unwrap_or(stop);
        // Two graphemes more: whether `grapheme_end` is a word boundary depends on what follows.
        let context = ends.get(good + 2).unwrap_or(stop);
        self.word_cut(from, grapheme_end, context, budget)
            .unwrap_or(grapheme_end)
    }

    /// The last UAX #29 word boundary in `from..=to` (`from..context` read) outside URLs,
    /// mentions and hashtags, if its part is at least half the budget.
    fn word_cut(&self, from: usize, to: usize, context: usize, budget: usize) -> Option<usize> {
        let at = self.text[from..context]
            .split_word_bound_indices()
            .rev()
            .map(|(i, _)| from + i)
            .find(|&p| p > from && p <= to && !inside(&self.protected, p))?;
        (2 * self.count_capped(from, at, budget) >= budget).then_some(at)
    }

    fn fits(&self, from: usize, to: usize, budget: usize) -> bool {
        self.count_capped(from, to, budget) <= budget
    }

    /// The count of `from..to`, run by run as [`TextLimit::count`] counts it, stopped once past
    /// `cap`, so probing a far break, or the rest of a 100 KB token, costs no more than the
    /// budget's worth of text.
    fn count_capped(&self, from: usize, to: usize, cap: usize) -> usize {
        let mut total = 0;
        for (_, run, _) in runs(&self.text[from..to]) {
            total += self.count_run(run, cap.saturating_sub(total) + 1);
            if total > cap {
                break;
            }
        }
        total
    }

    /// The count of one run, or any number from `cap` up when it is at least `cap`. Only a run
    /// that may be a URL or a remote mention is counted by [`TextLimit::count`] itself (those
    /// rules look at the whole word); any other run counts as its units, as there.
    fn count_run(&self, run: &str, cap: usize) -> usize {
        let special = (self.limit.url_length.is_some() && starts_with_scheme(run))
            || (self.limit.mention_without_domain && run.starts_with('@'));
        if special {
            return self.limit.count(run);
        }
        match self.limit.unit {
            // In ASCII only CR LF joins two characters into one grapheme cluster (UAX #29 GB3).
            CountUnit::Graphemes if run.is_ascii() => run.len() - run.matches("\r\n").count(),
            CountUnit::Graphemes => run.graphemes(true).take(cap).count(),
            CountUnit::CodePoints if run.is_ascii() => run.len(),
            CountUnit::CodePoints => run.chars().take(cap).count(),
            CountUnit::Bytes => run.len(),
        }
    }
}

/// Grapheme ends of a token, read only as far as a search needs them (a token may be 100 KB).
struct LazyEnds<I> {
    iter: I,
    seen: Vec<usize>,
}

impl<I: Iterator<Item = usize>> LazyEnds<I> {
    fn get(&mut self, k: usize) -> Option<usize> {
        while self.seen.len() <= k {
            self.seen.push(self.iter.next()?);
        }
        self.seen.get(k).copied()
    }
}

/// The level of a break at the whitespace `run` found at byte `at`.
fn space_level(run: &str, at: usize, sentences: &[usize]) -> Level {
    if is_blank_line(run) {
        return Level::Paragraph;
    }
    let next = sentences.partition_point(|&b| b <= at);
    if sentences.get(next).is_some_and(|&b| b <= at + run.len()) {
        Level::Sentence
    } else {
        Level::Word
    }
}

/// True when whitespace holds a blank line: two line ends (`\r\n` is one), or a paragraph
/// separator.
fn is_blank_line(run: &str) -> bool {
    let mut lines = 0;
    let mut chars = run.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{2029}' => return true,
            '\r' => {
                chars.next_if_eq(&'\n');
                lines += 1;
            }
            '\n' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' => lines += 1,
            _ => {}
        }
    }
    lines >= 2
}

/// The breaks inside a whitespace-free `run` (at byte `at`) of text written without spaces:
/// UAX #29 word boundaries next to an ideograph or kana, outside `spans`, kinsoku respected.
fn spaceless_breaks(
    run: &str,
    at: usize,
    spans: &[(usize, usize)],
    sentences: &[usize],
    breaks: &mut Vec<Break>,
) {
    if !run.chars().any(is_spaceless) {
        return;
    }
    let graphemes: Vec<usize> = run.grapheme_indices(true).map(|(i, _)| i).collect();
    for (i, _) in run.split_word_bound_indices().skip(1) {
        let (Some(before), Some(after)) = (run[..i].chars().next_back(), run[i..].chars().next())
        else {
            continue;
        };
        let allowed = (is_spaceless(before) || is_spaceless(after))
            && !OPENING.contains(before)
            && !CLOSING.contains(after)
            && !inside(spans, i)
            && graphemes.binary_search(&i).is_ok();
        if allowed {
            let level = if sentences.binary_search(&(at + i)).is_ok() {
                Level::Sentence
            } else {
                Level::Word
            };
            breaks.push(Break {
                end: at + i,
                start: at + i,
                level,
            });
        }
    }
}

/// Never starts a line in Japanese and Chinese typesetting.
const CLOSING: &str = "。、，．！？：；）」』】〉》〕］｝〟’”・ー…‥ゝゞ々";
/// Never ends a line.
const OPENING: &str = "（「『【〈《〔［｛〝‘“";

/// Characters of scripts written without spaces: CJK ideographs, kana, their punctuation and
/// full-width forms.
fn is_spaceless(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF
        | 0x3000..=0x30FF
        | 0x3100..=0x312F
        | 0x31F0..=0x31FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0xFF00..=0xFFEF
        | 0x20000..=0x3FFFF)
}

/// The URLs, mentions and hashtags in a whitespace-free `run`, as byte ranges. Generous on
/// purpose: a URL runs to the end of the run or to the first ideograph or kana (where
/// Mastodon's linkifier ends it too, and Bluesky sees no link at all), a mention or hashtag
/// over every character a handle or domain may hold.
fn protected_spans(run: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while let Some(rest) = run.get(i..).filter(|r| !r.is_empty()) {
        let len = if starts_with_scheme(rest) {
            rest.find(is_spaceless).unwrap_or(rest.len())
        } else if rest.starts_with(['@', '#', '＠', '＃']) {
            let sigil = rest.chars().next().map_or(1, char::len_utf8);
            let handle = &rest[sigil..];
            sigil + handle.find(|c| !is_handle_char(c)).unwrap_or(handle.len())
        } else {
            0
        };
        if len > 0 {
            spans.push((i, i + len));
            i += len;
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    spans
}

fn starts_with_scheme(s: &str) -> bool {
    ["http://", "https://"]
        .iter()
        .any(|p| s.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p)))
}

fn is_handle_char(c: char) -> bool {
    c.is_alphanumeric() || "_.-@:".contains(c)
}

/// True when `p` is strictly inside one of the ordered, disjoint `spans`.
fn inside(spans: &[(usize, usize)], p: usize) -> bool {
    let i = spans.partition_point(|&(lo, _)| lo < p);
    i > 0 && spans.get(i - 1).is_some_and(|&(_, hi)| p < hi)
}

/// The first byte at or after `at` that is not whitespace.
fn skip_space(text: &str, at: usize) -> usize {
    let rest = text.get(at..).unwrap_or_default();
    at + (rest.len() - rest.trim_start().len())
}

/// `text` cut into runs of whitespace and runs of anything else, as [`TextLimit::count`] cuts
/// it: (byte offset, run, is whitespace).
fn runs(text: &str) -> impl Iterator<Item = (usize, &str, bool)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let rest = text.get(at..)?;
        let space = rest.chars().next()?.is_whitespace();
        let len = rest
            .find(|c: char| c.is_whitespace() != space)
            .unwrap_or(rest.len());
        let run = (at, &rest[..len], space);
        at += len;
        Some(run)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn graphemes(max: usize) -> TextLimit {
        TextLimit {
            max,
            unit: CountUnit::Graphemes,
            url_length: None,
            mention_without_domain: false,
        }
    }

    fn thread(text: &str, max: usize) -> Vec<String> {
        fit_text(text, &graphemes(max), true, &FitOptions::default()).parts
    }

    #[test]
    fn a_text_that_fits_is_kept_byte_for_byte() {
        let text = "  hello\n\nworld  ";
        assert_eq!(thread(text, 100), vec![text.to_owned()]);
    }

    #[test]
    fn paragraphs_win_over_sentences_only_when_the_part_is_half_full() {
        // The paragraph break after 11 units is under half of 32: the sentence break wins.
        let text = "Short para.\n\nOne sentence here. And another one that is long.";
        assert_eq!(
            thread(text, 32),
            [
                "Short para.\n\nOne sentence here.",
                "And another one that is long."
            ]
        );
        // Here the paragraph ends 20 units in: it is half full, so it is taken.
        let text = "A paragraph of text.\n\nNext one. Goes on.";
        assert_eq!(
            thread(text, 35),
            ["A paragraph of text.", "Next one. Goes on."]
        );
    }

    #[test]
    fn japanese_is_cut_after_sentence_ends_and_never_before_closing_marks() {
        let text = "今日は晴れです。明日は雨が降るでしょう。「傘を持って」と言われた。";
        let parts = thread(text, 12);
        assert_eq!(parts[0], "今日は晴れです。");
        assert!(parts.iter().all(|p| !p.starts_with(['。', '」'])));
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn a_url_is_cut_only_when_longer_than_a_post() {
        let url = format!("https://example.com/{}", "a".repeat(60));
        let fitted = fit_text(&url, &graphemes(30), true, &FitOptions::default());
        assert!(fitted.truncated);
        assert_eq!(fitted.parts.concat(), url);
        assert!(fitted.parts.iter().all(|p| graphemes(30).fits(p)));
    }

    #[test]
    fn a_word_longer_than_a_post_is_cut_at_a_word_boundary_in_it() {
        let word = "state-of-the-art-".repeat(4) + "end";
        let fitted = fit_text(&word, &graphemes(30), true, &FitOptions::default());
        assert!(fitted.truncated);
        assert_eq!(fitted.parts[0], "state-of-the-art-state-of-the-");
        assert_eq!(fitted.parts.concat(), word);
    }

    #[test]
    fn no_room_at_all_still_ends() {
        let fitted = fit_text("abc def", &graphemes(0), true, &FitOptions::default());
        assert!(fitted.truncated);
        assert_eq!(fitted.parts.concat(), "abcdef");
        let opts = FitOptions {
            long: Some(LongText::Truncate),
            link: Some("https://example.com/x".into()),
            ..FitOptions::default()
        };
        let fitted = fit_text("abc def", &graphemes(1), true, &opts);
        assert_eq!(fitted.parts, ["a"]);
    }

    #[test]
    fn stricter_counts_everything() {
        let m = TextLimit {
            url_length: Some(23),
            mention_without_domain: true,
            ..graphemes(500)
        };
        let s = stricter(&m);
        assert_eq!(s.unit, CountUnit::CodePoints);
        assert_eq!(s.count("@a@b.c"), 6);
    }
}
