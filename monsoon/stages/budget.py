"""The per-document budget: one document can cost one document, never a task.

Every per-document step of the plan runs wrapped in `Budgeted`, which hands the step one document at a time and
books what goes wrong with that document as that document's outcome, naming the step:

- a text longer than the step's `max_chars` is dropped before the step sees it (`budget.size.<step>`);
- a step still busy with one document after `seconds` (its first of a language: SETUP_SECONDS more) is interrupted (a
  SIGALRM timer, armed only while the step holds that document, never while the documents before it are being
  made) and the document is dropped (`budget.time.<step>`): regexes, segmenters and tokenizers that grow faster
  than linearly on one long input (issue 20: 12 min of `<meta ` regexes, 40 min of Thai segmentation of one run
  of digits) end there;
- an exception a document raises inside the step is that document's `errored` (`failed.<step>`, the first
  traceback of each step logged), never the job's.

After an interruption or an exception the step's generator is gone; it is started again on the documents that
follow (steps load their models and sandboxes through caches or per run, so a restart costs little and happens
only on such documents). An exception raised before the step holds a document (a model that cannot be loaded) or
by the steps before it stays the job's error. The timer needs the main thread (where datatrove's local workers
and pyspark's tasks run the ranks); elsewhere only the size budget applies.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from monsoon.accounting import count_dropped, count_errored


@dataclass(frozen=True)
class Limits:
    seconds: float  # per document; 0 disables the timer
    max_chars: int  # per document's text (raw HTML before extraction); 0 disables the check


class OverBudget(BaseException):
    """Raised by the timer inside the step that holds a document past its time budget; a BaseException, so the
    steps' own `except Exception` (a filter family that fails on one text) cannot swallow it."""


# the first document of each language in each step (in each rank) may also pay the step's lazy set-up: spaCy,
# Sudachi and the segmenters' dictionaries load on first use, per language (seconds; more on a loaded machine)
SETUP_SECONDS = 60.0


def step_key(step: PipelineStep) -> str:
    """The step's name in budget reasons and settings: its class name in snake case (PiiMask -> pii_mask)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(step).__name__).lower()


_armed = False  # a timer of this process is running for a document (one step holds a document at a time)


def _on_alarm(signum, frame) -> None:
    if _armed:
        raise OverBudget()


def _can_time() -> bool:
    return threading.current_thread() is threading.main_thread()


def _arm(seconds: float) -> None:
    global _armed
    if signal.getsignal(signal.SIGALRM) is not _on_alarm:
        signal.signal(signal.SIGALRM, _on_alarm)
    _armed = True
    signal.setitimer(signal.ITIMER_REAL, seconds)


def _disarm() -> None:
    global _armed
    _armed = False
    signal.setitimer(signal.ITIMER_REAL, 0)


class _Feed:
    """The documents handed to the wrapped step, one at a time: the timer runs from the moment the step takes a
    document until it yields it or asks for the next one; the documents before it are made with the timer off."""

    def __init__(self, upstream: Iterator[Document], budgeted: Budgeted):
        self.upstream, self.budgeted = upstream, budgeted
        self.current: Document | None = None  # the document the step holds, until it yields it
        self.upstream_failed = False
        self.warmed: set[str] = set()  # the languages of the documents handed to the step so far
        self.timed = budgeted.limits.seconds > 0 and _can_time()

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> Document:
        if self.timed:
            _disarm()
        self.current = None
        while True:
            try:
                doc = next(self.upstream)
            except StopIteration:
                raise
            except Exception:
                self.upstream_failed = True
                raise
            if not self.budgeted.fits(doc):
                continue
            self.current = doc
            if self.timed:
                language = doc.metadata.get("language") or ""
                setup = 0.0 if language in self.warmed else SETUP_SECONDS
                self.warmed.add(language)
                _arm(self.budgeted.limits.seconds + setup)
            return doc


class Budgeted(PipelineStep):
    """`step` under a per-document budget (see the module's docstring). Its stats are the step's own, so the
    ledger and datatrove's stats files see the step, not the wrapper."""

    def __init__(self, step: PipelineStep, limits: Limits):
        super().__init__()
        self.wrapped, self.limits = step, limits
        self.name = step.name
        self.type = step.type
        self.stats = step.stats
        self.key = step_key(step)

    def fits(self, doc: Document) -> bool:
        """False, booked as dropped, for a text over the step's size budget."""
        if self.limits.max_chars and len(doc.text) > self.limits.max_chars:
            count_dropped(self.wrapped, doc, f"budget.size.{self.key}")
            return False
        return True

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        feed = _Feed(iter(data), self)
        documents = self.wrapped.run(feed, rank, world_size)
        while True:
            try:
                doc = next(documents)
                if feed.timed:
                    _disarm()
            except StopIteration:
                return
            except (Exception, OverBudget) as error:
                if feed.timed:
                    _disarm()
                if feed.upstream_failed or feed.current is None:
                    raise  # not a document's: the steps before this one, or this step's own set-up
                if isinstance(error, OverBudget):
                    count_dropped(self.wrapped, feed.current, f"budget.time.{self.key}")
                else:
                    count_errored(self.wrapped, feed.current, f"failed.{self.key}")
                documents.close()
                documents = self.wrapped.run(feed, rank, world_size)  # carries on with the next document
                continue
            feed.current = None
            yield doc


# the keys of every per-document step plan.document_steps can make (config.py checks `budget.steps` against them;
# tests/test_budget.py checks them against the plan)
STEP_KEYS = (
    "pre_language_check",
    "machine_translation_traces",
    "extract",
    "token_count",
    "language_id",
    "url_filter",
    "ng_host_filter",
    "junk_filter",
    "footer_trim",
    "pii_mask",
    "quality_filter",
    "decontamination",
    "quality_score",
    "minhash_signature",
)


def budgeted(steps: list[PipelineStep], seconds: float, max_chars: int, overrides: dict) -> list[PipelineStep]:
    """Each per-document step under its budget: `seconds` and `max_chars`, or its entry in `overrides`
    ({step key: {"seconds": s, "max_chars": n}})."""
    wrapped = []
    for step in steps:
        own = overrides.get(step_key(step), {})
        limits = Limits(float(own.get("seconds", seconds)), int(own.get("max_chars", max_chars)))
        wrapped.append(Budgeted(step, limits))
    return wrapped
