#!/usr/bin/env python3
"""Tests of the demo's pure-Python side (standard library only; ctest `demo_data`).

The world and data generators (determinism, row schemas, held-out splits), the plain-Python token
counter against halo's tokenizer, the RULER prompt builder against the prompts halo builds, `halo eval`
on every task of generated data, and the SVG writer. The halo binary comes from HALO_BINARY (ctest sets
it); without it the end-to-end tests are skipped.

    HALO_BINARY=build/apps/halo/halo python3 tools/demo/test_demo_data.py
"""

import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import unittest
import xml.dom.minidom
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import demo_bpe  # noqa: E402
import demo_svg  # noqa: E402
import demo_world as dw  # noqa: E402
import make_demo_data as mdd  # noqa: E402
import ruler_prompts  # noqa: E402

HALO = os.environ.get("HALO_BINARY")
TINY_TOKENIZER = ROOT / "tests" / "data" / "tokenizer" / "tiny"


def write_tiny_model(d, vocab=288, hidden=16, inter=32, heads=2, head_dim=8):
    """A random one-layer Qwen3 in float32 safetensors, written without torch."""
    rng = random.Random(0)
    tensors = {"model.embed_tokens.weight": [vocab, hidden], "model.norm.weight": [hidden]}
    p = "model.layers.0."
    for name, shape in [("input_layernorm", [hidden]), ("post_attention_layernorm", [hidden]),
                        ("self_attn.q_proj", [heads * head_dim, hidden]), ("self_attn.k_proj", [head_dim, hidden]),
                        ("self_attn.v_proj", [head_dim, hidden]), ("self_attn.o_proj", [hidden, heads * head_dim]),
                        ("self_attn.q_norm", [head_dim]), ("self_attn.k_norm", [head_dim]),
                        ("mlp.gate_proj", [inter, hidden]), ("mlp.up_proj", [inter, hidden]),
                        ("mlp.down_proj", [hidden, inter])]:
        tensors[p + name + ".weight"] = shape
    header, blobs, offset = {}, [], 0
    for name, shape in tensors.items():
        n = 1
        for s in shape:
            n *= s
        values = [1.0] * n if len(shape) == 1 else [rng.gauss(0.0, 0.3) for _ in range(n)]
        blob = struct.pack(f"<{n}f", *values)
        header[name] = dict(dtype="F32", shape=shape, data_offsets=[offset, offset + len(blob)])
        blobs.append(blob)
        offset += len(blob)
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)
    d.mkdir(parents=True)
    with open(d / "model.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))
    (d / "config.json").write_text(json.dumps(dict(
        architectures=["Qwen3ForCausalLM"], model_type="qwen3", vocab_size=vocab, hidden_size=hidden,
        intermediate_size=inter, num_hidden_layers=1, num_attention_heads=heads, num_key_value_heads=1,
        head_dim=head_dim, max_position_embeddings=8192, rms_norm_eps=1e-6, tie_word_embeddings=True,
        hidden_act="silu", rope_parameters=dict(rope_type="default", rope_theta=10000.0))))
    for f in ("tokenizer.json", "tokenizer_config.json"):
        (d / f).write_bytes((TINY_TOKENIZER / f).read_bytes())


class Data(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.world = dw.World()
        cls.data = mdd.make_rows(1, mdd.SMALL_ROWS)

    def test_deterministic_by_seed(self):
        again = mdd.make_rows(1, mdd.SMALL_ROWS)
        other = mdd.make_rows(2, mdd.SMALL_ROWS)
        self.assertEqual(json.dumps(self.data), json.dumps(again))
        for task in mdd.FILES:
            self.assertNotEqual(json.dumps(self.data[task]), json.dumps(other[task]), task)
        self.assertEqual([a["name"] for a in dw.World().animals], [a["name"] for a in self.world.animals])

    def test_row_counts_and_schemas(self):
        for task in ("hellaswag", "arc_easy", "arc_challenge", "fda", "swde"):
            self.assertEqual(len(self.data[task]), mdd.SMALL_ROWS[task], task)
        for r in self.data["hellaswag"]:
            self.assertEqual(len(r["endings"]), 4)
            self.assertIn(r["label"], ("0", "1", "2", "3"))
            self.assertEqual(r["ctx"], r["ctx_a"] + " " + r["ctx_b"])
            self.assertEqual(len(set(r["endings"])), 4, r)
        for task in ("arc_easy", "arc_challenge"):
            for r in self.data[task]:
                self.assertEqual(r["choices"]["label"], ["A", "B", "C", "D"])
                self.assertIn(r["answerKey"], r["choices"]["label"])
                self.assertEqual(len(set(r["choices"]["text"])), 4, r)
        for task in ("fda", "swde"):
            for r in self.data[task]:
                self.assertTrue(r["text"].endswith(f" \n {r['key']}:"), r["text"][-40:])
                body = r["text"][:-len(r["key"]) - 4]
                self.assertIn(f"{r['key']}: {r['value']}", body)
                self.assertEqual(r["value"], r["value"].strip())
        squad = self.data["ruler_qa_squad"]
        docs, qas = ruler_prompts.load_squad(squad)
        self.assertGreaterEqual(len(qas), mdd.SMALL_ROWS["squad_questions"])
        for article in squad["data"]:
            for p in article["paragraphs"]:
                for q in p["qas"]:
                    for a in q["answers"]:
                        self.assertEqual(p["context"][a["answer_start"]:a["answer_start"] + len(a["text"])], a["text"])

    def test_questions_are_about_held_out_animals(self):
        held = {self.world.animals[i]["name"] for i in self.world.qa_held}
        trained = {self.world.animals[i]["name"] for i in self.world.qa_train}
        for task in ("arc_easy", "arc_challenge"):
            for r in self.data[task]:
                named = {w.strip("?.,") for w in r["question"].split()} | set(r["choices"]["text"])
                self.assertFalse(named & trained, r)
                self.assertTrue(named & held or r["question"].startswith("Which of these"), r)
        rng = random.Random(5)
        for _ in range(2000):
            words = {w.strip("?.,\n") for w in dw.train_qa_doc(self.world, rng).split()}
            self.assertFalse(words & held)
        for r in self.data["hellaswag"]:
            self.assertIn(r["ctx_a"].split()[0], dw.HELD_ACTORS)

    def test_retrieval_values_are_fresh(self):
        values = [r["value"] for r in self.data["fda"] + self.data["swde"]]
        other = [r["value"] for r in mdd.make_rows(2, mdd.SMALL_ROWS)["fda"]]
        self.assertLess(len(set(values) & set(other)), 3)

    def test_training_documents_mark_their_answers(self):
        rng = random.Random(3)
        for _ in range(40):
            name, text, spans = dw.long_doc(self.world, rng, rng.random())
            self.assertTrue(spans, name)
            for a, b in spans:
                value = text[a:b]
                self.assertTrue(value and value == value.strip(), (name, value))
                self.assertIn(value, text[:a], name)   # the answer is in the document it is asked about

    def test_length_check_rejects_what_does_not_fit(self):
        with self.assertRaises(ValueError):
            mdd.check_lengths(self.data, len, 1024, 10)   # one token per character: far too long


class Svg(unittest.TestCase):
    def test_well_formed(self):
        heat = [[0.1 * (i + h) for h in range(4)] for i in range(6)]
        svg = demo_svg.retrieval_heads_svg(heat, [("orig", 0.8, 0.7), ("L0", 0.1, 0.69)], "t & <t>",
                                           notes=["a < b"], marked_layers=(2,))
        doc = xml.dom.minidom.parseString(svg)
        rects = doc.getElementsByTagName("rect")
        self.assertGreaterEqual(len(rects), 24 + 4)
        self.assertIn("layer 2 *", svg)


@unittest.skipUnless(HALO, "HALO_BINARY not set")
class AgainstHalo(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = Path(cls.tmp.name)
        write_tiny_model(cls.dir / "model")
        subprocess.run([sys.executable, str(HERE / "make_demo_data.py"), "--small", "--seed", "3", "--out",
                        str(cls.dir / "data")], check=True, capture_output=True)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_token_counter_matches_halo(self):
        tok = demo_bpe.ByteLevelBPE(TINY_TOKENIZER)
        rows = mdd.make_rows(3, mdd.SMALL_ROWS)
        texts = [r["text"] for r in rows["fda"][:3]] + [dw.arc_prompt(r["question"]) for r in rows["arc_easy"][:3]]
        for text in texts:
            path = self.dir / "text.txt"
            path.write_text(text)
            out = subprocess.run([HALO, "tokenize", "--tokenizer", str(TINY_TOKENIZER), "--file", str(path),
                                  "--ids-only"], check=True, capture_output=True, text=True).stdout.strip()
            self.assertEqual([int(x) for x in out.split(",")], tok.encode(text))

    def test_ruler_prompts_match_halo(self):
        samples = self.dir / "ruler.jsonl"
        r = subprocess.run([HALO, "eval", "--model", str(self.dir / "model"), "--data", str(self.dir / "data"),
                            "--tasks", "ruler_qa_squad", "--limit", "3", "--log-samples", str(samples)],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        halo = [json.loads(x) for x in samples.read_text().splitlines()]
        squad = json.loads((self.dir / "data" / mdd.FILES["ruler_qa_squad"]).read_text())
        tok = demo_bpe.ByteLevelBPE(TINY_TOKENIZER)
        mine = ruler_prompts.Builder(squad, tok.count, 4096).samples(3)
        self.assertEqual([m["prompt"] for m in mine], [h["context"] for h in halo])
        self.assertEqual([m["outputs"] for m in mine], [h["answers"] for h in halo])

    def test_halo_evaluates_every_task(self):
        r = subprocess.run([HALO, "eval", "--model", str(self.dir / "model"), "--data", str(self.dir / "data"),
                            "--tasks", "commonsense,retrieval", "--limit", "2"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        for task in ("arc_challenge", "arc_easy", "hellaswag", "fda", "ruler_qa_squad", "swde"):
            self.assertIn(f"|{task}", r.stdout)


if __name__ == "__main__":
    unittest.main()
