//! Where each slot stands as the HTML parser sees it, and what may stand there.
//!
//! Out of order, a slot's fallback is parsed in place, but its section arrives later in a
//! `<template>`, whose content the parser reads as HTML, then moves into the range. Two kinds
//! of slot then end differently from the blocking document, in every browser engine:
//! - a fallback the tree builder moves or splits (a `<div>` in a `<tbody>` is put before the
//!   table; a `<div>` in a `<p>` closes the paragraph): the range's `<?end>` no longer
//!   follows it, and it stays on screen after the section arrives;
//! - a slot in foreign content (directly in `<svg>` or `<math>`): the section's elements
//!   would land in the HTML namespace, where they do not render.
//!
//! So the renderer follows the shell with a [`Tracker`], a small model of the HTML standard's
//! tree construction ("The stack of open elements", "Parsing main in-body insertion mode",
//! "Parsing tokens in foreign content") that keeps only the elements that change what a
//! child may be: tables and their parts, `select`, `p`, `svg`, `math`, their HTML
//! integration points and `template`. Every other element leaves the context as it is. It
//! models markup as a page writes it (maud closes every element); what it does not model
//! (implied end tags other than `p`'s, `<button>` scope, the adoption agency) is never
//! needed by such markup. A fallback that does not [`fit`] its context is replaced by nothing
//! (and the renderer warns, naming the section); a section in foreign content is sent
//! wrapped in its `<svg>` or `<math>`, and the fallback runtime unwraps it in place.

use super::fragment::tag_end;

/// What the parser accepts as a child where a slot stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Context {
    /// Anywhere that takes flow content: a `<div>`, `<td>`, `<li>`, a `<template>`.
    Flow,
    /// Inside an open `<p>`: an element that closes a paragraph (a `<div>`, a list, a
    /// heading) would end it here.
    Paragraph,
    /// Directly in a `<table>`: only `caption`, `colgroup`, `thead`, `tbody`, `tfoot`.
    Table,
    /// In a `<thead>`, `<tbody>` or `<tfoot>`: only `tr`.
    TableSection,
    /// In a `<tr>`: only `td` and `th`.
    Row,
    /// In a `<colgroup>`: only `col`.
    ColumnGroup,
    /// In a `<select>`: only `option`, `optgroup`, `hr` and text.
    Select,
    /// SVG content: any element but those that break out to HTML (`div`, `p`, `span`, …).
    Svg,
    /// MathML content, as SVG.
    MathMl,
    /// Inside an element whose content is text (`<textarea>`, `<title>`, `<script>`,
    /// `<style>`, …): markup there is not parsed, so no range can stand there; the section
    /// replaces the element's text instead (see [`text_wrapper`]).
    RawText,
}

impl Context {
    /// The element a section is wrapped in, so that a `<template>` parses it in this
    /// context's namespace; `None` for the HTML contexts.
    pub(crate) fn foreign_wrapper(self) -> Option<&'static str> {
        match self {
            Context::Svg => Some("svg"),
            Context::MathMl => Some("math"),
            _ => None,
        }
    }

    /// Names the context for a message: `"<tbody>"`, `"<svg>"`, ….
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Context::Flow => "flow content",
            Context::Paragraph => "a <p>",
            Context::Table => "a <table>",
            Context::TableSection => "a <tbody>, <thead> or <tfoot>",
            Context::Row => "a <tr>",
            Context::ColumnGroup => "a <colgroup>",
            Context::Select => "a <select>",
            Context::Svg => "<svg>",
            Context::MathMl => "<math>",
            Context::RawText => "raw text (<textarea>, <title>, <script>, <style>, …)",
        }
    }

    /// Whether an element named `name` (lower case) may be a child here without the parser
    /// moving it or closing what it stands in.
    fn allows_element(self, name: &[u8]) -> bool {
        let in_set = |set: &[&[u8]]| set.contains(&name);
        // Script-supporting elements are allowed everywhere the parser has a table mode.
        let supporting = in_set(&[b"script", b"template", b"style"]);
        match self {
            Context::Flow => true,
            Context::Paragraph => !closes_paragraph(name),
            Context::Table => {
                supporting || in_set(&[b"caption", b"colgroup", b"thead", b"tbody", b"tfoot"])
            }
            Context::TableSection => supporting || name == b"tr",
            Context::Row => supporting || in_set(&[b"td", b"th"]),
            Context::ColumnGroup => name == b"col" || name == b"template",
            Context::Select => in_set(&[b"option", b"optgroup", b"hr", b"script", b"template"]),
            Context::Svg | Context::MathMl => !breaks_out_of_foreign_content(name),
            Context::RawText => false,
        }
    }

    /// Whether text other than whitespace may be a child here (table parts move it out).
    fn allows_text(self) -> bool {
        !matches!(
            self,
            Context::Table | Context::TableSection | Context::Row | Context::ColumnGroup
        )
    }
}

