"""Likely conflicts of interest, flagged before a reviewer is assigned.

The rule is deliberately simple and written down in docs/review.md: a reviewer is likely conflicted when
they are the applicant, or when their profile organisation, once normalised, is the same as (or, for names
of two words or more, contained word for word in) the applicant's employing organisation or one of the
partner organisations. It only flags: staff can still assign with a note, and the reviewer can always
declare a conflict the rule did not see.
"""

import re

# Words that never tell two organisations apart: "The Helix Imaging Ltd" is "Helix Imaging Limited".
NOISE_WORDS = frozenset({"the", "ltd", "limited", "plc", "llp", "llc", "inc", "incorporated", "co", "company", "uk"})
# Spellings of the same thing, applied to the word list in order.
SYNONYMS = (
    (("and",), ("&",)),
    # An NHS trust that became a foundation trust is the same employer.
    (("trust",), ("foundation", "trust")),
    (("university",), ("univ",)),
)


def organisation_normalise(name: str) -> tuple[str, ...]:
    """The organisation name as a tuple of words: lower case, "&" as "and", punctuation and noise words
    ("the", "ltd", "limited", "plc", ...) removed, "foundation trust" read as "trust"."""
    text = (name or "").lower().replace("&", " and ").replace("'", "")
    words = [w for w in re.split(r"[^0-9a-z]+", text) if w and w not in NOISE_WORDS]
    for canonical, variant in SYNONYMS:
        words = _replace_run(words, list(variant), list(canonical))
    return tuple(words)


def _replace_run(words: list[str], run: list[str], by: list[str]) -> list[str]:
    out, i = [], 0
    while i < len(words):
        if words[i : i + len(run)] == run:
            out.extend(by)
            i += len(run)
        else:
            out.append(words[i])
            i += 1
    return out


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    n = len(shorter)
    return any(longer[i : i + n] == shorter for i in range(len(longer) - n + 1))


def organisations_match(a: str, b: str) -> bool:
    """Same organisation after normalising; or the shorter name (two words or more) found whole in the longer,
    so "University of Edinburgh" matches "University of Edinburgh Medical School" but "Edinburgh" alone does not."""
    first, second = organisation_normalise(a), organisation_normalise(b)
    if not first or not second:
        return False
    if first == second:
        return True
    shorter, longer = sorted((first, second), key=len)
    return len(shorter) >= 2 and _contains(longer, shorter)


def conflict_likely(*, reviewer, application) -> str | None:
    """Why this reviewer is likely conflicted on this application, or None.

    Reads `reviewer.profile` and `application.partners.all()` (prefetch them when checking many pairs).
    """
    if reviewer.pk == application.applicant_id:
        return "The reviewer is the applicant."
    profile = getattr(reviewer, "profile", None)
    organisation = (profile.organisation if profile else "").strip()
    if not organisation:
        return None
    if organisations_match(organisation, application.organisation):
        return (
            f"The reviewer's organisation ({organisation}) matches the applicant's employing organisation "
            f"({application.organisation})."
        )
    for partner in application.partners.all():
        if organisations_match(organisation, partner.name):
            return f"The reviewer's organisation ({organisation}) matches the partner organisation {partner.name}."
    return None
