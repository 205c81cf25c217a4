"""The HTML instrumentation of tracked email: only http(s) links change, the pixel lands in the body."""

from __future__ import annotations

from core import tracking_tokens
from templates.email_tracking import instrument

DOC = ('<!DOCTYPE html><html><head><style>a>b{color:red}</style></head><body>'
       '<p class=x>Tom &amp; Jerry &#169; <b>bold</b></p><!-- note -->'
       '<a href="https://a.test/p?q=1&amp;r=2" id=l1>one</a>'
       '<a href="mailto:x@y.test">mail</a><a href="#top">top</a>'
       '<a data-clarion-notrack href="https://keep.test/">keep</a><map><area href="http://b.test/"></map>'
       '<br/><script>if (1 < 2) {}</script></body></html>')


def track(url: str) -> str:
    return "https://c.test/t/" + url


def test_links_are_rewritten_and_everything_else_kept() -> None:
    out = instrument(DOC, pixel_url="https://c.test/o/T", link=track)
    assert '<a href="https://c.test/t/https://a.test/p?q=1&amp;r=2" id="l1">' in out
    assert '<area href="https://c.test/t/http://b.test/">' in out
    for kept in ('<a href="mailto:x@y.test">', '<a href="#top">', '<a data-clarion-notrack href="https://keep.test/">',
                 "<p class=x>Tom &amp; Jerry &#169; <b>bold</b></p><!-- note -->", "<style>a>b{color:red}</style>",
                 "<script>if (1 < 2) {}</script>", "<!DOCTYPE html>", "<br/>"):
        assert kept in out, kept
    assert out.endswith('<img src="https://c.test/o/T" width="1" height="1" alt="" '
                        'style="display:block;width:1px;height:1px;border:0" /></body></html>')


def test_without_tracking_parts_the_document_is_unchanged_and_fragments_get_the_pixel_at_the_end() -> None:
    assert instrument(DOC, pixel_url=None, link=None) == DOC
    assert instrument("<p>hi</p>", pixel_url="https://c/o", link=None).startswith("<p>hi</p><img ")


def test_tokens_verify_only_unchanged_and_of_their_kind() -> None:
    token = tracking_tokens.make("s3cret", tracking_tokens.Hit("env", "k", "c", "https://a.test/"))
    assert tracking_tokens.read("s3cret", token, "c") == tracking_tokens.Hit("env", "k", "c", "https://a.test/")
    assert tracking_tokens.read("s3cret", token, "o") is None
    assert tracking_tokens.read("other", token, "c") is None
    body, signature = token.split(".")
    assert tracking_tokens.read("s3cret", f"{body}x.{signature}", "c") is None
