"""Decode page bytes: the declared charset (HTTP header, then <meta>), else UTF-8, else a detector's guess."""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([a-zA-Z0-9_.:-]+)", re.IGNORECASE)
# What browsers actually decode these labels as (WHATWG encoding standard): supersets of the declared charset.
_SUPERSET_LABELS = {
    "shift_jis": "cp932",
    "iso-8859-1": "cp1252",
    "ascii": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc-kr": "cp949",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "big5": "big5hkscs",
}
_SUPERSETS = {codecs.lookup(label).name: superset for label, superset in _SUPERSET_LABELS.items()}
MAX_REPLACEMENT_SHARE = 0.01
_ISO2022_JP_ESCAPE = re.compile(rb"\x1b\$[@B]")
# UTF-7 and the *_escape codecs decode to code units, so a page can smuggle in a lone surrogate (`+2AA-`), which no
# UTF-8 encoder, fastText's included, accepts: it becomes U+FFFD like any undecodable byte
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


# Web labels Python's codec registry does not know.
_WEB_LABELS = {"x-sjis": "cp932", "windows-31j": "cp932", "x-euc-jp": "euc_jp", "windows-874": "cp874"}


def codec_for_label(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    try:
        info = codecs.lookup(_WEB_LABELS.get(label, label))
    except LookupError:
        return None
    # Python's "undefined" codec raises on every input; bytes-to-bytes codecs (base64, zlib) decode no text
    if info.name == "undefined" or not info._is_text_encoding:
        return None
    return _SUPERSETS.get(info.name, info.name)


def declared_charset(payload: bytes, content_type: str) -> str | None:
    """The codec named by the HTTP Content-Type, else by a <meta> tag in the first 4 KB."""
    if match := _HEADER_CHARSET.search(content_type or ""):
        if codec := codec_for_label(match.group(1)):
            return codec
    if match := _META_CHARSET.search(payload[:4096]):
        return codec_for_label(match.group(1).decode("ascii", "ignore"))
    return None


def is_wide(payload: bytes, content_type: str = "") -> bool:
    """The page is UTF-16 or UTF-32 (a byte-order mark, or declared): NUL bytes are its text, not binary data."""
    if payload.startswith(_UTF16_BOMS):
        return True
    codec = declared_charset(payload, content_type) or ""
    return codec.startswith(("utf-16", "utf-32"))


def decode_html(payload: bytes, content_type: str = "") -> tuple[str | None, str | None]:
    """(text, codec used); text is None when no charset decodes the bytes without heavy damage."""
    text, codec = _decode(payload, content_type)
    if text is not None and codec != "utf-8":  # strict UTF-8 never yields a surrogate
        text = _LONE_SURROGATE.sub("\ufffd", text)
    return text, codec


def _decode(payload: bytes, content_type: str) -> tuple[str | None, str | None]:
    if payload.startswith(codecs.BOM_UTF8):
        return payload[3:].decode("utf-8", "replace"), "utf-8"
    if payload.startswith(_UTF16_BOMS):
        return payload.decode("utf-16", "replace"), "utf-16"
    candidates = [declared_charset(payload, content_type), "utf-8"]
    if _ISO2022_JP_ESCAPE.search(payload[:65536]):  # 7-bit, so it would pass as UTF-8: its escapes give it away
        candidates.insert(1, "iso2022_jp")
    for codec in candidates:
        if codec:
            try:
                return payload.decode(codec), codec
            except (UnicodeError, LookupError):
                continue
    import cchardet

    guess = codec_for_label(cchardet.detect(payload[:65536]).get("encoding"))
    for codec in filter(None, [guess, candidates[0], "utf-8"]):
        text = payload.decode(codec, "replace")
        if text.count("\ufffd") <= MAX_REPLACEMENT_SHARE * len(text):
            return text, codec
    return None, None
