//! Whether a section's HTML can be spliced into a page without changing how the rest of
//! the page is parsed.
//!
//! A section's HTML goes into the middle of a document, before every section that finishes
//! after it. HTML that leaves the tokenizer in another state than it found it (an unclosed
//! comment, `<textarea>`, `<title>`, `<style>`, `<script>`, `<plaintext>`, a tag cut in
//! the middle) would swallow everything that follows: every later section, in every mode.
//! So would a `</template>` without its `<template>` (it closes braid's own template early)
//! or a `<template>` left open. Raw HTML reaches a section through `PreEscaped` (rendered
//! Markdown, CMS content); maud's own markup is always balanced.
//!
//! The check tokenizes the fragment with html5gum (a WHATWG tokenizer), switching to the
//! raw-text states after the elements that the HTML standard parses as raw text. That costs
//! about a hundred instructions a byte, as much as rendering the page, so a first pass
//! ([`plain`], a few instructions a byte) clears the common case, markup as maud writes it,
//! and only what it cannot clear is tokenized.

use html5gum::{DefaultEmitter, Error, Token, Tokenizer};

/// Why a fragment would disturb what follows it: `"an unclosed comment"`, `"an unclosed
/// <textarea>"`, … (for logs).
pub(crate) type Unbalanced = String;

/// `Ok` if `html`, spliced into a document, leaves the tokenizer in the data state with no
/// raw-text element and no `<template>` open, and closes no `<template>` it did not open.
pub(crate) fn check(html: &str) -> Result<(), Unbalanced> {
    if plain(html.as_bytes()) {
        return Ok(());
    }
    tokenize(html)
}

/// Whether `name` is an element after whose start tag the tokenizer leaves the data state,
/// `template` (braid's framing) or `select` (which captures what follows it): a fragment
/// with one is tokenized in full. By length
/// first: this runs for every tag of every section.
#[inline]
fn is_special(name: &[u8]) -> bool {
    let is = |known: &[u8]| name.eq_ignore_ascii_case(known);
    match name.len() {
        3 => is(b"xmp"),
        5 => is(b"title") || is(b"style"),
        6 => is(b"script") || is(b"iframe") || is(b"select"),
        7 => is(b"noembed"),
        8 => is(b"textarea") || is(b"noframes") || is(b"noscript") || is(b"template"),
        9 => is(b"plaintext"),
        _ => false,
    }
}

/// Whether `html` certainly ends in the data state, by a scan that knows only tags and
/// their quoted attribute values. Conservative: anything it does not model (comments,
/// doctypes, `<?`, `</` not followed by a letter, a quote that does not follow `=`, an
/// [`is_special`] element, a fragment ending inside a tag) answers `false`, and the
/// tokenizer decides. One pass: text is skipped eight bytes at a time ([`next_lt`]).
fn plain(html: &[u8]) -> bool {
    let mut at = 0;
    while let Some(lt) = next_lt(html, at) {
        let (is_end, name_start) = match html.get(lt + 1) {
            Some(c) if c.is_ascii_alphabetic() => (false, lt + 1),
            Some(b'/') => match html.get(lt + 2) {
                Some(c) if c.is_ascii_alphabetic() => (true, lt + 2),
                _ => return false,
            },
            Some(b'!' | b'?') | None => return false,
            Some(_) => {
                at = lt + 1;
                continue;
            }
        };
        let name_end = html[name_start..]
            .iter()
            .position(|&b| ENDS_NAME[usize::from(b)])
            .map_or(html.len(), |length| name_start + length);
        let name = &html[name_start..name_end];
        // Most tags end right after their name (`<td>`, `</tr>`).
        let end = if html.get(name_end) == Some(&b'>') {
            name_end
        } else {
            match tag_end(html, name_end) {
                Some(end) => end,
                None => return false,
            }
        };
        // Every special name has three letters or more (most tags have fewer).
        if name.len() >= 3 && is_special(name) {
            if is_end && name.eq_ignore_ascii_case(b"template") {
                return false;
            }
            if !is_end && !closes_at_once(html, end + 1, name) {
                return false;
            }
        }
        // After a raw-text element's start tag, the next `<` is its end tag, which this
        // loop meets as an ordinary end tag.
        at = end + 1;
    }
    true
}

