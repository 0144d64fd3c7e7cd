"""The funnel of a run, from accounting.json: where documents (and their tokens) left the pipeline.

Each drop or error reason belongs to the funnel stage of the step the accounting names for it (`steps`:
reason -> step): the reader, pre-LID, machine-translation traces, extraction and token count are extraction; the
LID step is LID; FineWeb's URL filter is its own stage, right after LID, for the languages that have it; the host
blocklist, junk rules, footer trimming and personal data are junk; a quality drop is booked under its filter
family, its own stage; benchmark decontamination is its own stage (listed when it dropped documents); MinHash and
the near-duplicate filter are dedup. Tokens are counted right after extraction, so every stage after it is known
in tokens too.
"""

from __future__ import annotations

from dataclasses import dataclass

from monsoon.languages import FIRST_TIER, LANGUAGES_DIR, get_language

EXTRACTION = "extraction"
LID = "LID"
URL_FILTER = "url_filter"
JUNK = "junk"
DECONTAMINATION = "decontamination"
DEDUP = "dedup"
_STAGE_OF_STEP = {
    "WarcDocumentReader": EXTRACTION,
    "PreLanguageCheck": EXTRACTION,
    "MachineTranslationTraces": EXTRACTION,
    "Extract": EXTRACTION,
    "TokenCount": EXTRACTION,
    "LanguageId": LID,
    "UrlFilter": URL_FILTER,
    "NgHostFilter": JUNK,
    "JunkFilter": JUNK,
    "FooterTrim": JUNK,
    "PiiMask": JUNK,
    "Decontamination": DECONTAMINATION,
    "MinhashSignature": DEDUP,
    "NearDuplicateFilter": DEDUP,
}


def stage_of(step: str) -> str:
    """The funnel stage of the step that dropped or errored a document (a quality filter family is its own)."""
    return _STAGE_OF_STEP.get(step, step)


def filter_families(language: str) -> list[str]:
    """The quality-filter families of a language, in the order they apply (its YAML's order)."""
    if not (LANGUAGES_DIR / f"{language}.yaml").exists():
        return []
    return list(get_language(language).filters)


def url_stage(language: str) -> list[str]:
    """[URL_FILTER] for a language whose YAML switches FineWeb's URL filter on, else []."""
    if not (LANGUAGES_DIR / f"{language}.yaml").exists():
        return []
    return [URL_FILTER] if get_language(language).url_filter else []


def losses(bucket: dict) -> dict[str, tuple[int, int]]:
    """stage -> (documents, tokens) lost there, from one accounting bucket."""
    lost: dict[str, tuple[int, int]] = {}
    for outcome in ("dropped", "errored"):
        for reason, docs in bucket[outcome].items():
            stage = stage_of(bucket["steps"][reason])
            tokens = bucket[f"{outcome}_tokens"].get(reason, 0)
            previous = lost.get(stage, (0, 0))
            lost[stage] = (previous[0] + docs, previous[1] + tokens)
    return lost


@dataclass
class Step:
    stage: str  # the stage just passed ("read" or "identified" for the first step)
    docs: int  # documents remaining after it
    tokens: int | None  # tokens remaining after it (None: not counted yet, before extraction)
    lost_docs: int = 0
    lost_tokens: int = 0


def _steps(first: str, stages: list[str], lost: dict[str, tuple[int, int]], kept: int, kept_tokens: int) -> list[Step]:
    """Remaining after each stage = kept + what later stages lost (so the last step is exactly `kept`)."""
    if DECONTAMINATION not in lost:  # a run without benchmarks (or tagging them) has no such stage
        stages = [stage for stage in stages if stage != DECONTAMINATION]
    stages = stages + [s for s in sorted(lost) if s not in stages]  # a reason no stage claims still counts
    steps, docs, tokens = [], kept, kept_tokens
    for stage in reversed(stages):
        lost_docs, lost_tokens = lost.get(stage, (0, 0))
        steps.append(Step(stage, docs, tokens, lost_docs, lost_tokens))
        docs, tokens = docs + lost_docs, tokens + lost_tokens
    steps.append(Step(first, docs, tokens))
    return steps[::-1]


def language_funnel(language: str, bucket: dict) -> list[Step]:
    """From the documents identified as `language` to those kept."""
    stages = [LID, *url_stage(language), JUNK, *filter_families(language), DECONTAMINATION, DEDUP]
    return _steps("identified", stages, losses(bucket), bucket["kept"], bucket["tokens"])


def total_funnel(accounting: dict) -> list[Step]:
    """From the records read to the documents kept, over all languages."""
    lost: dict[str, tuple[int, int]] = {}
    for bucket in accounting["languages"].values():
        for stage, (docs, tokens) in losses(bucket).items():
            previous = lost.get(stage, (0, 0))
            lost[stage] = (previous[0] + docs, previous[1] + tokens)
    families, url = [], []
    for language in [*FIRST_TIER, *accounting["languages"]]:
        families += [family for family in filter_families(language) if family not in families]
        url = url or url_stage(language)
    total = accounting["total"]
    stages = [EXTRACTION, LID, *url, JUNK, *families, DECONTAMINATION, DEDUP]
    steps = _steps("read", stages, lost, total["kept"], total["tokens"])
    steps[0].tokens = None  # records are read as HTML: their tokens are counted only once extracted
    return steps
