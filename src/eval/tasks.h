// The built-in tasks (one factory each) and the per-row functions their tests check directly.
#pragma once

#include <string>
#include <string_view>

#include "eval/jsonl.h"
#include "eval/task.h"

namespace halo::eval {

Task hellaswag_task();      // tasks_commonsense.cc
Task arc_easy_task();       // tasks_commonsense.cc
Task arc_challenge_task();  // tasks_commonsense.cc
Task fda_task();            // tasks_based.cc
Task swde_task();           // tasks_based.cc
Task ruler_qa_squad_task(); // task_ruler.cc

// hellaswag's preprocess(): strip, " [title]" → ". ", drop [bracketed] spans, "  " → " ".
std::string hellaswag_clean(std::string_view text);
// Rowan/hellaswag row → document (docs/lm-eval-rules.md §1).
Doc hellaswag_doc(const JsonRow& row);
// allenai/ai2_arc row → document (docs/lm-eval-rules.md §2).
Doc arc_doc(const JsonRow& row);
// hazyresearch/based-fda and based-swde-v2 row → document (docs/lm-eval-rules.md §3, §4).
Doc based_doc(const JsonRow& row);
// fda/swde `contains`: the gold value occurs in the output, ignoring case (docs/lm-eval-rules.md §3 item 4).
double contains_score(const Doc& doc, const std::string& output);

}  // namespace halo::eval
