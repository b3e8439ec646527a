"""Strings from the user's data, made safe to place inside Markdown.

Streamlit renders captions, alerts and labels as Markdown: a column named ``![x](http://host/t.png)``
would make the browser fetch that address, and ``# title`` would become a heading. Escaping every
Markdown punctuation character with a backslash (CommonMark allows it before any of them) shows the
text exactly as typed.
"""

from __future__ import annotations

SPECIALS = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()<>#+-.!|~$:=\"'&"})


def escape_markdown(text) -> str:
    """``text`` as plain characters inside Markdown: never a link, an image, a heading, emphasis or an icon code."""
    return " ".join(str(text).translate(SPECIALS).split("\n"))
