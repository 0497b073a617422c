"""A small corpus with four clearly separate topics, for recommendation tests on SQLite and PostgreSQL."""
from __future__ import annotations

import itertools
import random
from datetime import date, timedelta

import pytest

from paperwire.store import accounts as db
from paperwire.store.ids import pks_of
from tests.factories import PASSWORD, account, load, make_record

TOPICS = {
    "video": ["video diffusion", "temporal consistency", "frame interpolation", "text-to-video generation",
              "motion prior", "denoising diffusion", "video synthesis", "camera control"],
    "speech": ["speech separation", "speaker diarization", "acoustic model", "raw waveform",
               "speech recognition", "noisy audio", "source separation", "voice conversion"],
    "graphs": ["graph neural network", "message passing", "node classification", "molecular graphs",
               "graph transformer", "link prediction", "oversmoothing", "graph pooling"],
    "robots": ["robot manipulation", "reinforcement learning", "policy learning", "dexterous grasping",
               "sim-to-real transfer", "reward shaping", "legged locomotion", "visuomotor control"],
}  # fmt: skip
FILLER = ["we propose a method", "experiments show gains", "on standard benchmarks", "our approach",
          "state of the art", "code is released", "extensive ablations", "a simple baseline"]  # fmt: skip
NEWEST = date(2026, 6, 30)
PER_TOPIC = 24


def topic_records(seed: int = 7) -> list:
    """PER_TOPIC papers per topic over the last ten days to NEWEST, ids 2606.<topic><n>."""
    rng = random.Random(seed)
    out = []
    for t, (topic, phrases) in enumerate(TOPICS.items()):
        pairs = list(itertools.permutations(range(len(phrases)), 2))
        rng.shuffle(pairs)
        for n in range(PER_TOPIC):
            a, b = pairs[n]  # distinct titles
            words = [phrases[a], phrases[b]] + rng.sample([w for i, w in enumerate(phrases) if i not in (a, b)], 2)
            summary = ". ".join(f"{w.capitalize()} with {rng.choice(FILLER)}" for w in words) + "."
            day = NEWEST - timedelta(days=n % 10)
            out.append(make_record(id=f"2606.{t + 1}{n:04d}", title=f"{words[0].title()} and {words[1]} at scale",
                                   summary=summary, published=day.isoformat(),
                                   categories=[f"cs.{'CV' if topic == 'video' else 'SD' if topic == 'speech' else 'LG' if topic == 'graphs' else 'RO'}"],
                                   authors=[f"Author {topic} {n % 5}"]))  # fmt: skip
    return out


def topic_of(paper_id: str) -> str:
    return list(TOPICS)[int(paper_id.split(".")[1][0]) - 1]


@pytest.fixture
def corpus(store):
    load(store, *topic_records(), target="topics")
    return store


@pytest.fixture
def make_user(corpus):
    count = iter(range(1, 1000))

    def make(name: str | None = None, *, password: bool = False):
        """A reader; with ``password`` a real signed-up account (argon2 hashing is slow on purpose)."""
        n = next(count)
        email = f"{name or 'reader'}{n}@example.org"
        return account(corpus, email, PASSWORD if password else None)

    return make


def rate(store, user, paper_ids, value: int = 1) -> None:
    pks = pks_of(store, list(paper_ids))
    for pid in paper_ids:
        db.set_rating(store, user.pk, pks[pid], value)


def ids_of(topic: str, numbers) -> list[str]:
    t = list(TOPICS).index(topic) + 1
    return [f"2606.{t}{n:04d}" for n in numbers]


# the web tests drive the app as a browser would (fixtures shared with the accounts tests)
from tests.accounts.conftest import app, client, mailbox, new_client, smtp  # noqa: E402,F401
