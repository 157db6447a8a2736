// The permissions of what halo creates. Files are written through mkstemp (atomic_file.h), which
// always creates mode 0600; they are then given the mode an ordinary open(O_CREAT, 0666) would
// have had, 0666 & ~umask, so collaborators can read results as their umask intends.
#pragma once

#include <sys/types.h>

namespace halo {

// The process umask, read once and cached. It comes from the "Umask:" line of /proc/self/status,
// which reads it without changing it. Only where that line is missing (Linux before 4.7, no /proc)
// is it read with umask(2), which must set a value to return the old one: that briefly changes a
// process-wide setting, a race with any thread creating files at that moment, so main() calls
// process_umask() before any thread starts.
mode_t process_umask();

// 0666 & ~umask: the mode of a new regular file.
mode_t new_file_mode();

}  // namespace halo
