// The task side of `halo probe`: each evaluation document as one token sequence, its prompt (or
// context) followed by its gold answer (or gold choice), compared only at the answer's positions.
//   - generation tasks (ruler_qa_squad, fda, swde): the prompt exactly as `halo eval` encodes it
//     (left-truncated the same way), then the first gold answer with surrounding whitespace trimmed,
//     encoded on its own after one space (none when the prompt text already ends in whitespace),
//     cut to the task's generation budget, so that prompt + answer fit the model's length;
//   - multiple-choice tasks (hellaswag, arc_easy, arc_challenge): the context and the gold choice's
//     continuation exactly as lm-eval's log-likelihood request builds them (eval/requests.h),
//     context truncation included.
// The first compared row is the prompt's (context's) last one: it predicts the first answer token.
#pragma once

#include <string>
#include <vector>

#include "eval/codec.h"
#include "eval/runner.h"
#include "runtime/layer_probe.h"

namespace halo::probe {

struct TaskSequences {
  std::string task;
  std::string suite;  // "retrieval" (generation tasks) / "commonsense" (multiple choice)
  std::vector<runtime::ProbeSequence> sequences;
  size_t skipped = 0;  // documents without a usable gold answer (empty after encoding)
};

std::vector<TaskSequences> task_sequences(const eval::PreparedEval& prepared, const eval::Codec& codec);

}  // namespace halo::probe
