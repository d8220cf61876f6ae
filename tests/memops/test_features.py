"""Feature parsing that the model depends on: speakers, and facts inside questions."""

from server.memops.features import pair_features, parse, rank_features, statement_features


def test_a_speaker_prefix_is_read_apart_from_the_words():
    p = parse("Hana: Thanks, Leo! I finally finished my thesis.")
    assert p.speaker == "hana" and p.raw.startswith("Thanks") and "hana" not in p.toks
    assert "thanks" not in p.ents  # an interjection after the prefix is not a name


def test_a_question_carrying_a_first_person_fact_is_told_apart_from_a_plain_question():
    told = parse("I just adopted a kitten - which litter is best?")
    plain = parse("Which litter is best for kittens?")
    assert told.told >= 2 and plain.told == 0
    assert statement_features(told)[-2] == 1.0 and statement_features(plain)[-2] == 0.0


def test_the_same_words_from_another_speaker_are_flagged():
    a, b = parse("Ana: I love hiking"), parse("Ben: I love hiking")
    feats = pair_features(a, b, "preference", 0.9, 0.9, 0)
    assert feats[-8] == 1.0 and pair_features(a, parse("Ana: I love hiking a lot"), "preference", 0.9, 0.9, 0)[-8] == 0.0


def test_rank_features_know_who_said_it():
    from server.memops import RankCandidate
    import numpy as np

    c = RankCandidate("", "event", np.zeros(1, np.float32), 0.5, 0.5, 1.0, 0.8, 0.5, 0.8, 1.0)
    q = parse("When did Ana go hiking?")
    own = rank_features(q, parse("Ana: I went hiking yesterday"), c, 0.5, 0.5, 1.0)
    other = rank_features(q, parse("Ben: Hiking with Ana sounds fun"), c, 0.5, 0.5, 1.0)
    assert own[23] == 1.0 and other[23] == 0.0 and other[24] == 1.0
