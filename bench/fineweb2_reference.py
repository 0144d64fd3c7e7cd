"""The published recipes as datatrove itself runs them: FineWeb-2's per-language filter chain and FineWeb's (English),
with datatrove's own filters and word tokenizers. Shared by bench/fidelity.py and bench/run.py.

The per-language values are transcribed here from huggingface/fineweb-2's configs/{lang}.yml (the commit is named
beside each language) and the five settings its fineweb-2-pipeline.py hard-codes (commit 7ee60b3): independent of
monsoon's language files, so that comparing the two means something.
"""

from __future__ import annotations

import os
from functools import cache

from datatrove.pipeline.filters import (
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
    URLFilter,
)
from datatrove.pipeline.filters.base_filter import BaseFilter

PIPELINE_COMMIT = "7ee60b3693872b2fde3a6cfbd2cf2b24fbbc5f48"  # huggingface/fineweb-2 fineweb-2-pipeline.py

# configs/{lang}.yml: (commit, dup_line_frac, top 2..4-gram, dup 5..10-gram, line_punct_thr, new_line_ratio,
# min/max avg word length, max_non_alpha_words_ratio, stop words)
CONFIGS: dict[str, dict] = {
    "tha_Thai": {
        "commit": "05e6729567a5df985fbd814e862c48f796feb09f",
        "dup_line_frac": 0.349,
        "top_n_grams": ((2, 0.221), (3, 0.197), (4, 0.162)),
        "dup_n_grams": ((5, 0.185), (6, 0.168), (7, 0.152), (8, 0.137), (9, 0.124), (10, 0.111)),
        "line_punct_thr": 0.0,
        "new_line_ratio": 0.153,
        "min_avg_word_length": 2,
        "max_avg_word_length": 10,
        "max_non_alpha_words_ratio": 0.9,
        "stopwords": ["ใน", "ที่", "และ", "ของ", "เป็น", "มี", "การ", "ได้"],
    },
    "jpn_Jpan": {
        "commit": "d331bee82ee206aebbaba04db4283154291c1c74",
        "dup_line_frac": 0.328,
        "top_n_grams": ((2, 0.239), (3, 0.196), (4, 0.172)),
        "dup_n_grams": ((5, 0.243), (6, 0.225), (7, 0.207), (8, 0.19), (9, 0.175), (10, 0.159)),
        "line_punct_thr": 0.096,
        "new_line_ratio": 0.13,
        "min_avg_word_length": 1,
        "max_avg_word_length": 6,
        "max_non_alpha_words_ratio": 0.759,
        "stopwords": ["の", "に", "を", "は", "た", "て", "が", "と", "で", "年", "し", "・", "月", "れ", "さ"],
    },
    "vie_Latn": {
        "commit": "05e6729567a5df985fbd814e862c48f796feb09f",
        "dup_line_frac": 0.293,
        "top_n_grams": ((2, 0.223), (3, 0.197), (4, 0.171)),
        "dup_n_grams": ((5, 0.178), (6, 0.163), (7, 0.15), (8, 0.136), (9, 0.124), (10, 0.111)),
        "line_punct_thr": 0.333,
        "new_line_ratio": 0.103,
        "min_avg_word_length": 3,
        "max_avg_word_length": 11,
        "max_non_alpha_words_ratio": 0.803,
        "stopwords": ["là", "và", "của", "một", "được", "trong", "năm", "các", "có", "loài", "này", "đã", "người"],
    },
    "ind_Latn": {
        "commit": "d331bee82ee206aebbaba04db4283154291c1c74",
        "dup_line_frac": 0.241,
        "top_n_grams": ((2, 0.194), (3, 0.166), (4, 0.145)),
        "dup_n_grams": ((5, 0.166), (6, 0.155), (7, 0.144), (8, 0.133), (9, 0.122), (10, 0.111)),
        "line_punct_thr": 0.111,
        "new_line_ratio": 0.157,
        "min_avg_word_length": 3,
        "max_avg_word_length": 12,
        "max_non_alpha_words_ratio": 0.805,
        "stopwords": ["dan", "yang", "di", "pada", "dari", "ini", "dengan", "adalah", "untuk", "dalam"],
    },
    "zsm_Latn": {
        "commit": "d331bee82ee206aebbaba04db4283154291c1c74",
        "dup_line_frac": 0.331,
        "top_n_grams": ((2, 0.264), (3, 0.252), (4, 0.225)),
        "dup_n_grams": ((5, 0.185), (6, 0.176), (7, 0.166), (8, 0.156), (9, 0.145), (10, 0.134)),
        "line_punct_thr": 0.125,
        "new_line_ratio": 0.214,
        "min_avg_word_length": 3,
        "max_avg_word_length": 11,
        "max_non_alpha_words_ratio": 0.808,
        "stopwords": ["dan", "di", "yang", "pada", "dalam", "dengan", "untuk", "ini"],
    },
    "tam_Taml": {
        "commit": "d331bee82ee206aebbaba04db4283154291c1c74",
        "dup_line_frac": 0.276,
        "top_n_grams": ((2, 0.23), (3, 0.212), (4, 0.19)),
        "dup_n_grams": ((5, 0.149), (6, 0.14), (7, 0.132), (8, 0.123), (9, 0.114), (10, 0.104)),
        "line_punct_thr": 0.125,
        "new_line_ratio": 0.195,
        "min_avg_word_length": 4,
        "max_avg_word_length": 37,
        "max_non_alpha_words_ratio": 0.779,
        "stopwords": [
            "மற்றும்", "ஒரு", "இந்த", "ஆம்", "இது", "என்ற", "இவர்", "உள்ள", "ஆகும்", "ஆண்டு", "அல்லது",
            "என்பது", "முதல்", "உள்ளது", "என்று", "இந்திய", "மக்கள்", "ஊராட்சி", "இல்", "இருந்து", "மேலும்", "பல",
        ],
    },
    "tgl_Latn": {  # FineWeb-2 calls it fil_Latn
        "commit": "05e6729567a5df985fbd814e862c48f796feb09f",
        "dup_line_frac": 0.263,
        "top_n_grams": ((2, 0.286), (3, 0.228), (4, 0.179)),
        "dup_n_grams": ((5, 0.15), (6, 0.141), (7, 0.129), (8, 0.119), (9, 0.11), (10, 0.1)),
        "line_punct_thr": 0.091,
        "new_line_ratio": 0.159,
        "min_avg_word_length": 3,
        "max_avg_word_length": 12,
        "max_non_alpha_words_ratio": 0.821,
        "stopwords": ["ng", "sa", "ang", "na", "mga", "ay", "at", "isang", "noong"],
    },
    "khm_Khmr": {
        "commit": "d331bee82ee206aebbaba04db4283154291c1c74",
        "dup_line_frac": 0.917,
        "top_n_grams": ((2, 0.594), (3, 0.523), (4, 0.438)),
        "dup_n_grams": ((5, 0.175), (6, 0.16), (7, 0.148), (8, 0.135), (9, 0.121), (10, 0.109)),
        "line_punct_thr": 0.0,
        "new_line_ratio": 0.361,
        "min_avg_word_length": 2,
        "max_avg_word_length": 13,
        "max_non_alpha_words_ratio": 0.905,
        "stopwords": ["មាន", "បាន", "ដែល", "ជា", "និង", "នៅ", "របស់", "ក្នុង", "ថា", "នេះ", "នៃ", "ហើយ", "ទៅ", "ដោយ"],
    },
    "lao_Laoo": {
        "commit": "05e6729567a5df985fbd814e862c48f796feb09f",
        "dup_line_frac": 0.327,
        "top_n_grams": ((2, 0.198), (3, 0.175), (4, 0.143)),
        "dup_n_grams": ((5, 0.187), (6, 0.175), (7, 0.163), (8, 0.149), (9, 0.135), (10, 0.123)),
        "line_punct_thr": 0.0,
        "new_line_ratio": 0.2,
        "min_avg_word_length": 2,
        "max_avg_word_length": 9,
        "max_non_alpha_words_ratio": 0.85,
        "stopwords": ["\u200b", "ແລະ", "ໃນ", "ຂອງ", "ເປັນ", "ທີ່", "ໄດ້", "ມີ"],
    },
    "mya_Mymr": {
        "commit": "d331bee82ee206aebbaba04db4283154291c1c74",
        "dup_line_frac": 0.278,
        "top_n_grams": ((2, 0.161), (3, 0.152), (4, 0.133)),
        "dup_n_grams": ((5, 0.167), (6, 0.155), (7, 0.145), (8, 0.134), (9, 0.124), (10, 0.113)),
        "line_punct_thr": 0.0,
        "new_line_ratio": 0.07,
        "min_avg_word_length": 2,
        "max_avg_word_length": 21,
        "max_non_alpha_words_ratio": 0.75,
        "stopwords": [
            "သည်", "များ", "ကို", "တွင်", "ဖြစ်", "၏", "သော", "ခဲ့", "နှင့်", "ရှိ", "တို့", "မှာ", "ဦး", "၌", "က", "မ", "မှ",
        ],
    },
}  # fmt: skip
# datatrove's word tokenizer for each language (assets/tokenizer_assignment.csv): FineWeb-2 names fil_Latn
TOKENIZER_CODE = {"tgl_Latn": "fil_Latn"}


