#!/usr/bin/env python3
"""Copies a published layer sweep, keeping of each lm-eval log only its results: the `hf (...)`
header line and the table lines. The rows layer_analysis.py reads are unchanged (checked here with
its row pattern); the progress bars and log lines around them are dropped.

    trim_logs.py SRC_SWEEP DST_SWEEP [--raw RELATIVE_LOG ...]

--raw keeps the named logs (relative to SRC_SWEEP) byte for byte instead.
"""
import argparse
import os
import re
import shutil
import sys

ROW = re.compile(r"\|(?P<task>[^|]+)\s*\|\s*(?P<version>\d*)\s*\|[^|]*\|\s*\d+\s*\|(?P<context>[\w\d]*)"
                 r"\s*\|↑\s*\|\s*(?P<value>[-+]?\d+(?:\.\d+)?)")


def rows(lines):
    out, task = [], None
    for line in lines:
        if not line.strip().startswith("|"):
            continue
        m = ROW.search(line)
        if not m:
            continue
        if m.group("task").strip():
            task = m.group("task").strip()
        elif task is None:
            continue
        out.append((task, m.group("context"), m.group("value")))
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--raw", action="append", default=[])
    a = p.parse_args()
    for folder, _, files in sorted(os.walk(a.src)):
        for name in sorted(files):
            if not name.endswith(".log"):
                continue
            src = os.path.join(folder, name)
            rel = os.path.relpath(src, a.src)
            dst = os.path.join(a.dst, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if rel in a.raw:
                shutil.copyfile(src, dst)
                continue
            with open(src, encoding="utf-8") as f:  # universal newlines, as layer_analysis.py reads
                lines = f.read().split("\n")
            kept = [l for l in lines if l.startswith("hf (") or l.strip().startswith("|")]
            if rows(kept) != rows(lines) or not rows(kept):
                sys.exit(f"{src}: trimming would change the rows layer_analysis.py reads")
            with open(dst, "w", encoding="utf-8", newline="\n") as f:
                f.write("\n".join(kept) + "\n\n")


if __name__ == "__main__":
    main()
