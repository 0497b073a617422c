"""Combining a paper seen again with what is stored (pure)."""
from __future__ import annotations

from dataclasses import replace

from paperwire.ingest.merge import merge
from paperwire.store import Organization
from tests.factories import make_paper


def _arxiv_and_hf():
    arxiv = make_paper(id="2401.00001", categories=["cs.CL"], comment="10 pages", published="2024-01-02", source="file")
    hf = make_paper(id="2401.00001", categories=[], title=arxiv.title, authors=list(arxiv.authors), upvotes=42,
                    organization={"name": "acme", "fullname": "ACME"}, published="2024-01-03T09:00:00Z", source="hf",
                    code_url="https://github.com/acme/x")  # fmt: skip
    return arxiv, hf


def test_merging_a_paper_with_itself_changes_nothing():
    paper = make_paper(upvotes=3)
    assert merge(paper, paper) == paper


def test_arxiv_metadata_and_hf_upvotes_combine_in_either_order():
    arxiv, hf = _arxiv_and_hf()
    one, other = merge(arxiv, hf), merge(hf, arxiv)
    for combined in (one, other):
        assert combined.upvotes == 42
        assert combined.organization == Organization("acme", "ACME")
        assert combined.categories == ("cs.CL",)
        assert combined.comment == "10 pages"
        assert combined.code_url == "https://github.com/acme/x"
        assert combined.published == arxiv.published  # the earliest date
    assert replace(one, source="x") == replace(other, source="x")


def test_missing_values_never_erase_stored_ones():
    stored = make_paper(upvotes=10, comment="ACL 2026", organization="Meta")
    bare = make_paper(id=stored.id, title=stored.title, authors=[], categories=[], upvotes=None, comment=None)
    merged = merge(stored, bare)
    assert (merged.upvotes, merged.comment, merged.organization, merged.authors) == (
        10, "ACL 2026", stored.organization, stored.authors)


def test_a_hugging_face_refresh_updates_counts_but_never_the_stored_text():
    arxiv, hf = _arxiv_and_hf()
    refreshed = replace(hf, title="LLM-rewritten title", summary="A shorter abstract.", authors=("Someone Else",),
                        upvotes=99, num_comments=7)  # fmt: skip
    merged = merge(arxiv, refreshed)
    assert (merged.title, merged.summary, merged.authors) == (arxiv.title, arxiv.summary, arxiv.authors)
    assert (merged.upvotes, merged.num_comments) == (99, 7)


def test_a_hugging_face_record_gives_the_text_of_a_paper_stored_without_one():
    arxiv, hf = _arxiv_and_hf()
    untitled = replace(arxiv, summary="")
    assert merge(untitled, hf).summary == hf.summary
