#!/usr/bin/env python3
"""Writes a random-weight Qwen3 checkpoint (config.json + safetensors, bf16) without any hub access,
and optionally a HALO Stage-1 run holding one lightning layer, for the CUDA benchmark.

  make_random_model.py OUT_DIR --shape 1.7b|8b [--run RUN_DIR --layer L[,L...]|all]

Weights follow transformers' own initialisation (normal, std 0.02; norms 1) on the GPU, so both
halo and PyTorch load the very same file."""
import argparse
import json
import os

import torch
from safetensors.torch import save_file
from transformers import Qwen3Config, Qwen3ForCausalLM

SHAPES = {
    "1.7b": dict(hidden_size=2048, intermediate_size=6144, num_hidden_layers=28,
                 num_attention_heads=16, num_key_value_heads=8, tie_word_embeddings=True),
    "8b": dict(hidden_size=4096, intermediate_size=12288, num_hidden_layers=36,
               num_attention_heads=32, num_key_value_heads=8, tie_word_embeddings=False),
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--shape", choices=SHAPES, default="1.7b")
    p.add_argument("--run")
    p.add_argument("--layer", default="14", help="lightning layer(s) of the run: 14, 0,9,27 or all")
    a = p.parse_args()
    config = Qwen3Config(vocab_size=151936, head_dim=128, max_position_embeddings=40960,
                         rope_theta=1000000.0, rms_norm_eps=1e-6, **SHAPES[a.shape])
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = Qwen3ForCausalLM(config).to(torch.bfloat16)
    model.config.torch_dtype = "bfloat16"
    model.save_pretrained(a.out, safe_serialization=True, max_shard_size="20GB")
    if a.run:
        layers = (range(config.num_hidden_layers) if a.layer == "all"
                  else [int(x) for x in a.layer.split(",")])
        write_run(a.run, config, layers)


def write_run(run_dir, config, layers):
    """A Stage-1 run in HiddenStateAligner's layout with lightning (student) layers `layers`."""
    d, nh, nkv, hidden = config.head_dim, config.num_attention_heads, config.num_key_value_heads, config.hidden_size
    orig = config.to_dict()
    orig.update(mixer_types=["attn"] * config.num_hidden_layers, lightning_use_qk_norm=True,
                lightning_use_output_norm=True, lightning_use_output_gate=True,
                lightning_use_rope=True, lightning_use_short_conv=False, lightning_nh=nh,
                lightning_nkv=nkv, lightning_head_dim=d, lightning_scale="1/sqrt(d)",
                expand_kv_proj=False)
    os.makedirs(os.path.join(run_dir, "ckpt_1"), exist_ok=True)
    with open(os.path.join(run_dir, "orig_config.json"), "w") as f:
        json.dump(orig, f, indent=2)
    g = torch.Generator(device="cuda").manual_seed(1)

    def normal(*shape):
        return (torch.randn(*shape, generator=g, device="cuda") * 0.02).to(torch.bfloat16).cpu()

    def ones(n):
        return torch.ones(n, dtype=torch.bfloat16)

    tensors = {}
    for layer in layers:
        p = f"model.model.layers.{layer}."
        s = p + "self_attn.student_layer."
        tensors |= {
            p + "input_layernorm.weight": ones(hidden),
            p + "post_attention_layernorm.weight": ones(hidden),
            p + "mlp.gate_proj.weight": normal(config.intermediate_size, hidden),
            p + "mlp.up_proj.weight": normal(config.intermediate_size, hidden),
            p + "mlp.down_proj.weight": normal(hidden, config.intermediate_size),
            s + "q_proj.weight": normal(nh * d, hidden),
            s + "k_proj.weight": normal(nkv * d, hidden),
            s + "v_proj.weight": normal(nkv * d, hidden),
            s + "o_proj.weight": normal(hidden, nh * d),
            s + "z_proj.weight": normal(nh * d, hidden),
            s + "q_norm.weight": ones(d),
            s + "k_norm.weight": ones(d),
            s + "o_norm.weight": ones(nh * d),
        }
    save_file(tensors, os.path.join(run_dir, "ckpt_1", "model.safetensors"), metadata={"format": "pt"})


if __name__ == "__main__":
    main()
