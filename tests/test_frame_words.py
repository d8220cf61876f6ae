"""A time frame the query names ranks by date, so its words stay out of the query's embedding and keywords.

Real SQLite file and the real offline embedding model.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from server.models import RecallRequest, RememberRequest
from server.service import MemoryService
from server.store import open_store
from server.timeframe import window, without_frame
from tests.conftest import AddOps

NOW = datetime(2023, 6, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "query, words",
    [
        ("Where did I travel in the past three months?", "Where did I travel?"),
        ("I mentioned cooking something for my friend a couple of days ago. What was it?", "I mentioned cooking something for my friend. What was it?"),
        ("What did I buy last week, and where?", "What did I buy, and where?"),
        ("What did I read in March 2023?", "What did I read in March 2023?"),  # a calendar name means the same month in a message
        ("Yesterday?", "Yesterday?"),  # nothing but the frame: the words stay
        ("How many days ago did I visit the zoo?", "How many days ago did I visit the zoo?"),  # no frame: the distance is the question
    ],
)
def test_without_frame(query, words):
    assert without_frame(query, window(query, NOW)) == words


def test_the_frame_words_do_not_match_statements_that_merely_repeat_them(settings, embedder):
    """'in the past three months' is a date preference; as words it matched the hobbies kept 'for the past three months'."""
    store = open_store(settings.model_copy(update={"db": settings.db.with_name("frames.db")}))
    try:
        service = MemoryService(store, embedder, AddOps(), settings.model_copy(update={"learned_rerank": False}))
        texts = [
            ("I've been collecting stamps for the past three months and have over 200 now", 20),
            ("I've been going to fitness classes at my gym for the past three months", 30),
            ("We drove down the coast to Big Sur and Monterey with friends, what a road trip", 40),
            ("My sister visited and we watched movies all weekend", 10),
        ]
        ids = [service.remember(RememberRequest(namespace="t", content=t, valid_from=NOW - timedelta(days=d))).memory_ids[0] for t, d in texts]
        req = RecallRequest(namespace="t", query="Where did I travel in the past three months?", k=4, now=NOW, reinforce=False)
        assert service.recall(req).results[0].memory.id == ids[2]
        service.settings = service.settings.model_copy(update={"frame_out_of_query": False})
        assert service.recall(req).results[0].memory.id != ids[2]  # the switch is what moves it
    finally:
        store.close()
