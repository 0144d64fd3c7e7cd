from __future__ import annotations

from abc import ABC, abstractmethod

from monsoon.languages import Language


class SignalFamily(ABC):
    """A group of quality signals computed together from one text."""

    name: str
    signals: tuple[str, ...]  # the order in which bounds are checked

    @abstractmethod
    def compute(self, text: str, language: Language) -> dict[str, float]:
        """All signals of this family, in `signals` order."""