def fineweb2_filters(code: str) -> list[BaseFilter]:
    """FineWeb-2's filtering step for one language (fineweb-2-pipeline.py, step 5), in its order."""
    config = CONFIGS[code]
    language = TOKENIZER_CODE.get(code, code)
    return [
        GopherRepetitionFilter(
            language=language,
            dup_para_frac=0,
            dup_line_char_frac=0,
            dup_para_char_frac=0,
            dup_line_frac=config["dup_line_frac"],
            top_n_grams=config["top_n_grams"],
            dup_n_grams=config["dup_n_grams"],
        ),
        FineWebQualityFilter(
            language=language,
            short_line_thr=999,
            char_duplicates_ratio=0.1,
            line_punct_thr=config["line_punct_thr"],
            new_line_ratio=config["new_line_ratio"],
        ),
        GopherQualityFilter(
            language=language,
            max_avg_word_length=config["max_avg_word_length"],
            min_avg_word_length=config["min_avg_word_length"],
            stop_words=config["stopwords"],
            max_non_alpha_words_ratio=config["max_non_alpha_words_ratio"],
            min_stop_words=2,
        ),
    ]


@cache
def url_filter() -> URLFilter:
    """datatrove's URLFilter as FineWeb runs it (its defaults), one per process: it holds 4.56 M domains in a
    set (~800 MB), loaded at its first document. tldextract reads its bundled suffix list (no download), as
    monsoon's does."""
    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""  # read when the filter's TLDExtract is built
    return URLFilter()


