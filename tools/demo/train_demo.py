#!/usr/bin/env python3
"""Trains the halo demo: a small Qwen3 with its own byte-level BPE tokenizer on a synthetic mixture of
world knowledge and in-context retrieval, its HALO Stage-1 run (one lightning mixer per layer distilled
from that layer's attention), the demo evaluation data, and the evidence figure. One H200, under 8 minutes.

    python3 tools/demo/train_demo.py --smoke --out $OUT/smoke && python3 tools/demo/train_demo.py --out $OUT/demo

--out receives (the layout of examples/halo-demo/):

    model/           config.json, generation_config.json, model.safetensors (bf16), tokenizer.json,
                     tokenizer_config.json  -> halo --model
    stage1/          orig_config.json, ckpt_N/model.safetensors                      -> halo --rnn
    data/            the six tasks (tools/demo/make_demo_data.py --seed 1)           -> halo --data
    retrieval_heads.svg, training.json

Stages run in order and each is skipped when its outputs exist (a crashed run resumes); once a stage
runs, every later stage runs again. --smoke runs every stage at toy size in well under a minute.

Design (why retrieval depends on a few layers): all layers are full causal softmax attention, exactly the
Qwen3 that halo and HF run; but during training every layer except GLOBAL_LAYERS pays a penalty for the
attention it puts further back than LOCAL_WINDOW tokens. Long-range lookup (copying a value from
hundreds of tokens back) can then only be learned by the attention of GLOBAL_LAYERS, while the other
layers learn local patterns, which a lightning mixer (a decaying d x d state) can imitate. Retrieval
values are random per document, so they must be looked up; world facts are stated in the training text
and must be remembered (MLPs), which converting a layer's mixer leaves in place.

Training uses its own forward pass (block-diagonal causal attention over packed documents, positions
restarting per document, explicit softmax so the penalty can be computed); the weights carry HF
Qwen3ForCausalLM's names, are saved through transformers, and the script checks that HF's forward on the
saved files matches its own.
"""

import argparse
import json
import math
import os
import random
import shutil
import sys
import time
from array import array
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "golden"))

import demo_svg  # noqa: E402
import demo_world as dw  # noqa: E402
import make_demo_data as mdd  # noqa: E402
import ruler_prompts  # noqa: E402
from make_golden import alibi_slopes  # noqa: E402  (no torch at import time)

MODEL = dict(layers=6, hidden=256, inter=320, nh=4, nkv=2, hd=64, theta=10000.0, eps=1e-6, max_pos=2048)
LIGHTNING = dict(nh=4, nkv=2, hd=64, qk_norm=True, gate=True, onorm=True, rope=True, scale="1/sqrt(d)")
SEQ = 1024
GLOBAL_LAYERS = (2, 4)
LOCAL_WINDOW = 64
LOCALITY_WEIGHT = 2.0
ANSWER_WEIGHT = 4.0   # loss weight of retrieval answer tokens (and the token that ends them)
SEEDS = dict(world=dw.WORLD_SEED, tokenizer_text=101, lm_text=102, lm_init=103, stage1_text=104, stage1_init=105,
             data=1)

FULL = dict(vocab=1536, tok_long=800, tok_short=8000, lm_steps=1500, lm_batch=32, lm_lr=2e-3, lm_warmup=100,
            lm_seconds=210.0, s1_steps=700, s1_batch=16, s1_lr=2e-3, s1_seconds=50.0, rows=mdd.ROWS,
            ev_retrieval=100, ev_attention=40, ev_batch=34)
SMOKE = dict(vocab=600, tok_long=60, tok_short=600, lm_steps=6, lm_batch=4, lm_lr=2e-3, lm_warmup=2,
             lm_seconds=20.0, s1_steps=4, s1_batch=2, s1_lr=2e-3, s1_seconds=10.0, rows=mdd.SMALL_ROWS,
             ev_retrieval=4, ev_attention=2, ev_batch=4)


def log(msg):
    print(msg, flush=True)


# ==================================================================================================
# Training text (pure Python + tokenizers; runs in worker processes)
# ==================================================================================================

def _tokenizer(path):
    from tokenizers import Tokenizer
    return Tokenizer.from_file(str(path))


def _pack_chunk(job):
    """Sequences of SEQ tokens: one retrieval document, then short knowledge documents until full.
    Returns bytes of (ids uint16, segment uint8, answer flag uint8), each n*SEQ long."""
    tok_path, seed, n, eos = job
    tok = _tokenizer(tok_path)
    world = dw.World()
    rng = random.Random(seed)
    ids, seg, ans = array("H"), array("B"), array("B")
    for _ in range(n):
        s_ids, s_seg, s_ans = [], [], []
        for attempt in range(20):
            name, text, spans = dw.long_doc(world, rng, rng.random() * (0.8 ** attempt))
            enc = tok.encode(text)
            if len(enc.ids) + 1 <= SEQ:
                break
        else:
            raise RuntimeError("no retrieval document fits the sequence")
        flags = [int(any(e > a and s < b + 1 for a, b in spans)) for s, e in enc.offsets]
        s_ids += enc.ids + [eos]
        s_ans += flags + [int(name == "train_ruler_doc")]   # the end-of-text that stops a RULER answer
        s_seg += [0] * (len(enc.ids) + 1)
        doc = 1
        misses = 0
        while misses < 3 and doc < 250:
            e = tok.encode(dw.short_doc(world, rng)).ids
            if len(s_ids) + len(e) + 1 > SEQ:
                misses += 1
                continue
            s_ids += e + [eos]
            s_ans += [0] * (len(e) + 1)
            s_seg += [doc] * (len(e) + 1)
            doc += 1
        pad = SEQ - len(s_ids)
        ids.extend(s_ids + [eos] * pad)
        seg.extend(s_seg + [255] * pad)
        ans.extend(s_ans + [0] * pad)
    return ids.tobytes(), seg.tobytes(), ans.tobytes()


