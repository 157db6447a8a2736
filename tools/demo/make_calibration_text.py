#!/usr/bin/env python3
"""Writes the halo demo's generic-text calibration corpus for `halo probe --calibration` (docs/probe.md):
plain UTF-8 text drawn from the demo's *training* mixture (tools/demo/demo_world.py), not from its
evaluation data. Like a training sequence, the text is one retrieval-style document (a device summary,
a web page, a phone list or a RULER-style haystack, all with freshly drawn names and values) followed by
short knowledge documents (animal facts, ARC-format questions about the training split of animals,
everyday scripts), each document ending in the model's end-of-text token written as text
(`<|endoftext|>`, which the tokenizer matches as the special token). Standard library only;
deterministic for a given --seed (a stream of its own, so no evaluation row is reproduced).

    python3 tools/demo/make_calibration_text.py --out examples/halo-demo/calibration.txt

halo tokenizes the whole file and cuts it into chunks of --chunk-tokens (default 512); the default
--sequences 40 gives about 40 sequences of the training length (1,024 tokens), so the default 64 chunks
of 512 tokens are spread over the first part of it with room to spare.
"""

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import demo_world as dw  # noqa: E402

EOS = "<|endoftext|>"
# A training sequence holds one long document then short ones up to 1,024 tokens; at about 4 characters
# per demo token, short documents fill up to this many characters.
SEQUENCE_CHARS = 4000


def sequence(world, rng):
    _, text, _ = dw.long_doc(world, rng, rng.random())
    docs = [text]
    size = len(text)
    while size < SEQUENCE_CHARS:
        short = dw.short_doc(world, rng)
        docs.append(short)
        size += len(short)
    return EOS.join(docs) + EOS


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="the text file to write")
    ap.add_argument("--seed", default="calibration-1", help="draws the documents (default: the committed file's)")
    ap.add_argument("--sequences", type=int, default=40, help="training-length sequences to write (default 40)")
    args = ap.parse_args()
    world = dw.World()
    rng = random.Random(args.seed)
    text = "".join(sequence(world, rng) for _ in range(args.sequences))
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"{args.out}: {len(text)} characters, {args.sequences} sequences")


if __name__ == "__main__":
    main()
