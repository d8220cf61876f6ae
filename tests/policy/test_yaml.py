"""Export for review as YAML and import back: the subset round-trips, and unchanged files change nothing."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from server.models import RememberRequest
from server.policy.yaml_io import dump, export_policies, import_policies, load

keys = st.text(min_size=1, max_size=12)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys, values, min_size=1, max_size=6))
def test_dump_then_load_is_the_identity(data):
    assert load(dump(data)) == data


def test_hand_edits_with_plain_scalars_and_comments_are_read():
    text = "# reviewed\nname: never deploy on fridays  # short\nstatus: active\nconditions:\n  weekdays:\n  - fri\n  time_window: null\n"
    assert load(text) == {"name": "never deploy on fridays", "status": "active", "conditions": {"weekdays": ["fri"], "time_window": None}}


def test_export_then_import_changes_nothing_and_an_edit_is_a_new_version(engine, tmp_path):
    engine.service.remember(RememberRequest(namespace="me", content="Never deploy on Fridays", kind="constraint"))
    engine.service.remember(RememberRequest(namespace="me", content="Prefer not to schedule meetings before 10am", kind="constraint"))
    paths = export_policies(engine, "me", tmp_path)
    assert len(paths) == 2 and all(p.suffix == ".yaml" for p in paths)
    assert import_policies(engine, "me", tmp_path) == {"created": 0, "revised": 0, "unchanged": 2}
    friday = next(p for p in paths if "fridays" in p.name)
    friday.write_text(friday.read_text().replace('enforcement: "hard"', 'enforcement: "soft"'))
    assert import_policies(engine, "me", friday) == {"created": 0, "revised": 1, "unchanged": 0}
    policy = next(p for p, _ in engine.policies("me") if "fridays" in p.name)
    assert policy.enforcement == "soft" and policy.version == 2 and "enforcement" in policy.reason
    # into another namespace: created, with the same reviewed fields
    assert import_policies(engine, "other", tmp_path)["created"] == 2
    assert {p.name for p, _ in engine.policies("other")} == {p.name for p, _ in engine.policies("me")}
