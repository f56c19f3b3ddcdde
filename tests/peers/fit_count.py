#!/usr/bin/env python3
"""Independent check of Braid's golden text-fitting cases.

Usage: fit_count.py connectors/core/tests/fixtures/fit/golden.json

For every case of golden.json (written by connectors/core/tests/fit_golden.rs) this script,
without any of Braid's code:

- counts every part again, in grapheme clusters from the PyPI `grapheme` package (code points or
  UTF-8 bytes for those units), with Mastodon's rules read from its documentation rather than from
  Braid: an http(s) URL counts 23 whatever its length, trailing .,;:!?)"' not being part of it,
  and a remote mention @user@domain counts as @user;
- checks that count against the recorded length, and against the limit minus `reserved`;
- checks that a text that fits is its one part, byte for byte; that parts are trimmed and never
  empty; that a thread's parts (without their " i/n" numbering) are the text's non-whitespace
  content, in order, once; and that a truncation is a prefix of the text followed by "…" and the
  link;
- checks every cut that is not at whitespace: it must be on a grapheme cluster boundary, and either
  next to an ideograph or kana (text written without spaces) and not inside a URL, mention or
  hashtag, or a hard cut of a part that is a single token, in a case marked truncated.

Exits non-zero with one line per mismatch; on success prints how many cases and parts it checked.
"""

import json
import re
import sys
import unicodedata
from pathlib import Path

import grapheme

