"""Feature parsing that the model depends on: speakers, facts inside questions, numbers, episodes, chat glue."""

from server.memops import text as T
from server.memops.features import RankList, pair_features, parse, rank_features, statement_features


def test_clock_words_and_multipliers_read_as_the_same_numbers():
    assert T.numbers("standup at half past nine") == T.numbers("standup at 9:30") == {"9:30"}
    assert T.numbers("a quarter to ten") == {"9:45"}
    assert T.numbers("reports run 2x faster") == T.numbers("twice as fast") == {"2x"}
    assert T.numbers("I run 5 km three times a week") == {"5", "3"}


def test_a_one_off_scope_is_transient_whatever_its_noun():
    for text in ("Switch to light mode for this screenshot only", "Today only, assume I'm on Windows", "just for this draft, be formal"):
        assert T.TRANSIENT_RE.search(text.lower()), text
    assert not T.TRANSIENT_RE.search("i do yoga for this whole month")
    assert not T.TRANSIENT_RE.search("i'm vegetarian for ethical reasons")


def test_a_one_time_happening_is_told_apart_from_a_standing_fact():
    assert parse("Mia: I went to a concert last week!").episode
    assert parse("We hiked up the ridge two days ago").episode
    assert not parse("I live in Boston").episode and not parse("I love concerts").episode


def test_two_turns_sharing_only_chat_glue_and_names_share_no_content():
    a = parse("Maria: Thanks, John! Keep it up, so proud of you. I love the shelter work.")
    b = parse("Maria: Wow John, awesome! Keep it up! My garden is blooming.")
    assert pair_features(a, b, "fact", 0.7, 0.7, 0)[-12:-9] == [0.0, 0.0, 0.0]
    same = pair_features(parse("I volunteer at the animal shelter"), parse("I volunteer at the shelter"), "fact", 0.9, 0.9, 0)
    assert same[-12] > 0.5


def test_what_a_restatement_adds_is_told_apart_from_a_concrete_detail():
    old = parse("My favourite film is The Long Field")
    judged = pair_features(parse("The Long Field is the best film ever, in my opinion"), old, "preference", 0.8, 0.8, 0)
    detail = pair_features(parse("My favourite film is The Long Field, I saw it 4 times in Riga"), old, "preference", 0.8, 0.8, 0)
    assert judged[-13] == 1.0 and detail[-13] == 0.0  # every new word is a judgement
    assert judged[-9] == 0.0 and detail[-9] == 1.0  # something concrete is new (a number, a name)


def test_a_speaker_prefix_is_read_apart_from_the_words():
    p = parse("Hana: Thanks, Leo! I finally finished my thesis.")
    assert p.speaker == "hana" and p.raw.startswith("Thanks") and "hana" not in p.toks
    assert "thanks" not in p.ents  # an interjection after the prefix is not a name


def test_a_question_carrying_a_first_person_fact_is_told_apart_from_a_plain_question():
    told = parse("I just adopted a kitten - which litter is best?")
    plain = parse("Which litter is best for kittens?")
    assert told.told >= 2 and plain.told == 0
    assert statement_features(told)[-3] == 1.0 and statement_features(plain)[-3] == 0.0


def test_the_same_words_from_another_speaker_are_flagged():
    a, b = parse("Ana: I love hiking"), parse("Ben: I love hiking")
    feats = pair_features(a, b, "preference", 0.9, 0.9, 0)
    assert feats[-16] == 1.0 and pair_features(a, parse("Ana: I love hiking a lot"), "preference", 0.9, 0.9, 0)[-16] == 0.0


def test_rank_features_know_who_said_it():
    from server.memops import RankCandidate
    import numpy as np

    c = RankCandidate("", "event", np.zeros(1, np.float32), 0.5, 0.5, 1.0, 0.8, 0.5, 0.8, 1.0)
    ls = RankList(0.5, 0.5, 1.0)
    q = parse("When did Ana go hiking?")
    own = rank_features(q, parse("Ana: I went hiking yesterday"), c, ls)
    other = rank_features(q, parse("Ben: Hiking with Ana sounds fun"), c, ls)
    assert own[23] == 1.0 and other[23] == 0.0 and other[24] == 1.0
    # A question that names nobody says so, and then no turn counts as "someone else's".
    anon = rank_features(parse("When did she go hiking?"), parse("Ben: Hiking with Ana sounds fun"), c, ls)
    assert anon[19] == 1.0 and own[19] == 0.0 and anon[24] == 0.0


def test_rank_features_read_a_reaction_apart_from_a_statement():
    from server.memops import RankCandidate
    import numpy as np

    c = RankCandidate("", "fact", np.zeros(1, np.float32), 0.5, 0.5, 1.0, 0.8, 0.5, 0.8, 1.0)
    q, ls = parse("What did Ana paint?"), RankList(0.5, 0.5, 1.0)
    cheer = rank_features(q, parse("Ben: Wow, that's amazing! You must be so proud."), c, ls)
    told = rank_features(q, parse("Ana: I painted a sunset over the lake last week."), c, ls)
    assert cheer[30] == 1.0 and told[30] == 0.0 and cheer[31] > told[31] == 0.0