/// `Ok` if `html` (a fallback, or a section's HTML) stays where it is put in `context`:
/// every element and text, at any depth, stands where the parser leaves it (a `<div>` inside
/// a `<span>` still closes a `<p>`; a `<tr>` in a `<tbody>` takes only cells). Else what
/// would move, for the warning: `"a <div>"`, `"text"`.
pub(crate) fn fit(context: Context, html: &str) -> Result<(), String> {
    if context == Context::Flow {
        return Ok(());
    }
    Tracker::at(context).scan(html, true)
}

/// `Ok` if `fallback` can stand in a range in `context`: it [`fit`]s there, and it closes
/// every element it opens and nothing else. A range's `<?end>` must be its `<?start>`'s
/// sibling: after `<b>loading` it would land inside the `<b>`, and Chromium's native swap
/// then removes everything after the slot, to the end of its parent.
pub(crate) fn fallback_fits(context: Context, fallback: &str) -> Result<(), String> {
    balanced(fallback, context.foreign_wrapper().is_some())?;
    fit(context, fallback)
}

/// Every element opened in `html` is closed in it, in order, and no end tag closes one it
/// did not open. Void elements need no end tag; in foreign content neither do self-closed
/// ones (`<rect/>`).
fn balanced(html: &str, foreign: bool) -> Result<(), String> {
    let bytes = html.as_bytes();
    let mut open: Vec<Vec<u8>> = Vec::new();
    let mut at = 0;
    while let Some(found) = memchr::memchr(b'<', &bytes[at..]) {
        at += found;
        let Some(tag) = Tag::read(bytes, at) else {
            at = skip_markup_declaration(bytes, at);
            continue;
        };
        at = tag.end;
        let name = tag.name.to_ascii_lowercase();
        match tag.kind {
            TagKind::Start { self_closing } => {
                let has_end_tag = !(is_void(&name) || self_closing && foreign);
                if has_end_tag {
                    open.push(name);
                }
            }
            TagKind::End if open.last() == Some(&name) => {
                open.pop();
            }
            TagKind::End => {
                return Err(format!(
                    "a </{}> it did not open",
                    String::from_utf8_lossy(&name)
                ));
            }
        }
    }
    match open.last() {
        Some(name) => Err(format!("an unclosed <{}>", String::from_utf8_lossy(name))),
        None => Ok(()),
    }
}

/// Elements with no end tag.
fn is_void(name: &[u8]) -> bool {
    matches!(
        name,
        b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"source"
            | b"track"
            | b"wbr"
    )
}

/// An element on the model's stack of open elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    /// An element that makes a new [`Context`] for its children.
    Makes(Context),
    /// `td`, `th`, `caption`, `template`, or an HTML integration point in foreign content:
    /// flow content again, and a boundary that an open `p` below it does not cross.
    Boundary,
}

/// Follows markup as the parser would and answers where the next byte stands.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tracker {
    /// The open elements that matter, with their lower-case names.
    open: Vec<(Open, [u8; MAX_TRACKED_NAME])>,
    /// Inside a raw-text element (`script`, `style`, `textarea`, …): its name and where its
    /// start tag's `<` is, until its end tag; carried across calls to [`Tracker::feed_from`].
    raw_text: Option<(&'static [u8], usize)>,
    /// Where the markup being fed starts, in the caller's buffer.
    base: usize,
}

