// Text placed inside the report's HTML and SVG: the characters with a meaning there are escaped.
#pragma once

#include <string>

namespace halo::select {

std::string html_escape(const std::string& text);

}  // namespace halo::select
