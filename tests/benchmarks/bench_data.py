"""Time the data layer on the shipped datasets: loading (with and without the checksum pass), splitting,
fingerprinting. Run: ``nice -n 5 .venv/bin/python tests/benchmarks/bench_data.py``. Prints a table."""

from __future__ import annotations

import time

from sigah import data as sdata


def timed(label: str, rows: list, fn):
    start = time.perf_counter()
    result = fn()
    rows.append((label, time.perf_counter() - start))
    return result


def main() -> None:
    rows: list[tuple[str, float]] = []
    timed("verify_checksums('mnist') (55 MB decompressed)", rows, lambda: sdata.verify_checksums("mnist"))
    sdata._VERIFIED.clear()
    timed("load_dataset('mnist'), first call (verifies)", rows, lambda: sdata.load_dataset("mnist"))
    mnist = timed("load_dataset('mnist'), cached verification", rows, lambda: sdata.load_dataset("mnist"))
    timed("load_dataset('mnist', verify=False)", rows, lambda: sdata.load_dataset("mnist", verify=False))
    protocol = timed("make_protocol(mnist) (1,000 / 69,000)", rows, lambda: sdata.make_protocol(mnist))
    timed("protocol.fingerprint(), first call", rows, protocol.fingerprint)
    timed("protocol.fingerprint(), cached", rows, protocol.fingerprint)
    small = timed("load_dataset('siftsmall'), first call (verifies)", rows, lambda: sdata.load_dataset("siftsmall"))
    timed("make_protocol(siftsmall)", rows, lambda: sdata.make_protocol(small))
    width = max(len(label) for label, _ in rows)
    print(f"{'step':<{width}}  seconds")
    for label, seconds in rows:
        print(f"{label:<{width}}  {seconds:7.3f}")


if __name__ == "__main__":
    main()
