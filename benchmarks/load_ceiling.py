"""The bare ceiling app of benchmarks/load.py: FastAPI + Jinja2 over the same SQLite database as the
paperwire server under test, with no cache and no paperwire code.

- ``/html``  the 50 newest papers (title, authors, abstract, date, categories) rendered as cards by Jinja2
- ``/json``  the same 50 papers as orjson bytes
- ``/hello`` plain text

Run by load.py as ``uvicorn benchmarks.load_ceiling:app`` with PAPERWIRE_CEILING_DB set to the SQLite file.
"""
from __future__ import annotations

import os
import sqlite3
import threading

import orjson
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from jinja2 import Environment

DB = os.environ.get("PAPERWIRE_CEILING_DB", "paperwire.db")
app = FastAPI()
_local = threading.local()

PAGE = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Newest papers</title></head><body>
<main><h1>Newest papers</h1><ol class="cards">
{% for p in papers %}<li class="card">
  <div class="votes"><span class="count">▲ {{ p.upvotes }}</span></div>
  <div class="body"><h2 class="title"><a href="/papers/{{ p.id }}">{{ p.title }}</a></h2>
  <p class="authors">{% for a in p.authors[:8] %}<a href="/authors/{{ a | lower | replace(' ', '-') }}">{{ a }}</a>{% if not loop.last %}, {% endif %}{% endfor %}</p>
  <p class="summary">{{ p.summary }}</p>
  <p class="meta"><time datetime="{{ p.published[:10] }}">{{ p.published[:10] }}</time>{% for c in p.categories[:4] %}<a class="tag" href="/categories/{{ c }}">{{ c }}</a>{% endfor %}</p></div>
</li>{% endfor %}
</ol></main></body></html>""")


def _conn() -> sqlite3.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = sqlite3.connect(f"file:{DB}?mode=ro", uri=True, check_same_thread=False)
    return conn


def newest(n: int = 50) -> list[dict]:
    conn = _conn()
    rows = conn.execute("SELECT pk, id, title, summary, published, upvotes FROM papers ORDER BY published DESC, pk DESC LIMIT ?",
                        (n,)).fetchall()  # fmt: skip
    pks = [r[0] for r in rows]
    marks = ",".join("?" * len(pks))
    authors: dict[int, list[str]] = {}
    for pk, name in conn.execute(f"SELECT paper_pk, name FROM paper_authors WHERE paper_pk IN ({marks}) ORDER BY paper_pk, position", pks):
        authors.setdefault(pk, []).append(name)
    cats: dict[int, list[str]] = {}
    for pk, cat in conn.execute(f"SELECT paper_pk, category FROM paper_categories WHERE paper_pk IN ({marks})", pks):
        cats.setdefault(pk, []).append(cat)
    return [{"id": r[1], "title": r[2], "summary": r[3], "published": str(r[4]), "upvotes": r[5],
             "authors": authors.get(r[0], []), "categories": cats.get(r[0], [])} for r in rows]  # fmt: skip


@app.get("/html")
def html():
    return HTMLResponse(PAGE.render(papers=newest()))


@app.get("/json")
def as_json():
    return Response(orjson.dumps(newest()), media_type="application/json")


@app.get("/hello")
def hello():
    return PlainTextResponse("hello")
