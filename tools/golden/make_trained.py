#!/usr/bin/env python3
"""Trained golden fixtures: a small byte-level Qwen3 trained on text, and a HALO Stage-1 run whose
lightning mixers were trained to imitate each attention layer; reference log-probs in float64.

Why: the random fixtures of make_golden.py have nearly flat next-token distributions, so which token
wins the argmax is often a coin flip at bf16 precision. A trained model has the peaked distributions
of a real checkpoint, which is what a GPU-vs-CPU argmax comparison needs (docs/golden.md).

Run on the device machine (a GPU trains the model in about a minute; see docs/golden.md):

    python3 make_trained.py --out DIR

DIR receives models/, runs/ and cases.json (the layout of tests/data/golden_trained/). The files are
written by make_golden.py's writers and the reference numbers come from its float64 implementation of
docs/design.md §3, so both fixture sets follow one set of rules.
"""

import argparse
import json
import math
import sys
import time
import zlib
from pathlib import Path

import make_golden as mg

MODEL = dict(name="qwen3_bytes_trained", vocab=288, hidden=128, inter=384, layers=4, nh=4, nkv=2, hd=32,
             tied=True, dtype="bfloat16", layout="t5", shards=1, theta=1000000.0, eps=1e-6, hypenet=None)
RUN = dict(name="stage1_bytes_trained", model=MODEL["name"], steps=[600], ckpt_dtype="bfloat16",
           student_config=False, orig_layout="copy",
           l=dict(nh=4, nkv=2, hd=32, qk_norm=True, gate=True, onorm=True, rope=True, scale="1/sqrt(d)"))

LM_STEPS, LM_BATCH, LM_SEQ, LM_LR = 2500, 64, 256, 3e-3
MIXER_STEPS, MIXER_BATCH, MIXER_LR = RUN["steps"][0], 32, 1e-3
CASE_LENGTH = 400

# (name, convert): every case scores CASE_LENGTH bytes of held-out text.
SCORE_CASES = [
    ("trained_orig_a", []),
    ("trained_orig_b", []),
    ("trained_c1", [1]),
    ("trained_c0_3", [0, 3]),
    ("trained_call", [0, 1, 2, 3]),
]
GEN_CASES = [("trained_gen_orig", [], 24), ("trained_gen_c2", [2], 24)]


def corpus_files():
    """Python's own standard library sources: plenty of text, present wherever torch runs. Files whose
    name hashes to 0 mod 10 are held out for the cases."""
    root = Path(json.__file__).resolve().parent.parent
    files = sorted(p for p in root.glob("*.py") if p.stat().st_size > 2000)
    train = [p for p in files if zlib.crc32(p.name.encode()) % 10]
    held = [p for p in files if not zlib.crc32(p.name.encode()) % 10]
    return root, train, held