/// The longest tracked element name: `foreignobject`, `annotation-xml`.
const MAX_TRACKED_NAME: usize = 14;

impl Tracker {
    /// A tracker for markup that starts where a slot of `context` stands (a section's chunk).
    pub(crate) fn at(context: Context) -> Self {
        let mut tracker = Self::default();
        if context != Context::Flow {
            tracker
                .open
                .push((Open::Makes(context), [0; MAX_TRACKED_NAME]));
        }
        tracker
    }

    /// The context of the next byte.
    pub(crate) fn context(&self) -> Context {
        if self.raw_text.is_some() {
            return Context::RawText;
        }
        self.element_context()
    }

    fn element_context(&self) -> Context {
        match self.open.last() {
            Some((Open::Makes(context), _)) => *context,
            Some((Open::Boundary, _)) | None => Context::Flow,
        }
    }

    /// Follows `html`, a run of markup that comes right after what was fed before. A tag cut
    /// between two runs is not seen: runs end at slot markers, which stand between tags.
    #[cfg(test)]
    pub(crate) fn feed(&mut self, html: &str) {
        self.feed_from(html, 0);
    }

    /// [`Tracker::feed`] of a run that starts at `base` in the caller's buffer, so that
    /// [`Tracker::raw_text_element`] can say where an element starts in it.
    pub(crate) fn feed_from(&mut self, html: &str, base: usize) {
        self.base = base;
        let _ = self.scan(html, false);
    }

    /// The raw-text element the next byte is in: its name (`textarea`, `script`, …) and the
    /// offset of its start tag's `<` in the buffer [`Tracker::feed_from`] was fed from.
    pub(crate) fn raw_text_element(&self) -> Option<(&'static [u8], usize)> {
        self.raw_text
    }

    /// [`Tracker::feed`], and with `check`, stops at the first element or text that does not
    /// stay where it stands (see [`fit`]).
    fn scan(&mut self, html: &str, check: bool) -> Result<(), String> {
        let html = html.as_bytes();
        let mut at = 0;
        while at < html.len() {
            if let Some((name, _)) = self.raw_text {
                match find_end_tag(html, at, name) {
                    Some(end) => {
                        self.raw_text = None;
                        at = end;
                    }
                    None => return Ok(()),
                }
                continue;
            }
            let next_tag = memchr::memchr(b'<', &html[at..]).map_or(html.len(), |found| at + found);
            if check {
                self.check_text(&html[at..next_tag])?;
            }
            at = next_tag;
            if at == html.len() {
                return Ok(());
            }
            match Tag::read(html, at) {
                Some(tag) => {
                    if check {
                        self.check_start(&tag)?;
                    }
                    let tag_at = self.base + at;
                    at = tag.end;
                    self.apply(&tag, tag_at);
                }
                None => at = skip_markup_declaration(html, at),
            }
        }
        Ok(())
    }

    fn check_text(&self, text: &[u8]) -> Result<(), String> {
        let context = self.element_context();
        if !context.allows_text() && !text.iter().all(u8::is_ascii_whitespace) {
            return Err("text".to_string());
        }
        Ok(())
    }

    fn check_start(&self, tag: &Tag<'_>) -> Result<(), String> {
        let TagKind::Start { .. } = tag.kind else {
            return Ok(());
        };
        let name = tag.name.to_ascii_lowercase();
        if self.element_context().allows_element(&name) {
            return Ok(());
        }
        Err(format!("a <{}>", String::from_utf8_lossy(&name)))
    }

    fn in_foreign_content(&self) -> bool {
        self.element_context().foreign_wrapper().is_some()
    }