def fineweb_filters() -> list[BaseFilter]:
    """FineWeb's (English) filters, in its order (huggingface/datatrove examples/fineweb.py, commit 05194d3): the
    URL filter (FineWeb runs it before extraction and LID; it reads only the URL), then after LID datatrove's
    defaults but C4's terminal-punctuation line filter."""
    return [
        url_filter(),
        GopherRepetitionFilter(),
        GopherQualityFilter(),
        C4QualityFilter(filter_no_terminal_punct=False),
        FineWebQualityFilter(),
    ]


def reference_filters(code: str) -> list[BaseFilter]:
    """The published filter chain of a language. FineWeb-2's input was FineWeb's non-English output, which had
    passed FineWeb's URL filter (fineweb-2-pipeline.py @7ee60b3, step 1) before LID: it comes first here too."""
    return fineweb_filters() if code == "eng_Latn" else [url_filter(), *fineweb2_filters(code)]


def reference_decision(filters: list[BaseFilter], text: str, url: str | None = None) -> tuple[bool, str]:
    """(kept, reason) of a text (from `url`) through the filters, as datatrove's pipeline decides it: the first
    filter that says no gives the reason `<filter name>:<its reason>`. C4 rewrites the text for the filters after
    it. A text without a URL skips the URL filter (datatrove's fails on it; a crawled page always has one)."""
    from datatrove.data import Document

    doc = Document(text=text, id="0", metadata={"url": url} if url else {})
    for step in filters:
        if isinstance(step, URLFilter) and not url:
            continue
        verdict = step.filter(doc)
        kept, reason = verdict if isinstance(verdict, tuple) else (verdict, "")
        if not kept:
            return False, f"{type(step).__name__}:{reason}"
    return True, ""
