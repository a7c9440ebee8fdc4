#include "dump/print.hpp"

#include <charconv>
#include <sys/stat.h>
#include <utility>
#include <vector>

#include "dump/escape.hpp"
#include "util/hex.hpp"

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
  void end_line() {
    text_ += '\n';
    if (text_.size() >= kFlushAt) flush();
  }
  template <class T>
  void number(T v, int base = 10) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v, base);
    text_.append(buf, r.ptr);
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

void ls_line(const Node& node, const std::string& path, Buffer& b) {
  std::string& t = b.text();
  append_escaped(t, path, NOESCAPE_SPACE);
  // matches C: a hardlink entry has no inode fields of its own (mode 0), so it
  // prints as a bare path.
  uint32_t type = node.is_hardlink() ? 0 : node.type();
  if (type == S_IFDIR) {
    t += "/\t";
  } else if (type == S_IFLNK) {
    t += "\t-> ";
    append_escaped(t, node.payload.value_or(tree::Str()), ESCAPE_STANDARD);
  } else if (type == S_IFREG && node.payload) {
    t += "\t@ ";
    append_escaped(t, *node.payload, ESCAPE_STANDARD);
  }
  b.end_line();
}

void dump_fields(const Node& node, Buffer& b) {
  const Node& t = node.target();
  std::string& s = b.text();
  s += ' ';
  b.number(t.size);
  s += ' ';
  if (node.is_hardlink()) s += '@';
  b.number(t.mode, 8);
  for (uint64_t v : {uint64_t{t.nlink}, uint64_t{t.uid}, uint64_t{t.gid}, uint64_t{t.rdev}}) {
    s += ' ';
    b.number(v);
  }
  s += ' ';
  b.number(t.mtime_sec);
  s += '.';
  b.number(t.mtime_nsec);
  s += ' ';
  if (node.is_hardlink())
    append_escaped(s, tree::Tree::path_of(t), ESCAPE_LONE_DASH);
  else if (t.payload)
    append_escaped(s, *t.payload, ESCAPE_LONE_DASH);
  else
    s += '-';
  s += ' ';
  // matches C: content prints with the inode size as its length, so a file turned
  // back into a whiteout (size 0) that had content prints an empty field.
  if (t.content.empty())
    s += '-';
  else
    append_escaped(s, std::string_view(t.content).substr(0, t.size), ESCAPE_LONE_DASH);
  s += ' ';
  if (t.digest)
    s += to_hex(*t.digest);
  else
    s += '-';
  for (const auto& x : t.xattrs) {
    s += ' ';
    append_escaped(s, x.name, ESCAPE_EQUAL);
    s += '=';
    append_escaped(s, x.value, ESCAPE_EQUAL);
  }
}

}  // namespace

void print_ls(const Node& root, const TextSink& out) {
  Buffer b(out);
  walk(root, false, [&b](const Node& n, const std::string& path) { ls_line(n, path, b); });
}

void print_dump(const Node& root, const TextSink& out) {
  Buffer b(out);
  walk(root, true, [&b](const Node& n, const std::string& path) {
    append_escaped(b.text(), path.empty() ? "/" : path, ESCAPE_STANDARD);
    dump_fields(n, b);
    b.end_line();
  });
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
