#!/usr/bin/env python3
"""Writes a `--data` directory (docs/data.md layout, HF row schema) for all six sweep tasks with the
real datasets' row counts and roughly their text lengths, made of English words drawn at random.

It exists to time `halo sweep` at full size where the real datasets cannot be downloaded (the GPU
machine has no network). The scores it yields mean nothing; the amount of work per variant is what
the real data asks for (docs/PERFORMANCE.md states the lengths assumed). Standard library only.

  make_synthetic_data.py OUT_DIR [--seed N]
"""
import argparse
import collections
import json
import random
import re
import sys
from pathlib import Path

# (rows, words per field): row counts are the real splits' (docs/data.md); lengths approximate the
# real data in words (about 1.3 Qwen3 tokens per English word).
HELLASWAG_ROWS, HELLASWAG_CTX_A, HELLASWAG_CTX_B, HELLASWAG_ENDING = 10042, (20, 45), (4, 10), (12, 30)
ARC_ROWS = {"arc_easy": 2376, "arc_challenge": 1172}
ARC_QUESTION, ARC_CHOICE = (10, 40), (1, 8)
SQUAD_ARTICLES, SQUAD_PARAGRAPHS, SQUAD_PARAGRAPH, SQUAD_QAS = 35, 1204, (80, 160), 5
BASED_ROWS = {"fda": 1102, "swde": 1111}
BASED_TEXT = {"fda": (1200, 1700), "swde": (600, 950)}


def vocabulary():
    """Words of the Python standard library's sources, weighted by frequency."""
    counts = collections.Counter()
    for p in sorted(Path(random.__file__).parent.glob("*.py")):
        counts.update(w.lower() for w in re.findall(r"[A-Za-z]{2,12}", p.read_text(errors="replace")))
    words = sorted(counts)
    return words, [counts[w] for w in words]


class Text:
    def __init__(self, rng):
        self.rng = rng
        self.words, self.weights = vocabulary()

    def words_(self, n):
        return self.rng.choices(self.words, self.weights, k=n)

    def sentence(self, lo, hi):
        w = self.words_(self.rng.randint(lo, hi))
        return " ".join([w[0].capitalize()] + w[1:]) + "."

    def prose(self, lo, hi):
        """lo..hi words as sentences of 8-20 words."""
        target, out = self.rng.randint(lo, hi), []
        while sum(len(s.split()) for s in out) < target:
            out.append(self.sentence(8, 20))
        return " ".join(out)


def write_jsonl(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def hellaswag(t):
    for i in range(HELLASWAG_ROWS):
        endings = [t.sentence(*HELLASWAG_ENDING).lower() for _ in range(4)]
        yield dict(ind=i, activity_label=" ".join(t.words_(2)).title(), ctx_a=t.prose(*HELLASWAG_CTX_A),
                   ctx_b=" ".join(t.words_(t.rng.randint(*HELLASWAG_CTX_B))), endings=endings,
                   source_id=f"synthetic~{i}", split="val", split_type="indomain",
                   label=str(t.rng.randrange(4)))


def arc(t, rows, name):
    for i in range(rows):
        labels = ["A", "B", "C", "D"] if t.rng.random() < 0.95 else ["1", "2", "3", "4"]
        yield dict(id=f"{name}_{i}", question=t.sentence(*ARC_QUESTION)[:-1] + "?",
                   choices=dict(text=[" ".join(t.words_(t.rng.randint(*ARC_CHOICE))) for _ in labels],
                                label=labels),
                   answerKey=t.rng.choice(labels))


def squad(t):
    per_article = [SQUAD_PARAGRAPHS // SQUAD_ARTICLES + (a < SQUAD_PARAGRAPHS % SQUAD_ARTICLES)
                   for a in range(SQUAD_ARTICLES)]
    data = []
    for a, n in enumerate(per_article):
        paragraphs = []
        for p in range(n):
            context = t.prose(*SQUAD_PARAGRAPH)
            qas = []
            for q in range(SQUAD_QAS):
                words = context.split()
                start = t.rng.randrange(len(words) - 3)
                answer = " ".join(words[start:start + t.rng.randint(1, 3)]).rstrip(".")
                qas.append(dict(question=t.sentence(6, 14)[:-1] + "?", id=f"{a}-{p}-{q}",
                                answers=[dict(text=answer, answer_start=context.find(answer))] * 3,
                                is_impossible=False))
            qas.append(dict(question=t.sentence(6, 14)[:-1] + "?", id=f"{a}-{p}-x", answers=[],
                            plausible_answers=[], is_impossible=True))
            paragraphs.append(dict(context=context, qas=qas))
        data.append(dict(title=f"Article_{a}", paragraphs=paragraphs))
    return dict(version="v2.0", data=data)


def based(t, name):
    for i in range(BASED_ROWS[name]):
        key = " ".join(t.words_(t.rng.randint(1, 3)))
        value = " ".join(t.words_(t.rng.randint(1, 4)))
        body = t.prose(*BASED_TEXT[name])
        yield dict(doc_id=str(i), file_name=f"synthetic_{i}.txt", key=key, value=value,
                   text=f"{body} {key}: {value}. {t.prose(20, 60)}\n{key}:")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    out = Path(a.out)
    t = Text(random.Random(a.seed))
    write_jsonl(out / "hellaswag" / "validation.jsonl", hellaswag(t))
    for name, rows in ARC_ROWS.items():
        write_jsonl(out / name / "test.jsonl", arc(t, rows, name))
    (out / "ruler_qa_squad").mkdir(parents=True, exist_ok=True)
    (out / "ruler_qa_squad" / "dev-v2.0.json").write_text(json.dumps(squad(t)))
    for name in BASED_ROWS:
        write_jsonl(out / name / "validation.jsonl", based(t, name))
    print(f"wrote synthetic data to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
