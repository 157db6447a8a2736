#include "probe/probe_sequences.h"

#include <algorithm>

namespace halo::probe {

namespace {

constexpr const char* kWhitespace = " \t\r\n\f\v";

std::string trimmed(const std::string& s) {
  const size_t begin = s.find_first_not_of(kWhitespace);
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(kWhitespace) - begin + 1);
}

runtime::ProbeSequence joined(const std::vector<int32_t>& prompt, const std::vector<int32_t>& answer) {
  runtime::ProbeSequence s;
  s.tokens = prompt;
  s.tokens.insert(s.tokens.end(), answer.begin(), answer.end());
  s.first_compared = int64_t(prompt.size()) - 1;
  return s;
}

}  // namespace

std::vector<TaskSequences> task_sequences(const eval::PreparedEval& prepared, const eval::Codec& codec) {
  std::vector<TaskSequences> out;
  for (const eval::PreparedTask& task : prepared.tasks) {
    TaskSequences& t = out.emplace_back();
    t.task = task.task->name;
    if (task.task->output_type == eval::OutputType::generate_until) {
      t.suite = "retrieval";
      for (size_t d = 0; d < task.docs.size(); ++d) {
        const eval::Doc& doc = task.docs[d];
        const std::vector<int32_t>& prompt = task.prompts[d];
        const std::string answer = doc.answers.empty() ? "" : trimmed(doc.answers[0]);
        const bool spaced = !doc.context.empty() && std::string(kWhitespace).find(doc.context.back()) != std::string::npos;
        std::vector<int32_t> ids = answer.empty() ? std::vector<int32_t>{}
                                                  : codec.encode(spaced ? answer : " " + answer, false);
        if (ids.size() > size_t(std::max(task.max_new_tokens, 0))) ids.resize(size_t(std::max(task.max_new_tokens, 0)));
        if (ids.empty() || prompt.empty()) {
          ++t.skipped;
          continue;
        }
        t.sequences.push_back(joined(prompt, ids));
      }
    } else {
      t.suite = "commonsense";
      for (size_t d = 0; d < task.docs.size(); ++d) {
        const int gold = task.docs[d].gold;
        const eval::BuiltScoreRequest& built = task.score_requests[d];
        const auto requests = built.model_requests();
        // One request per continuation when truncated, else one request holding every continuation.
        const runtime::ScoreRequest* request = nullptr;
        size_t choice = 0;
        if (!built.truncated.empty()) {
          if (gold >= 0 && size_t(gold) < requests.size()) request = &requests[size_t(gold)];
        } else if (gold >= 0 && size_t(gold) < built.request.continuations.size()) {
          request = &built.request;
          choice = size_t(gold);
        }
        if (request == nullptr || request->context.empty() || request->continuations[choice].empty()) {
          ++t.skipped;
          continue;
        }
        t.sequences.push_back(joined(request->context, request->continuations[choice]));
      }
    }
  }
  return out;
}

}  // namespace halo::probe
