#include "erofs/writer.hpp"

#include "erofs/plan.hpp"

namespace cfs::erofs {

Result<WriteResult> write_image(const tree::Tree& tree, const WriteOptions& options, Sink& sink) {
  detail::Plan plan = CFS_TRY(detail::build_plan(tree, options));
  detail::share_xattrs(plan);
  detail::place_inodes(plan);
  uint64_t size = CFS_TRY(detail::emit_image(plan, sink));
  return WriteResult{plan.version, size};
}

}  // namespace cfs::erofs
