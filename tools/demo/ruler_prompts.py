"""RULER's qa_squad prompts built from a SQuAD v2.0-shaped file, as lm-eval 0.4.9.1 (and halo's
src/eval/ruler_haystack.cc) builds them: paragraphs de-duplicated and sorted, answerable questions in file
order, the gold paragraph plus the rest of its article plus `random.sample`d others, shuffled with a fresh
Random(42), the number of documents searched on question 0 in steps of 10, each sample shrunk until it
fits. `count(text)` is the evaluated model's token count of text (add_special_tokens=True).

Standard library only: the demo's scripts use it to check that the demo data fits the demo's 1024-token
window, and to evaluate the demo model on exactly the prompts halo will build.
"""

import random

from demo_world import ruler_input

TOKENS_TO_GENERATE = 32
STEP = 10


def load_squad(squad):
    """(sorted unique paragraph texts, answerable questions) of a parsed SQuAD v2 file."""
    article_paragraphs = [[p["context"] for p in a["paragraphs"]] for a in squad["data"]]
    docs = sorted({t for ps in article_paragraphs for t in ps})
    index = {t: i for i, t in enumerate(docs)}
    qas = []
    for article, texts in zip(squad["data"], article_paragraphs):
        ids = [index[t] for t in texts]
        for p, paragraph in enumerate(article["paragraphs"]):
            for q in paragraph["qas"]:
                if q["is_impossible"]:
                    continue
                qas.append(dict(query=q["question"], outputs=[a["text"] for a in q["answers"]], context=ids[p],
                                more=[i for i in ids if i != ids[p]]))
    return docs, qas


class Builder:
    def __init__(self, squad, count, max_seq_length):
        self.docs, self.qas = load_squad(squad)
        self.count = count
        self.max_len = max_seq_length
        self.rng = random.Random(0)  # lm-eval's random.seed(0) global stream

    def build(self, index, num_docs):
        gold = self.qas[index]
        more = gold["more"]
        chosen = [gold["context"]]
        if num_docs < len(self.docs):
            if num_docs - 1 > len(more):
                taken = set(more) | {gold["context"]}
                extra = [i for i in range(len(self.docs)) if i not in taken]
                chosen += more + self.rng.sample(extra, num_docs - 1 - len(more))
            else:
                chosen += self.rng.sample(more, num_docs - 1)
        else:
            chosen = list(range(len(self.docs)))
        random.Random(42).shuffle(chosen)
        return ruler_input([self.docs[i] for i in chosen], gold["query"]), gold["outputs"], chosen

    def search_num_docs(self):
        num_docs, total = STEP, 0
        while total + TOKENS_TO_GENERATE < self.max_len:
            text, outputs, _ = self.build(0, num_docs)
            total = self.count(text + " " + repr(outputs))
            if total + TOKENS_TO_GENERATE > self.max_len:
                num_docs -= STEP
                break
            num_docs += STEP
            if num_docs > len(self.docs):
                num_docs = len(self.docs)
                break
        if num_docs < 1:
            raise ValueError(f"{STEP} documents already exceed {self.max_len} tokens")
        return num_docs

    def samples(self, n):
        """The first n prompts: dicts with input, prompt (input + " Answer:"), outputs, length, num_docs
        and gold_document (1-based position of the gold paragraph in the haystack)."""
        num_docs = self.search_num_docs()
        out = []
        for index in range(min(n, len(self.qas))):
            used = num_docs
            for _ in range(1000):
                text, outputs, chosen = self.build(index, used)
                length = self.count(text) + TOKENS_TO_GENERATE
                if length <= self.max_len:
                    out.append(dict(input=text, prompt=text + " Answer:", outputs=outputs, length=length,
                                    num_docs=used, gold_document=chosen.index(self.qas[index]["context"]) + 1))
                    break
                if used > STEP:
                    used -= STEP
            else:
                raise ValueError(f"sample {index} does not fit {self.max_len} tokens")
        return out
