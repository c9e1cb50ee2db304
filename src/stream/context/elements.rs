//! Sets of element names from the HTML standard's tree construction, each as the rule that
//! names it: what closes a `<p>`, what breaks out of foreign content, what holds raw text.

use super::Context;

/// Elements with no end tag.
pub(super) fn is_void(name: &[u8]) -> bool {
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

/// HTML integration points (SVG `foreignObject`, `desc`, `title`) and MathML text
/// integration points (`mi`, `mo`, `mn`, `ms`, `mtext`, `annotation-xml`): HTML again inside.
pub(super) fn is_integration_point(context: Context, name: &[u8]) -> bool {
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
pub(super) fn closes_paragraph(name: &[u8]) -> bool {
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
pub(super) fn breaks_out_of_foreign_content(name: &[u8]) -> bool {
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

/// Elements whose content the parser reads as text up to their end tag (scripting on).
pub(super) fn raw_text_element(name: &[u8]) -> Option<&'static [u8]> {
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