    /// Applies the tag whose `<` is at `tag_at` in the caller's buffer.
    fn apply(&mut self, tag: &Tag<'_>, tag_at: usize) {
        let mut name = [0u8; MAX_TRACKED_NAME];
        if tag.name.len() > MAX_TRACKED_NAME {
            return;
        }
        for (to, from) in name.iter_mut().zip(tag.name) {
            *to = from.to_ascii_lowercase();
        }
        let lower = &name[..tag.name.len()];
        match tag.kind {
            TagKind::Start { self_closing } => self.start(lower, name, self_closing, tag_at),
            TagKind::End => self.end(lower),
        }
    }

    fn start(
        &mut self,
        lower: &[u8],
        name: [u8; MAX_TRACKED_NAME],
        self_closing: bool,
        tag_at: usize,
    ) {
        if self.in_foreign_content() {
            if breaks_out_of_foreign_content(lower) {
                while self.in_foreign_content() {
                    self.open.pop();
                }
            } else {
                let opens = match lower {
                    b"svg" => Some(Open::Makes(Context::Svg)),
                    b"math" => Some(Open::Makes(Context::MathMl)),
                    _ if is_integration_point(self.element_context(), lower) => {
                        Some(Open::Boundary)
                    }
                    _ => None,
                };
                if let Some(open) = opens.filter(|_| !self_closing) {
                    self.open.push((open, name));
                }
                return;
            }
        }
        if self.element_context() == Context::Paragraph && closes_paragraph(lower) {
            self.open.pop();
        }
        self.open_implied_parents(lower);
        if let Some(raw) = raw_text_element(lower) {
            self.raw_text = Some((raw, tag_at));
            return;
        }
        let opens = match lower {
            b"svg" if !self_closing => Open::Makes(Context::Svg),
            b"math" if !self_closing => Open::Makes(Context::MathMl),
            b"p" => Open::Makes(Context::Paragraph),
            b"table" => Open::Makes(Context::Table),
            b"thead" | b"tbody" | b"tfoot" => Open::Makes(Context::TableSection),
            b"tr" => Open::Makes(Context::Row),
            b"colgroup" => Open::Makes(Context::ColumnGroup),
            b"select" => Open::Makes(Context::Select),
            b"td" | b"th" | b"caption" | b"template" => Open::Boundary,
            _ => return,
        };
        self.open.push((opens, name));
    }

    /// A row or cell where the parser needs a `tbody` or `tr` first opens it ("in table"
    /// and "in table body" insertion modes): `<table><tr>` is `<table><tbody><tr>`.
    fn open_implied_parents(&mut self, lower: &[u8]) {
        let (is_row, is_cell) = (lower == b"tr", matches!(lower, b"td" | b"th"));
        if self.element_context() == Context::Table && (is_row || is_cell) {
            self.open
                .push((Open::Makes(Context::TableSection), tracked_name(b"tbody")));
        }
        if self.element_context() == Context::TableSection && is_cell {
            self.open
                .push((Open::Makes(Context::Row), tracked_name(b"tr")));
        }
    }

    /// Closes the nearest open element of this name and everything opened inside it; an end
    /// tag with no such element open is ignored, as the parser does.
    fn end(&mut self, lower: &[u8]) {
        let found = self.open.iter().rposition(|(_, name)| {
            name.starts_with(lower) && name[lower.len()..].iter().all(|b| *b == 0)
        });
        if let Some(at) = found {
            self.open.truncate(at);
        }
    }
}

/// `name` as the stack stores it.
fn tracked_name(name: &[u8]) -> [u8; MAX_TRACKED_NAME] {
    let mut stored = [0; MAX_TRACKED_NAME];
    stored[..name.len()].copy_from_slice(name);
    stored
}

/// HTML integration points (SVG `foreignObject`, `desc`, `title`) and MathML text
/// integration points (`mi`, `mo`, `mn`, `ms`, `mtext`, `annotation-xml`): HTML again inside.
fn is_integration_point(context: Context, name: &[u8]) -> bool {
    match context {
        Context::Svg => matches!(name, b"foreignobject" | b"desc" | b"title"),
        Context::MathMl => {
            matches!(
                name,
                b"mi" | b"mo" | b"mn" | b"ms" | b"mtext" | b"annotation-xml"
            )
        }
        _ => false,
    }
}

