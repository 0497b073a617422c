"""Links inside abstracts and comments (pure: no I/O, no network).

Authors put their code and project pages in the abstract ("Code is available at
https://github.com/…") or the arXiv comment. :func:`code_link` finds the first GitHub, GitLab or
Hugging Face repository link, which ingest keeps as the paper's code link when the source gave none;
:func:`split_urls` cuts a text into plain parts and URLs, so pages can make every URL clickable.
"""
from __future__ import annotations

import re

_URL = re.compile(r"https?://[^\s<>\"'{}|\\^`\[\]]+", re.IGNORECASE)
_TRAILING = ".,;:!?)'\""
_CODE_HOSTS = re.compile(r"https?://(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co)/[\w.\-]+/[\w.\-]+",
                         re.IGNORECASE)  # fmt: skip
_NOT_CODE = re.compile(r"https?://(?:www\.)?huggingface\.co/(?:papers|blog|docs)/", re.IGNORECASE)


def _trim(url: str) -> str:
    """Drop punctuation that ends the sentence, keeping a closing parenthesis the URL opened."""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def split_urls(text: str) -> list[tuple[str, bool]]:
    """``text`` as (part, is_url) pieces in order; joining the parts gives ``text`` back."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for match in _URL.finditer(text):
        url = _trim(match.group(0))
        if len(url) <= len("https://"):
            continue
        if match.start() > pos:
            out.append((text[pos : match.start()], False))
        out.append((url, True))
        pos = match.start() + len(url)
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def code_link(*texts: str | None) -> str | None:
    """The first GitHub, GitLab or Hugging Face repository URL in ``texts`` (None if there is none)."""
    for text in texts:
        for url, is_url in split_urls(text or ""):
            if is_url and not _NOT_CODE.match(url) and (found := _CODE_HOSTS.match(url)):
                return found.group(0).removesuffix(".git")
    return None
