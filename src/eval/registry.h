// The task registry: every built-in task by name, and the groups the HALO sweep runs.
#pragma once

#include <string_view>
#include <vector>

#include "eval/task.h"

namespace halo::eval {

// All built-in tasks, in alphabetical order.
const std::vector<Task>& all_tasks();

// "commonsense" (hellaswag, arc_easy, arc_challenge), "retrieval" (ruler_qa_squad, fda, swde), a task
// name, or a comma-separated mix of these; duplicates collapse. Unknown names are a halo::Error.
std::vector<const Task*> resolve_tasks(std::string_view spec);

}  // namespace halo::eval
