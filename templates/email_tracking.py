"""Open and click tracking in a rendered HTML email: a 1x1 pixel and links through Clarion.

The document is read with the standard library's HTML parser and written back token by token as it
came, except the ``href`` of ``<a>``/``<area>`` tags pointing at http(s) URLs, and a pixel before
``</body>`` (or at the end). Other links (``mailto:``, ``tel:``, ``#anchors``), links marked
``data-clarion-notrack`` and every other start tag, text, entity and comment stay byte for byte
(end tags are written back in lower case, as HTML reads them anyway).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from html.parser import HTMLParser

_LINK_TAGS = frozenset({"a", "area"})


def _trackable(url: str) -> bool:
    return url.strip().lower().startswith(("http://", "https://"))


class _Rewriter(HTMLParser):
    def __init__(self, link: Callable[[str], str] | None, pixel: str) -> None:
        super().__init__(convert_charrefs=False)
        self._link = link
        self._pixel = pixel
        self.out: list[str] = []
        self.pixel_placed = False

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], closing: str) -> str:
        raw = self.get_starttag_text() or ""
        names = {name for name, _ in attrs}
        if self._link is None or tag not in _LINK_TAGS or "data-clarion-notrack" in names:
            return raw
        href = next((value for name, value in attrs if name == "href"), None)
        if href is None or not _trackable(href):
            return raw
        parts = [tag]
        for name, value in attrs:
            if name == "href":
                value = self._link(href.strip())
            parts.append(name if value is None else f'{name}="{escape(value, quote=True)}"')
        return f"<{' '.join(parts)}{closing}>"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self._tag(tag, attrs, ""))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self._tag(tag, attrs, " /"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "body" and not self.pixel_placed:
            self.out.append(self._pixel)
            self.pixel_placed = True
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self.out.append(f"<![{data}]>")


def instrument(html: str, *, pixel_url: str | None, link: Callable[[str], str] | None) -> str:
    """``html`` with its http(s) links mapped through ``link`` and a pixel loading ``pixel_url``.

    Either may be None to leave that part out (opens only, or clicks only).
    """
    pixel = (f'<img src="{escape(pixel_url, quote=True)}" width="1" height="1" alt="" '
             'style="display:block;width:1px;height:1px;border:0" />') if pixel_url else ""
    rewriter = _Rewriter(link, pixel)
    rewriter.feed(html)
    rewriter.close()
    if pixel and not rewriter.pixel_placed:
        rewriter.out.append(pixel)
    return "".join(rewriter.out)
