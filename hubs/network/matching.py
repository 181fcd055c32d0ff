"""Who should meet whom at an event: a pure ranking, so it can be tested on a small fixed population.

The programme exists to move people between sectors, so someone from a different sector counts for
more than one shared priority area, and each shared priority area adds to the score. Every match
carries its reasons in words, shown beside the name.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

DIFFERENT_SECTOR_POINTS = 3
SHARED_INTEREST_POINTS = 2

# How a sector reads after "works in ..." / "works for ...": the labels are written for forms.
SECTOR_PHRASES = {
    "nhs": "works in the NHS and health & care services",
    "industry_large": "works in industry (large company)",
    "industry_sme": "works in industry (SME / start-up)",
    "academia": "works in academia and research",
    "regulator": "works for a regulator",
    "government": "works in government and policy",
    "charity": "works in the charity and third sector",
    "patients_public": "brings the view of patients and the public",
    "other": "works in another sector",
}

# Priority areas in a few words, as people say them.
INTEREST_PHRASES = {
    "genomics": "genomics",
    "pathology": "pathology",
    "drug-development": "drug development",
    "medical-imaging": "medical imaging",
    "cell-gene-therapy": "cell and gene therapy",
}


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str
    sector: str
    interests: frozenset[str] = field(default_factory=frozenset)  # priority area slugs


@dataclass(frozen=True)
class Match:
    person: Person
    score: int
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def interest_phrase(slug: str) -> str:
    return INTEREST_PHRASES.get(slug, slug.replace("-", " "))


def score(viewer: Person, candidate: Person) -> Match:
    points, reasons = 0, []
    if candidate.sector and candidate.sector != viewer.sector:
        points += DIFFERENT_SECTOR_POINTS
        reasons.append(SECTOR_PHRASES.get(candidate.sector, "works in a different sector"))
    shared = sorted(
        viewer.interests & candidate.interests,
        key=lambda slug: list(INTEREST_PHRASES).index(slug) if slug in INTEREST_PHRASES else len(INTEREST_PHRASES),
    )
    if shared:
        points += SHARED_INTEREST_POINTS * len(shared)
        noun = "interest" if len(shared) == 1 else "interests"
        reasons.append(f"shares your {noun} in {_join([interest_phrase(s) for s in shared])}")
    return Match(person=candidate, score=points, reasons=tuple(reasons))


def rank(viewer: Person, candidates: Iterable[Person], *, limit: int | None = None) -> list[Match]:
    """Best matches first; people with nothing in common by these measures are left out.

    Ties go to name then id, so the order is stable from one page view to the next.
    """
    matches = [score(viewer, c) for c in candidates if c.user_id != viewer.user_id]
    matches = [m for m in matches if m.score > 0]
    matches.sort(key=lambda m: (-m.score, m.person.name.casefold(), m.person.user_id))
    return matches[:limit] if limit is not None else matches
