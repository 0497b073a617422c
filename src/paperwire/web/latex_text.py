"""LaTeX text-mode markup in titles, abstracts and snippets reduced to plain text for the pages:
``\\emph{sparse}`` -> ``sparse``, ``\\cite{key}`` dropped, ``\\url{u}`` -> ``u``, ``--`` -> ``–``, accents
to letters. Math (``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``) is left exactly as written for KaTeX
to render in the browser, and so are URLs, escaped dollars and a bare ``%`` (a percent sign in an
abstract, not a LaTeX comment). The conversion is pylatexenc's (``latex2text``), run only on text that
has markup outside its math, and cached."""
from __future__ import annotations

import re
from functools import lru_cache

_MATH = re.compile(r"\$\$.+?\$\$|\\\[.+?\\\]|\\\(.+?\\\)|(?<!\\)\$(?:\\\$|[^$])+?(?<!\\)\$", re.S)
_URL = re.compile(r"https?://[^\s<>\"{}]+")
_KEEP = re.compile(r"\\\$")  # an escaped dollar stays escaped: KaTeX must not pair it
_MARKUP = re.compile(r"\\[A-Za-z]+|\\[`'^\"~=.]|[{}]|``|''|--")
_CITE = re.compile(r"[\s~]*\\(?:cite[a-z]*|nocite)\*?(?:\[[^\]]*\])*\{[^}]*\}")
_HOLD = "\uE000{}\uE001"  # private-use marks around a kept piece's number
_HELD = re.compile("\uE000(\\d+)\uE001")
_SNIPPET_MACRO = re.compile(r"\\(?:emph|text(?:bf|it|tt|sc|rm|sf|up|normal)|underline|mbox|em|bf|it|tt)\b\s*\{?")


@lru_cache(maxsize=1)
def _converter():
    from pylatexenc import macrospec
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec
    from pylatexenc.latex2text import get_default_latex_context_db as text_db
    from pylatexenc.latexwalker import get_default_latex_context_db as walker_db

    walker = walker_db()
    walker.add_context_category("paperwire", prepend=True, macros=[
        macrospec.MacroSpec("href", "{{"), macrospec.MacroSpec("url", "{")])  # fmt: skip
    text = text_db()
    text.add_context_category("paperwire", prepend=True, macros=[
        MacroTextSpec("href", simplify_repl="%(2)s"), MacroTextSpec("url", simplify_repl="%(1)s"),
        MacroTextSpec("footnote", discard=True)])  # fmt: skip
    return walker, LatexNodes2Text(latex_context=text, math_mode="verbatim", strict_latex_spaces=True)


def _convert(text: str) -> str:
    from pylatexenc.latexwalker import LatexWalker

    walker_context, converter = _converter()
    nodes = LatexWalker(text, latex_context=walker_context, tolerant_parsing=True).get_latex_nodes()[0]
    return converter.nodelist_to_text(nodes)


@lru_cache(maxsize=8192)
def latex_text(text: str | None) -> str:
    """``text`` with its text-mode LaTeX reduced to plain text and its math kept for KaTeX."""
    if not text or ("\\" not in text and "{" not in text and "--" not in text and "``" not in text):
        return text or ""
    held: list[str] = []

    def hold(match: re.Match) -> str:
        held.append(match.group(0))
        return _HOLD.format(len(held) - 1)

    work = _CITE.sub("", text)
    work = _MATH.sub(hold, work)
    work = _URL.sub(hold, work)
    work = _KEEP.sub(hold, work)
    if not _MARKUP.search(work):
        return text if work == text else _HELD.sub(lambda m: held[int(m.group(1))], work)
    work = re.sub(r"(?<!\\)%", r"\\%", work)  # a percent sign, not a comment
    try:
        work = _convert(work)
    except Exception:  # pylatexenc is tolerant, but never let odd text break a page
        return text
    return _HELD.sub(lambda m: held[int(m.group(1))], work)


def snippet_text(piece: str) -> str:
    """One piece of a search snippet (markup may be cut anywhere): formatting macros, citations and
    braces dropped, so ``\\emph{<mark>word</mark>}`` shows as the word."""
    if "\\" not in piece and "{" not in piece and "}" not in piece:
        return piece
    piece = _CITE.sub("", piece)
    piece = _SNIPPET_MACRO.sub("", piece)
    return piece.replace("{", "").replace("}", "")