/// The bytes that end a tag's name: ASCII whitespace, `/` and `>` (WHATWG HTML § 13.2.5.8).
const ENDS_NAME: [bool; 256] = {
    let mut ends = [false; 256];
    let mut at = 0;
    while at < 256 {
        ends[at] = matches!(at as u8, b'\t' | b'\n' | 0x0c | b'\r' | b' ' | b'/' | b'>');
        at += 1;
    }
    ends
};

/// Where the next `<` at or after `at` is, eight bytes at a time: the bytes XOR `<` have a
/// zero byte where a `<` is (the "has a zero byte" test of Hacker's Delight § 6-1, whose
/// lowest flagged byte is always a true one). About one instruction a byte on text,
/// against five for a byte loop, and none of `memchr`'s set-up, which costs more than it
/// saves on the short runs of text between a section's tags.
fn next_lt(html: &[u8], mut at: usize) -> Option<usize> {
    const LT: u64 = u64::from_le_bytes([b'<'; 8]);
    const LOW: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    while let Some(chunk) = html.get(at..at + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let xored = u64::from_le_bytes(word) ^ LT;
        let found = xored.wrapping_sub(LOW) & !xored & HIGH;
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    html.get(at..)?
        .iter()
        .position(|&byte| byte == b'<')
        .map(|offset| at + offset)
}

/// Whether the raw-text or RCDATA element `name`, whose start tag ends before `from`, holds
/// text without a `<` and then its end tag (`<title>Revenue</title>`, as a chart's SVG has).
/// The tokenizer is then back in the data state after it whichever way the element is
/// parsed: as raw text in HTML, as an ordinary element in foreign content (an SVG
/// `<title>`). `select`, `template` and `plaintext` are never cleared: they do not end at
/// their end tag in that sense.
fn closes_at_once(html: &[u8], from: usize, name: &[u8]) -> bool {
    let never = [b"select".as_slice(), b"template", b"plaintext"];
    if never.iter().any(|known| name.eq_ignore_ascii_case(known)) {
        return false;
    }
    let Some(lt) = html[from..].iter().position(|b| *b == b'<') else {
        return false;
    };
    let rest = &html[from + lt..];
    let Some(end_name) = rest.get(2..2 + name.len()) else {
        return false;
    };
    rest.starts_with(b"</")
        && end_name.eq_ignore_ascii_case(name)
        && rest
            .get(2 + name.len())
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b'/' || *b == b'>')
}

/// The `>` that ends the tag whose attributes start at `from` (just after its name), as
/// the HTML tokenizer finds it (WHATWG HTML § 13.2.5.32–42, the attribute states): a quote
/// opens a quoted value only where a value may start, after an attribute name's `=`;
/// anywhere else it is part of a name or of an unquoted value. `None` if the tag does not
/// end.
pub(crate) fn tag_end(html: &[u8], from: usize) -> Option<usize> {
    // One step of the loop is one attribute, each state's run of bytes skipped at once
    // (a byte loop through the states cost about 8 instructions a byte of attributes).
    let mut at = from;
    loop {
        // Before an attribute name: whitespace and `/` (a `/` not before `>` is ignored).
        at = skip_while(html, at, |byte| byte.is_ascii_whitespace() || byte == b'/');
        if *html.get(at)? == b'>' {
            return Some(at);
        }
        // The name: its first byte may be anything else, `=` and quotes included (§ 13.2.5.32).
        at = skip_while(html, at + 1, |byte| !ENDS_ATTRIBUTE_NAME[usize::from(byte)]);
        at = skip_while(html, at, |byte| byte.is_ascii_whitespace());
        match *html.get(at)? {
            b'>' => return Some(at),
            b'=' => {}
            // `/`, or the next attribute's name: before a name again.
            _ => continue,
        }
        at = skip_while(html, at + 1, |byte| byte.is_ascii_whitespace());
        match *html.get(at)? {
            b'>' => return Some(at),
            quote @ (b'"' | b'\'') => {
                // Past the closing quote; what follows reads as before a name.
                at += 2 + html[at + 1..].iter().position(|byte| *byte == quote)?;
            }
            // An unquoted value, to whitespace or `>`.
            _ => {
                at = skip_while(html, at + 1, |byte| {
                    !(byte.is_ascii_whitespace() || byte == b'>')
                })
            }
        }
    }
}

