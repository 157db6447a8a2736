#!/usr/bin/env python3
"""The expected ranking of sweep-8b-shaped/, computed independently of halo the way the reference
layer_analysis.py computes it (docs/lm-eval-rules.md §7.3 and §8): every table row its pattern
matches, per log, with the commonsense logs dropping each task's first row and the retrieval logs
keeping every row. So the original's retrieval average takes all 9 rows of its log. Run once; its
output is pasted into tests/select/test_rank_8b_shaped.cc.
"""
import os
import re

ROW = re.compile(r"\|(?P<task>[^|]+)\s*\|\s*(?P<version>\d*)\s*\|[^|]*\|\s*\d+\s*\|(?P<context>[\w\d]*)"
                 r"\s*\|↑\s*\|\s*(?P<value>[-+]?\d+(?:\.\d+)?)")


def average(path, skip_first):
    tasks, current = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip().startswith("|"):
                continue
            m = ROW.search(line)
            if not m:
                continue
            task = m.group("task").strip()
            if task:
                current = task
            if current is None:
                continue
            context = int(m.group("context")) if m.group("context").isdigit() else 0
            value = float(m.group("value"))
            if value >= 0:
                tasks.setdefault(current, []).append((context, value))
    values = []
    for entries in tasks.values():
        entries = sorted(entries, key=lambda e: e[0])
        values += [v for _, v in (entries[1:] if skip_first else entries)]
    return sum(values) / len(values), len(values)


root, model = "sweep-8b-shaped", "hypenet-8b-lightning"
n = len([d for d in os.listdir(f"{root}/{model}") if d.startswith("layer")])
cs = [average(f"{root}/{model}/layer{l}/commonsense_eval.log", True)[0] for l in range(n)]
rt = [average(f"{root}/{model}/layer{l}/retrieval_eval.log", False)[0] for l in range(n)]
cs_orig, cs_rows = average(f"{root}/original/commonsense_eval.log", True)
rt_orig, rt_rows = average(f"{root}/original/retrieval_eval.log", False)
halo = [min(50, (max(rt) - rt[l]) / (max(cs) - cs[l] + 1e-10)) for l in range(n)]
jet = [rt_orig - rt[l] for l in range(n)]
k = int(0.25 * n + 0.5)
for name, score in (("HALO", halo), ("jet-nemotron", jet)):
    order = sorted(range(n), key=lambda l: (-score[l], l))
    print(f"{name} order: {order}")
    print(f"{name} top {k}: {sorted(order[:k])}")
    print(f"{name} scores: {[float('%.13g' % s) for s in score]}")
print(f"original rows averaged: commonsense {cs_rows}, retrieval {rt_rows}")
print(f"baselines: commonsense {cs_orig!r}, retrieval {rt_orig!r}")
