"""Token counts with a byte-level BPE tokenizer.json, in plain Python (no `tokenizers` needed).

make_demo_data.py uses it to check that the documents it writes fit the demo's 1024-token window when
given the demo model's tokenizer. It implements exactly what the demo tokenizer uses (NFC, Qwen's
pre-tokenizer split, byte-level BPE; added tokens found literally) for ASCII text, where the Qwen
regex's Unicode classes reduce to the ASCII ones below; non-ASCII text is refused rather than guessed.
train_demo.py checks it against the `tokenizers` library on the demo's own text.
"""

import json
import re
from pathlib import Path

# Qwen2/Qwen3's split regex with \p{L} -> [A-Za-z] and \p{N} -> [0-9] (the same on ASCII text).
ASCII_SPLIT = re.compile(
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\nA-Za-z0-9]?[A-Za-z]+|[0-9]| ?[^\sA-Za-z0-9]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def bytes_to_unicode():
    """GPT-2's byte → printable character map used by byte-level BPE vocabularies."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


class ByteLevelBPE:
    def __init__(self, path):
        path = Path(path)
        if path.is_dir():
            path = path / "tokenizer.json"
        spec = json.loads(path.read_text())
        model = spec["model"]
        self.vocab = model["vocab"]
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.added = {t["content"]: t["id"] for t in spec.get("added_tokens", [])}
        self.byte_char = bytes_to_unicode()
        self.cache = {}

    def _bpe(self, piece):
        if piece in self.cache:
            return self.cache[piece]
        word = [self.byte_char[b] for b in piece.encode("utf-8")]
        while len(word) > 1:
            best, at = None, -1
            for i in range(len(word) - 1):
                r = self.ranks.get((word[i], word[i + 1]))
                if r is not None and (best is None or r < best):
                    best, at = r, i
            if best is None:
                break
            word[at:at + 2] = [word[at] + word[at + 1]]
        ids = [self.vocab[w] for w in word]
        self.cache[piece] = ids
        return ids

    def encode(self, text):
        if not text.isascii():
            raise ValueError("demo_bpe handles ASCII text only")
        ids = []
        pattern = "|".join(re.escape(t) for t in sorted(self.added, key=len, reverse=True))
        chunks = re.split(f"({pattern})", text) if pattern else [text]
        for chunk in chunks:
            if chunk in self.added:
                ids.append(self.added[chunk])
            elif chunk:
                for piece in ASCII_SPLIT.findall(chunk):
                    ids.extend(self._bpe(piece))
        return ids

    def count(self, text):
        return len(self.encode(text))
