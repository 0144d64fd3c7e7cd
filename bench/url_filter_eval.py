"""FineWeb's URL filter: monsoon's (stages/url_filter.py) against datatrove's own URLFilter, in time and memory.

Each case runs in its own process: monsoon with an empty cache (the hash arrays are built from datatrove's asset),
monsoon with the cache built (memory-mapped), datatrove's URLFilter (its lists into Python sets). Printed per case:
seconds to get ready, resident memory once ready and after deciding every URL of bench/fidelity.py's real and built
sets, peak memory, and microseconds per URL. `python bench/url_filter_eval.py`
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def _status_mib(field: str) -> float:
    """VmRSS (resident now) or VmHWM (peak) of this process; unlike ru_maxrss, the peak is not inherited from the
    parent across fork and exec."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field)) / 1024


def _rss_mib() -> float:
    return _status_mib("VmRSS")


def _child(case: str, urls_file: str) -> dict:
    urls = json.loads(Path(urls_file).read_text(encoding="utf-8")) * 5
    base = _rss_mib()
    started = time.perf_counter()
    if case == "datatrove":
        from datatrove.data import Document
        from fineweb2_reference import url_filter

        step = url_filter()
        step.download_data()
        ready = time.perf_counter() - started

        def decide(url: str) -> object:
            return step.filter(Document(text="", id="0", metadata={"url": url}))
    else:
        from monsoon.languages import get_language
        from monsoon.stages.url_filter import blocklist_arrays, url_filter_reason

        spec = get_language("eng_Latn").url_filter
        blocklist_arrays()
        url_filter_reason("https://example.com/", spec)  # the word lists and the suffix list
        ready = time.perf_counter() - started

        def decide(url: str) -> object:
            return url_filter_reason(url, spec)

    rss_ready = _rss_mib()
    started = time.perf_counter()
    for url in urls:
        decide(url)
    per_url = (time.perf_counter() - started) / len(urls)
    return {
        "ready_s": round(ready, 2),
        "rss_ready_mib": round(rss_ready - base),
        "rss_after_mib": round(_rss_mib() - base),
        "peak_rss_mib": round(_status_mib("VmHWM")),
        "us_per_url": round(per_url * 1e6, 1),
        "urls": len(urls),
    }


def main() -> None:
    from fidelity import built_urls, real_urls  # built here, so the children's peak memory is the filters' own

    with tempfile.TemporaryDirectory() as cache:
        urls_file = Path(cache) / "urls.json"
        urls_file.write_text(json.dumps([url for _, url in real_urls() + built_urls()]), encoding="utf-8")
        env = {
            **os.environ,
            "MONSOON_CACHE_DIR": cache,
            "PYTHONPATH": os.pathsep.join([str(BENCH.parent), str(BENCH)]),
        }
        print(f"{'case':<28} {'ready s':>8} {'RSS ready':>10} {'RSS after':>10} {'peak RSS':>9} {'us/URL':>7}")
        for case, label in (
            ("monsoon", "monsoon, cache empty"),
            ("monsoon", "monsoon, cache built"),
            ("datatrove", "datatrove URLFilter"),
        ):
            out = subprocess.run(
                [sys.executable, __file__, "--child", case, str(urls_file)],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            ).stdout
            r = json.loads(out.split("RESULT ", 1)[1])
            print(
                f"{label:<28} {r['ready_s']:>8} {r['rss_ready_mib']:>9}M {r['rss_after_mib']:>9}M"
                f" {r['peak_rss_mib']:>8}M {r['us_per_url']:>7}"
            )
        print("RSS ready/after: resident MiB above the process's own before the filter is loaded; peak: the whole")
        cached = sorted(f"{p.name} ({p.stat().st_size / 2**20:.1f} MiB)" for p in Path(cache).glob("*.npy"))
        print(f"process. {r['urls']} URL decisions per case. Cache: " + ", ".join(cached))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print("RESULT " + json.dumps(_child(sys.argv[2], sys.argv[3])))
    else:
        main()