def training_sequences(tok_path, seed, n, eos, workers):
    """n packed sequences as CPU tensors (ids int64, seg uint8, ans uint8), deterministic in seed."""
    import multiprocessing as mp
    import torch
    per = 64
    jobs = [(str(tok_path), f"{seed}/{i}", min(per, n - i * per), eos) for i in range((n + per - 1) // per)]
    with mp.get_context("fork").Pool(workers) as pool:
        parts = pool.map(_pack_chunk, jobs)
    ids = torch.frombuffer(bytearray(b"".join(p[0] for p in parts)), dtype=torch.int16).view(n, SEQ)
    ids = ids.to(torch.int64) & 0xFFFF
    seg = torch.frombuffer(bytearray(b"".join(p[1] for p in parts)), dtype=torch.uint8).view(n, SEQ)
    ans = torch.frombuffer(bytearray(b"".join(p[2] for p in parts)), dtype=torch.uint8).view(n, SEQ)
    return ids, seg, ans


# ==================================================================================================
# Model (HF Qwen3ForCausalLM parameter names; own forward)
# ==================================================================================================

def make_model(torch):
    nn = torch.nn
    H, I, nh, nkv, hd, eps = (MODEL[k] for k in ("hidden", "inter", "nh", "nkv", "hd", "eps"))

    class RMSNorm(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(n))

        def forward(self, x):
            return rmsnorm(torch, x, self.weight, eps)

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.q_proj = nn.Linear(H, nh * hd, bias=False)
            self.k_proj = nn.Linear(H, nkv * hd, bias=False)
            self.v_proj = nn.Linear(H, nkv * hd, bias=False)
            self.o_proj = nn.Linear(nh * hd, H, bias=False)
            self.q_norm = RMSNorm(hd)
            self.k_norm = RMSNorm(hd)

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.gate_proj = nn.Linear(H, I, bias=False)
            self.up_proj = nn.Linear(H, I, bias=False)
            self.down_proj = nn.Linear(I, H, bias=False)

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.input_layernorm = RMSNorm(H)
            self.self_attn = Attention()
            self.post_attention_layernorm = RMSNorm(H)
            self.mlp = MLP()

    class Inner(nn.Module):
        def __init__(self, vocab):
            super().__init__()
            self.embed_tokens = nn.Embedding(vocab, H)
            self.layers = nn.ModuleList(Layer() for _ in range(MODEL["layers"]))
            self.norm = RMSNorm(H)

    class DemoLM(nn.Module):
        def __init__(self, vocab):
            super().__init__()
            self.model = Inner(vocab)

    return DemoLM


def rmsnorm(torch, x, w, eps):
    dt = x.dtype
    x = x.float()
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)).to(dt)


