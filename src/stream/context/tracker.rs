//! The model of the tree builder's stack of open elements that answers, at any point of
//! the markup written so far, which [`Context`] the next byte stands in.

use super::Context;
use super::elements::{
    breaks_out_of_foreign_content, closes_paragraph, is_integration_point, raw_text_element,
};
use super::tags::{Tag, TagKind, find_end_tag, skip_markup_declaration};

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
    pub(super) fn scan(&mut self, html: &str, check: bool) -> Result<(), String> {
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
}
