"""Footer trimming (Swallow corpus, `footer.py`) for languages whose YAML has a `footer`: among the text's last lines,
everything from the first line mostly made of footer keywords ("All rights reserved", "プライバシーポリシー") on is
cut. Runs after language identification (the keywords are the language's) and before the quality filters; a
trimmed document's tokens are counted again, so the accounting counts the text that is kept."""

from __future__ import annotations

from functools import cache

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from monsoon.languages import FooterSpec, get_language, read_word_file
from monsoon.stages.token_count import set_text
from monsoon.tokens import LLAMA3


@cache
def _keywords_longest_first(name: str) -> tuple[str, ...]:
    # Swallow breaks ties between keywords of one length in set order, which varies between runs; here by spelling
    return tuple(sorted(read_word_file(name), key=lambda word: (-len(word), word)))


def keyword_frac(line: str, keywords: tuple[str, ...]) -> float:
    """Share of the line's characters removed by deleting every keyword from it, longest keywords first."""
    rest = line
    for keyword in keywords:
        rest = rest.replace(keyword, "")
    return (len(line) - len(rest)) / len(line) if line else 0.0


def trim_footer(text: str, footer: FooterSpec) -> str:
    """The text up to the first of its last `footer.last_lines` lines ("\\n"-separated) whose keyword share is above
    `footer.min_keyword_frac`; the whole text if there is none."""
    keywords = _keywords_longest_first(footer.keywords)
    lines = text.split("\n")
    for i in range(max(0, len(lines) - footer.last_lines), len(lines)):
        if keyword_frac(lines[i], keywords) > footer.min_keyword_frac:
            return "\n".join(lines[:i])
    return text


class FooterTrim(PipelineStep):
    name = "✂ Footer trim"

    def __init__(self, tokenizer: str = LLAMA3):
        super().__init__()
        self.tokenizer = tokenizer

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            footer = get_language(doc.metadata["language"]).footer
            if footer is not None:
                with self.track_time():
                    trimmed = trim_footer(doc.text, footer)
                    if trimmed != doc.text:
                        self.stat_update("trimmed")
                        self.stat_update("trimmed_chars", value=len(doc.text) - len(trimmed))
                        if not set_text(self, doc, trimmed, self.tokenizer):
                            continue
            yield doc
