//! The exact bytes of the wire format: slot markers, ranges, chunk framing and the fallback runtime.
#![doc = include_str!("docs/wire-format.md")]

use std::fmt::Write;

/// The fallback runtime, defined once in the shell's `<head>` in out-of-order mode.
///
/// Browsers that implement the HTML standard's `<template for>` (Chromium 150+) apply each
/// section themselves while parsing. The runtime checks what the parser does (`<?x>` becomes
/// a processing instruction), not only that `HTMLTemplateElement` has `htmlFor`: a browser
/// can have one without the other. There it acts only on sections in foreign content
/// (`<template data-braid-for>`, see [`write_chunk_start`]), which no browser parses in
/// place; nothing runs for the others. Elsewhere (Firefox, Safari, older Chromium) the
/// parser reads `<?start …>`, `<?end>` and `<?marker …>` as comments, and the runtime does
/// the same swap for every section: a `MutationObserver` queues each template as the parser
/// inserts it and applies it once something follows it in the document (its `-end`
/// template), so a template is never applied half-parsed. A range without its `<?end>` is
/// left as it is: the swap never removes nodes outside it. A section in raw text
/// (`data-braid-text`, see [`write_text_chunk`]) replaces its element's text. Once the
/// document is parsed
/// (`DOMContentLoaded`) the runtime takes the mutations not yet delivered to it, applies
/// what is left and stops observing: templates that page code inserts later are never
/// touched. See `docs/wire-format.md`.
pub(crate) const FALLBACK_RUNTIME: &str = concat!(
    r#"(function(){var d=document,c=d.createElement("template");c.innerHTML="<?x>";c=c.content;"#,
    r#"var o=!!(c&&c.firstChild&&c.firstChild.nodeType===7&&"htmlFor" in HTMLTemplateElement.prototype),q=[];"#,
    r#"function tag(n){if(n.nodeType!==7)return n.data;var x=n.data.trim();return "?"+n.target+(x?" "+x:"")}"#,
    r#"function find(w){var i=d.createNodeIterator(d.body||d,192),n;"#,
    r#"while((n=i.nextNode()))if(tag(n)===w)return n;return null}"#,
    r#"function text(t,x){t.remove();if(/-end$/.test(x))return;var e=d.querySelector('[data-braid-text="'+x+'"]');if(!e)return;"#,
    r#"var w=t.content.firstChild;e.textContent=w?w.textContent:"";e.removeAttribute("data-braid-text");"#,
    r#"e.dispatchEvent(new CustomEvent("braid:swap",{bubbles:true,detail:{id:x}}))}"#,
    r#"function swap(t){var x=t.getAttribute("data-braid-text");if(x!==null)return text(t,x);"#,
    r#"var u=t.hasAttribute("data-braid-for"),f=t.getAttribute(u?"data-braid-for":"for"),c=t.content,w,g;t.remove();"#,
    r#"if(/-end$/.test(f)){var m=find('?marker name="'+f+'"');if(m)m.remove();return}"#,
    r#"var s=find('?start name="'+f+'"');if(!s)return;"#,
    r#"var p=s.parentNode,e=s.nextSibling,k=0;"#,
    r#"for(;e;e=e.nextSibling)if(e.nodeType===8||e.nodeType===7){g=tag(e);if(g.indexOf("?start ")===0)k++;"#,
    r#"else if(g==="?end"){if(!k)break;k--}}"#,
    r#"if(!e)return;if(u){w=c.firstChild;c=d.createDocumentFragment();while(w&&w.firstChild)c.appendChild(w.firstChild)}"#,
    r#"while(s.nextSibling!==e)p.removeChild(s.nextSibling);"#,
    r#"p.insertBefore(c,s);p.removeChild(e);p.removeChild(s);"#,
    r#"p.dispatchEvent(new CustomEvent("braid:swap",{bubbles:true,detail:{id:f}}))}"#,
    r#"function run(){while(q.length){if(!q[0].nextSibling&&d.readyState==="loading")return;swap(q.shift())}}"#,
    r#"function add(r){for(var i=0;i<r.length;i++){var a=r[i].addedNodes;"#,
    r#"for(var j=0;j<a.length;j++){var n=a[j];if(n.nodeName==="TEMPLATE"&&(n.hasAttribute("data-braid-for")||n.hasAttribute("data-braid-text")||!o&&n.hasAttribute("for")))q.push(n)}}run()}"#,
    r#"var b=new MutationObserver(add);b.observe(d,{childList:true,subtree:true});"#,
    r#"d.addEventListener("DOMContentLoaded",function(){add(b.takeRecords());b.disconnect()})})();"#
);

