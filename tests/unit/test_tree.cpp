// tree: C's xattr replacement order, whiteouts, sorted children and lookup.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tree/tree.hpp"

using cfs::tree::Node;
using cfs::tree::Tree;
using cfs::tree::Xattr;

namespace {

// String literals as tree strings (static storage: nothing to keep).
constexpr cfs::util::Str L(std::string_view s) { return cfs::util::Str::literal(s); }

std::vector<std::string> names_of(const Node& n) {
  std::vector<std::string> out;
  for (const auto& x : n.xattrs) out.push_back(x.name.str());
  return out;
}

}  // namespace

TEST_CASE("set_xattr appends new names and replaces known ones as C does", "[tree][xattr]") {
  Node n;
  CHECK_FALSE(n.set_xattr(L("user.a"), L("1")));
  CHECK_FALSE(n.set_xattr(L("user.b"), L("2")));
  CHECK_FALSE(n.set_xattr(L("user.c"), L("3")));
  // C (lcfs_node_set_xattr): unset moves the last xattr into the hole, then appends.
  auto old = n.set_xattr(L("user.a"), L("new"));
  REQUIRE(old);
  CHECK(*old == Xattr{L("user.a"), L("1")});
  CHECK(names_of(n) == std::vector<std::string>{"user.c", "user.b", "user.a"});
  CHECK(n.find_xattr("user.a")->value == "new");
  // replacing the last one keeps the others where they are
  CHECK(n.set_xattr(L("user.a"), L("newer")));
  CHECK(names_of(n) == std::vector<std::string>{"user.c", "user.b", "user.a"});
  CHECK(n.xattrs.size() == 3);
}

TEST_CASE("set_xattr keeps values with NULs and empty values", "[tree][xattr]") {
  Node n;
  static const std::string with_nul("a\0b", 3);
  n.set_xattr(L("user.bin"), L(with_nul));
  n.set_xattr(L("user.empty"), L(""));
  CHECK(n.find_xattr("user.bin")->value.size() == 3);
  CHECK(n.find_xattr("user.empty")->value.empty());
  CHECK(n.find_xattr("user.none") == nullptr);
}

TEST_CASE("whiteouts are character devices with rdev 0", "[tree]") {
  CHECK(cfs::tree::is_whiteout(S_IFCHR | 0644, 0));
  CHECK_FALSE(cfs::tree::is_whiteout(S_IFCHR | 0644, 1));
  CHECK_FALSE(cfs::tree::is_whiteout(S_IFBLK | 0644, 0));
  CHECK_FALSE(cfs::tree::is_whiteout(S_IFREG | 0644, 0));
  Node n;
  n.mode = S_IFCHR;
  CHECK(n.is_whiteout());
}

TEST_CASE("children sort bytewise and lookup finds them", "[tree]") {
  Tree t;
  Node* root = t.new_node();
  root->mode = S_IFDIR | 0755;
  t.set_root(root);
  for (const char* name : {"b", "\xff", "a", "B"}) {
    Node* c = t.new_node();
    c->name = t.keep(name);
    c->parent = root;
    root->children.push_back(c);
  }
  t.sort_children();
  std::vector<std::string> order;
  for (const Node* c : root->children) order.push_back(c->name.str());
  CHECK(order == std::vector<std::string>{"B", "a", "b", "\xff"});
  CHECK(Tree::lookup_child(*root, "b") == root->children[2]);
  CHECK(Tree::lookup_child(*root, "c") == nullptr);
  CHECK(Tree::path_of(*root->children[1]) == "/a");
}
