"""The one-line reason of a recommendation (pure)."""
from __future__ import annotations

from paperwire.rank.reasons import Evidence, reason


def test_the_collaborative_part_explains_when_it_outweighs_content():
    line = reason(Evidence(content=0.5, collaborative=1.2, collaborative_title="Attention Is All You Need",
                           terms=("transformer",)))  # fmt: skip
    assert line == "Readers of “Attention Is All You Need” also saved this"


def test_two_close_liked_papers_are_both_named():
    line = reason(Evidence(content=2.0, collaborative=0.0, liked=(("Paper A", 0.8), ("Paper B", 0.7))))
    assert line == "Because you liked “Paper A” and “Paper B”"


def test_a_liked_paper_below_the_similarity_bar_gives_way_to_terms():
    line = reason(Evidence(content=2.0, collaborative=0.0, liked=(("Far paper", 0.3),), terms=("diffusion", "video")))
    assert line == "Matches: diffusion, video"


def test_the_cold_start_model_says_it_matches_the_interests():
    line = reason(Evidence(content=1.0, collaborative=0.0, terms=("speech separation",), from_interests=True))
    assert line == "Matches your interests: speech separation"


def test_long_titles_are_shortened_and_no_reader_is_ever_named():
    line = reason(Evidence(content=0.1, collaborative=3.0, collaborative_title="x" * 200))
    assert len(line) < 110 and line.count("…") == 1
    assert "user" not in line.lower() and "@" not in line


def test_without_any_evidence_the_line_is_still_there():
    assert reason(Evidence(content=0.0, collaborative=0.0)) == "Close to papers you rated up"


def test_a_saved_paper_is_named_as_saved_not_liked():
    line = reason(Evidence(content=2.0, collaborative=0.0, liked=(("Paper A", 0.8, "saved"),)))
    assert line == "Because you saved “Paper A”"


def test_two_papers_marked_differently_each_get_their_verb():
    line = reason(Evidence(content=2.0, collaborative=0.0, liked=(("Paper A", 0.8, "saved"), ("Paper B", 0.7, "rating"))))
    assert line == "Because you saved “Paper A” and liked “Paper B”"
    same = reason(Evidence(content=2.0, collaborative=0.0, liked=(("A", 0.8, "upvote"), ("B", 0.7, "upvote"))))
    assert same == "Because you upvoted “A” and “B”"


def test_a_paper_put_forward_by_the_interests_says_so():
    line = reason(Evidence(content=1.5, collaborative=0.0, liked=(("Paper A", 0.9, "saved"),), terms=("graph",),
                           interests_first=True, interest_terms=("speech separation",)))  # fmt: skip
    assert line == "Matches your interests: speech separation"