/// Closes the document after the last section.
pub(crate) const DOCUMENT_END: &str = "</body></html>";

/// Writes the placeholder of a pending section: the fallback between the standard's
/// `<?start name>` and `<?end>`, then the marker the chunk's `-end` template fills (with
/// nothing: it only tells the fallback runtime that the chunk's template is complete).
///
/// A range is named `b<id>.<key>`, `key` a per-request secret (the start of the nonce): a
/// section's raw HTML cannot know it, so it cannot forge a range that a later section's
/// template would fill.
pub(crate) fn write_placeholder(out: &mut String, id: u32, key: &str, fallback: &str) {
    out.push_str("<?start name=\"");
    push_range_name(out, id, key);
    out.push_str("\">");
    out.push_str(fallback);
    out.push_str("<?end><?marker name=\"");
    push_range_name(out, id, key);
    out.push_str("-end\">");
}

/// `b<id>.<key>`, a range's name, written without `format!` (it is written four times per
/// streamed section).
fn push_range_name(out: &mut String, id: u32, key: &str) {
    out.push('b');
    out.push_str(itoa::Buffer::new().format(id));
    out.push('.');
    out.push_str(key);
}

/// Opens one resolved section's chunk: its HTML follows, in a `<template for>`.
///
/// A section in foreign content (`foreign` is `Some("svg")` or `Some("math")`) goes in a
/// `<template data-braid-for>` instead, inside that element, so that the template's parser
/// gives its elements the SVG or MathML namespace; no browser applies it natively, and the
/// fallback runtime moves the wrapper's children into the range.
pub(crate) fn write_chunk_start(out: &mut String, id: u32, key: &str, foreign: Option<&str>) {
    match foreign {
        None => {
            out.push_str("<template for=\"");
            push_range_name(out, id, key);
            out.push_str("\">");
        }
        Some(wrapper) => {
            out.push_str("<template data-braid-for=\"");
            push_range_name(out, id, key);
            out.push_str("\"><");
            out.push_str(wrapper);
            out.push('>');
        }
    }
}

/// About the bytes a chunk's framing takes ([`write_chunk_start`], [`write_chunk_end`]),
/// for reserving room: a hint, not a bound.
pub(crate) const CHUNK_FRAMING: usize = 112;

/// Closes a chunk, and fills the section's `-end` marker (see [`write_placeholder`]).
pub(crate) fn write_chunk_end(out: &mut String, id: u32, key: &str, foreign: Option<&str>) {
    match foreign {
        None => out.push_str("</template><template for=\""),
        Some(wrapper) => {
            out.push_str("</");
            out.push_str(wrapper);
            out.push_str("></template><template data-braid-for=\"");
        }
    }
    push_range_name(out, id, key);
    out.push_str("-end\"></template>");
}

/// A section that stands inside a raw-text element (`<textarea>`, `<script>`, …), whose start
/// tag the renderer marked `data-braid-text="b<id>.<key>"`: its text in a template, in
/// `wrapper` (see `context::text_wrapper`), then an empty `-end` template that tells the
/// fallback runtime the first one is complete. The runtime sets the element's text to the
/// wrapper's, in every browser (no standard streams into raw text).
pub(crate) fn write_text_chunk(out: &mut String, id: u32, key: &str, wrapper: &str, text: &str) {
    let _ = write!(
        out,
        "<template data-braid-text=\"b{id}.{key}\"><{wrapper}>{text}</{wrapper}></template>\
         <template data-braid-text=\"b{id}.{key}-end\"></template>"
    );
}

/// Ends `<head>` and opens `<body>` when no script is needed.
pub(crate) const HEAD_END: &str = "</head><body>";

