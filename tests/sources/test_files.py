"""paperwire.sources.files: reading paper records from JSONL / JSON / CSV / BibTeX files."""
from __future__ import annotations

import gzip
import importlib.util
import json
import random
import shutil
from pathlib import Path

import pytest

from paperwire.sources.files import FileFormatError, read_file
from paperwire.sources.records import PaperRecord, RecordProblem

FILES = Path(__file__).resolve().parent.parent / "fixtures" / "files"


def read(path) -> list:
    return list(read_file(path))


def records(items) -> list[PaperRecord]:
    return [i for i in items if isinstance(i, PaperRecord)]


def problems(items) -> list[RecordProblem]:
    return [i for i in items if isinstance(i, RecordProblem)]


def copy_fixture(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copyfile(FILES / name, target)
    return target


def gzip_file(source: Path, target: Path) -> Path:
    target.write_bytes(gzip.compress(source.read_bytes()))
    return target


# --------------------------------------------------------------------------- formats

def test_jsonl_yields_records_with_line_origins():
    path = FILES / "papers.jsonl"
    items = read(path)
    assert problems(items) == []
    assert [r.origin for r in items] == [f"{path}:1", f"{path}:3", f"{path}:4"]
    first = items[0]
    assert first.source == "file"
    assert first.id == "2503.11677"
    assert first.title == "Simulation of prosthetic vision with PRIMA system"
    assert first.authors == ["Jungyeon Park", "Anna Kochnev Goldstein"]
    assert first.categories == ["cs.HC", "cs.CV"]
    assert first.published == "2025-03-18"
    assert first.abs_url == "https://arxiv.org/abs/2503.11677"
    assert first.extra == {}


def test_jsonl_empty_line_is_skipped_silently():
    items = read(FILES / "papers.jsonl")  # line 2 is empty
    assert len(items) == 3
    assert all(isinstance(i, PaperRecord) for i in items)


def test_jsonl_gz_yields_same_records_as_plain(tmp_path):
    path = gzip_file(FILES / "papers.jsonl", tmp_path / "papers.jsonl.gz")
    items = read(path)
    plain = read(FILES / "papers.jsonl")
    assert [r.origin for r in items] == [f"{path}:1", f"{path}:3", f"{path}:4"]
    assert [(r.id, r.title, r.authors) for r in items] == [(r.id, r.title, r.authors) for r in plain]


def test_origin_keeps_path_as_given(tmp_path):
    path = copy_fixture("papers.jsonl", tmp_path)
    assert read(str(path))[0].origin == f"{path}:1"


def test_values_are_kept_raw():
    second = read(FILES / "papers.jsonl")[1]
    assert second.id == "2502.01234v2"
    assert second.summary == "  Raw   abstract\nwith a line break. "
    assert second.published == "2025-02-03T10:00:00.000Z"


def test_json_array_yields_records_with_element_start_lines():
    path = FILES / "papers_array.json"
    items = read(path)
    assert [(i.origin, i.id) for i in items] == [
        (f"{path}:2", "2503.00001"),
        (f"{path}:8", "2503.00002"),
    ]


def test_json_gz_array_is_read(tmp_path):
    path = gzip_file(FILES / "papers_array.json", tmp_path / "papers.json.gz")
    assert [(i.origin, i.title) for i in read(path)] == [
        (f"{path}:2", "Array Element One"),
        (f"{path}:8", "Array Element Two"),
    ]


def test_dict_keyed_json_uses_key_as_id():
    # three entries copied from shared/data/hf_daily/papers.json
    path = FILES / "hf_papers_keyed.json"
    items = read(path)
    assert problems(items) == []
    assert [(r.origin, r.id) for r in items] == [
        (f"{path}:2", "2312.17653"),
        (f"{path}:17", "2312.17681"),
        (f"{path}:37", "2312.17276"),
    ]
    first = items[0]
    assert first.title == "LARP: Language-Agent Role Play for Open-World Games"
    assert first.summary.startswith(
        "Language agents have shown impressive problem-solving skills within defined\n"
    )
    assert first.authors[:2] == ["Ming Yan", "Ruihao Li"]
    assert first.published == "2023-12-24T10:08:59Z"
    assert first.abs_url == "https://arxiv.org/abs/2312.17653"
    assert first.upvotes == 29
    assert first.extra == {}


needs_hf_daily = pytest.mark.skipif(
    importlib.util.find_spec("paperwire.sources.hf_daily") is None,
    reason="paperwire.sources.hf_daily (record_from_daily_item) is not written yet",
)


@needs_hf_daily
def test_hf_daily_items_list_is_read_through_hf_daily():
    path = FILES / "hf_daily_items.json"
    items = read(path)
    assert problems(items) == []
    assert [(r.origin, r.source, r.id, r.title) for r in items] == [
        (f"{path}:2", "file", "2502.18411", "An Example Daily Paper"),
        (f"{path}:22", "file", "2502.18600", "Another Daily Paper"),
    ]


@needs_hf_daily
def test_unreadable_hf_daily_item_is_one_problem_and_neighbours_are_kept(tmp_path):
    path = tmp_path / "daily.json"
    path.write_text(
        '[\n'
        ' {"paper": {"id": "2502.00001", "title": "Good", "summary": "S."}, "title": "Good"},\n'
        ' {"paper": {"title": "No id"}, "title": "No id"},\n'
        ' {"paper": {"id": "2502.00003", "title": "Also good", "summary": "S."}, "title": "Also good"}\n'
        ']\n'
    )
    items = read(path)
    assert [r.id for r in records(items)] == ["2502.00001", "2502.00003"]
    [problem] = problems(items)
    assert problem.origin == f"{path}:3"


def test_csv_yields_records_with_row_start_lines():
    path = FILES / "papers.csv"
    items = read(path)
    assert problems(items) == []
    # the second row's quoted abstract spans lines 3-4, so the third row starts on line 5
    assert [(r.origin, r.id) for r in items] == [
        (f"{path}:2", "2501.00010"),
        (f"{path}:3", "2501.00011"),
        (f"{path}:5", "2501.00012"),
    ]
    assert items[1].title == "Quoted, With Comma"
    assert items[1].summary == "An abstract\nspanning two lines."
    assert items[1].code_url == "https://github.com/example/x"


def test_csv_authors_string_is_kept_for_ingest_to_split():
    first = read(FILES / "papers.csv")[0]
    assert first.authors == "Grace Hopper, Edsger Dijkstra and Barbara Liskov"
    assert first.categories == "cs.CL cs.AI"


def test_csv_empty_cell_is_left_unset():
    first = read(FILES / "papers.csv")[0]
    assert first.code_url is None
    assert "code" not in first.extra


def test_csv_gz_is_read(tmp_path):
    path = gzip_file(FILES / "papers.csv", tmp_path / "papers.csv.gz")
    assert [(r.origin, r.id) for r in read(path)] == [
        (f"{path}:2", "2501.00010"),
        (f"{path}:3", "2501.00011"),
        (f"{path}:5", "2501.00012"),
    ]


def test_bibtex_arxiv_entry_maps_eprint_and_primary_class():
    path = FILES / "papers.bib"
    entry = read(path)[0]
    assert entry.origin == f"{path}:2"
    assert entry.source == "file"
    assert entry.id == "1706.03762"
    assert entry.title == "Attention Is All You Need"
    assert entry.authors == ["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"]
    assert entry.categories == "cs.CL"
    assert entry.published == "2017"
    assert entry.abs_url == "https://arxiv.org/abs/1706.03762"
    assert entry.extra["bibtex_key"] == "vaswani2017attention"
    assert entry.extra["bibtex_type"] == "misc"


def test_bibtex_journal_entry_decodes_latex_and_reorders_names():
    path = FILES / "papers.bib"
    entry = read(path)[1]
    assert entry.origin == f"{path}:12"
    assert entry.id is None
    assert entry.title == "Café résumés and BERT"
    assert entry.authors == ["Jörg Müller", "Gabriel García Márquez", "Søren Østergaard"]
    assert entry.journal_ref == "Journal of Accented Research"
    assert entry.published == "2020-03"
    assert entry.doi == "10.1000/jar_2020.12"  # verbatim: no LaTeX decoding of "_"
    assert entry.extra["year"] == "2020"
    assert entry.extra["month"] == "mar"


# --------------------------------------------------------------------------- field spellings

def test_summary_and_abstract_both_map_to_summary():
    items = read(FILES / "papers.jsonl")
    assert items[0].summary == "Objective. Patients implanted with the PRIMA prosthesis ..."  # "summary"
    assert items[1].summary == "  Raw   abstract\nwith a line break. "  # "abstract"


def test_published_date_and_publishedat_map_to_published():
    items = read(FILES / "papers.jsonl")
    assert [i.published for i in items] == [
        "2025-03-18",                # "published"
        "2025-02-03T10:00:00.000Z",  # "publishedAt"
        "2 Jan 2024",                # "date"
    ]


def test_authors_as_list_of_name_objects_are_kept():
    assert read(FILES / "papers.jsonl")[1].authors == [{"name": "Ada Lovelace"}, {"name": "Alan Turing"}]


def test_hf_style_keys_map_to_their_fields():
    second = read(FILES / "papers.jsonl")[1]
    assert second.id == "2502.01234v2"          # arxivId
    assert second.title == "A Paper With Upvotes"  # Title (case-insensitive)
    assert second.upvotes == 42
    assert second.code_url == "https://github.com/example/repo"  # githubRepo
    assert second.project_url == "https://example.org/project"   # projectPage
    assert second.num_comments == 3                               # numComments
    assert second.organization == {"name": "example-org", "fullname": "Example Org"}
    assert second.submitted_by == {"name": "ada", "fullname": "Ada Lovelace"}


def test_other_spellings_and_unknown_keys_go_to_extra():
    third = read(FILES / "papers.jsonl")[2]
    assert third.id == "arXiv:2401.00001"  # paper_id
    assert third.authors == "Grace Hopper, Edsger Dijkstra and Barbara Liskov"
    assert third.categories == "cs.CL cs.AI"  # category
    assert third.journal_ref == "J. Foo 1 (2024)"  # journal-ref
    assert third.extra == {"venue": "FooConf"}


# --------------------------------------------------------------------------- malformed input

def test_truncated_json_line_is_one_problem_and_neighbours_are_kept():
    path = FILES / "bad_json_line.jsonl"
    items = read(path)
    assert [r.id for r in records(items)] == ["2501.00001", "2501.00003"]
    [problem] = problems(items)
    assert problem.origin == f"{path}:2"
    assert problem.message.startswith("invalid JSON: ")


def test_truncated_last_json_line_is_reported(tmp_path):
    path = tmp_path / "cut.jsonl"
    path.write_bytes(b'{"id": "1", "title": "ok"}\n{"id": "2", "title": "cut he')
    items = read(path)
    assert [r.id for r in records(items)] == ["1"]
    [problem] = problems(items)
    assert problem.origin == f"{path}:2"
    assert "invalid JSON" in problem.message


def test_non_object_json_line_is_one_problem_and_neighbours_are_kept():
    path = FILES / "non_object_line.jsonl"
    items = read(path)
    assert [r.id for r in records(items)] == ["2501.00001", "2501.00003"]
    [problem] = problems(items)
    assert problem.origin == f"{path}:2"
    assert "expected a JSON object" in problem.message


def test_invalid_utf8_line_is_one_problem_and_other_lines_are_kept(tmp_path):
    path = tmp_path / "bad_utf8.jsonl"
    path.write_bytes(
        b'{"id": "1", "title": "caf\xc3\xa9"}\n'
        b'{"id": "2", "title": "bad \xff byte"}\n'
        b'{"id": "3", "title": "fine"}\n'
    )
    items = read(path)
    assert [(r.id, r.title) for r in records(items)] == [("1", "café"), ("3", "fine")]
    [problem] = problems(items)
    assert problem.origin == f"{path}:2"
    assert "invalid UTF-8" in problem.message


def test_invalid_utf8_csv_row_is_one_problem_and_other_rows_are_kept(tmp_path):
    path = tmp_path / "bad_utf8.csv"
    path.write_bytes(b"id,title\n1,first\n2,bad \xff byte\n3,third\n")
    items = read(path)
    assert [r.id for r in records(items)] == ["1", "3"]
    [problem] = problems(items)
    assert problem.origin == f"{path}:3"
    assert "invalid UTF-8" in problem.message


def test_csv_row_with_wrong_column_count_is_one_problem_and_neighbours_are_kept():
    path = FILES / "bad_row.csv"
    items = read(path)
    assert [r.id for r in records(items)] == ["2501.00020", "2501.00022"]
    [problem] = problems(items)
    assert problem.origin == f"{path}:3"
    assert "4 columns" in problem.message and "header has 3" in problem.message


def test_broken_bibtex_entry_is_one_problem_and_neighbours_are_kept():
    path = FILES / "broken_entry.bib"
    items = read(path)
    assert [(r.origin, r.title) for r in records(items)] == [
        (f"{path}:1", "The Entry Before"),
        (f"{path}:11", "The Entry After"),
    ]
    [problem] = problems(items)
    assert problem.origin == f"{path}:7"
    assert problem.message.startswith("BibTeX: ")


def test_truncated_gzip_keeps_records_before_the_break(tmp_path):
    rng = random.Random(7)
    lines = [
        json.dumps({"id": f"2501.{i:05d}", "title": "".join(rng.choices("abcdefghij", k=400))})
        for i in range(300)
    ]
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    items = read(path)
    got = records(items)
    assert 0 < len(got) < 300
    assert [r.id for r in got] == [f"2501.{i:05d}" for i in range(len(got))]
    [problem] = problems(items)
    assert items[-1] is problem
    assert problem.origin == f"{path}:{len(got) + 1}"
    assert "truncated" in problem.message


def test_unparsable_json_file_is_one_problem_with_line_and_column():
    path = FILES / "broken.json"
    items = read(path)
    assert len(items) == 1
    [problem] = problems(items)
    assert problem.origin == f"{path}:4"
    assert "invalid JSON" in problem.message and "line 4, column 1" in problem.message


def test_json_file_holding_json_lines_is_read_line_by_line(tmp_path):
    path = tmp_path / "export.json"
    path.write_text('{"id": "1", "title": "a"}\n{"id": "2", "title": "b"}\n')
    assert [(r.origin, r.id) for r in read(path)] == [(f"{path}:1", "1"), (f"{path}:2", "2")]


def test_unknown_extension_raises_file_format_error(tmp_path):
    path = tmp_path / "papers.xml"
    path.write_text("<papers/>")
    with pytest.raises(FileFormatError, match="papers.xml"):
        read_file(path)


def test_missing_file_raises_file_format_error_at_once(tmp_path):
    path = tmp_path / "missing.jsonl"
    with pytest.raises(FileFormatError, match="missing.jsonl"):
        read_file(path)  # no iteration needed


def test_gz_name_on_a_plain_file_raises_file_format_error(tmp_path):
    path = copy_fixture("papers.jsonl", tmp_path)
    fake = path.rename(tmp_path / "papers.jsonl.gz")
    with pytest.raises(FileFormatError, match="not a gzip file"):
        read_file(fake)


# --------------------------------------------------------------------------- shared data

def test_shared_arxiv_sample_reads_2000_records_without_problems(shared_data):
    items = read(shared_data / "arxiv" / "arxiv_sample_2k.jsonl")
    assert len(items) == 2000
    assert problems(items) == []
    assert all(r.id and r.title and r.summary and r.authors and r.categories for r in items)


@pytest.mark.slow
def test_shared_arxiv_full_file_reads_every_line(shared_data):
    path = shared_data / "arxiv" / "arxiv_cs_2025_2026.jsonl.gz"
    count = 0
    for item in read_file(path):
        assert isinstance(item, PaperRecord), item
        count += 1
    assert count == 74_728
