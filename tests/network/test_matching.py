"""The ranking on a small fixed population: the order and the reasons in words."""

from hubs.network.matching import Person, rank

NHS_IMAGING = Person(user_id=1, name="Nia (viewer)", sector="nhs", interests=frozenset({"medical-imaging", "genomics"}))

POPULATION = [
    Person(2, "Sam", "industry_sme", frozenset({"medical-imaging", "genomics"})),  # different sector, 2 shared: 7
    Person(3, "Ada", "academia", frozenset({"medical-imaging"})),  # different sector, 1 shared: 5
    Person(4, "Ben", "industry_sme", frozenset({"medical-imaging"})),  # same score as Ada, later by name
    Person(5, "Nora", "nhs", frozenset({"medical-imaging", "genomics"})),  # same sector, 2 shared: 4
    Person(6, "Reg", "regulator", frozenset()),  # different sector only: 3
    Person(7, "Ned", "nhs", frozenset({"pathology"})),  # nothing in common: left out
    Person(1, "Nia (viewer)", "nhs", frozenset({"medical-imaging"})),  # the viewer: never matched with themselves
]


def test_order_favours_a_different_sector_and_shared_priority_areas():
    assert [(m.person.name, m.score) for m in rank(NHS_IMAGING, POPULATION)] == [
        ("Sam", 7),
        ("Ada", 5),
        ("Ben", 5),
        ("Nora", 4),
        ("Reg", 3),
    ]


def test_each_match_gives_its_reasons_in_words():
    reasons = {m.person.name: m.reason for m in rank(NHS_IMAGING, POPULATION)}
    assert reasons == {
        "Sam": "works in industry (SME / start-up); shares your interests in genomics and medical imaging",
        "Ada": "works in academia and research; shares your interest in medical imaging",
        "Ben": "works in industry (SME / start-up); shares your interest in medical imaging",
        "Nora": "shares your interests in genomics and medical imaging",
        "Reg": "works for a regulator",
    }


def test_limit_keeps_the_best():
    assert [m.person.name for m in rank(NHS_IMAGING, POPULATION, limit=2)] == ["Sam", "Ada"]


def test_viewer_without_interests_is_matched_on_sector_alone_ties_by_name():
    viewer = Person(1, "Viewer", "academia")
    ranked = rank(viewer, POPULATION)
    assert [m.person.name for m in ranked] == ["Ben", "Ned", "Nora", "Reg", "Sam"]  # Ada shares the sector
    assert {m.score for m in ranked} == {3}
