#!/usr/bin/env python3
"""Writes the halo demo's evaluation data: a `halo eval --data` directory (docs/data.md layout, HF row
schemas) for all six sweep tasks, drawn from the held-out parts of the demo's synthetic world
(tools/demo/demo_world.py). Standard library only; deterministic for a given --seed.

    python3 tools/demo/make_demo_data.py --seed 1 --out examples/halo-demo/data
    python3 tools/demo/make_demo_data.py --seed 2 --out /tmp/data2 --tokenizer examples/halo-demo/model

The world (animals, facts, which animals are held out from training questions) is fixed by the world
seed shared with training; --seed draws the rows: which held-out facts are asked, the distractors, the
actors of the everyday scripts, and fresh names and values for every retrieval document.

With --tokenizer DIR (the demo model's tokenizer.json) it also checks what halo will check: every
fda/swde prompt plus 48 generated tokens fits --max-length tokens, and the ruler_qa_squad haystacks
halo builds at --max-length (RULER's construction, tools/demo/ruler_prompts.py) fit, with the number of
documents per haystack it finds.
"""

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import demo_world as dw  # noqa: E402

# Row counts of the committed demo data (a few hundred per task); SQuAD: enough answerable questions
# for RULER's 500 prompts.
ROWS = dict(hellaswag=300, arc_easy=300, arc_challenge=200, fda=200, swde=200, squad_questions=520)
SMALL_ROWS = dict(hellaswag=12, arc_easy=12, arc_challenge=12, fda=12, swde=12, squad_questions=40)
FILES = dict(hellaswag="hellaswag/validation.jsonl", arc_easy="arc_easy/test.jsonl",
             arc_challenge="arc_challenge/test.jsonl", fda="fda/validation.jsonl", swde="swde/validation.jsonl",
             ruler_qa_squad="ruler_qa_squad/dev-v2.0.json")
BASED_MAX_NEW_TOKENS = 48


def make_rows(seed, rows=ROWS):
    """{task: rows} and the SQuAD document; one random stream per task, so changing one task's count
    leaves the others' rows as they were."""
    world = dw.World()

    def rng(task):
        return random.Random(f"{seed}/{task}")

    return dict(
        hellaswag=dw.hellaswag_rows(world, rng("hellaswag"), rows["hellaswag"]),
        arc_easy=dw.arc_easy_rows(world, rng("arc_easy"), rows["arc_easy"]),
        arc_challenge=dw.arc_challenge_rows(world, rng("arc_challenge"), rows["arc_challenge"]),
        fda=dw.based_rows(rng("fda"), "fda", rows["fda"]),
        swde=dw.based_rows(rng("swde"), "swde", rows["swde"]),
        ruler_qa_squad=dw.squad_file(rng("squad"), rows["squad_questions"]),
    )


def write_data(out, data):
    out = Path(out)
    for task, rel in FILES.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        with open(tmp, "w") as f:
            if task == "ruler_qa_squad":
                json.dump(data[task], f)
                f.write("\n")
            else:
                for row in data[task]:
                    f.write(json.dumps(row) + "\n")
        tmp.replace(path)


def check_lengths(data, count, max_length, ruler_samples=500):
    """Token-length facts of the data under `count`; raises ValueError when something does not fit."""
    import ruler_prompts
    report = {}
    for task in ("fda", "swde"):
        n = [count(r["text"]) for r in data[task]]
        report[task] = dict(max_prompt_tokens=max(n), mean_prompt_tokens=round(sum(n) / len(n), 1))
        if max(n) + BASED_MAX_NEW_TOKENS > max_length:
            raise ValueError(f"{task}: a prompt of {max(n)} tokens + {BASED_MAX_NEW_TOKENS} exceeds {max_length}")
    for task in ("hellaswag", "arc_easy", "arc_challenge"):
        if task == "hellaswag":
            ctx = [f"{r['activity_label']}: {r['ctx']}" for r in data[task]]
        else:
            ctx = [dw.arc_prompt(r["question"]) for r in data[task]]
        report[task] = dict(max_context_tokens=max(count(c) for c in ctx))
    samples = ruler_prompts.Builder(data["ruler_qa_squad"], count, max_length).samples(ruler_samples)
    lengths = [s["length"] for s in samples]
    report["ruler_qa_squad"] = dict(
        prompts=len(samples), num_docs=sorted({s["num_docs"] for s in samples}),
        gold_document=sorted({s["gold_document"] for s in samples}),
        max_length=max(lengths), mean_length=round(sum(lengths) / len(lengths), 1),
        answerable_questions=len(ruler_prompts.load_squad(data["ruler_qa_squad"])[1]))
    return report


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="the --data directory to write")
    ap.add_argument("--seed", type=int, default=1, help="draws the rows (default 1: the committed data)")
    ap.add_argument("--small", action="store_true", help="12 rows per task (a quick smoke test)")
    ap.add_argument("--tokenizer", help="demo model directory or tokenizer.json: check token lengths")
    ap.add_argument("--max-length", type=int, default=1024, help="the demo's window (default 1024)")
    args = ap.parse_args()
    data = make_rows(args.seed, SMALL_ROWS if args.small else ROWS)
    if args.tokenizer:
        from demo_bpe import ByteLevelBPE
        tok = ByteLevelBPE(args.tokenizer)
        report = check_lengths(data, tok.count, args.max_length, 40 if args.small else 500)
        print(json.dumps(report, indent=1))
    write_data(args.out, data)
    counts = {t: len(v) for t, v in data.items() if t != "ruler_qa_squad"}
    print(f"wrote {args.out}: {counts}, SQuAD {len(data['ruler_qa_squad']['data'])} articles", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