/// Writes the start of the document: doctype, language (checked by `PagePolicy`), charset,
/// viewport and the page's head markup, then [`HEAD_END`].
pub(crate) fn write_document_start(out: &mut String, lang: &str, head: &str) {
    out.push_str("<!doctype html><html lang=\"");
    out.push_str(lang);
    out.push_str(concat!(
        "\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    ));
    out.push_str(head);
    out.push_str(HEAD_END);
}

/// What replaces [`HEAD_END`] when sections will stream: the fallback runtime, and a
/// `<noscript>` redirect and link to the in-order version for readers without JavaScript.
pub(crate) fn runtime_head_end(nonce: &str, no_script_url: &str, link_text: &str) -> String {
    let escaped = escape_attribute(no_script_url);
    let text = maud::html! { (link_text) }.into_string();
    format!(
        "<script nonce=\"{nonce}\">{FALLBACK_RUNTIME}</script>\
         <noscript><meta http-equiv=\"refresh\" content=\"0; url={escaped}\"></noscript></head><body>\
         <noscript><p class=\"braid-noscript\"><a href=\"{escaped}\">{text}</a></p></noscript>"
    )
}

fn escape_attribute(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    let _ = maud::Escaper::new(&mut escaped).write_str(value);
    escaped
}

/// Marks where a slot goes inside rendered markup until the renderer replaces it.
///
/// A slot renders as `\0` + the page's secret token + `:` + id + `\0`. The token is random
/// per request, so no text that reaches the shell from outside (a query echoed in a form,
/// a database row) can forge a slot. Finding markers is a `memchr` for NUL, which HTML
/// practically never contains, then a comparison with the token: no per-request searcher
/// to build.
#[derive(Debug, Clone)]
pub(crate) struct SlotMarker {
    /// The token followed by `:`.
    token: String,
}

impl SlotMarker {
    pub(crate) fn new(token: &str) -> Self {
        let mut marker = String::with_capacity(token.len() + 1);
        marker.push_str(token);
        marker.push(':');
        Self { token: marker }
    }

    pub(crate) fn write(&self, out: &mut String, id: u32) {
        out.push('\0');
        out.push_str(&self.token);
        let mut digits = itoa::Buffer::new();
        out.push_str(digits.format(id));
        out.push('\0');
    }

    /// Finds the first slot marker in `html`: its byte range and section id.
    pub(crate) fn find(&self, html: &str) -> Option<(std::ops::Range<usize>, u32)> {
        let bytes = html.as_bytes();
        let mut from = 0;
        while let Some(found) = memchr::memchr(0, &bytes[from..]) {
            let start = from + found;
            from = start + 1;
            let Some(after_token) = html[from..].strip_prefix(self.token.as_str()) else {
                continue;
            };
            let digits_at = from + self.token.len();
            let Some(length) = memchr::memchr(0, after_token.as_bytes()) else {
                continue;
            };
            if let Ok(id) = after_token[..length].parse::<u32>() {
                return Some((start..digits_at + length + 1, id));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_returns_the_first_marker_and_its_range() {
        let marker = SlotMarker::new("tok");
        let mut html = String::from("<p>a</p>");
        marker.write(&mut html, 7);
        html.push_str("<p>b</p>");
        marker.write(&mut html, 8);
        let (range, id) = marker.find(&html).unwrap();
        assert_eq!((&html[..range.start], id), ("<p>a</p>", 7));
        let rest = &html[range.end..];
        let (range, id) = marker.find(rest).unwrap();
        assert_eq!((&rest[..range.start], id), ("<p>b</p>", 8));
        assert!(marker.find(&rest[range.end..]).is_none());
    }

    #[test]
    fn forged_or_malformed_markers_are_text() {
        let marker = SlotMarker::new("secret");
        assert!(marker.find("x\0guess:1\0y").is_none());
        assert!(marker.find("x\0secret:zz\0y").is_none());
        assert!(marker.find("x\0secret:12").is_none());
        assert_eq!(
            marker.find("\0secret:\0secret:4\0").map(|(_, id)| id),
            Some(4)
        );
    }

    #[test]
    fn chunk_and_placeholder_bytes() {
        let mut out = String::new();
        write_placeholder(&mut out, 3, "k", "<i>…</i>");
        assert_eq!(
            out,
            r#"<?start name="b3.k"><i>…</i><?end><?marker name="b3.k-end">"#
        );
        out.clear();
        write_chunk_start(&mut out, 3, "k", None);
        out.push_str("<b>x</b>");
        write_chunk_end(&mut out, 3, "k", None);
        assert_eq!(
            out,
            r#"<template for="b3.k"><b>x</b></template><template for="b3.k-end"></template>"#
        );
        out.clear();
        write_chunk_start(&mut out, 4, "k", Some("svg"));
        out.push_str("<rect/>");
        write_chunk_end(&mut out, 4, "k", Some("svg"));
        assert_eq!(
            out,
            concat!(
                r#"<template data-braid-for="b4.k"><svg><rect/></svg></template>"#,
                r#"<template data-braid-for="b4.k-end"></template>"#
            )
        );
    }
}