/// The start tags that close an open `p` ("in body" insertion mode; `li`, `dd` and `dt`
/// close it as well).
fn closes_paragraph(name: &[u8]) -> bool {
    matches!(
        name,
        b"address"
            | b"article"
            | b"aside"
            | b"blockquote"
            | b"center"
            | b"details"
            | b"dialog"
            | b"dir"
            | b"div"
            | b"dl"
            | b"dd"
            | b"dt"
            | b"fieldset"
            | b"figcaption"
            | b"figure"
            | b"footer"
            | b"form"
            | b"h1"
            | b"h2"
            | b"h3"
            | b"h4"
            | b"h5"
            | b"h6"
            | b"header"
            | b"hgroup"
            | b"hr"
            | b"li"
            | b"listing"
            | b"main"
            | b"menu"
            | b"nav"
            | b"ol"
            | b"p"
            | b"plaintext"
            | b"pre"
            | b"search"
            | b"section"
            | b"summary"
            | b"table"
            | b"ul"
            | b"xmp"
    )
}

/// The start tags that end foreign content ("Parsing tokens in foreign content"; `font` only
/// with `color`, `face` or `size`, which this model leaves out).
fn breaks_out_of_foreign_content(name: &[u8]) -> bool {
    matches!(
        name,
        b"b" | b"big"
            | b"blockquote"
            | b"body"
            | b"br"
            | b"center"
            | b"code"
            | b"dd"
            | b"div"
            | b"dl"
            | b"dt"
            | b"em"
            | b"embed"
            | b"h1"
            | b"h2"
            | b"h3"
            | b"h4"
            | b"h5"
            | b"h6"
            | b"head"
            | b"hr"
            | b"i"
            | b"img"
            | b"li"
            | b"listing"
            | b"menu"
            | b"meta"
            | b"nobr"
            | b"ol"
            | b"p"
            | b"pre"
            | b"ruby"
            | b"s"
            | b"small"
            | b"span"
            | b"strong"
            | b"strike"
            | b"sub"
            | b"sup"
            | b"table"
            | b"tt"
            | b"u"
            | b"ul"
            | b"var"
    )
}

/// The element a raw-text section's text is wrapped in, inside its `<template>`, so that
/// the template parses it as the element it goes into would: `textarea` for the elements
/// whose character references are decoded (RCDATA: `textarea`, `title`), `xmp` for those
/// whose text is taken as it is (`script`, `style`, …).
pub(crate) fn text_wrapper(element: &[u8]) -> &'static str {
    if matches!(element, b"textarea" | b"title") {
        "textarea"
    } else {
        "xmp"
    }
}

/// Elements whose content the parser reads as text up to their end tag (scripting on).
fn raw_text_element(name: &[u8]) -> Option<&'static [u8]> {
    const RAW: [&[u8]; 9] = [
        b"script",
        b"style",
        b"textarea",
        b"title",
        b"xmp",
        b"iframe",
        b"noembed",
        b"noframes",
        b"noscript",
    ];
    RAW.into_iter().find(|raw| *raw == name)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagKind {
    Start { self_closing: bool },
    End,
}

/// A tag read at a `<`.
#[derive(Debug)]
struct Tag<'a> {
    kind: TagKind,
    name: &'a [u8],
    /// Just past its `>`.
    end: usize,
}

impl<'a> Tag<'a> {
    /// The start or end tag at `html[at] == b'<'`; `None` for a comment, a declaration,
    /// a `<` that starts no tag, or a tag that does not end.
    fn read(html: &'a [u8], at: usize) -> Option<Self> {
        let (is_end, name_start) = match html.get(at + 1..)? {
            [b'/', c, ..] if c.is_ascii_alphabetic() => (true, at + 2),
            [c, ..] if c.is_ascii_alphabetic() => (false, at + 1),
            _ => return None,
        };
        let name_len = html[name_start..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'/' || *b == b'>')
            .unwrap_or(html.len() - name_start);
        let name = &html[name_start..name_start + name_len];
        let close = tag_end(html, name_start + name_len)?;
        let kind = if is_end {
            TagKind::End
        } else {
            TagKind::Start {
                self_closing: html[..close].ends_with(b"/"),
            }
        };
        Some(Self {
            kind,
            name,
            end: close + 1,
        })
    }
}

