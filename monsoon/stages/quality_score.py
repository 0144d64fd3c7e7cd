"""The quality score (issue 23): each document of a language with a model (`quality_models` in the run config,
trained by `monsoon quality train`) gets the model's probability of its positive label as
`quality_signals["quality_model.score"]`; under the language's `min_score` it is dropped (`quality_model.score<min`).
Runs after the quality filters, so only documents they keep are scored, on the text they keep (whose words the
filters just segmented: quality/model.py)."""

from __future__ import annotations

from datatrove.data import Document

from monsoon import storage
from monsoon.accounting import LedgerFilter, count_dropped, count_errored
from monsoon.config import QualityModelConfig
from monsoon.languages import Language, get_language
from monsoon.quality.model import SIGNAL, model_text, score_of
from monsoon.stages.lid import load_model

BY = "quality_model"  # the ledger's step name of the reasons below
BELOW_MIN = f"{SIGNAL}<min"


def signal_names() -> list[str]:
    """The quality signal this step writes."""
    return [SIGNAL]


def model_digests(models: dict[str, QualityModelConfig]) -> dict[str, str]:
    """The job fingerprint's entries of the models: a retrained model at the same path is another job."""
    return {f"quality_models/{code}": storage.sha256(spec.model) for code, spec in sorted(models.items())}


class QualityScore(LedgerFilter):
    name = "🎯 Quality score"

    def __init__(self, models: dict[str, QualityModelConfig]):
        super().__init__()
        self.models = dict(models)
        self._languages: dict[str, Language] = {}

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        code = doc.metadata["language"]
        spec = self.models.get(code)
        if spec is None:
            return True
        if code not in self._languages:
            self._languages[code] = get_language(code)
        try:
            # loaded once per process (load_model is cached by path); a remote model is copied once per machine
            score = score_of(load_model(spec.model), model_text(doc.text, self._languages[code]), spec.label)
        except Exception:
            count_errored(self, doc, f"{BY}.failed", by=BY)
            return False, f"{BY}.failed"
        doc.metadata.setdefault("quality_signals", {})[SIGNAL] = round(score, 6)
        self.stat_update(f"score_{code}", value=score)
        if spec.min_score is not None and score < spec.min_score:
            count_dropped(self, doc, BELOW_MIN, by=BY)
            return False, BELOW_MIN
        return True
