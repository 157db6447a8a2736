#!/usr/bin/env python3
"""Float64 PyTorch reference of `halo probe`'s per-layer sums (runtime::LayerProbe) on the trained golden
model, for tests/runtime/test_probe_golden.cc.

Run where torch is installed (CPU is enough, a few seconds), from the repository root:

    python3 tools/golden/make_probe_reference.py --fixtures tests/data/golden_trained

It writes tests/data/golden_trained/probe_reference.json (or --out FILE). The model and the Stage-1 run are
read back from the fixture's files with make_golden.py's reference implementation (docs/golden.md: the
same float64 forward that produced the log-prob goldens), so nothing here is trained or random.

For a fixed set of token sequences (cut from the held-out texts of the fixture's cases.json), each with a
first compared row, and for the original model and each variant (single layers 0..3 and the pair 1,3), it
computes over every sequence s, row t in [first_compared, len(s) - 1) (row t predicts token t + 1):

    kl[v]         = Σ KL(softmax(original logits) ‖ softmax(variant v logits))
    nll[v]        = Σ −log p_v(token t+1)              nll_original = Σ −log p_original(token t+1)
    cosine[l]     = Σ over every row of every sequence of cos(h_l, h_{l+1}) in the original model
                    (h_l = residual stream at layer l's input, h_N = the final residual before the norm)

which are exactly LayerProbe's sums. The C++ test runs LayerProbe on the CPU backend in fp32 and compares
the per-position means with an absolute tolerance of 1e-4 (the goldens' log-prob tolerance).
"""

import argparse
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import make_golden as mg  # noqa: E402
import make_trained as mt  # noqa: E402

# (case name in cases.json, first token, last token (exclusive), first compared row): different lengths,
# a sequence compared from its start, sequences compared only at their tail (like a prompt + answer), and
# the shortest possible one (two tokens: one row, compared).
SEQUENCES = [
    ("trained_orig_a", 0, 200, 0),
    ("trained_orig_b", 0, 301, 150),
    ("trained_c1", 37, 101, 40),
    ("trained_c0_3", 10, 12, 0),
    ("trained_call", 100, 400, 290),
]
VARIANTS = [[0], [1], [2], [3], [1, 3]]
TOLERANCE = 1e-4


def forward_with_residuals(gen, net, tokens):
    """make_golden.Gen.forward, keeping the residual stream at every layer input and the final one."""
    torch = gen.torch
    ids = torch.tensor(tokens, dtype=torch.long)
    T = len(tokens)
    x = net["embed"][ids]
    stream = [x]
    for L in net["layers"]:
        lw = L["w"]
        n = mg.rmsnorm(x, lw["input_layernorm.weight"], net["eps"])
        mix = gen.attention(n, L, net, T) if L["kind"] == "attn" else gen.lightning(n, L, net, T)
        h = x + mix
        n2 = mg.rmsnorm(h, lw["post_attention_layernorm.weight"], net["eps"])
        x = h + (torch.nn.functional.silu(n2 @ lw["mlp.gate_proj.weight"].T) * (n2 @ lw["mlp.up_proj.weight"].T)) \
            @ lw["mlp.down_proj.weight"].T
        stream.append(x)
    logits = mg.rmsnorm(x, net["norm"], net["eps"]) @ net["lm_head"].T
    return logits, stream


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", default="tests/data/golden_trained", help="the trained golden fixture directory")
    ap.add_argument("--out", help="output file (default FIXTURES/probe_reference.json)")
    args = ap.parse_args()
    fixtures = Path(args.fixtures)
    out = Path(args.out) if args.out else fixtures / "probe_reference.json"

    gen = mg.Gen(fixtures, lambda s: print(s, flush=True))
    torch = gen.torch
    torch.set_grad_enabled(False)
    mg.MODEL_BY_NAME[mt.MODEL["name"]] = mt.MODEL
    model, run = mt.MODEL["name"], mt.RUN["name"]
    cases = {c["name"]: c for c in json.loads((fixtures / "cases.json").read_text())["cases"]}

    sequences = []
    for name, begin, end, first in SEQUENCES:
        tokens = cases[name]["tokens"][begin:end]
        assert len(tokens) == end - begin and 0 <= first < len(tokens) - 1, name
        sequences.append(dict(tokens=tokens, first_compared=first, source=f"{name}[{begin}:{end}]"))

    original = gen.build(model, None, None, [])
    nets = [gen.build(model, run, None, v) for v in VARIANTS]
    num_layers = len(original["layers"])
    kl = [0.0] * len(VARIANTS)
    nll = [0.0] * len(VARIANTS)
    nll_original = 0.0
    cosine = [0.0] * num_layers
    compared = rows = 0
    worst_self_check = 0.0
    for s in sequences:
        tokens, first = s["tokens"], s["first_compared"]
        inputs = tokens[:-1]
        logits, stream = forward_with_residuals(gen, original, inputs)
        # The copied forward must equal make_golden's own.
        worst_self_check = max(worst_self_check, float((logits - gen.forward(original, inputs)).abs().max()))
        p = torch.log_softmax(logits, dim=-1)
        for l in range(num_layers):
            a, b = stream[l], stream[l + 1]
            cosine[l] += float(((a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1))).sum())
        rows += len(inputs)
        targets = torch.tensor(tokens[first + 1:], dtype=torch.long)
        pc = p[first:]
        nll_original += float(-pc.gather(1, targets[:, None]).sum())
        compared += len(targets)
        for k, net in enumerate(nets):
            q = torch.log_softmax(gen.forward(net, inputs), dim=-1)[first:]
            kl[k] += float((pc.exp() * (pc - q)).sum())
            nll[k] += float(-q.gather(1, targets[:, None]).sum())

    assert worst_self_check < 1e-12, worst_self_check
    assert all(v > 0 for v in kl), kl
    doc = dict(generator="tools/golden/make_probe_reference.py", torch=torch.__version__,
               model=f"models/{model}", rnn=f"runs/{run}", rnn_step=None,
               tolerance_max_abs_mean=TOLERANCE,
               note="Sums as runtime::LayerProbe returns them; the test compares sum/compared (kl, nll) and "
                    "sum/rows (cosine) within tolerance_max_abs_mean.",
               sequences=sequences, variants=VARIANTS,
               kl=kl, nll=nll, nll_original=nll_original, compared=compared, cosine=cosine, rows=rows)
    out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {out}: {len(sequences)} sequences, {compared} compared rows, {rows} rows; "
          f"mean KL per variant {[round(v / compared, 6) for v in kl]}, "
          f"block influence per layer {[round(1 - c / rows, 6) for c in cosine]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