/// Past a comment (`<!-- … -->`), a declaration or processing instruction (`<!…>`, `<?…>`),
/// or a lone `<`.
fn skip_markup_declaration(html: &[u8], at: usize) -> usize {
    let rest = &html[at..];
    if rest.starts_with(b"<!--") {
        return memchr::memmem::find(&rest[4..], b"-->").map_or(html.len(), |end| at + 4 + end + 3);
    }
    if matches!(rest.get(1), Some(b'!' | b'?' | b'/')) {
        return memchr::memchr(b'>', rest).map_or(html.len(), |end| at + end + 1);
    }
    at + 1
}

/// Just past the end tag `</name …>` at or after `from` (any case); `None` if there is none.
fn find_end_tag(html: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut at = from;
    while let Some(found) = memchr::memmem::find(&html[at..], b"</") {
        let start = at + found + 2;
        let candidate = html.get(start..start + name.len())?;
        let after = html.get(start + name.len()).copied();
        if candidate.eq_ignore_ascii_case(name)
            && matches!(
                after,
                Some(b'>' | b'/') | Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
            )
        {
            return memchr::memchr(b'>', &html[start..]).map(|end| start + end + 1);
        }
        at = start;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context_after(html: &str) -> Context {
        let mut tracker = Tracker::default();
        tracker.feed(html);
        tracker.context()
    }

    #[test]
    fn tracks_the_contexts_that_restrict_children() {
        for (html, context) in [
            ("<main><div>", Context::Flow),
            ("<table><tbody>", Context::TableSection),
            ("<table class=\"t\"><tbody><tr>", Context::Row),
            ("<table><tbody><tr><td>", Context::Flow),
            ("<table><tbody><tr><td><p>", Context::Paragraph),
            ("<table><tbody><tr><td></td>", Context::Row),
            ("<table><tbody></tbody></table>", Context::Flow),
            ("<table>", Context::Table),
            ("<table><colgroup>", Context::ColumnGroup),
            ("<select name=s>", Context::Select),
            ("<p>before <span>", Context::Paragraph),
            ("<p>a</p>", Context::Flow),
            ("<p>a<div>", Context::Flow),
            ("<svg viewBox=\"0 0 1 1\">", Context::Svg),
            ("<svg><g>", Context::Svg),
            ("<svg/>", Context::Flow),
            ("<svg><foreignObject><div>", Context::Flow),
            ("<svg><foreignObject></foreignObject>", Context::Svg),
            ("<svg><p>", Context::Paragraph),
            ("<math><mi>", Context::Flow),
            ("<math>", Context::MathMl),
            ("<p><svg><rect/>", Context::Svg),
            ("<template><tr>", Context::Row),
            ("<template>", Context::Flow),
            ("<table><tr><td>1</td></tr>", Context::TableSection),
            ("<table><td>", Context::Flow),
            ("<textarea name=notes>", Context::RawText),
            ("<script type=\"application/json\">", Context::RawText),
        ] {
            assert_eq!(context_after(html), context, "{html}");
        }
    }

    #[test]
    fn text_comments_and_raw_text_do_not_open_elements() {
        for html in [
            "<p title=\"<table>\">x</p>",
            "<!-- <table> -->",
            "<script>if (a<b) document.write('<table>')</script>",
            "<textarea><select></textarea>",
            "<?start name=\"b1\"><?end>",
            "a < b",
        ] {
            assert_eq!(context_after(html), Context::Flow, "{html}");
        }
    }

    #[test]
    fn a_raw_text_element_is_found_where_it_starts() {
        let mut tracker = Tracker::default();
        tracker.feed_from("<p>x</p><textarea name=notes>", 100);
        assert_eq!(tracker.raw_text_element(), Some((&b"textarea"[..], 108)));
        tracker.feed_from("</textarea>", 200);
        assert_eq!(tracker.raw_text_element(), None);
        assert_eq!(text_wrapper(b"title"), "textarea");
        assert_eq!(text_wrapper(b"script"), "xmp");
    }

    #[test]
    fn runs_fed_one_after_another_keep_their_state() {
        let mut tracker = Tracker::default();
        tracker.feed("<table><tbody>");
        tracker.feed("<tr><td>x</td></tr>");
        assert_eq!(tracker.context(), Context::TableSection);
        tracker.feed("<script>var t = '<tr>'");
        tracker.feed("</script>");
        assert_eq!(tracker.context(), Context::TableSection);
    }

    #[test]
    fn a_chunk_starts_in_its_slots_context() {
        let mut tracker = Tracker::at(Context::TableSection);
        tracker.feed("<tr>");
        assert_eq!(tracker.context(), Context::Row);
        tracker.feed("</tr>");
        assert_eq!(tracker.context(), Context::TableSection);
    }

    #[test]
    fn fallbacks_that_fit_their_context() {
        for (context, fallback) in [
            (Context::Flow, "<div>…</div>"),
            (Context::TableSection, "<tr><td><div>…</div></td></tr>\n"),
            (Context::Row, "<td>…</td><th>x</th>"),
            (Context::Paragraph, "<span class=\"s\">…</span>"),
            (Context::Select, "<option>…</option>"),
            (Context::Svg, "<rect width=\"1\"/><g><rect/></g>"),
            (Context::Table, "<tbody><tr><td>…</td></tr></tbody>"),
            (Context::Paragraph, ""),
            (Context::TableSection, "<tr><td><br><img src=x>…</td></tr>"),
        ] {
            assert_eq!(fit(context, fallback), Ok(()), "{fallback} in {context:?}");
        }
    }

    #[test]
    fn a_fallback_closes_what_it_opens() {
        for fallback in [
            "<b>loading",
            "<p>a<p>b",
            "</div>",
            "<div><span></div></span>",
        ] {
            assert!(
                fallback_fits(Context::Flow, fallback).is_err(),
                "{fallback}"
            );
        }
        for fallback in [
            "",
            "…",
            "<div class=s><br><img src=x></div>",
            "<b>a</b> <i>b</i>",
        ] {
            assert_eq!(fallback_fits(Context::Flow, fallback), Ok(()), "{fallback}");
        }
        assert_eq!(
            fallback_fits(Context::Svg, "<rect/><g><rect></rect></g>"),
            Ok(())
        );
        assert_eq!(
            fallback_fits(Context::Flow, "<b>loading"),
            Err("an unclosed <b>".to_string())
        );
    }

    #[test]
    fn fallbacks_the_parser_would_move_are_named() {
        for (context, fallback, moved) in [
            (Context::TableSection, "<div>…</div>", "a <div>"),
            (Context::TableSection, "…", "text"),
            (
                Context::Paragraph,
                "<div class=\"skeleton\">…</div>",
                "a <div>",
            ),
            (
                Context::Paragraph,
                "<span>a</span><ul><li>b</li></ul>",
                "a <ul>",
            ),
            (Context::Row, "<tr><td>…</td></tr>", "a <tr>"),
            (Context::Table, "<tr><td>…</td></tr>", "a <tr>"),
            (Context::Svg, "<div>…</div>", "a <div>"),
            (Context::Select, "<DIV>…</DIV>", "a <div>"),
            (
                Context::Paragraph,
                "<span class=s><div class=bar></div></span>",
                "a <div>",
            ),
            (Context::TableSection, "<tr><div>…</div></tr>", "a <div>"),
            (Context::TableSection, "<tr>Loading…</tr>", "text"),
            (
                Context::Svg,
                "<g><text><span>…</span></text></g>",
                "a <span>",
            ),
            (Context::RawText, "<b>x</b>", "a <b>"),
        ] {
            assert_eq!(
                fit(context, fallback),
                Err(moved.to_string()),
                "{fallback} in {context:?}"
            );
        }
    }
}
