#include "erofs/writer.hpp"

#include "erofs/plan.hpp"
#include "util/memory.hpp"

namespace cfs::erofs {

namespace {

Result<WriteResult> write_plan(detail::Plan& plan, Sink& sink) {
  detail::share_xattrs(plan);
  detail::place_inodes(plan);
  uint64_t size = CFS_TRY(detail::emit_image(plan, sink));
  return WriteResult{plan.version, size};
}

}  // namespace

Result<WriteResult> write_image(const tree::Tree& tree, const WriteOptions& options, Sink& sink) {
  detail::Plan plan = CFS_TRY(detail::build_plan(tree, options));
  return write_plan(plan, sink);
}

Result<WriteResult> write_image(tree::Tree&& tree, const WriteOptions& options, Sink& sink) {
  detail::Plan plan = CFS_TRY(detail::build_plan(tree, options));
  for (detail::Inode& ino : plan.inodes) ino.node = nullptr;  // about to go
  tree.drop_nodes();
  release_free_memory();
  return write_plan(plan, sink);
}

}  // namespace cfs::erofs
