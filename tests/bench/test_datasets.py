"""The loaders on small synthetic snippets of each format."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from server.bench.datasets import DatasetError, load, load_convqa, load_locomo, load_longmemeval, normalise_evidence, parse_date

LOCOMO = [
    {
        "sample_id": "conv-1",
        "conversation": {
            "speaker_a": "Ana", "speaker_b": "Ben",
            "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": [
                {"speaker": "Ana", "dia_id": "D1:1", "text": "I went hiking."},
                {"speaker": "Ben", "dia_id": "D1:2", "text": "Look!", "blip_caption": "a photo of a lake", "img_url": ["x"]},
            ],
            "session_2_date_time": "9:00 am on 1 June, 2023",
            "session_2": [{"speaker": "Ana", "dia_id": "D2:1", "text": "I got a cat."}],
            "session_3_date_time": "9:00 am on 2 June, 2023",
        },
        "qa": [
            {"question": "Where did Ana go?", "answer": "hiking", "evidence": ["D1:01"], "category": 4},
            {"question": "Pets and photos?", "answer": "x", "evidence": ["D1:2; D2:1"], "category": 1},
            {"question": "Trick?", "evidence": ["D1:1"], "category": 5, "adversarial_answer": "x"},
            {"question": "Broken", "answer": "x", "evidence": ["D"], "category": 2},
        ],
    }
]

LONGMEMEVAL = [
    {
        "question_id": "q1", "question_type": "single-session-user", "question": "What car do I drive?",
        "question_date": "2023/05/30 (Tue) 23:40", "answer": "a Prius",
        "answer_session_ids": ["answer_1"], "haystack_session_ids": ["s_a", "answer_1"],
        "haystack_dates": ["2023/05/20 (Sat) 02:21", "2023/05/21 (Sun) 10:00"],
        "haystack_sessions": [
            [{"role": "user", "content": "Tell me about Shiva."}, {"role": "assistant", "content": "Shiva is ..."}],
            [{"role": "user", "content": "I drive a Prius.", "has_answer": True}, {"role": "assistant", "content": "Nice."}],
        ],
    },
    {
        "question_id": "q2_abs", "question_type": "knowledge-update", "question": "?", "question_date": "2023/05/30 (Tue) 23:40",
        "answer": "n/a", "answer_session_ids": ["s_b"], "haystack_session_ids": ["s_b"], "haystack_dates": ["2023/05/20 (Sat) 02:21"],
        "haystack_sessions": [[{"role": "user", "content": "hello"}]],
    },
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(["D1:3"], ["D1:3"]), (["D30:05"], ["D30:5"]), (["D8:6; D9:17"], ["D8:6", "D9:17"]),
     (["D9:1 D4:4 D4:6"], ["D9:1", "D4:4", "D4:6"]), (["D:11:26"], ["D11:26"]), (["D"], []), ("D2:1", ["D2:1"])],
)
def test_evidence_ids_are_split_and_unpadded(raw, expected):
    assert normalise_evidence(raw) == expected


def test_dates_in_each_format_parse_to_utc():
    assert parse_date("1:56 pm on 8 May, 2023") == datetime(2023, 5, 8, 13, 56, tzinfo=timezone.utc)
    assert parse_date("2023/04/25 (Tue) 04:07") == datetime(2023, 4, 25, 4, 7, tzinfo=timezone.utc)
    assert parse_date("2024-03-02") == datetime(2024, 3, 2, tzinfo=timezone.utc)
    assert parse_date(None) is None
    with pytest.raises(DatasetError):
        parse_date("last Tuesday")


def test_locomo_loader_reads_sessions_captions_and_scored_questions():
    ds = load_locomo("-", data=LOCOMO)
    conv = ds.conversations[0]
    assert [s.id for s in conv.sessions] == ["D1", "D2"]  # a date without turns is not a session
    assert conv.sessions[0].date == datetime(2023, 5, 8, 13, 56, tzinfo=timezone.utc)
    assert conv.sessions[0].turns[1].content() == "Ben: Look! [shares a photo: a photo of a lake]"
    assert [(q.category, q.evidence) for q in conv.questions] == [("single-hop", ("D1:1",)), ("multi-hop", ("D1:2", "D2:1"))]
    assert any("no usable evidence" in n for n in ds.notes)


def test_longmemeval_loader_keeps_user_turns_and_skips_abstention():
    ds = load_longmemeval("-", data=LONGMEMEVAL)
    assert ds.level == "session"
    assert [c.id for c in ds.conversations] == ["q1"]
    conv = ds.conversations[0]
    assert [[t.content() for t in s.turns] for s in conv.sessions] == [["Tell me about Shiva."], ["I drive a Prius."]]
    q = conv.questions[0]
    assert q.evidence == ("answer_1",) and q.category == "single-session-user"
    assert q.date == datetime(2023, 5, 30, 23, 40, tzinfo=timezone.utc)
    assert conv.turn_session()["answer_1_1"] == "answer_1"


def test_convqa_loader_rejects_evidence_naming_no_turn(tmp_path):
    data = {"conversations": [{"id": "c", "sessions": [{"id": "s", "turns": [{"id": "t1", "text": "hi"}]}],
                               "questions": [{"id": "q", "question": "?", "evidence": ["t9"]}]}]}
    with pytest.raises(DatasetError):
        load_convqa("-", data=data)
    data["conversations"][0]["questions"][0]["evidence"] = ["t1"]
    path = tmp_path / "x.json"
    path.write_text(json.dumps(data))
    ds = load("convqa", path)
    assert ds.conversations[0].questions[0].category == "all"


def test_loading_a_file_as_the_wrong_format_is_an_error(tmp_path):
    path = tmp_path / "locomo.json"
    path.write_text(json.dumps(LOCOMO))
    with pytest.raises(DatasetError):
        load("longmemeval", path)
    with pytest.raises(DatasetError):
        load("convqa", path)
    with pytest.raises(DatasetError):
        load("nope", path)
    assert len(load("locomo", path, limit=1).conversations) == 1
