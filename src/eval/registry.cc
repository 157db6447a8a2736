#include "eval/registry.h"

#include <algorithm>
#include <map>
#include <string>

#include "base/error.h"
#include "eval/tasks.h"

namespace halo::eval {
namespace {

const std::map<std::string, std::vector<std::string>, std::less<>>& groups() {
  static const std::map<std::string, std::vector<std::string>, std::less<>> g = {
      {"commonsense", {"hellaswag", "arc_easy", "arc_challenge"}},
      {"retrieval", {"ruler_qa_squad", "fda", "swde"}},
  };
  return g;
}

const Task* find_task(std::string_view name) {
  for (const auto& task : all_tasks()) {
    if (task.name == name) return &task;
  }
  return nullptr;
}

std::string known_names() {
  std::string names = "commonsense, retrieval";
  for (const auto& task : all_tasks()) names += ", " + task.name;
  return names;
}

}  // namespace

const std::vector<Task>& all_tasks() {
  static const std::vector<Task> tasks = [] {
    std::vector<Task> t{arc_challenge_task(), arc_easy_task(), fda_task(), hellaswag_task(),
                        ruler_qa_squad_task(), swde_task()};
    std::sort(t.begin(), t.end(), [](const Task& a, const Task& b) { return a.name < b.name; });
    return t;
  }();
  return tasks;
}

std::vector<const Task*> resolve_tasks(std::string_view spec) {
  std::vector<const Task*> out;
  auto add = [&](std::string_view name) {
    const Task* task = find_task(name);
    HALO_CHECK(task != nullptr, "unknown task '{}' (known: {})", name, known_names());
    if (std::find(out.begin(), out.end(), task) == out.end()) out.push_back(task);
  };
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    std::string_view item = spec.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    HALO_CHECK(!item.empty(), "empty task name in '{}'", spec);
    if (auto g = groups().find(item); g != groups().end()) {
      for (const auto& name : g->second) add(name);
    } else {
      add(item);
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace halo::eval