# Unicode White_Space, which Braid (Rust's char::is_whitespace) splits on. Python's str.isspace
# also takes U+001C..U+001F, so the set is spelt out.
WHITE_SPACE = set(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
RUNS = re.compile("([" + re.escape("".join(sorted(WHITE_SPACE))) + "]+)")
URL_SCHEME = re.compile(r"https?://", re.IGNORECASE)
URL_TRAILING = ".,;:!?)\"'"
ELLIPSIS = "\u2026"


def is_space(c):
    return c in WHITE_SPACE


def mastodon_word(word, url_length, mention_without_domain):
    """`word` (no whitespace) as Mastodon counts it: its URL or remote mention replaced."""
    scheme = URL_SCHEME.match(word)
    if url_length is not None and scheme:
        url = word.rstrip(URL_TRAILING)
        if len(url) > scheme.end():
            return "x" * url_length + word[len(url):]
    if mention_without_domain and word.startswith("@") and "@" in word[1:]:
        user, _, rest = word[1:].partition("@")
        if user and all(c.isalnum() or c in "_.-" for c in user):
            n = 0
            while n < len(rest) and (rest[n].isalnum() or rest[n] in ".-:"):
                n += 1
            domain = rest[:n].rstrip(".:")
            if "." in domain or ":" in domain:
                return "@" + user + rest[len(domain):]
    return word


def count(text, limit):
    """The length of `text` under `limit` (Braid's TextLimit as JSON)."""
    pieces = RUNS.split(text)
    counted = "".join(
        p if (not p or is_space(p[0]))
        else mastodon_word(p, limit["url_length"], limit["mention_without_domain"])
        for p in pieces
    )
    unit = limit["unit"]
    if unit == "graphemes":
        return grapheme.length(counted)
    if unit == "code_points":
        return len(counted)
    if unit == "bytes":
        return len(counted.encode("utf-8"))
    raise ValueError(f"unknown unit {unit!r}")


def words(text):
    """The whitespace-separated words of `text`."""
    return [w for w in RUNS.split(text) if w and not is_space(w[0])]


def is_spaceless(c):
    """A character of a script written without spaces: CJK ideographs, kana, CJK punctuation."""
    if c is None:
        return False
    name = unicodedata.name(c, "")
    return name.startswith(("CJK ", "HIRAGANA", "KATAKANA", "IDEOGRAPHIC", "FULLWIDTH",
                            "HALFWIDTH KATAKANA", "LEFT CORNER BRACKET", "RIGHT CORNER BRACKET",
                            "LEFT WHITE CORNER BRACKET", "RIGHT WHITE CORNER BRACKET"))


def is_katakana(c):
    return c is not None and "KATAKANA" in unicodedata.name(c, "")


def protected_spans(text):
    """URLs (to whitespace or the first ideograph or kana), mentions and hashtags."""
    spans = []
    i = 0
    while i < len(text):
        m = URL_SCHEME.match(text, i)
        if m:
            j = m.end()
            while j < len(text) and not is_space(text[j]) and not is_spaceless(text[j]):
                j += 1
        elif text[i] in "@#\uff20\uff03":
            j = i + 1
            while j < len(text) and (text[j].isalnum() or text[j] in "_.-@:"):
                j += 1
        else:
            i += 1
            continue
        spans.append((i, j))
        i = j
    return spans


class Checker:
    def __init__(self, golden_path):
        self.dir = Path(golden_path).parent
        self.cases = json.loads(Path(golden_path).read_text(encoding="utf-8"))["cases"]
        self.errors = []
        self.parts = 0

    def error(self, case, msg):
        self.errors.append(f"fit_count: {case['name']}: {msg}")

    def run(self):
        for case in self.cases:
            self.check_case(case)
        return self.errors

    def check_case(self, case):
        text = (self.dir / case["fixture"]).read_text(encoding="utf-8")
        limit = case["limit"]
        room = max(limit["max"] - case["reserved"], 0)
        parts = [p["text"] for p in case["parts"]]
        self.parts += len(parts)
        for i, p in enumerate(case["parts"]):
            n = count(p["text"], limit)
            if n != p["length"]:
                self.error(case, f"part {i + 1}: counted {n}, golden.json says {p['length']}")
            if n + case["reserved"] > limit["max"]:
                self.error(case, f"part {i + 1}: {n} + reserved {case['reserved']} "
                                 f"> max {limit['max']}")
        if count(text, limit) <= room:
            if parts != [text]:
                self.error(case, "the text fits, but is not kept as its one part")
            return
        trimmed = text.strip("".join(WHITE_SPACE))
        if count(trimmed, limit) <= room:
            if parts != [trimmed]:
                self.error(case, "the trimmed text fits, but is not kept as its one part")
            return
        if not parts:
            self.error(case, "no parts")
            return
        for i, p in enumerate(parts):
            if not p or p != p.strip("".join(WHITE_SPACE)):
                self.error(case, f"part {i + 1} is empty or not trimmed: {p[:40]!r}")
        mode = case["long"] or ("thread" if case["threads"] else "truncate")
        if mode == "truncate":
            self.check_truncation(case, text, parts)
        else:
            self.check_thread(case, text, parts)

    def check_truncation(self, case, text, parts):
        if len(parts) != 1 or not case["truncated"]:
            self.error(case, "a truncation is one part, marked truncated")
            return
        part = parts[0]
        suffixes = ([f"{ELLIPSIS}\n\n{case['link']}"] if case["link"] else []) + [ELLIPSIS]
        body = next((part[:-len(s)] for s in suffixes if part.endswith(s)), None)
        if body is None:
            self.error(case, f"the truncation does not end with {suffixes[0]!r}")
            return
        room = case["limit"]["max"] - case["reserved"]
        if case["link"] and not part.endswith(case["link"]) \
                and count(suffixes[0], case["limit"]) < room:
            self.error(case, "the link was dropped although it fits")
        self.walk(case, text, [body])

    def check_thread(self, case, text, parts):
        bodies = parts
        if case["number"] and len(parts) > 1:
            bodies = []
            for i, p in enumerate(parts):
                m = re.fullmatch(r"(.*) (\d+)/(\d+)", p, re.DOTALL)
                if not m or (int(m.group(2)), int(m.group(3))) != (i + 1, len(parts)):
                    self.error(case, f"part {i + 1} does not end with ' {i + 1}/{len(parts)}'")
                    return
                bodies.append(m.group(1))
        end = self.walk(case, text, bodies)
        if text[end:].strip("".join(WHITE_SPACE)):
            self.error(case, f"text lost after the last part: {text[end:end + 40]!r}")
        text_words = words(text)
        part_words = [w for b in bodies for w in words(b)]
        if "".join(text_words) != "".join(part_words):
            self.error(case, "the parts' characters are not the text's")
        cut_in_token = len(part_words) != len(text_words)
        if not cut_in_token and part_words != text_words:
            self.error(case, "the parts' words are not the text's words")

    def walk(self, case, text, bodies):
        """Finds each body in `text` after the previous one and checks the cuts between them."""
        boundaries = {0}
        at = 0
        for g in grapheme.graphemes(text):
            at += len(g)
            boundaries.add(at)
        spans = protected_spans(text)
        at = 0
        for i, body in enumerate(bodies):
            start = at
            while start < len(text) and is_space(text[start]):
                start += 1
            if not text.startswith(body, start):
                self.error(case, f"part {i + 1} is not the text that follows: {body[:40]!r}")
                return at
            if start not in boundaries:
                self.error(case, f"part {i + 1} starts inside a grapheme cluster")
            at = start + len(body)
            if at < len(text) and not is_space(text[at]):
                self.check_cut(case, text, at, body, boundaries, spans, i)
        return at

    def check_cut(self, case, text, at, body, boundaries, spans, i):
        if at not in boundaries:
            self.error(case, f"part {i + 1} ends inside a grapheme cluster")
            return
        before, after = text[at - 1], text[at]
        in_link = any(lo < at < hi for lo, hi in spans)
        spaceless = (is_spaceless(before) or is_spaceless(after)) \
            and not (is_katakana(before) and is_katakana(after))
        if spaceless and not in_link:
            return
        one_token = not any(is_space(c) for c in body)
        if not (case["truncated"] and one_token):
            self.error(case, f"part {i + 1} ends inside a token: "
                             f"{text[max(at - 20, 0):at]!r} | {text[at:at + 20]!r}")


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    checker = Checker(sys.argv[1])
    errors = checker.run()
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        print(f"fit_count: {len(errors)} mismatches", file=sys.stderr)
        return 1
    print(f"fit_count: {len(checker.cases)} cases, {checker.parts} parts checked, all agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
