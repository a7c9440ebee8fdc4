#include "dump/print.hpp"

#include <sys/stat.h>
#include <utility>
#include <vector>

#include "dump/entry.hpp"

namespace cfs::dump {
namespace {

using tree::Node;

constexpr size_t kFlushAt = 64 * 1024;

// Buffers output and hands it to the sink in large pieces.
class Buffer {
 public:
  explicit Buffer(const TextSink& sink) : sink_(sink) {}
  ~Buffer() { flush(); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  std::string& text() { return text_; }
  // Called after each line (the line formatters end it with '\n').
  void end_line() {
    if (text_.size() >= kFlushAt) flush();
  }

 private:
  void flush() {
    if (!text_.empty()) sink_(text_);
    text_.clear();
  }
  const TextSink& sink_;
  std::string text_;
};

// Depth first in name order without recursion (images may nest 2048 levels):
// calls visit(node, path) for every node below `root`, and for `root` itself
// (path "") when `with_root` is set.
template <class Visit>
void walk(const Node& root, bool with_root, Visit visit) {
  std::vector<std::pair<const Node*, std::string>> stack;
  auto push_children = [&stack](const Node& n, const std::string& path) {
    for (auto it = n.children.rbegin(); it != n.children.rend(); ++it) stack.emplace_back(*it, path + "/" + (*it)->name.str());
  };
  if (with_root) visit(root, std::string());
  push_children(root, "");
  while (!stack.empty()) {
    auto [node, path] = std::move(stack.back());
    stack.pop_back();
    visit(*node, path);
    push_children(*node, path);
  }
}

// The printed fields of `node`'s inode, as views into the node; `xattrs` holds
// the xattr views (reused from line to line).
EntryView view_of(const Node& node, std::vector<XattrView>& xattrs) {
  xattrs.clear();
  for (const auto& x : node.xattrs) xattrs.push_back({x.name, x.value});
  EntryView e;
  e.mode = node.mode;
  e.nlink = node.nlink;
  e.uid = node.uid;
  e.gid = node.gid;
  e.rdev = node.rdev;
  e.size = node.size;
  e.mtime_sec = node.mtime_sec;
  e.mtime_nsec = node.mtime_nsec;
  if (node.payload) e.payload = std::string_view(*node.payload);
  e.content = node.content;
  if (node.digest) e.digest = *node.digest;
  e.xattrs = xattrs;
  return e;
}

void ls_line(const Node& node, const std::string& path, Buffer& b, std::vector<XattrView>& xattrs) {
  append_ls_line(b.text(), path, view_of(node.target(), xattrs), node.is_hardlink());
  b.end_line();
}

void dump_line(const Node& node, const std::string& path, Buffer& b, std::vector<XattrView>& xattrs) {
  const Node& t = node.target();
  std::string target_path;
  std::string_view target_view;
  if (node.is_hardlink()) target_view = target_path = tree::Tree::path_of(t);
  append_dump_line(b.text(), path.empty() ? "/" : path, view_of(t, xattrs),
                   node.is_hardlink() ? &target_view : nullptr);
  b.end_line();
}

}  // namespace

void print_ls(const Node& root, const TextSink& out) {
  Buffer b(out);
  std::vector<XattrView> xattrs;
  walk(root, false, [&b, &xattrs](const Node& n, const std::string& path) { ls_line(n, path, b, xattrs); });
}

void print_dump(const Node& root, const TextSink& out) {
  Buffer b(out);
  std::vector<XattrView> xattrs;
  walk(root, true, [&b, &xattrs](const Node& n, const std::string& path) { dump_line(n, path, b, xattrs); });
}

void collect_objects(const Node& root, const std::function<bool(const std::string&)>& keep,
                     std::set<std::string>& objects) {
  // Every node, in any order (the set sorts): no paths to build, unlike walk().
  std::vector<const Node*> stack{&root};
  while (!stack.empty()) {
    const Node& n = *stack.back();
    stack.pop_back();
    for (const Node* child : n.children) stack.push_back(child);
    if (n.is_hardlink() || n.type() != S_IFREG || !n.payload) continue;
    const std::string payload = n.payload->str();
    auto at = objects.lower_bound(payload);
    if (at != objects.end() && *at == payload) continue;
    if (!keep || keep(payload)) objects.emplace_hint(at, payload);
  }
}

}  // namespace cfs::dump
