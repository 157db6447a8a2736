#!/usr/bin/env python3
"""End to end on the shipped trained demo (examples/halo-demo): `halo sweep` over every layer on the
CPU with a few documents per task, then `halo rank`. The demo was trained so that only layer 2 can
look far back (examples/halo-demo/README.md); converting it must break retrieval, converting any
other layer must not, and the ranking must keep layer 2 as attention.

  HALO_BINARY=build/apps/halo/halo python3 tests/demo/test_demo_sweep.py
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "halo-demo"
HALO = os.environ.get("HALO_BINARY", str(ROOT / "build" / "apps" / "halo" / "halo"))


def halo(*args):
    result = subprocess.run([HALO, *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"halo {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


class DemoSweep(unittest.TestCase):
    def test_sweep_and_rank_find_the_retrieval_layer(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = pathlib.Path(tmp)
            halo("sweep", "--model", str(DEMO / "model"), "--rnn", str(DEMO / "stage1"),
                 "--model-name", "halo-demo-lightning", "--tasks", "commonsense,retrieval",
                 "--data", str(DEMO / "data"), "--ruler-lengths", "1024", "--limit", "10",
                 "--out", str(out / "sweep"))
            ranked = halo("rank", "--root", str(out / "sweep"), "--model", "halo-demo-lightning",
                          "--select", "2", "--config", str(DEMO / "stage1" / "orig_config.json"),
                          "--out", str(out / "rank"))
            ranking = json.loads((out / "rank" / "ranking.json").read_text())
            retrieval = dict(zip(ranking["layers"], ranking["retrieval"]))
            commonsense = dict(zip(ranking["layers"], ranking["commonsense"]))
            self.assertEqual(sorted(retrieval), [0, 1, 2, 3, 4, 5])
            # The signal: layer 2 holds retrieval, every other layer keeps most of it.
            self.assertLessEqual(retrieval[2], 0.2, retrieval)
            for layer in (0, 1, 3, 4, 5):
                self.assertGreaterEqual(retrieval[layer], 0.7, retrieval)
            # World knowledge lives in the MLPs, which every hybrid keeps.
            for layer, value in commonsense.items():
                self.assertGreaterEqual(value, 0.6, commonsense)
            self.assertEqual(ranking["order"][0], 2)
            self.assertIn(2, ranking["selection"]["attention_layers"])
            self.assertIn("Attention layers (k = 2", ranked.stdout)
            config = json.loads((out / "rank" / "hypenet_config.json").read_text())
            self.assertIn("mixer_types", json.dumps(config))
            # The original's retrieval is high: the model really retrieves (a random model scores ~0).
            original = json.loads((out / "sweep" / "original" / "results.json").read_text())
            tasks = original["suites"]["retrieval"]["tasks"]
            self.assertGreaterEqual(tasks["fda"]["metrics"]["contains"]["value"], 0.7)
            self.assertGreaterEqual(tasks["ruler_qa_squad"]["metrics"]["1024"]["value"], 0.3)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