def init_weights(torch, model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.fill_(1.0)
            else:
                p.copy_(torch.randn(p.shape, generator=g) * 0.02)


def positions_and_masks(torch, seg):
    """Per-document positions (B, T) and the block-diagonal causal mask (B, 1, T, T) of packed rows."""
    B, T = seg.shape
    idx = torch.arange(T, device=seg.device).expand(B, T)
    new = torch.ones_like(seg, dtype=torch.bool)
    new[:, 1:] = seg[:, 1:] != seg[:, :-1]
    start = torch.cummax(torch.where(new, idx, torch.zeros_like(idx)), dim=1).values
    pos = idx - start
    causal = torch.ones(T, T, dtype=torch.bool, device=seg.device).tril()
    mask = (seg[:, :, None] == seg[:, None, :]) & causal
    return pos, mask[:, None]


def rope(torch, x, pos):
    """x (B, T, heads, d); NeoX rotate-half RoPE at positions pos (B, T), angles in float32 as HF."""
    d = x.shape[-1]
    inv = 1.0 / (MODEL["theta"] ** (torch.arange(0, d, 2, device=x.device, dtype=torch.float32) / d))
    ang = pos[..., None].float() * inv
    emb = torch.cat([ang, ang], dim=-1)[:, :, None, :]
    rot = torch.cat([-x[..., d // 2:], x[..., : d // 2]], dim=-1)
    return x * emb.cos() + rot * emb.sin()


def qkv(torch, n, w, nh, nkv, hd, pos, qk_norm=True):
    """w: dict with q_proj/k_proj/v_proj (and q_norm/k_norm) weights; returns (B, heads, T, d) each."""
    B, T, _ = n.shape
    F = torch.nn.functional
    q = F.linear(n, w["q_proj"]).view(B, T, nh, hd)
    k = F.linear(n, w["k_proj"]).view(B, T, nkv, hd)
    v = F.linear(n, w["v_proj"]).view(B, T, nkv, hd)
    if qk_norm:
        q, k = rmsnorm(torch, q, w["q_norm"], MODEL["eps"]), rmsnorm(torch, k, w["k_norm"], MODEL["eps"])
    q, k = rope(torch, q, pos), rope(torch, k, pos)
    g = nh // nkv
    return (q.transpose(1, 2), k.repeat_interleave(g, dim=2).transpose(1, 2),
            v.repeat_interleave(g, dim=2).transpose(1, 2))


def attention(torch, n, w, pos, mask, want_probs=False):
    """Softmax attention; with want_probs the probabilities are computed explicitly and returned."""
    q, k, v = qkv(torch, n, w, MODEL["nh"], MODEL["nkv"], MODEL["hd"], pos)
    if want_probs:
        s = (q @ k.transpose(-1, -2)) * (MODEL["hd"] ** -0.5)
        p = torch.softmax(s.float().masked_fill(~mask, float("-inf")), dim=-1)
        o = p.to(v.dtype) @ v
    else:
        p = None
        o = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    o = o.transpose(1, 2).reshape(n.shape[0], n.shape[1], -1)
    return torch.nn.functional.linear(o, w["o_proj"]), p


def lightning(torch, n, w, pos, mask):
    """Parallel form of the lightning recurrence S_t = exp(-slope) S_{t-1} + k_t^T v_t, o_t = scale q_t S_t
    (docs/golden.md), within each packed document; qk-norm, RoPE, output norm, output gate."""
    l = LIGHTNING
    q, k, v = qkv(torch, n, w, l["nh"], l["nkv"], l["hd"], pos)
    slopes = torch.tensor(alibi_slopes(l["nh"]), dtype=torch.float32, device=n.device)
    diff = (pos[:, :, None] - pos[:, None, :]).clamp(min=0).float()
    decay = torch.exp(-slopes[None, :, None, None] * diff[:, None]) * mask
    o = (l["hd"] ** -0.5) * (((q @ k.transpose(-1, -2)).float() * decay).to(v.dtype) @ v)
    o = o.transpose(1, 2).reshape(n.shape[0], n.shape[1], -1)
    o = rmsnorm(torch, o, w["o_norm"], MODEL["eps"])
    o = o * torch.sigmoid(torch.nn.functional.linear(n, w["z_proj"]))
    return torch.nn.functional.linear(o, w["o_proj"])


def layer_weights(model):
    """Per layer: dicts of the attention, norm and MLP weights (views of the module's parameters)."""
    out = []
    for L in model.model.layers:
        a = L.self_attn
        out.append(dict(attn=dict(q_proj=a.q_proj.weight, k_proj=a.k_proj.weight, v_proj=a.v_proj.weight,
                                  o_proj=a.o_proj.weight, q_norm=a.q_norm.weight, k_norm=a.k_norm.weight),
                        ln1=L.input_layernorm.weight, ln2=L.post_attention_layernorm.weight,
                        gate=L.mlp.gate_proj.weight, up=L.mlp.up_proj.weight, down=L.mlp.down_proj.weight))
    return out


def forward(torch, model, ids, seg=None, convert=(), students=None, far=None, collect=None, taps=None):
    """Final hidden states (B, T, H) after the last norm.

    seg: segment ids of packed documents (None: one document per row). convert: layers that use their
    lightning mixer (students[i]: that layer's weights from the Stage-1 checkpoint, incl. norms and MLP).
    far: list that receives, per layer, the attention share beyond LOCAL_WINDOW (B, heads, T) of the
    layers outside GLOBAL_LAYERS (None for those, whose attention runs through SDPA).
    collect: list that receives each layer's attention probabilities. taps: list that receives each
    layer's (normalised input, attention output) for Stage-1 distillation."""
    F = torch.nn.functional
    B, T = ids.shape
    if seg is None:
        seg = torch.zeros_like(ids, dtype=torch.uint8)
    pos, mask = positions_and_masks(torch, seg)
    far_mask = ((pos[:, :, None] - pos[:, None, :]) >= LOCAL_WINDOW)[:, None] & mask if far is not None else None
    x = model.model.embed_tokens(ids)
    eps = MODEL["eps"]
    for i, lw in enumerate(layer_weights(model)):
        if i in convert:
            s = students[i]
            n = rmsnorm(torch, x, s["input_layernorm"], eps)
            h = x + lightning(torch, n, s, pos, mask)
            n2 = rmsnorm(torch, h, s["post_attention_layernorm"], eps)
            x = h + F.linear(F.silu(F.linear(n2, s["mlp.gate_proj"])) * F.linear(n2, s["mlp.up_proj"]),
                             s["mlp.down_proj"])
            continue
        n = rmsnorm(torch, x, lw["ln1"], eps)
        need_p = collect is not None or (far is not None and i not in GLOBAL_LAYERS)
        a, p = attention(torch, n, lw["attn"], pos, mask, want_probs=need_p)
        if taps is not None:
            taps.append((n.detach(), a.detach()))
        if far is not None:
            far.append((p * far_mask).sum(-1) if p is not None else None)
        if collect is not None:
            collect.append(p.detach())
        h = x + a
        n2 = rmsnorm(torch, h, lw["ln2"], eps)
        x = h + F.linear(F.silu(F.linear(n2, lw["gate"])) * F.linear(n2, lw["up"]), lw["down"])
    return rmsnorm(torch, x, model.model.norm.weight, eps)


def logits_of(torch, model, hidden):
    return torch.nn.functional.linear(hidden, model.model.embed_tokens.weight)


# ==================================================================================================
# The run
# ==================================================================================================

class Run:
    def __init__(self, out, cfg, smoke, device):
        self.out = Path(out)
        self.cfg = cfg
        self.smoke = smoke
        self.device = device
        self.problems = []
        self.workers = max(1, min(16, (os.cpu_count() or 2) - 1))
        self.t_start = time.time()
        self.record_path = self.out / "training.json"
        self.record = json.loads(self.record_path.read_text()) if self.record_path.exists() else {}
        self.record.pop("problems", None)   # a resumed run reports its own

    # -- bookkeeping -----------------------------------------------------------------------
    def save_record(self, key, value):
        self.record[key] = value
        tmp = self.record_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.record, indent=1) + "\n")
        tmp.replace(self.record_path)

    @property
    def model_dir(self):
        return self.out / "model"

    @property
    def stage1_dir(self):
        return self.out / "stage1"

    def eos_id(self):
        return json.loads((self.model_dir / "tokenizer.json").read_text())["added_tokens"][0]["id"]

    # -- stage 1: tokenizer ----------------------------------------------------------------
    def done_tokenizer(self):
        return all((self.model_dir / f).exists() for f in ("tokenizer.json", "tokenizer_config.json"))

    def stage_tokenizer(self):
        from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
        import demo_bpe
        t0 = time.time()
        world, rng = dw.World(), random.Random(SEEDS["tokenizer_text"])
        texts = [dw.long_doc(world, rng, rng.random())[1] for _ in range(self.cfg["tok_long"])]
        texts += [dw.short_doc(world, rng) for _ in range(self.cfg["tok_short"])]
        # Qwen2/Qwen3's pre-tokenizer and decoder; byte-level BPE with every byte in the vocabulary.
        pattern = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                   r"\s*[\r\n]+|\s+(?!\S)|\s+")
        tok = Tokenizer(models.BPE())
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        tok.decoder = decoders.ByteLevel()
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
        trainer = trainers.BpeTrainer(vocab_size=self.cfg["vocab"], min_frequency=2, show_progress=False,
                                      special_tokens=[dw.EOS], initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        tok.train_from_iterator(texts, trainer=trainer)
        self.model_dir.mkdir(parents=True, exist_ok=True)
        tok.save(str(self.model_dir / "tokenizer.json"))
        eos = tok.token_to_id(dw.EOS)
        (self.model_dir / "tokenizer_config.json").write_text(json.dumps(dict(
            tokenizer_class="PreTrainedTokenizerFast", bos_token=None, eos_token=dw.EOS, pad_token=dw.EOS,
            unk_token=None, add_bos_token=False, clean_up_tokenization_spaces=False, model_max_length=SEQ * 2,
            added_tokens_decoder={str(eos): dict(content=dw.EOS, lstrip=False, normalized=False, rstrip=False,
                                                 single_word=False, special=True)}), indent=2) + "\n")
        # The plain-Python counter of make_demo_data.py must agree with the library.
        mine = demo_bpe.ByteLevelBPE(self.model_dir)
        sample = texts[:50] + texts[-200:]
        agree = sum(mine.encode(t) == tok.encode(t).ids for t in sample)
        if agree != len(sample):
            self.problems.append(f"demo_bpe disagrees with tokenizers on {len(sample) - agree} of {len(sample)} texts")
        chars = sum(len(t) for t in texts)
        ntok = sum(len(e.ids) for e in tok.encode_batch(texts))
        self.save_record("tokenizer", dict(
            vocab_size=tok.get_vocab_size(), eos_id=eos, training_characters=chars,
            characters_per_token=round(chars / ntok, 3), demo_bpe_agreement=f"{agree}/{len(sample)}",
            seconds=round(time.time() - t0, 1)))
        log(f"[tokenizer] vocab {tok.get_vocab_size()}, EOS id {eos}, {chars / ntok:.2f} chars/token, "
            f"demo_bpe agrees on {agree}/{len(sample)} ({time.time() - t0:.1f} s)")

    # -- stage 2: the language model ---------------------------------------------------------
    def done_lm(self):
        return all((self.model_dir / f).exists() for f in ("config.json", "model.safetensors"))

    def stage_lm(self, seqs):
        import torch
        cfg, dev = self.cfg, self.device
        t0 = time.time()
        vocab = json.loads((self.model_dir / "tokenizer.json").read_text())
        V = max(vocab["model"]["vocab"].values()) + 1
        V = (V + 63) // 64 * 64
        model = make_model(torch)(V)
        init_weights(torch, model, SEEDS["lm_init"])
        model.to(dev).train()
        decay = [p for n, p in model.named_parameters() if not n.endswith("norm.weight")]
        no_decay = [p for n, p in model.named_parameters() if n.endswith("norm.weight")]
        opt = torch.optim.AdamW([dict(params=decay, weight_decay=0.05), dict(params=no_decay, weight_decay=0.0)],
                                lr=cfg["lm_lr"], betas=(0.9, 0.95))
        ids_all, seg_all, ans_all = (t.to(dev) for t in seqs)
        B = cfg["lm_batch"]
        total = min(cfg["lm_steps"], ids_all.shape[0] // B)
        local = [i for i in range(MODEL["layers"]) if i not in GLOBAL_LAYERS]
        history, t_train = [], time.time()
        acc, acc_n = torch.zeros(2 + len(local), device=dev), 0
        step = 0
        while step < total:
            frac = step / max(1, total - 1)
            lr = cfg["lm_lr"] * min(1.0, (step + 1) / cfg["lm_warmup"]) * (0.1 + 0.45 * (1 + math.cos(math.pi * frac)))
            for grp in opt.param_groups:
                grp["lr"] = lr
            ids, seg, ans = ids_all[step * B:(step + 1) * B], seg_all[step * B:(step + 1) * B], ans_all[step * B:(step + 1) * B]
            far = []
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=dev.startswith("cuda")):
                hidden = forward(torch, model, ids, seg, far=far)
                logits = logits_of(torch, model, hidden[:, :-1])
            nll = torch.nn.functional.cross_entropy(logits.float().reshape(-1, V), ids[:, 1:].reshape(-1),
                                                    reduction="none").view(B, SEQ - 1)
            valid = ((seg[:, 1:] == seg[:, :-1]) & (seg[:, 1:] != 255)).float()
            is_ans = ans[:, 1:].float() * valid
            w = valid * (1.0 + (ANSWER_WEIGHT - 1.0) * is_ans)
            lm_loss = (nll * w).sum() / w.sum()
            qvalid = (seg != 255).float()[:, None, :]
            far_mass = [(far[i] * qvalid).sum() / (qvalid.sum() * far[i].shape[1]) for i in local]
            penalty = sum(far_mass) / len(local)
            loss = lm_loss + LOCALITY_WEIGHT * penalty
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            with torch.no_grad():
                acc += torch.stack([(nll * valid).sum() / valid.sum(),
                                    (nll * is_ans).sum() / is_ans.sum().clamp(min=1)] + far_mass).detach()
                acc_n += 1
            step += 1
            if step == 20 and not self.smoke:
                # Fit the schedule to the time budget: the step time is known now.
                torch.cuda.synchronize()
                per = (time.time() - t_train) / 20
                total = max(40, min(total, int(cfg["lm_seconds"] / per)))
                log(f"[lm] {per * 1000:.0f} ms/step -> {total} steps")
            if step % 50 == 0 or step == total:
                a = (acc / acc_n).tolist()
                entry = dict(step=step, loss=round(a[0], 4), answer_loss=round(a[1], 4),
                             far_attention={str(i): round(f, 4) for i, f in zip(local, a[2:])}, lr=lr,
                             seconds=round(time.time() - t_train, 1))
                history.append(entry)
                acc.zero_()
                acc_n = 0
                if step % 100 == 0 or step == total:
                    log(f"[lm] step {step}/{total} loss {entry['loss']:.3f} answer-token loss "
                        f"{entry['answer_loss']:.3f} attention beyond {LOCAL_WINDOW} tokens in layers "
                        f"{' '.join(f'{i}:{f:.3f}' for i, f in entry['far_attention'].items())} "
                        f"lr {lr:.1e} ({entry['seconds']:.0f} s)")
        train_s = time.time() - t_train
        self.save_model(torch, model, V)
        self.save_record("language_model", dict(
            steps=step, batch=B, sequence=SEQ, tokens=step * B * SEQ, lr=cfg["lm_lr"], warmup=cfg["lm_warmup"],
            schedule="linear warm-up, cosine to 10%", optimizer="AdamW (0.9, 0.95), weight decay 0.05, clip 1.0",
            global_layers=list(GLOBAL_LAYERS), local_window=LOCAL_WINDOW, locality_weight=LOCALITY_WEIGHT,
            answer_token_weight=ANSWER_WEIGHT, history=history, train_seconds=round(train_s, 1),
            seconds=round(time.time() - t0, 1), device=torch.cuda.get_device_name() if dev.startswith("cuda") else dev))
        log(f"[lm] done: {step} steps in {train_s:.0f} s")
        return model

    def save_model(self, torch, model, V):
        import transformers as tr
        eos = self.eos_id()
        kw = dict(vocab_size=V, hidden_size=MODEL["hidden"], intermediate_size=MODEL["inter"],
                  num_hidden_layers=MODEL["layers"], num_attention_heads=MODEL["nh"],
                  num_key_value_heads=MODEL["nkv"], head_dim=MODEL["hd"], max_position_embeddings=MODEL["max_pos"],
                  rms_norm_eps=MODEL["eps"], tie_word_embeddings=True, hidden_act="silu", bos_token_id=eos,
                  eos_token_id=eos, pad_token_id=eos)
        try:
            hcfg = tr.Qwen3Config(rope_parameters={"rope_type": "default", "rope_theta": MODEL["theta"]}, **kw)
        except TypeError:
            hcfg = tr.Qwen3Config(rope_theta=MODEL["theta"], **kw)
        hf = tr.Qwen3ForCausalLM(hcfg)
        if hasattr(hf, "tie_weights"):
            hf.tie_weights()
        mine = {k: v.detach().float().cpu() for k, v in model.state_dict().items()}
        mine.setdefault("lm_head.weight", mine["model.embed_tokens.weight"])
        with torch.no_grad():
            for n, p in hf.named_parameters():
                if n not in mine:
                    raise RuntimeError(f"no trained weight for {n}")
                p.copy_(mine[n])
        if hf.lm_head.weight.data_ptr() != hf.model.embed_tokens.weight.data_ptr():
            self.problems.append("lm_head is not tied to embed_tokens in the HF model")
        hf = hf.to(torch.bfloat16)
        for f in ("model.safetensors", "config.json", "generation_config.json"):
            (self.model_dir / f).unlink(missing_ok=True)
        hf.save_pretrained(str(self.model_dir))
        cpath = self.model_dir / "config.json"
        cj = json.loads(cpath.read_text())
        cj.update(kw)  # explicit, even where transformers omits values equal to its defaults
        if "rope_parameters" not in cj and "rope_theta" not in cj:
            cj["rope_parameters"] = {"rope_type": "default", "rope_theta": MODEL["theta"]}
        cj["dtype"] = "bfloat16"
        cpath.write_text(json.dumps(cj, indent=2, sort_keys=True) + "\n")
        (self.model_dir / "generation_config.json").write_text(json.dumps(dict(
            bos_token_id=eos, eos_token_id=eos, pad_token_id=eos, transformers_version=tr.__version__), indent=2) + "\n")

    def load_model(self, torch):
        from safetensors.torch import load_file
        w = load_file(str(self.model_dir / "model.safetensors"))
        w.pop("lm_head.weight", None)  # tied
        V = w["model.embed_tokens.weight"].shape[0]
        model = make_model(torch)(V)
        missing, unexpected = model.load_state_dict({k: v.float() for k, v in w.items()}, strict=False)
        if missing or unexpected:
            raise RuntimeError(f"model.safetensors: missing {missing}, unexpected {unexpected}")
        return model.to(self.device).eval(), V

    def hf_check(self, torch, model):
        """HF's forward on the saved files vs this script's, in float32, on two evaluation prompts."""
        import transformers as tr
        tok = _tokenizer(self.model_dir / "tokenizer.json")
        hf = tr.Qwen3ForCausalLM.from_pretrained(str(self.model_dir), dtype=torch.float32,
                                                 attn_implementation="sdpa").to(self.device).eval()
        world, rng = dw.World(), random.Random(7)
        texts = [dw.based_rows(rng, "fda", 1)[0]["text"], dw.train_qa_doc(world, rng)]
        worst = 0.0
        with torch.no_grad():
            for t in texts:
                ids = torch.tensor([tok.encode(t).ids], device=self.device)
                a = hf(input_ids=ids).logits.float()
                b = logits_of(torch, model, forward(torch, model, ids)).float()
                worst = max(worst, float((a - b).abs().max()))
        if worst > 2e-3:
            self.problems.append(f"HF Qwen3ForCausalLM and the training forward differ by {worst:.2e}")
        log(f"[lm] HF Qwen3ForCausalLM on the saved files vs own forward (fp32): max |logit diff| {worst:.2e}")
        return worst

    # -- stage 3: the HALO Stage-1 run -------------------------------------------------------
    def done_stage1(self):
        return (self.stage1_dir / "orig_config.json").exists() and any(self.stage1_dir.glob("ckpt_*/model.safetensors"))

    def stage_stage1(self, model, seqs):
        import torch
        cfg, dev, l = self.cfg, self.device, LIGHTNING
        t0 = time.time()
        H = MODEL["hidden"]
        g = torch.Generator().manual_seed(SEEDS["stage1_init"])
        students = []
        for lw in layer_weights(model):
            s = {k: v.detach().float().clone() for k, v in lw["attn"].items()}
            s["o_norm"] = torch.ones(l["nh"] * l["hd"], device=dev)
            s["z_proj"] = (torch.randn(l["nh"] * l["hd"], H, generator=g) / math.sqrt(H)).to(dev)
            students.append({k: v.requires_grad_() for k, v in s.items()})
        for p in model.parameters():
            p.requires_grad_(False)
        opt = torch.optim.Adam([p for s in students for p in s.values()], lr=cfg["s1_lr"])
        ids_all, seg_all, _ = (t.to(dev) for t in seqs)
        B = cfg["s1_batch"]
        total = min(cfg["s1_steps"], ids_all.shape[0] // B)
        history, per_layer, t_train, step = [], None, time.time(), 0
        while step < total:
            ids, seg = ids_all[step * B:(step + 1) * B], seg_all[step * B:(step + 1) * B]
            pos, mask = positions_and_masks(torch, seg)
            taps = []
            with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=dev.startswith("cuda")):
                forward(torch, model, ids, seg, taps=taps)
            valid = (seg != 255).float()[:, :, None]
            losses = []
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=dev.startswith("cuda")):
                for i, (n, target) in enumerate(taps):
                    got = lightning(torch, n, students[i], pos, mask).float()
                    target = target.float()
                    err = (((got - target) ** 2) * valid).sum() / ((target ** 2) * valid).sum()
                    losses.append(err)
            loss = sum(losses) / len(losses)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            cur = torch.stack(losses).detach()
            per_layer = cur if per_layer is None else 0.9 * per_layer + 0.1 * cur
            step += 1
            if step == 20 and not self.smoke:
                torch.cuda.synchronize()
                per = (time.time() - t_train) / 20
                total = max(40, min(total, int(cfg["s1_seconds"] / per)))
                log(f"[stage1] {per * 1000:.0f} ms/step -> {total} steps")
            if step % 50 == 0 or step == total:
                rel = per_layer.tolist()
                history.append(dict(step=step, relative_mse=[round(x, 4) for x in rel],
                                    seconds=round(time.time() - t_train, 1)))
                if step % 100 == 0 or step == total:
                    log(f"[stage1] step {step}/{total} relative MSE per layer "
                        f"{' '.join(f'{x:.3f}' for x in rel)} ({time.time() - t_train:.0f} s)")
        per_layer = per_layer.tolist()
        self.save_stage1(torch, model, students, step)
        self.save_record("stage1", dict(
            objective="per layer, squared error between the lightning mixer's output and the attention's output "
                      "on the trained model's own hidden states (1024-token packed training sequences), divided by "
                      "the attention output's mean square (HALO Stage 1 hidden-state alignment)",
            init="q/k/v/o projections and q/k norms from the layer's attention; o_norm ones; z_proj random",
            lightning=LIGHTNING, steps=step, batch=B, sequence=SEQ, lr=cfg["s1_lr"], optimizer="Adam",
            final_relative_mse_per_layer=[round(x, 4) for x in per_layer], history=history,
            seconds=round(time.time() - t0, 1)))
        log(f"[stage1] done: {step} steps, relative MSE per layer {' '.join(f'{x:.3f}' for x in per_layer)}")

    def save_stage1(self, torch, model, students, step):
        from safetensors.torch import save_file
        if self.stage1_dir.exists():
            shutil.rmtree(self.stage1_dir)
        (self.stage1_dir / f"ckpt_{step}").mkdir(parents=True)
        oc = json.loads((self.model_dir / "config.json").read_text())
        l = LIGHTNING
        oc.update(mixer_types=["attn"] * MODEL["layers"], lightning_use_qk_norm=l["qk_norm"],
                  lightning_use_output_gate=l["gate"], lightning_use_output_norm=l["onorm"],
                  lightning_use_rope=l["rope"], lightning_nh=l["nh"], lightning_nkv=l["nkv"],
                  lightning_head_dim=l["hd"], lightning_scale=l["scale"], lightning_use_short_conv=False,
                  lightning_conv_size=4, expand_kv_proj=False, attn_use_rope=True, attn_use_output_gate=False,
                  attn_logits_scaling=None)
        (self.stage1_dir / "orig_config.json").write_text(json.dumps(oc, indent=2, sort_keys=True) + "\n")
        sd = {}
        for i, L in enumerate(model.model.layers):
            p = f"model.model.layers.{i}."
            for k, v in dict(input_layernorm=L.input_layernorm.weight,
                             post_attention_layernorm=L.post_attention_layernorm.weight,
                             **{"mlp.gate_proj": L.mlp.gate_proj.weight, "mlp.up_proj": L.mlp.up_proj.weight,
                                "mlp.down_proj": L.mlp.down_proj.weight}).items():
                sd[p + k + ".weight"] = v
            for k, v in students[i].items():
                sd[p + f"self_attn.student_layer.{k}.weight"] = v
        sd = {k: v.detach().to(torch.bfloat16).cpu().contiguous() for k, v in sd.items()}
        save_file(sd, str(self.stage1_dir / f"ckpt_{step}" / "model.safetensors"), metadata={"format": "pt"})

    def load_students(self, torch):
        from safetensors.torch import load_file
        ckpt = max(self.stage1_dir.glob("ckpt_*"), key=lambda p: int(p.name[5:]))
        w = load_file(str(ckpt / "model.safetensors"))
        students = []
        for i in range(MODEL["layers"]):
            p = f"model.model.layers.{i}."
            s = {}
            for k, v in w.items():
                if k.startswith(p):
                    s[k[len(p):].replace("self_attn.student_layer.", "").removesuffix(".weight")] = v.float().to(self.device)
            students.append(s)
        return students

    # -- stage 4: the evaluation data ----------------------------------------------------------
    def done_data(self):
        return (self.out / "data" / mdd.FILES["ruler_qa_squad"]).exists()

    def stage_data(self):
        t0 = time.time()
        tok = _tokenizer(self.model_dir / "tokenizer.json")
        data = mdd.make_rows(SEEDS["data"], self.cfg["rows"])
        count = lambda s: len(tok.encode(s).ids)  # noqa: E731
        try:
            report = mdd.check_lengths(data, count, SEQ, 500)
        except ValueError as e:
            # The smoke run's toy tokenizer needs more tokens per character; only the real one must fit.
            if not self.smoke:
                self.problems.append(f"demo data: {e}")
            report = dict(error=str(e))
        if (self.out / "data").exists():
            shutil.rmtree(self.out / "data")
        mdd.write_data(self.out / "data", data)
        self.save_record("data", dict(seed=SEEDS["data"], command=f"python3 tools/demo/make_demo_data.py --seed "
                                      f"{SEEDS['data']} --out data" + (" --small" if self.smoke else ""),
                                      rows={t: len(v) for t, v in data.items() if t != "ruler_qa_squad"},
                                      token_lengths=report, seconds=round(time.time() - t0, 1)))
        log(f"[data] {json.dumps(report)} ({time.time() - t0:.1f} s)")

    # -- stage 5: evidence -------------------------------------------------------------------
    def done_evidence(self):
        return (self.out / "retrieval_heads.svg").exists() and "evidence" in self.record

    def stage_evidence(self):
        import torch
        t0 = time.time()
        model, V = self.load_model(torch)
        students = self.load_students(torch)
        tok = _tokenizer(self.model_dir / "tokenizer.json")
        eos = self.eos_id()
        hf_diff = self.hf_check(torch, model)
        data_dir = self.out / "data"
        cfg = self.cfg
        rows = {t: [json.loads(x) for x in (data_dir / mdd.FILES[t]).read_text().splitlines() if x.strip()]
                for t in ("hellaswag", "arc_easy", "arc_challenge", "fda", "swde")}
        squad = json.loads((data_dir / mdd.FILES["ruler_qa_squad"]).read_text())
        n_rt = cfg["ev_retrieval"]
        count = lambda s: len(tok.encode(s).ids)  # noqa: E731
        try:
            ruler = ruler_prompts.Builder(squad, count, SEQ).samples(n_rt)
        except ValueError:
            if not self.smoke:
                raise
            ruler = ruler_prompts.Builder(squad, count, 4 * SEQ).samples(n_rt)  # the toy tokenizer's longer haystacks
        gen_tasks = dict(
            fda=[dict(prompt=r["text"], gold=[r["value"]], value=r["value"]) for r in rows["fda"][:n_rt]],
            swde=[dict(prompt=r["text"], gold=[r["value"]], value=r["value"]) for r in rows["swde"][:n_rt]],
            ruler_qa_squad=[dict(prompt=s["prompt"], gold=s["outputs"], value=s["outputs"][0]) for s in ruler])
        variants = [()] + [(i,) for i in range(MODEL["layers"])]
        results = []
        for conv in variants:
            tv = time.time()
            res = dict(convert=list(conv))
            with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.device.startswith("cuda")):
                for task, docs in gen_tasks.items():
                    res[task] = self.generation_score(torch, model, students, conv, tok, eos, task, docs)
                for task in ("hellaswag", "arc_easy", "arc_challenge"):
                    res[task] = self.choice_score(torch, model, students, conv, tok, task, rows[task])
            res["retrieval"] = sum(res[t] for t in gen_tasks) / len(gen_tasks)
            res["commonsense"] = sum(res[t] for t in ("hellaswag", "arc_easy", "arc_challenge")) / 3
            results.append(res)
            log(f"[evidence] {'original' if not conv else f'layer {conv[0]} converted'}: retrieval "
                f"{res['retrieval']:.3f} (fda {res['fda']:.3f} swde {res['swde']:.3f} ruler {res['ruler_qa_squad']:.3f}), "
                f"commonsense {res['commonsense']:.3f} (hellaswag {res['hellaswag']:.3f} arc_easy "
                f"{res['arc_easy']:.3f} arc_challenge {res['arc_challenge']:.3f}) ({time.time() - tv:.1f} s)")
        heat, per_task = self.attention_on_value(torch, model, tok, gen_tasks, cfg["ev_attention"])
        self.save_record("evidence", dict(
            what=("retrieval: lm-eval's metrics computed here in PyTorch (bf16 autocast, greedy) on the first "
                  f"{n_rt} rows of fda and swde and the first {len(ruler)} ruler_qa_squad prompts of the demo data "
                  "at 1024 tokens; commonsense: acc_norm on all rows; a variant converts one layer to its "
                  "Stage-1 lightning mixer. attention_on_value[layer][head]: mean over answer-generating "
                  "positions of the attention probability on the context tokens of the gold value (original "
                  f"model, first {cfg['ev_attention']} prompts per retrieval task). halo's own sweep is the "
                  "reference; these numbers are the training script's check."),
            hf_max_abs_logit_diff=hf_diff, variants=results, attention_on_value=heat,
            attention_on_value_per_task=per_task, seconds=round(time.time() - t0, 1)))
        labels = [("orig", results[0])] + [(f"L{i}", r) for i, r in enumerate(results[1:])]
        svg = demo_svg.retrieval_heads_svg(
            heat, [(lab, r["retrieval"], r["commonsense"]) for lab, r in labels],
            "halo demo: retrieval lives in a few layers",
            notes=[f"* layers {', '.join(map(str, GLOBAL_LAYERS))}: trained without the locality penalty "
                   f"(the others pay for attention beyond {LOCAL_WINDOW} tokens)",
                   "left: attention from the positions that generate a retrieval answer onto the gold value's tokens",
                   "right: L = that layer's attention replaced by its distilled lightning mixer; dashed: original "
                   "model (PyTorch, lm-eval metrics)"],
            marked_layers=GLOBAL_LAYERS)
        tmp = self.out / "retrieval_heads.svg.tmp"
        tmp.write_text(svg)
        tmp.replace(self.out / "retrieval_heads.svg")
        log(f"[evidence] attention on the gold value per layer (max over heads): "
            f"{' '.join(f'{max(r):.2f}' for r in heat)} ({time.time() - t0:.0f} s)")

    def generation_score(self, torch, model, students, conv, tok, eos, task, docs):
        """Greedy generation as lm-eval runs it: fda/swde stop at "\\n" (48 tokens), ruler at the
        end-of-text (32 tokens); contains / string_match_part."""
        max_new = 32 if task == "ruler_qa_squad" else 48
        prompts = [tok.encode(d["prompt"]).ids for d in docs]
        outs = [None] * len(docs)
        order = sorted(range(len(docs)), key=lambda i: -len(prompts[i]))
        Bsz = self.cfg["ev_batch"]
        for b0 in range(0, len(order), Bsz):
            idx = order[b0:b0 + Bsz]
            lens = torch.tensor([len(prompts[i]) for i in idx], device=self.device)
            buf = torch.full((len(idx), int(lens.max()) + max_new), eos, dtype=torch.long, device=self.device)
            for r, i in enumerate(idx):
                buf[r, :len(prompts[i])] = torch.tensor(prompts[i], device=self.device)
            gen = [[] for _ in idx]
            done = [False] * len(idx)
            for _ in range(max_new):
                L = int(lens.max())
                hidden = forward(torch, model, buf[:, :L], convert=conv, students=students)
                last = hidden[torch.arange(len(idx), device=self.device), lens - 1]
                nxt = logits_of(torch, model, last).float().argmax(-1).tolist()
                for r in range(len(idx)):
                    if done[r]:
                        continue
                    if nxt[r] == eos:
                        done[r] = True
                        continue
                    gen[r].append(nxt[r])
                    buf[r, int(lens[r])] = nxt[r]
                    lens[r] += 1
                    if task != "ruler_qa_squad" and "\n" in tok.decode(gen[r], skip_special_tokens=False):
                        done[r] = True
                if all(done):
                    break
            for r, i in enumerate(idx):
                outs[i] = tok.decode(gen[r], skip_special_tokens=True)
        scores = []
        for d, o in zip(docs, outs):
            if task == "ruler_qa_squad":
                pred = o.strip()
                pred = "".join("\n" if ord(c) < 32 else c for c in pred).strip().lower()
                scores.append(sum(g.lower() in pred for g in d["gold"]) / len(d["gold"]))
            else:
                o = o.split("\n")[0]
                scores.append(float(d["gold"][0].lower() in o.lower()))
        return sum(scores) / len(scores)

    def choice_score(self, torch, model, students, conv, tok, task, rows):
        """acc_norm as lm-eval computes it: the continuation " " + choice after the context, its
        log-likelihood divided by the choice's length in characters; ties to the lowest index."""
        docs, reqs = [], []
        for r in rows:
            if task == "hellaswag":
                ctx = f"{r['activity_label']}: {r['ctx_a']} {r['ctx_b'].capitalize()}".strip()
                choices, gold = [e.strip() for e in r["endings"]], int(r["label"])
            else:
                ctx = dw.arc_prompt(r["question"])
                choices, gold = r["choices"]["text"], r["choices"]["label"].index(r["answerKey"])
            n_ctx = len(tok.encode(ctx).ids)
            docs.append((len(reqs), [len(c) for c in choices], gold))
            reqs += [(tok.encode(ctx + " " + c).ids, n_ctx) for c in choices]
        lls = []
        for b0 in range(0, len(reqs), 64):
            chunk = reqs[b0:b0 + 64]
            T = max(len(w) for w, _ in chunk)
            ids = torch.zeros((len(chunk), T), dtype=torch.long)
            tgt = torch.zeros((len(chunk), T - 1), dtype=torch.long)
            use = torch.zeros((len(chunk), T - 1))
            for k, (whole, n_ctx) in enumerate(chunk):
                ids[k, :len(whole)] = torch.tensor(whole)
                tgt[k, :len(whole) - 1] = torch.tensor(whole[1:])
                use[k, n_ctx - 1:len(whole) - 1] = 1.0
            ids, tgt, use = ids.to(self.device), tgt.to(self.device), use.to(self.device)
            hidden = forward(torch, model, ids, convert=conv, students=students)
            lp = torch.log_softmax(logits_of(torch, model, hidden[:, :-1]).float(), -1)
            lls += (lp.gather(-1, tgt[:, :, None])[:, :, 0] * use).sum(-1).tolist()
        correct = 0
        for first, lengths, gold in docs:
            norm = [lls[first + c] / lengths[c] for c in range(len(lengths))]
            correct += int(max(range(len(norm)), key=lambda c: (norm[c], -c)) == gold)
        return correct / len(docs)

    def attention_on_value(self, torch, model, tok, gen_tasks, n):
        """Mean attention probability from the answer-generating positions onto the gold value's tokens
        in the context, per layer and head (original model)."""
        Lh = MODEL["layers"]
        total = [[0.0] * MODEL["nh"] for _ in range(Lh)]
        per_task, count = {}, 0
        for task, docs in gen_tasks.items():
            acc, k = [[0.0] * MODEL["nh"] for _ in range(Lh)], 0
            for d in docs[:n]:
                prompt = d["prompt"]
                ctx_end = prompt.rfind("Question:") if task == "ruler_qa_squad" else prompt.rfind(" \n ")
                spans, at = [], prompt.find(d["value"])
                while 0 <= at < ctx_end:
                    spans.append((at, at + len(d["value"])))
                    at = prompt.find(d["value"], at + 1)
                if not spans:
                    continue
                enc = tok.encode(prompt)
                answer = tok.encode(prompt + " " + d["value"]).ids[len(enc.ids):]
                if not answer:
                    continue
                value_tok = [t for t, (s, e) in enumerate(enc.offsets) if any(e > a and s < b for a, b in spans)]
                ids = torch.tensor([enc.ids + answer], device=self.device)
                probs = []
                with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16,
                                                     enabled=self.device.startswith("cuda")):
                    forward(torch, model, ids, collect=probs)
                q0 = len(enc.ids) - 1
                rows_ = slice(q0, q0 + len(answer))
                vt = torch.tensor(value_tok, device=self.device)
                for layer, p in enumerate(probs):
                    m = p[0][:, rows_][:, :, vt].sum(-1).mean(-1)   # (heads,)
                    for h in range(MODEL["nh"]):
                        acc[layer][h] += float(m[h])
                k += 1
            if k:
                per_task[task] = [[round(v / k, 4) for v in row] for row in acc]
                for layer in range(Lh):
                    for h in range(MODEL["nh"]):
                        total[layer][h] += acc[layer][h]
                count += k
        return [[round(v / max(1, count), 4) for v in row] for row in total], per_task

    # -- driver ------------------------------------------------------------------------------
    def run(self):
        import torch
        import transformers
        self.out.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(SEEDS["lm_init"])
        random.seed(0)
        self.save_record("versions", dict(torch=torch.__version__, transformers=transformers.__version__,
                                          python=sys.version.split()[0], smoke=self.smoke))
        self.save_record("seeds", SEEDS)
        self.save_record("model", dict(MODEL, lightning=LIGHTNING, sequence=SEQ))
        timings = dict(self.record.get("timings", {}))
        redo = False

        def stage(name, done, fn, *args):
            nonlocal redo
            t0 = time.time()
            if redo or not done():
                redo = True
                log(f"== {name}")
                result = fn(*args)
                timings[name] = round(time.time() - t0, 1)
                self.save_record("timings", timings)
                return result
            log(f"== {name}: outputs exist, skipped")
            return None

        stage("tokenizer", self.done_tokenizer, self.stage_tokenizer)
        need_lm = redo or not self.done_lm()
        need_s1 = need_lm or not self.done_stage1()
        lm_seqs = s1_seqs = None
        if need_s1:
            # All training text is made before CUDA starts (forked workers).
            t0 = time.time()
            eos, tok_path = self.eos_id(), self.model_dir / "tokenizer.json"
            if need_lm:
                lm_seqs = training_sequences(tok_path, SEEDS["lm_text"], self.cfg["lm_steps"] * self.cfg["lm_batch"],
                                             eos, self.workers)
            s1_seqs = training_sequences(tok_path, SEEDS["stage1_text"], self.cfg["s1_steps"] * self.cfg["s1_batch"],
                                         eos, self.workers)
            n_tok = sum(int((s[1] != 255).sum()) for s in (lm_seqs, s1_seqs) if s is not None)
            timings["training_text"] = round(time.time() - t0, 1)
            log(f"[text] {n_tok / 1e6:.1f} M tokens of packed training text with {self.workers} workers "
                f"({time.time() - t0:.0f} s)")
        stage("language model", self.done_lm, self.stage_lm, lm_seqs)
        lm_seqs = None
        if need_s1:
            # The teacher is the model as saved (bf16 weights), which is what halo runs.
            stage("stage1", self.done_stage1, lambda: self.stage_stage1(self.load_model(torch)[0], s1_seqs))
        else:
            stage("stage1", self.done_stage1, lambda: None)
        s1_seqs = None
        torch.cuda.empty_cache() if self.device.startswith("cuda") else None
        stage("data", self.done_data, self.stage_data)
        stage("evidence", self.done_evidence, self.stage_evidence)
        timings["total_this_run"] = round(time.time() - self.t_start, 1)
        self.save_record("timings", timings)
        sizes = {p: sum(f.stat().st_size for f in (self.out / p).rglob("*") if f.is_file())
                 for p in ("model", "stage1", "data")}
        sizes["all"] = sum(f.stat().st_size for f in self.out.rglob("*") if f.is_file())
        self.save_record("bytes", sizes)
        log(f"== done in {time.time() - self.t_start:.0f} s; bytes {sizes}")
        if sizes["all"] > 15_000_000 and not self.smoke:
            self.problems.append(f"outputs are {sizes['all']} bytes (> 15 MB)")
        if self.problems:
            self.save_record("problems", self.problems)
            log("PROBLEMS: " + "; ".join(self.problems))
            return 1
        log("OK")
        return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory (model/, stage1/, data/, figure, training.json)")
    ap.add_argument("--smoke", action="store_true", help="every stage at toy size (< 1 minute)")
    ap.add_argument("--device", default="cuda", help="torch device (default cuda)")
    args = ap.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    return Run(args.out, SMOKE if args.smoke else FULL, args.smoke, args.device).run()


if __name__ == "__main__":
    sys.exit(main())
