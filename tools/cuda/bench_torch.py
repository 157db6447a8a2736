#!/usr/bin/env python3
"""The PyTorch + transformers (sdpa) side of the CUDA benchmark, on the same card and checkpoint as
bench_cuda_model, printing the same JSON lines:
  score    the same hellaswag-shaped documents, scored as lm-eval's HF backend does: every
           (context + continuation) request padded into batches of 64, one forward, fp32
           log-softmax over the vocabulary, gather of the continuation tokens
  prefill  one 4096-token forward with logits only for the last position (what generate() does)
  decode   greedy generate() after a 4096-token prompt, batch 1 and 32: (t(65) - t(1)) / 64
Each time is the median of three runs, as on the halo side.
Usage: bench_torch.py MODEL_DIR [--skip-b32]"""
import json
import random
import sys
import time

import torch
import torch.nn.functional as F
from transformers import AutoModelForCausalLM


def timed(fn):
    runs = []
    for _ in range(3):
        torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        runs.append(time.perf_counter() - start)
    return sorted(runs)[1]


def main():
    path = sys.argv[1]
    skip_b32 = "--skip-b32" in sys.argv
    model = AutoModelForCausalLM.from_pretrained(path, torch_dtype=torch.bfloat16, attn_implementation="sdpa").cuda().eval()
    vocab = model.config.vocab_size
    rng = random.Random(7)

    def emit(bench, **fields):
        print(json.dumps(dict(side="pytorch", model=path, variant="original", bench=bench, **fields)), flush=True)

    requests = []
    for _ in range(256):
        ctx = [rng.randrange(vocab) for _ in range(rng.randint(70, 90))]
        for _ in range(4):
            requests.append((ctx, [rng.randrange(vocab) for _ in range(rng.randint(20, 40))]))
    tokens = sum(len(c) + len(k) for c, k in requests)

    @torch.inference_mode()
    def score(batch):
        for i in range(0, len(batch), 64):
            chunk = batch[i:i + 64]
            seqs = [(c + k)[:-1] for c, k in chunk]
            width = max(map(len, seqs))
            ids = torch.zeros(len(seqs), width, dtype=torch.long)
            for r, s in enumerate(seqs):
                ids[r, :len(s)] = torch.tensor(s)
            logits = model(ids.cuda()).logits
            logprobs = F.log_softmax(logits.float(), dim=-1)
            for r, (c, k) in enumerate(chunk):
                start = len(c) - 1
                rows = logprobs[r, start:start + len(k)]
                rows.gather(1, torch.tensor(k, device="cuda")[:, None]).sum().item()

    score(requests[:32])
    s = timed(lambda: score(requests))
    emit("score", documents=256, tokens=tokens, seconds=round(s, 4), tokens_per_s=round(tokens / s))

    @torch.inference_mode()
    def generate(batch, new):
        ids = torch.randint(0, vocab, (batch, 4096), device="cuda")
        return timed(lambda: model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                            max_new_tokens=new, min_new_tokens=new, pad_token_id=0))

    generate(1, 2)
    prefill = generate(1, 1)
    emit("prefill", tokens=4096, ms=round(prefill * 1e3, 2))
    for batch in (1, 32):
        if batch == 32 and skip_b32:
            continue
        one = prefill if batch == 1 else generate(batch, 1)
        many = generate(batch, 65)
        emit("decode", batch=batch, prompt=4096, ms_per_step=round((many - one) / 64 * 1e3, 3),
             tokens_per_s=round(batch * 64 / (many - one)))
    emit("memory", peak_gib=round(torch.cuda.max_memory_allocated() / 2**30, 2))


if __name__ == "__main__":
    main()
