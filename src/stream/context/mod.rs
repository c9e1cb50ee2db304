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
//! So the renderer follows the shell with a [`Tracker`] (`tracker.rs`), a small model of the HTML standard's
//! tree construction ("The stack of open elements", "Parsing main in-body insertion mode",
//! "Parsing tokens in foreign content") that keeps only the elements that change what a
//! child may be: tables and their parts, `select`, `p`, `svg`, `math`, their HTML
//! integration points and `template`. Every other element leaves the context as it is. It
//! models markup as a page writes it (maud closes every element); what it does not model
//! (implied end tags other than `p`'s, `<button>` scope, the adoption agency) is never
//! needed by such markup. A fallback that does not [`fit`] its context, or leaves an element
//! open, is replaced by nothing (and the renderer warns, naming the section); a section in
//! foreign content is sent wrapped in its `<svg>` or `<math>`, and the fallback runtime
//! unwraps it in place; one in raw text replaces its element's text.
//!
//! `tracker.rs` is the model, `elements.rs` the standard's sets of element names, `tags.rs`
//! the tag reader they share, `verdicts.rs` the answers remembered for fallbacks.

mod elements;
mod tags;
mod tracker;
mod verdicts;

use elements::{breaks_out_of_foreign_content, closes_paragraph, is_void};
use tags::{Tag, TagKind, skip_markup_declaration};
pub(crate) use tracker::Tracker;
pub(crate) use verdicts::FitVerdicts;

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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn raw_text_is_wrapped_as_its_element_parses_it() {
        assert_eq!(text_wrapper(b"title"), "textarea");
        assert_eq!(text_wrapper(b"script"), "xmp");
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