class TrainedGen(mg.Gen):
    """make_golden's writer and reference, with trained instead of random weights."""

    def __init__(self, out, log, device):
        super().__init__(out, log)
        self.device = device
        self.training = {}

    # -- the language model ----------------------------------------------------------------
    def model_weights(self, m):
        torch, tr = self.torch, self.transformers
        root, train, _ = corpus_files()
        data = torch.frombuffer(bytearray(b"\n".join(p.read_bytes() for p in train)), dtype=torch.uint8).long()
        cfg = tr.Qwen3Config(vocab_size=m["vocab"], hidden_size=m["hidden"], intermediate_size=m["inter"],
                             num_hidden_layers=m["layers"], num_attention_heads=m["nh"],
                             num_key_value_heads=m["nkv"], head_dim=m["hd"], max_position_embeddings=mg.MAX_POS,
                             rms_norm_eps=m["eps"], tie_word_embeddings=m["tied"], hidden_act="silu",
                             rope_parameters={"rope_type": "default", "rope_theta": m["theta"]})
        torch.manual_seed(mg.SEED)
        model = tr.Qwen3ForCausalLM(cfg).to(self.device).train()
        opt = torch.optim.AdamW(model.parameters(), lr=LM_LR, weight_decay=0.01, betas=(0.9, 0.95))
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LM_LR, total_steps=LM_STEPS, pct_start=0.05)
        g = torch.Generator().manual_seed(mg.SEED)
        t0 = time.time()
        losses = []
        for step in range(LM_STEPS):
            starts = torch.randint(0, len(data) - LM_SEQ - 1, (LM_BATCH,), generator=g)
            batch = torch.stack([data[s:s + LM_SEQ] for s in starts.tolist()]).to(self.device)
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.device == "cuda"):
                loss = model(input_ids=batch, labels=batch).loss
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
            if step % 500 == 0 or step == LM_STEPS - 1:
                self.log(f"  LM step {step}: loss {losses[-1]:.3f} nats/byte ({time.time() - t0:.0f} s)")
        self.training["language_model"] = dict(
            corpus=f"{len(train)} files of the Python {sys.version.split()[0]} standard library ({root})",
            corpus_bytes=len(data), steps=LM_STEPS, batch=LM_BATCH, sequence=LM_SEQ, lr=LM_LR,
            final_loss_nats_per_byte=sum(losses[-50:]) / 50, seconds=round(time.time() - t0, 1),
            device=self.device)
        w = {k: v.detach().float().cpu() for k, v in model.state_dict().items()}
        if m["tied"]:
            w.pop("lm_head.weight", None)
        self.data = data
        return w, {}

    # -- the Stage-1 run: each layer's lightning mixer distilled from its attention ---------
    def run_weights(self, r, m, orig, step):
        torch = self.torch
        dev = self.device
        l = r["l"]
        net = self.build(m["name"], None, None, [])
        W = [{k: v.float().to(dev) for k, v in L["w"].items()} for L in net["layers"]]
        embed = net["embed"].float().to(dev)
        student = []
        for i, lw in enumerate(W):
            a = "self_attn."
            s = {k: lw[a + k + ".weight"].clone() for k in ("q_proj", "k_proj", "v_proj", "o_proj",
                                                            "q_norm", "k_norm")}
            s["o_norm"] = torch.ones(l["nh"] * l["hd"], device=dev)
            s["z_proj"] = torch.randn(l["nh"] * l["hd"], m["hidden"], device=dev,
                                      generator=torch.Generator(device=dev).manual_seed(mg.SEED + i)) / math.sqrt(m["hidden"])
            student.append({k: v.requires_grad_() for k, v in s.items()})
        params = [p for s in student for p in s.values()]
        opt = torch.optim.Adam(params, lr=MIXER_LR)
        g = torch.Generator().manual_seed(mg.SEED + 1)
        t0 = time.time()
        losses = []
        for it in range(step):
            starts = torch.randint(0, len(self.data) - LM_SEQ, (MIXER_BATCH,), generator=g)
            ids = torch.stack([self.data[s_:s_ + LM_SEQ] for s_ in starts.tolist()]).to(dev)
            x = embed[ids]
            loss = 0.0
            for i, lw in enumerate(W):
                n = mg.rmsnorm(x, lw["input_layernorm.weight"], net["eps"])
                with torch.no_grad():
                    target = self.batched_attention(n, lw, m, net)
                got = self.batched_lightning(n, student[i], l, net)
                loss = loss + ((got - target) ** 2).mean() / (target ** 2).mean()
                with torch.no_grad():
                    h = x + target
                    n2 = mg.rmsnorm(h, lw["post_attention_layernorm.weight"], net["eps"])
                    x = h + (torch.nn.functional.silu(n2 @ lw["mlp.gate_proj.weight"].T)
                             * (n2 @ lw["mlp.up_proj.weight"].T)) @ lw["mlp.down_proj.weight"].T
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()) / len(W))
            if it % 200 == 0 or it == step - 1:
                self.log(f"  mixer step {it}: relative MSE {losses[-1]:.4f} ({time.time() - t0:.0f} s)")
        self.training["lightning_mixers"] = dict(
            objective="per layer, mean squared error between the lightning mixer's and the attention's output "
                      "on the trained model's own hidden states, divided by the attention output's mean square",
            init="q/k/v/o projections and q/k norms from the layer's attention; o_norm ones; z_proj random",
            steps=step, batch=MIXER_BATCH, sequence=LM_SEQ, lr=MIXER_LR,
            final_relative_mse=sum(losses[-20:]) / 20, seconds=round(time.time() - t0, 1))
        sd = {"model.model.embed_tokens.weight": orig["model.embed_tokens.weight"].float(),
              "model.model.norm.weight": orig["model.norm.weight"].float()}
        for i in range(m["layers"]):
            op, p = f"model.layers.{i}.", f"model.model.layers.{i}."
            for k in ("input_layernorm.weight", "post_attention_layernorm.weight",
                      "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight"):
                sd[p + k] = orig[op + k].float()
            for k in ("q_proj", "k_proj", "v_proj", "o_proj", "q_norm", "k_norm"):
                sd[p + f"self_attn.teacher_layer.{k}.weight"] = orig[op + f"self_attn.{k}.weight"].float()
            for k, v in student[i].items():
                sd[p + f"self_attn.student_layer.{k}.weight"] = v.detach().float().cpu()
        return sd

    def batched_rope(self, x, theta):
        """x: (B, T, heads, d); the reference's RoPE over a batch."""
        torch = self.torch
        T, d = x.shape[1], x.shape[-1]
        inv = theta ** (-(torch.arange(0, d, 2, dtype=torch.float64, device=x.device) / d))
        ang = torch.arange(T, dtype=torch.float64, device=x.device)[:, None] * inv[None, :]
        emb = torch.cat([ang, ang], dim=-1)[None, :, None, :]
        rot = torch.cat([-x[..., d // 2:], x[..., : d // 2]], dim=-1)
        return x * emb.cos().to(x.dtype) + rot * emb.sin().to(x.dtype)

    def batched_qkv(self, n, w, nh, nkv, hd, norm, rope, theta, eps):
        B, T, _ = n.shape
        q = (n @ w["q_proj"].T).view(B, T, nh, hd)
        k = (n @ w["k_proj"].T).view(B, T, nkv, hd)
        v = (n @ w["v_proj"].T).view(B, T, nkv, hd)
        if norm:
            q, k = mg.rmsnorm(q, w["q_norm"], eps), mg.rmsnorm(k, w["k_norm"], eps)
        if rope:
            q, k = self.batched_rope(q, theta), self.batched_rope(k, theta)
        g = nh // nkv
        return (q.transpose(1, 2), k.repeat_interleave(g, dim=2).transpose(1, 2),
                v.repeat_interleave(g, dim=2).transpose(1, 2))

    def batched_attention(self, n, lw, m, net):
        torch = self.torch
        w = {k: lw["self_attn." + k + ".weight"] for k in ("q_proj", "k_proj", "v_proj", "o_proj",
                                                           "q_norm", "k_norm")}
        q, k, v = self.batched_qkv(n, w, m["nh"], m["nkv"], m["hd"], True, True, net["theta"], net["eps"])
        o = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        return o.transpose(1, 2).reshape(n.shape[0], n.shape[1], -1) @ w["o_proj"].T

    def batched_lightning(self, n, w, l, net):
        """Parallel form of the lightning recurrence (docs/design.md §3), all heads at once."""
        torch = self.torch
        q, k, v = self.batched_qkv(n, w, l["nh"], l["nkv"], l["hd"], l["qk_norm"], l["rope"],
                                   net["theta"], net["eps"])
        T = n.shape[1]
        slopes = torch.tensor(mg.alibi_slopes(l["nh"]), dtype=torch.float32, device=n.device)
        t = torch.arange(T, device=n.device, dtype=torch.float32)
        diff = t[:, None] - t[None, :]
        decay = torch.exp(-slopes[:, None, None] * diff.clamp(min=0)[None]) * (diff >= 0)[None]
        o = mg.lightning_scale(l["scale"], l["hd"]) * ((q @ k.transpose(-1, -2)) * decay[None]) @ v
        o = o.transpose(1, 2).reshape(n.shape[0], T, -1)
        if l["onorm"]:
            o = mg.rmsnorm(o, w["o_norm"], net["eps"])
        if l["gate"]:
            o = o * torch.sigmoid(n @ w["z_proj"].T)
        return o @ w["o_proj"].T

    # -- cases -------------------------------------------------------------------------------
    def held_out_texts(self):
        """Distinct CASE_LENGTH-byte windows of the held-out files, each starting at a line start."""
        _, _, held = corpus_files()
        texts = []
        for p in held:
            b = p.read_bytes()
            start = b.find(b"\n", len(b) // 3) + 1
            if len(b) - start >= CASE_LENGTH:
                texts.append((p.name, list(b[start:start + CASE_LENGTH])))
        return texts

    def make_cases(self):
        torch = self.torch
        m, r = MODEL, RUN
        texts = self.held_out_texts()
        if len(texts) < len(SCORE_CASES) + len(GEN_CASES):
            raise RuntimeError(f"only {len(texts)} held-out texts")
        self.cases = []
        positions = agree = 0
        for (name, convert), (src, tokens) in zip(SCORE_CASES, texts):
            run = r["name"] if convert else None
            lps, full = self.logprobs(self.build(m["name"], run, None, convert), tokens)
            hf = self.hf_bf16_argmax(tokens) if not convert else None
            if hf is not None:
                ref = full[:-1].argmax(-1).tolist()
                positions += len(ref)
                agree += sum(int(a == b) for a, b in zip(ref, hf))
            self.log(f"  case {name}: mean logprob {sum(lps) / len(lps):.3f} (uniform {-math.log(m['vocab']):.3f})")
            self.cases.append(dict(name=name, model=f"models/{m['name']}", rnn=f"runs/{run}" if run else None,
                                   rnn_step=None, convert=convert, tokens=tokens, logprobs=lps,
                                   notes=f"{mg.describe(m, r if run else None, None, convert, len(tokens))}; "
                                         f"trained weights; held-out text from {src}"))
        gen_texts = texts[len(SCORE_CASES):]
        for name, convert, nnew in GEN_CASES:
            run = r["name"] if convert else None
            net = self.build(m["name"], run, None, convert)
            # The first 64-byte prompt (over the held-out texts, at a few offsets) whose greedy
            # continuation never has two candidates within 0.05 of each other: fp32 cannot flip it.
            for attempt, (src, text) in enumerate((s_, t[o:o + 64]) for s_, t in gen_texts for o in (0, 96, 192, 288)):
                prompt, seq, gap = text, list(text), float("inf")
                for _ in range(nnew):
                    lp = torch.log_softmax(self.forward(net, seq)[-1], dim=-1)
                    top = torch.topk(lp, 2)
                    gap = min(gap, float(top.values[0] - top.values[1]))
                    seq.append(int(torch.argmax(lp)))
                if gap >= 0.05:
                    break
            if gap < 0.05:
                raise RuntimeError(f"{name}: no prompt with a top-2 gap of at least 0.05 in {attempt + 1} tries")
            lps, _ = self.logprobs(net, seq)
            self.log(f"  gen {name}: {bytes(prompt[-20:])!r} -> {bytes(seq[len(prompt):])!r} (min gap {gap:.3f})")
            self.cases.append(dict(name=name, model=f"models/{m['name']}", rnn=f"runs/{run}" if run else None,
                                   rnn_step=None, convert=convert, tokens=seq, logprobs=lps,
                                   generate=dict(prompt=prompt, max_new_tokens=nnew, expected=seq[len(prompt):]),
                                   notes=f"{mg.describe(m, r if run else None, None, convert, len(seq))}; "
                                         f"trained weights; greedy generation after 64 bytes of {src}, smallest "
                                         f"top1-top2 log-prob gap {gap:.3f}"))
        return agree / positions

    def hf_bf16_argmax(self, tokens):
        """Next-token argmax of HF Qwen3ForCausalLM run in bf16 on the device (how lm-eval runs models)."""
        torch, tr = self.torch, self.transformers
        if not hasattr(self, "_hf_bf16"):
            self._hf_bf16 = tr.Qwen3ForCausalLM.from_pretrained(
                str(self.out / "models" / MODEL["name"]), dtype=torch.bfloat16).to(self.device).eval()
        with torch.no_grad():
            logits = self._hf_bf16(input_ids=torch.tensor([tokens], device=self.device)).logits[0, :-1]
        return logits.float().argmax(-1).tolist()

    def fp32_probe(self):
        """Largest |log-prob| difference between the reference evaluated in float32 and the goldens."""
        torch = self.torch
        worst = 0.0
        for c in self.cases:
            net = self.build(MODEL["name"], None if c["rnn"] is None else RUN["name"], None, c["convert"])
            net32 = dict(net, embed=net["embed"].float(), norm=net["norm"].float(), lm_head=net["lm_head"].float(),
                         layers=[dict(L, w={k: v.float() for k, v in L["w"].items()}) for L in net["layers"]])
            lp, _ = self.logprobs(net32, c["tokens"])
            worst = max(worst, float((torch.tensor(lp, dtype=torch.float64)
                                      - torch.tensor(c["logprobs"], dtype=torch.float64)).abs().max()))
        return worst

    def run(self):
        torch = self.torch
        t0 = time.time()
        mg.MODEL_BY_NAME[MODEL["name"]] = MODEL
        self.write_model(MODEL)
        self.write_run(RUN)
        agreement = self.make_cases()
        fp32 = self.fp32_probe()
        doc = dict(generator="tools/golden/make_trained.py", torch=torch.__version__,
                   transformers=self.transformers.__version__, seed=mg.SEED, tolerance_max_abs_logprob=1e-4,
                   training=self.training,
                   probes=dict(fp32_max_abs_diff=fp32, hf_bf16_argmax_agreement=agreement,
                               note="fp32_max_abs_diff: the reference evaluated in float32 vs the float64 goldens. "
                                    "hf_bf16_argmax_agreement: share of next-token argmaxes of the all-attention "
                                    "cases on which HF Qwen3ForCausalLM in bf16 agrees with the float64 reference."),
                   cases=self.cases)
        (self.out / "cases.json").write_text(json.dumps(doc, indent=1) + "\n")
        self.log(f"wrote {len(self.cases)} cases; fp32 probe {fp32:.2e}; HF bf16 argmax agreement "
                 f"{100 * agreement:.2f}%; {mg.dir_size(self.out)} bytes; {time.time() - t0:.0f} s")
        if fp32 > 1e-4 or self.problems:
            self.log("PROBLEMS: " + "; ".join(self.problems + ([f"fp32 probe {fp32:.2e} > 1e-4"] if fp32 > 1e-4 else [])))
            return 1
        self.log("OK")
        return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory (gets models/, runs/, cases.json)")
    ap.add_argument("--device", default="cuda", help="torch device for training (default cuda)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    return TrainedGen(out, lambda s: print(s, flush=True), args.device).run()


if __name__ == "__main__":
    sys.exit(main())