/// The first index at or after `at` whose byte does not satisfy `keep`, or `html.len()`.
#[inline]
fn skip_while(html: &[u8], at: usize, keep: impl Fn(u8) -> bool) -> usize {
    html.get(at..)
        .and_then(|rest| rest.iter().position(|&byte| !keep(byte)))
        .map_or(html.len(), |offset| at + offset)
}

/// The bytes that end an attribute's name: ASCII whitespace, `/`, `=` and `>`.
const ENDS_ATTRIBUTE_NAME: [bool; 256] = {
    let mut ends = ENDS_NAME;
    ends[b'=' as usize] = true;
    ends
};

/// Whether `html` is balanced as foreign content, where a section in `<svg>` or `<math>` is
/// parsed: `<style>` and `<title>` hold markup there, and `<![CDATA[` opens a section.
pub(crate) fn check_foreign(html: &str) -> Result<(), Unbalanced> {
    tokenize_as(html, false)?;
    check_cdata(html)
}

/// The full check, with html5gum: as HTML, where raw-text elements switch the tokenizer,
/// and, if the fragment has `<svg` or `<math`, again as foreign content, where they do not
/// (an `<svg><style>` holds markup, and `<![CDATA[` opens a section that ends at `]]>`).
fn tokenize(html: &str) -> Result<(), Unbalanced> {
    tokenize_as(html, true)?;
    let lower = html.to_ascii_lowercase();
    if lower.contains("<svg") || lower.contains("<math") {
        check_foreign(html)?;
    }
    Ok(())
}

/// Every `<![CDATA[` has its `]]>`.
fn check_cdata(html: &str) -> Result<(), Unbalanced> {
    let mut rest = html;
    while let Some(at) = rest.find("<![CDATA[") {
        rest = &rest[at..];
        let end = rest.find("]]>").ok_or("an unclosed CDATA section")?;
        rest = &rest[end..];
    }
    Ok(())
}

/// One pass of the tokenizer; `html_context` switches to the raw-text states after the
/// elements HTML parses as raw text (whether or not they are written self-closed: browsers
/// ignore the slash on them).
fn tokenize_as(html: &str, html_context: bool) -> Result<(), Unbalanced> {
    let mut emitter = DefaultEmitter::default();
    emitter.naively_switch_states(html_context);
    let mut open_raw: Option<Vec<u8>> = None;
    let mut templates: usize = 0;
    let mut selects: usize = 0;
    let mut ends_in_comment = false;
    for token in Tokenizer::new_with_emitter(html, emitter).flatten() {
        ends_in_comment = matches!(token, Token::Comment(_));
        match token {
            Token::StartTag(tag) => {
                let name = tag.name.as_slice();
                match name {
                    b"template" => templates += 1,
                    b"select" => selects += 1,
                    _ if html_context && is_special(name) => open_raw = Some(name.to_vec()),
                    _ => {}
                }
            }
            Token::EndTag(tag) => {
                let name = tag.name.as_slice();
                if open_raw.as_deref() == Some(name) {
                    open_raw = None;
                }
                match name {
                    b"template" => {
                        templates = templates
                            .checked_sub(1)
                            .ok_or("a </template> without its <template>")?;
                    }
                    b"select" => selects = selects.saturating_sub(1),
                    _ => {}
                }
            }
            Token::Error(error) => {
                if let Some(reason) = eof_reason(*error) {
                    return Err(reason.to_string());
                }
            }
            Token::String(_) | Token::Comment(_) | Token::Doctype(_) => {}
        }
    }
    if let Some(name) = open_raw {
        return Err(format!("an unclosed <{}>", String::from_utf8_lossy(&name)));
    }
    if templates > 0 {
        return Err("an unclosed <template>".to_string());
    }
    // A bogus comment (`<? …`, `<!x`, `</ x`) ends at the next `>`, and html5gum reports no
    // error when the input ends inside one.
    if ends_in_comment && !html.trim_end().ends_with('>') {
        return Err("an unclosed comment".to_string());
    }
    // Everything after an open <select> (in-order and blocking modes) lands in it.
    if selects > 0 {
        return Err("an unclosed <select>".to_string());
    }
    Ok(())
}

