//! Reading tags out of markup: a start or end tag at a `<`, skipping comments and
//! declarations, finding a raw-text element's end tag. Attribute values are skipped with
//! `fragment`'s scanner, quotes and all.

use crate::stream::fragment::tag_end;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TagKind {
    Start { self_closing: bool },
    End,
}

/// A tag read at a `<`.
#[derive(Debug)]
pub(super) struct Tag<'a> {
    pub(super) kind: TagKind,
    pub(super) name: &'a [u8],
    /// Just past its `>`.
    pub(super) end: usize,
}

impl<'a> Tag<'a> {
    /// The start or end tag at `html[at] == b'<'`; `None` for a comment, a declaration,
    /// a `<` that starts no tag, or a tag that does not end.
    pub(super) fn read(html: &'a [u8], at: usize) -> Option<Self> {
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
pub(super) fn skip_markup_declaration(html: &[u8], at: usize) -> usize {
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
pub(super) fn find_end_tag(html: &[u8], from: usize, name: &[u8]) -> Option<usize> {
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
