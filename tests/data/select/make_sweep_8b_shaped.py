#!/usr/bin/env python3
"""Writes sweep-8b-shaped/: a synthetic layer sweep shaped like the published HypeNet-8B one
(36 layers, Qwen3-8B's count), tables only. As in the published 8B sweep, the original's retrieval
run evaluated all six tasks, so original/retrieval_eval.log holds the commonsense table (acc and
acc_norm rows) as well as the retrieval one; every layer's retrieval log holds only fda,
ruler_qa_squad and swde. The numbers are made up (a fixed seed), chosen so that no two layers tie.

    python3 make_sweep_8b_shaped.py        # from this folder; rewrites sweep-8b-shaped/
"""
import os
import random
import shutil

LAYERS = 36
MODEL = "hypenet-8b-lightning"
HEADER = ("hf (pretrained=/models/{},dtype=bfloat16), gen_kwargs: (None), limit: None, "
          "num_fewshot: 0, batch_size: {}\n")
UP, PM = "\u2191", "\u00b1"


def commonsense_table(v):
    """v: {task: (acc, acc_norm)} -> the lm-eval table the published logs show."""
    rows = ["|    Tasks    |Version|Filter|n-shot| Metric |   |Value |   |Stderr|",
            "|-------------|------:|------|-----:|--------|---|-----:|---|-----:|"]
    for task in ("arc_challenge", "arc_easy", "hellaswag"):
        acc, norm = v[task]
        rows.append(f"|{task:<13}|      1|none  |     0|acc     |{UP}  |{acc:.4f}|{PM}  |0.0100|")
        rows.append(f"|             |       |none  |     0|acc_norm|{UP}  |{norm:.4f}|{PM}  |0.0100|")
    return "\n".join(rows) + "\n"


def retrieval_table(fda, ruler, swde):
    return "\n".join([
        "|    Tasks     |Version|Filter|n-shot| Metric |   |Value |   |Stderr|",
        "|--------------|------:|------|-----:|--------|---|-----:|---|------|",
        f"|fda           |      0|none  |     0|contains|{UP}  |{fda:.4f}|{PM}  |   N/A|",
        f"|ruler_qa_squad|      1|none  |     0|4096    |{UP}  |{ruler:.4f}|{PM}  |   N/A|",
        f"|swde          |      0|none  |     0|contains|{UP}  |{swde:.4f}|{PM}  |   N/A|",
    ]) + "\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main():
    rng = random.Random(12)
    out = "sweep-8b-shaped"
    shutil.rmtree(out, ignore_errors=True)
    base_cs = {"arc_challenge": (0.5580, 0.5819), "arc_easy": (0.8350, 0.8089), "hellaswag": (0.5712, 0.7488)}
    base_rt = (0.8612, 0.6371, 0.9040)
    write(f"{out}/original/commonsense_eval.log",
          HEADER.format("qwen3-8b", 16) + commonsense_table(base_cs) + "\n")
    write(f"{out}/original/retrieval_eval.log",
          HEADER.format("qwen3-8b", 16) + commonsense_table(base_cs) + "\n" +
          HEADER.format("qwen3-8b", 1) + retrieval_table(*base_rt) + "\n")
    # A few layers carry retrieval (big retrieval drops); commonsense drops are small everywhere.
    retrieval_heads = {1: 0.30, 5: 0.12, 14: 0.22, 15: 0.09, 20: 0.18, 27: 0.07, 33: 0.15}
    for layer in range(LAYERS):
        cs_drop = 0.004 + 0.03 * rng.random() + (0.05 if layer == 0 else 0.0)
        cs = {t: (round(a - cs_drop * rng.uniform(0.8, 1.2), 4), round(n - cs_drop * rng.uniform(0.8, 1.2), 4))
              for t, (a, n) in base_cs.items()}
        rt_drop = 0.005 + 0.04 * rng.random() + retrieval_heads.get(layer, 0.0)
        rt = [round(v - rt_drop * rng.uniform(0.6, 1.4), 4) for v in base_rt]
        d = f"{out}/{MODEL}/layer{layer}"
        write(f"{d}/commonsense_eval.log", HEADER.format(f"{MODEL}-layer{layer}", 16) + commonsense_table(cs) + "\n")
        write(f"{d}/retrieval_eval.log", HEADER.format(f"{MODEL}-layer{layer}", 1) + retrieval_table(*rt) + "\n")


if __name__ == "__main__":
    main()
