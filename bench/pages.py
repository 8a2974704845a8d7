"""Extraction of very large pages beside trafilatura.extract, in the same run.

    make bench-pages      (python bench/pages.py)

Synthetic pages of n paragraphs, n list items and n/10 headings in elements trafilatura knows by no
name (it then gathers the paragraphs one by one, and paperboy reads the element again), and pages of
paragraphs alone, in two blocks. For each size: seconds for trafilatura.extract and for paperboy's
extract, and their ratio. A ratio that grows with n is work that grows faster than the page.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trafilatura  # noqa: E402

from paperboy.extractors import extract  # noqa: E402

SIZES = (1000, 4000, 16000)


def _paragraphs(n: int) -> str:
    return "".join(
        f"<p>Paragraph {i} of the long page says something that no other paragraph says, about item {i * 7}.</p>"
        for i in range(n)
    )


def structured(n: int) -> str:
    items = "".join(f"<li>List entry number {i} with a few words {i * 3}</li>" for i in range(n))
    heads = "".join(f"<h3>Heading {i} of the sections here</h3>" for i in range(n // 10))
    return (
        f"<html><body><div class='a'><div class='b'>{_paragraphs(n)}{heads}<ul>{items}</ul></div></div></body></html>"
    )


def flat(n: int) -> str:
    ps = _paragraphs(n)
    again = ps[: len(ps) // 3]
    return f"<html><body><div class='a'>{ps}</div><div class='z'><div class='y'>{again}</div></div></body></html>"


def seconds(fn, page: str) -> float:
    start = time.perf_counter()
    fn(page)
    return time.perf_counter() - start


def main() -> int:
    extract(structured(300), "https://pages.example.org/warm")  # imports, models and first use, untimed
    trafilatura.extract(structured(300))
    print(f"{'page':<12} {'n':>6} {'MB':>5} {'trafilatura s':>13} {'paperboy s':>10} {'ratio':>6}")
    ratios = []
    for make in (structured, flat):
        for n in SIZES:
            page = make(n)
            base = seconds(trafilatura.extract, page)
            ours = seconds(lambda p: extract(p, "https://pages.example.org/long"), page)
            ratios.append(ours / base)
            print(f"{make.__name__:<12} {n:>6} {len(page) / 1e6:>5.1f} {base:>13.2f} {ours:>10.2f} {ours / base:>6.2f}")
    print(f"ratio to trafilatura.extract: {min(ratios):.2f}-{max(ratios):.2f}x over {len(ratios)} pages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
