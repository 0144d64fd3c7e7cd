from __future__ import annotations

from abc import ABC, abstractmethod

from monsoon.languages import Language


class SignalFamily(ABC):
    """A group of quality signals computed together from one text."""

    name: str
    signals: tuple[str, ...]  # the order in which bounds are checked
    # datatrove's Gopher filters read a bound of 0 as "no check" (FineWeb-2 switches checks off that way)
    zero_is_off: bool = False

    @abstractmethod
    def compute(self, text: str, language: Language) -> dict[str, float]:
        """All signals of this family, in `signals` order."""

    def rewrite(self, text: str, language: Language) -> str:
        """The text the families after this one see, and that is kept (most families leave it as it is)."""
        return text
