from server.memops import curriculum
from server.memops.evaluate import load_cases
from server.memops.schema import ACTIONS, KINDS


def test_same_seed_gives_identical_curriculum():
    assert curriculum.data_hash(curriculum.build(3, 300)) == curriculum.data_hash(curriculum.build(3, 300))


def test_different_seeds_give_different_curricula():
    assert curriculum.data_hash(curriculum.build(1, 300)) != curriculum.data_hash(curriculum.build(2, 300))


def test_no_dev_case_text_appears_in_training_data():
    train = curriculum.build(0)
    seen = {e["new"].lower() for e in train} | {m["content"].lower() for e in train for m in e["existing"]}
    dev = load_cases()
    dev_texts = {c["new"].lower() for c in dev} | {m["content"].lower() for c in dev for m in c["existing"]}
    assert not dev_texts & seen


def test_curriculum_covers_every_action_and_kind():
    ex = curriculum.build(0, 2000)
    assert {e["expect"]["action"] for e in ex} == set(ACTIONS)
    assert {k for e in ex for k in e["expect"]["kind"]} == set(KINDS)


def test_targets_point_at_existing_memories():
    for e in curriculum.build(5, 500):
        t = e["expect"]["target"]
        assert (t is None) == (e["expect"]["action"] in ("add", "skip"))
        assert t is None or 0 <= t < len(e["existing"])


def test_dev_cases_are_numerous_valid_and_cover_everything():
    cases = load_cases()
    assert len(cases) >= 220
    assert len({c["id"] for c in cases}) == len(cases)
    assert {c["expect"]["action"] for c in cases} == set(ACTIONS) | {"block"}
    assert {k for c in cases for k in (c["expect"]["kind"] or [])} == set(KINDS)
    for c in cases:
        t = c["expect"]["target"]
        assert t is None or 0 <= t < len(c["existing"])


def test_chat_turns_are_in_the_curriculum_with_facts_kept_and_chit_chat_skipped():
    from server.memops.features import parse

    ex = curriculum.build(0, 3000)
    chat = [e for e in ex if parse(e["new"]).speaker]
    actions = {e["expect"]["action"] for e in chat}
    assert len(chat) > 300 and {"add", "skip", "noop", "update", "supersede"} <= actions
    asking = [e for e in ex if e["new"].rstrip().endswith("?") and parse(e["new"]).told >= 2]
    # A question that also says something about the speaker is mostly kept (add, or related to a memory).
    assert len(asking) > 100 and sum(e["expect"]["action"] == "skip" for e in asking) < 0.25 * len(asking)
