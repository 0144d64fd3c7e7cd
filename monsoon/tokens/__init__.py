"""Token counting with a real LLM tokenizer, offline by default.

`llama3` (default): Meta's Llama 3 tokenizer as shipped in the `llama-models` wheel, the tokenizer SEA-LION's
mix table counts with. Any other value: an HF `tokenizer.json` path, local or a URI (s3://...), or a Hugging Face
hub name (which needs the network, so only when the user asks for it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LLAMA3 = "llama3"


@dataclass(frozen=True)
class TokenCounter:
    name: str  # recorded in the output files' metadata
    count: Callable[[str], int]
    encode: Callable[[str], list[int]]  # the token ids (benchmark decontamination matches token n-grams)
    token_bytes: Callable[[int], int]  # the UTF-8 bytes of one token id (a byte-fallback piece: its bytes)


@cache
def load_token_counter(spec: str = LLAMA3) -> TokenCounter:
    if spec == LLAMA3:
        from importlib.metadata import version

        from llama_models.llama3.tokenizer import Tokenizer

        tokenizer = Tokenizer.get_instance()
        return TokenCounter(
            name=f"llama3 (llama-models {version('llama-models')} llama3/tokenizer.model)",
            count=lambda text: len(tokenizer.encode(text, bos=False, eos=False)),
            encode=lambda text: tokenizer.encode(text, bos=False, eos=False),
            token_bytes=lambda token: len(tokenizer.model.decode_single_token_bytes(token)),
        )
    from tokenizers import Tokenizer as HFTokenizer

    if "://" in spec:  # a tokenizer.json in object storage (s3://...), read through fetch.py
        from monsoon import fetch

        hf = HFTokenizer.from_str(fetch.read_text(spec))
    else:
        hf = HFTokenizer.from_file(spec) if Path(spec).is_file() else HFTokenizer.from_pretrained(spec)
    return TokenCounter(
        name=spec,
        count=lambda text: len(hf.encode(text, add_special_tokens=False).ids),
        encode=lambda text: hf.encode(text, add_special_tokens=False).ids,
        token_bytes=lambda token: len(hf.decode([token]).encode()),  # a partial character decodes to U+FFFD
    )
