"""Store functions read on the connection of an enclosing ``store.reading()`` block (one snapshot and
one pool checkout for a search's several queries), or on their own; the name keys ingest stores and
the ``author:`` filter looks up come from one pure function."""
from __future__ import annotations

from paperwire.ingest.normalize import name_key as ingest_name_key
from paperwire.keys import NAME_KEY_MAX, name_key
from paperwire.rank.query import make_filters
from paperwire.store import schema as t
from paperwire.store.ids import ids_of, pk_of, pks_of
from tests.factories import make_paper


def test_reading_shares_one_connection_and_connect_opens_its_own_outside(store):
    with store.reading() as conn:
        with store.connect() as inner:
            assert inner is conn
        with store.reading() as nested:
            assert nested is conn
    with store.connect() as one, store.connect() as two:
        assert one is not two


def test_reading_on_a_transaction_sees_its_uncommitted_rows(store):
    paper = make_paper(title="Uncommitted quasar")
    with store.transaction() as conn:
        store.write_batch(conn, [paper], [])
        with store.reading(conn):
            assert paper.id in pks_of(store, [paper.id])
    assert pk_of(store, paper.id) is not None


def test_ids_and_pks_map_both_ways(store):
    papers = [make_paper(title=f"Paper {n}") for n in range(3)]
    with store.transaction() as conn:
        store.write_batch(conn, papers, [])
    pks = pks_of(store, [p.id for p in papers] + ["9999.99999"])
    assert set(pks) == {p.id for p in papers}
    assert ids_of(store, list(pks.values()) + [10**9]) == {pk: pid for pid, pk in pks.items()}
    assert pks_of(store, []) == {} and ids_of(store, []) == {}


def test_ingest_and_search_filters_use_the_same_name_key():
    assert ingest_name_key is name_key
    assert NAME_KEY_MAX == t.authors.c.key.type.length
    assert make_filters(authors=["José  García-López"]).authors == ("jose garcia lopez",)
    assert len(name_key("x" * 1000)) == NAME_KEY_MAX
