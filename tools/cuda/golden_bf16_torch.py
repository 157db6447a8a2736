#!/usr/bin/env python3
"""How often PyTorch itself changes the argmax when the golden Qwen3 fixtures run in bf16 instead of
float64: the yardstick for the CUDA backend's argmax agreement (test_cuda_parity). Only the plain
Qwen3 checkpoints are used (transformers has no HypeNet or lightning layers).
Usage: golden_bf16_torch.py tests/data/golden"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM


def main():
    root = sys.argv[1]
    cases = json.load(open(f"{root}/cases.json"))["cases"]
    total = agree = 0
    for case in cases:
        if case["rnn"] is not None or not case["model"].split("/")[-1].startswith("qwen3") or len(case["tokens"]) < 2:
            continue
        ids = torch.tensor([case["tokens"][:-1]], device="cuda")
        argmax = {}
        for dtype in (torch.float64, torch.bfloat16):
            model = AutoModelForCausalLM.from_pretrained(f"{root}/{case['model']}", dtype=dtype,
                                                         attn_implementation="sdpa").cuda().eval()
            with torch.inference_mode():
                argmax[dtype] = model(ids).logits[0].argmax(-1)
        same = int((argmax[torch.float64] == argmax[torch.bfloat16]).sum())
        total += ids.shape[1]
        agree += same
        print(f"[torch bf16] {case['name']:<28} positions {ids.shape[1]:4d} argmax agree {100 * same / ids.shape[1]:.1f}%")
    print(f"[torch bf16] plain Qwen3 fixtures: {total} positions, bf16 vs float64 argmax agreement {100 * agree / total:.2f}%")


if __name__ == "__main__":
    main()