/// The end-of-input errors, each a state the fragment would leave the tokenizer in.
fn eof_reason(error: Error) -> Option<&'static str> {
    match error {
        Error::EofInComment => Some("an unclosed comment"),
        Error::EofInTag | Error::EofBeforeTagName => Some("a tag cut off at the end"),
        Error::EofInDoctype => Some("an unclosed doctype"),
        Error::EofInCdata => Some("an unclosed CDATA section"),
        Error::EofInScriptHtmlCommentLikeText => Some("an unclosed comment inside <script>"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{check, next_lt, tag_end};

    #[test]
    fn next_lt_finds_every_lt_at_every_alignment() {
        for length in 0..40 {
            for lt in 0..length {
                for from in 0..=length {
                    let mut html = vec![b'x'; length];
                    html[lt] = b'<';
                    // Bytes one bit away from `<`, around it.
                    if lt + 1 < length {
                        html[lt + 1] = b'=';
                    }
                    if lt > 0 {
                        html[lt - 1] = b'<' | 0x80;
                    }
                    let expected = (from <= lt).then_some(lt);
                    assert_eq!(next_lt(&html, from), expected, "{length} {lt} {from}");
                }
            }
            assert_eq!(next_lt(&vec![b'y'; length], 0), None);
        }
    }

    use super::plain;

    #[test]
    fn the_first_pass_clears_only_what_it_models() {
        for html in [
            "",
            "<p class=\"a\" id=x>text &amp; more</p>",
            "<div><span>a < b</span></div>",
            "<a href='x>y'>z</a>",
            "<svg><rect width=\"1\"/></svg>",
            "<textarea-like>not special</textarea-like>",
            "</textarea>",
            "<TEXTAREA>x</TEXTAREA>",
            "<title>x</title>",
            "<svg><rect><title>2026-03: $1,234 &amp; more</title></rect></svg>",
            "<style>p { color: red }</style >",
            "<script>let a = 1 > 0;</script/>",
            "<title/>x</title>",
            "<a b\"c>",
            "<p =\"x\" a='>'>",
        ] {
            assert!(plain(html.as_bytes()), "{html:?}");
        }
        for html in [
            "<!-- c -->",
            "<?x?>",
            "</ >",
            "<title>x<b>y</b></title>",
            "<title>x</titlex>",
            "<title>x",
            "<textarea>x</textarea",
            "<select></select>",
            "<plaintext></plaintext>",
            "<template></template>",
            "</template>",
            "<p class=\"cut",
            "<p a==\">\" <title>x",
            "<p",
            "x <",
        ] {
            assert!(!plain(html.as_bytes()), "{html:?}");
        }
    }

    #[test]
    fn balanced_fragments_pass() {
        for html in [
            "",
            "<p>note</p>",
            "<p>unclosed paragraph",
            "<div><span>nested</div>",
            "<!-- a comment --><p>x</p>",
            "<textarea>a <b>b</b> c</textarea>",
            "<script>if (a < b) {}</script>",
            "<style>p > a { color: red }</style>",
            "<template><tr><td>1</td></tr></template>",
            "<svg><rect width=\"1\"/><title>t</title></svg>",
            "a < b and c > d",
            "<br/><img src=x>",
            "\0secret:3\0 nested slot marker",
        ] {
            assert_eq!(check(html), Ok(()), "{html:?}");
        }
    }

    #[test]
    fn fragments_that_would_swallow_the_page_are_named() {
        for (html, says) in [
            ("<p>note <!-- draft", "an unclosed comment"),
            ("<textarea>", "an unclosed <textarea>"),
            ("<title>x", "an unclosed <title>"),
            ("<style>p {}", "an unclosed <style>"),
            ("<script>var a = 1;", "an unclosed <script>"),
            ("<plaintext>", "an unclosed <plaintext>"),
            ("<xmp>", "an unclosed <xmp>"),
            ("<noscript>", "an unclosed <noscript>"),
            ("<iframe>", "an unclosed <iframe>"),
            ("<p class=\"x", "a tag cut off at the end"),
            ("<p", "a tag cut off at the end"),
            (
                "</template><script>alert(1)</script>",
                "a </template> without its <template>",
            ),
            ("<template><p>", "an unclosed <template>"),
            ("<!DOCTYPE html", "an unclosed doctype"),
            ("<iframe src=x/>", "an unclosed <iframe>"),
            ("<style/>", "an unclosed <style>"),
            ("<noframes>", "an unclosed <noframes>"),
            ("<p>note <? draft", "an unclosed comment"),
            ("<!x", "an unclosed comment"),
            ("</ x", "an unclosed comment"),
            ("<svg><![CDATA[ x > y", "an unclosed CDATA section"),
            ("<svg><style><!--</style></svg>", "an unclosed comment"),
            ("<select><option>a", "an unclosed <select>"),
        ] {
            assert_eq!(check(html), Err(says.to_string()), "{html:?}");
        }
    }

    /// The first pass is conservative: whatever it clears, the tokenizer clears too. Every
    /// string of three pieces, and 50,000 random ones of seven, from pieces that reach each
    /// of its branches (tags, raw text, comments, attribute names, `=` and quotes).
    #[test]
    fn the_first_pass_never_clears_what_the_tokenizer_refuses() {
        use rand::{Rng, SeedableRng};
        const PIECES: [&str; 22] = [
            "<title>",
            "</title>",
            "<svg>",
            "</svg>",
            "x",
            "<",
            "<b>",
            "</b>",
            "<!--",
            "-->",
            "<style>",
            "</style>",
            "<textarea>",
            "</textarea >",
            "<script>",
            "</script>",
            "<template>",
            "</template>",
            " ",
            "\"",
            "<title/>",
            "<math>",
        ];
        let agrees = |html: &str| {
            if plain(html.as_bytes()) {
                assert_eq!(
                    super::tokenize(html),
                    Ok(()),
                    "{html:?} cleared by the first pass"
                );
            }
        };
        for a in PIECES {
            for b in PIECES {
                for c in PIECES {
                    agrees(&format!("{a}{b}{c}"));
                }
            }
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        for _ in 0..50_000 {
            let html: String = (0..7)
                .map(|_| PIECES[rng.random_range(0..PIECES.len())])
                .collect();
            agrees(&html);
        }
    }

    /// The attribute states one byte at a time, as the tokenizer runs them: the oracle of
    /// [`tag_end`], which skips runs of bytes.
    #[allow(clippy::match_same_arms)]
    fn tag_end_by_state(html: &[u8], from: usize) -> Option<usize> {
        /// Where the tokenizer is between a tag's name and its `>`.
        #[derive(Clone, Copy, PartialEq)]
        enum State {
            BeforeName,
            Name,
            AfterName,
            BeforeValue,
            Unquoted,
        }
        let mut state = State::BeforeName;
        let mut at = from;
        while at < html.len() {
            let byte = html[at];
            let space = byte.is_ascii_whitespace();
            state = match (state, byte) {
                (_, b'>') => return Some(at),
                (State::BeforeValue, b'"' | b'\'') => {
                    at += 1 + html[at + 1..].iter().position(|b| *b == byte)?;
                    // After a quoted value: whitespace, `/`, `>`, or (a parse error) the next
                    // name at once; all of them read as before a name.
                    State::BeforeName
                }
                (State::BeforeValue, _) if space => State::BeforeValue,
                (State::BeforeValue, _) => State::Unquoted,
                (State::Unquoted, _) if space => State::BeforeName,
                (State::Unquoted, _) => State::Unquoted,
                (State::Name | State::AfterName, b'=') => State::BeforeValue,
                (State::Name, _) if space => State::AfterName,
                (_, b'/') => State::BeforeName,
                (State::BeforeName | State::AfterName, _) if space => state,
                // A name starts (an `=` here starts one too, § 13.2.5.32) or goes on.
                _ => State::Name,
            };
            at += 1;
        }
        None
    }

    /// `tag_end` ends every tag where the byte-at-a-time state machine does: every string of
    /// four pieces, and 200,000 random ones of nine.
    #[test]
    fn tag_end_agrees_with_the_attribute_states() {
        use rand::{Rng, SeedableRng};
        const PIECES: [&str; 14] = [
            "a", "=", "\"", "'", " ", "\t", "/", ">", "<", "x=", "=\"v\"", "='v'", "b", "\n",
        ];
        let agrees = |html: &str| {
            for from in 0..=html.len() {
                assert_eq!(
                    tag_end(html.as_bytes(), from),
                    tag_end_by_state(html.as_bytes(), from),
                    "{html:?} from {from}"
                );
            }
        };
        for a in PIECES {
            for b in PIECES {
                for c in PIECES {
                    for d in PIECES {
                        agrees(&format!("{a}{b}{c}{d}"));
                    }
                }
            }
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for _ in 0..200_000 {
            let html: String = (0..9)
                .map(|_| PIECES[rng.random_range(0..PIECES.len())])
                .collect();
            agrees(&html);
        }
    }
}
