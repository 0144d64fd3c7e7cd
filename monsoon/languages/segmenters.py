"""Word and sentence segmenters, one per writing system family.

They implement datatrove's `WordTokenizer`, so datatrove code that takes a language can take them directly.
Unspaced scripts never go through whitespace splitting: Thai uses pythainlp's `newmm-safe` (plain `newmm`
can hang on long repeated runs), Japanese uses MeCab (fugashi) with the bundled unidic-lite dictionary
(spaCy's Japanese tokenizer leaks memory).
"""

from __future__ import annotations

import os
from functools import cache

import regex
from datatrove.utils.word_tokenizers import WordTokenizer, simple_span_tokenize, strip_strings

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")  # a failed corpus download would otherwise pass silently

# A word: letters/marks/digits, allowing inner apostrophes and hyphens; any other non-space run is a symbol token.
_WORD_OR_SYMBOL = regex.compile(r"[\p{L}\p{M}\p{N}]+(?:['’\-][\p{L}\p{M}\p{N}]+)*|[^\s\p{L}\p{M}\p{N}]+")
_SENTENCE_END = regex.compile(r"(?<=[.!?。．！？।])\s+|\n+|(?<=[。．！？])")
_LONG_TEXT_CHUNK = 20_000  # segment very long texts line-chunk by line-chunk to bound segmenter memory


def _line_chunks(text: str, size: int = _LONG_TEXT_CHUNK) -> list[str]:
    if len(text) <= size:
        return [text]
    chunks, current, length = [], [], 0
    for line in text.split("\n"):
        if length + len(line) > size and current:
            chunks.append("\n".join(current))
            current, length = [], 0
        current.append(line)
        length += len(line) + 1
    chunks.append("\n".join(current))
    return chunks


class _RegexSentences(WordTokenizer):
    def sent_tokenize(self, text: str) -> list[str]:
        return strip_strings(_SENTENCE_END.split(text))

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return list(simple_span_tokenize(text, self.sent_tokenize(text)))


class SpacedWordTokenizer(_RegexSentences):
    """Languages written with spaces between words (Latin, Tamil and other Brahmic scripts)."""

    def word_tokenize(self, text: str) -> list[str]:
        return _WORD_OR_SYMBOL.findall(text)


class _ChunkedSegmenter(_RegexSentences):
    """A dictionary or model segmenter for an unspaced script, fed line chunks of bounded size."""

    def _segment(self, chunk: str) -> list[str]:
        raise NotImplementedError

    def word_tokenize(self, text: str) -> list[str]:
        return strip_strings([word for chunk in _line_chunks(text) for word in self._segment(chunk)])


class ThaiWordTokenizer(_ChunkedSegmenter):
    """Thai words by pythainlp `newmm-safe`."""

    def _segment(self, chunk: str) -> list[str]:
        from pythainlp.tokenize import word_tokenize

        return word_tokenize(chunk, engine="newmm-safe", keep_whitespace=False)


_UNIDIC_LEMMA = 7  # index of the lemma (語彙素) in a UniDic feature row
# A ruby reading written inline, as Aozora Bunko and web-novel sites do: after kanji, 羅生門《らしょうもん》, or
# after a base marked by ｜, ｜ＡＩ《エーアイ》
_INLINE_RUBY = regex.compile(r"(?:(?<=[\p{Han}々])|(?<=｜[^｜《\n]{1,20}))《[\p{Hiragana}\p{Katakana}ー・／″＼]+》")


