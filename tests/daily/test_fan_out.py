"""With Redis, new papers' embeddings fan out to `paperwire worker` processes in chunks."""
from __future__ import annotations

import threading
import time

from paperwire.context import Paperwire
from paperwire.index.embedder import FakeEmbedder
from paperwire.jobs.queue import open_queue
from paperwire.jobs.worker import run_worker
from paperwire.services import indexing
from paperwire.settings import Settings
from paperwire.store import embeddings
from tests.factories import load, make_record


def test_index_new_queues_the_backlog_in_chunks_and_a_worker_embeds_it_once(store, db_url, tmp_path, redis_ns,
                                                                             monkeypatch):
    redis_url, namespace = redis_ns
    monkeypatch.setattr(indexing, "CHUNK", 4)
    load(store, *[make_record(title=f"Paper number {n} on graph learning") for n in range(10)])
    settings = Settings(database_url=db_url, data_dir=tmp_path, redis_url=redis_url)
    pw = Paperwire(settings, store, embedder=FakeEmbedder())
    pw.dispatcher = open_queue(settings, namespace)
    try:
        report = indexing.index_new(pw)
        assert (report.queued, report.embedded) == (10, 0)
        assert indexing.backlog(pw) == 10  # nothing is embedded in the web process
        stop = threading.Event()
        worker = threading.Thread(target=run_worker, args=(pw,), kwargs={"namespace": namespace, "stop_event": stop})
        worker.start()
        deadline = time.monotonic() + 60
        while indexing.backlog(pw) and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        worker.join(30)
        assert indexing.backlog(pw) == 0
        assert embeddings.count(store, FakeEmbedder().name) == 10
        assert indexing.embed_pks(pw, [1, 2, 3]) == 0  # a job delivered twice does nothing more
        assert len(pw.vectors.get(FakeEmbedder().name, now=True)) == 10
    finally:
        pw.dispatcher.close()
        pw.close()