class JapaneseWordTokenizer(_ChunkedSegmenter):
    """Japanese short-unit words by MeCab (fugashi) with the unidic-lite dictionary."""

    def __init__(self) -> None:
        super().__init__()
        self._tagger = None
        self._old_forms = None

    def _words(self, chunk: str):
        if self._tagger is None:
            import fugashi

            self._tagger = fugashi.Tagger()
        return self._tagger(chunk)

    def _segment(self, chunk: str) -> list[str]:
        return [word.surface for word in self._words(chunk)]

    def lemma_tokenize(self, text: str) -> list[str]:
        """Dictionary forms (UniDic lemmas) of the words, so that spellings of one text compare equal for
        near-dedup: inflections, kanji or kana spellings (云う, 言う, いう), old character forms (kyūjitai, turned
        into today's by OpenCC's t2jp table: 舊 -> 旧, 當 -> 当) and inline ruby readings (dropped)."""
        if self._old_forms is None:
            import opencc

            self._old_forms = opencc.OpenCC("t2jp")
        text = self._old_forms.convert(_INLINE_RUBY.sub("", text))
        return strip_strings([_lemma(word) for chunk in _line_chunks(text) for word in self._words(chunk)])


def _lemma(word) -> str:
    # the raw feature row is ~2x faster to read than fugashi's feature tuple; fields before the lemma hold no
    # comma but for the comma itself, which shingles leave out anyway. Unknown words have no lemma.
    fields = word.feature_raw.split(",", _UNIDIC_LEMMA + 1)
    lemma = fields[_UNIDIC_LEMMA] if len(fields) > _UNIDIC_LEMMA else None
    return lemma if lemma and lemma != "*" else word.surface


class LaoWordTokenizer(_ChunkedSegmenter):
    """Lao words by laonlp (dictionary maximal matching on pythainlp's engine), as FineWeb-2."""

    def _segment(self, chunk: str) -> list[str]:
        from laonlp.tokenize import word_tokenize

        return word_tokenize(chunk)


@cache
def _khmer_word_tokenize():
    import logging

    logging.disable(logging.INFO)  # khmer-nltk logs its model path at INFO when imported
    try:
        from khmernltk import word_tokenize
    finally:
        logging.disable(logging.NOTSET)
    return word_tokenize


class KhmerWordTokenizer(_ChunkedSegmenter):
    """Khmer words by khmer-nltk's CRF model, as FineWeb-2 (slow: ~8 k chars/s)."""

    def _segment(self, chunk: str) -> list[str]:
        return _khmer_word_tokenize()(chunk)


class BurmeseWordTokenizer(_ChunkedSegmenter):
    """Burmese words by pyidaungsu's CRF model, as FineWeb-2."""

    def _segment(self, chunk: str) -> list[str]:
        import pyidaungsu

        return pyidaungsu.tokenize(chunk, form="word")


SEGMENTERS: dict[str, type[WordTokenizer]] = {
    "spaced": SpacedWordTokenizer,
    "thai": ThaiWordTokenizer,
    "japanese": JapaneseWordTokenizer,
    "lao": LaoWordTokenizer,
    "khmer": KhmerWordTokenizer,
    "burmese": BurmeseWordTokenizer,
}


# `datatrove:<code>`: datatrove's own word tokenizer for that language (assets/tokenizer_assignment.csv), the one
# FineWeb-2 counted words with (spaCy + pyvi for Vietnamese, spaCy for Malay, Indonesian, Filipino and English,
# Indic NLP for Tamil), where a monsoon segmenter would give other filter decisions
DATATROVE = "datatrove:"


def segmenter_class(name: str) -> type[WordTokenizer]:
    """The class of a segmenter name; an unknown name is an error naming the known ones."""
    if name.startswith(DATATROVE):
        from datatrove.utils.word_tokenizers import load_tokenizer_assignments

        code = name.removeprefix(DATATROVE)
        if code not in load_tokenizer_assignments():
            raise ValueError(f"datatrove has no word tokenizer for {code!r}")
        return WordTokenizer
    if name not in SEGMENTERS:
        known = ", ".join([*sorted(SEGMENTERS), f"{DATATROVE}<code>"])
        raise ValueError(f"unknown segmenter {name!r}; known: {known}")
    return SEGMENTERS[name]


@cache
def get_segmenter(name: str) -> WordTokenizer:
    """One segmenter instance per name and process (models load lazily, on first use)."""
    if name.startswith(DATATROVE):
        from datatrove.utils.word_tokenizers import load_word_tokenizer

        segmenter_class(name)
        return load_word_tokenizer(name.removeprefix(DATATROVE))
    return segmenter_class(name)()
