// dump: field escaping and the composefs-dump(5) parser.
#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>
#include <zlib.h>

#include "dump/escape.hpp"
#include "dump/parse.hpp"
#include "util/unique_fd.hpp"

using namespace std::string_literals;
using cfs::dump::append_escaped;
using cfs::dump::unescape;
using cfs::tree::Node;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

const std::string kRoot = "/ 4096 40755 2 0 0 0 100.5 - - -\n";

std::string esc(std::string_view v, unsigned flags) {
  std::string out = "<";
  append_escaped(out, v, flags);  // appends, keeps what was there
  return out.substr(1);
}

std::string unesc(std::string_view v) {
  auto r = unescape(v);
  return r.ok() ? *r : "<error: " + r.error().msg + ">";
}

cfs::Result<cfs::tree::Tree> parse(std::string_view text, bool strict = false) {
  return cfs::dump::parse_dump(text, cfs::dump::ParseOptions{strict});
}

// The error message of parsing `text`, or "<ok>".
std::string err_of(std::string_view text, bool strict = false) {
  auto r = parse(text, strict);
  return r.ok() ? "<ok>" : r.error().msg;
}

// An xattr of two string literals, to compare with parsed ones.
cfs::tree::Xattr xattr(std::string_view name, std::string_view value) {
  return {cfs::util::Str::literal(name), cfs::util::Str::literal(value)};
}

std::string prefix(int line) { return "line " + std::to_string(line) + ": "; }

std::vector<std::string> child_names(const Node& dir) {
  std::vector<std::string> names;
  for (const Node* c : dir.children) names.push_back(c->name.str());
  return names;
}

const Node* child(const Node& dir, std::string_view name) { return cfs::tree::Tree::lookup_child(dir, name); }

std::string file(const std::string& path, const std::string& rest = "0 100644 1 0 0 0 100.5 - - -") {
  return path + " " + rest + "\n";
}

}  // namespace

TEST_CASE("unescape accepts the five escapes", "[dump][escape]") {
  CHECK(unesc("plain") == "plain");
  CHECK(unesc("") == "");
  CHECK(unesc(R"(a\\b)") == "a\\b");
  CHECK(unesc(R"(\n\r\t)") == "\n\r\t");
  CHECK(unesc(R"(\x41\x7a)") == "Az");
  CHECK(unesc(R"(\xff\xFF\xAb)") == "\xff\xff\xab");
  CHECK(unesc(R"(\x00z)") == "\0z"s);
  CHECK(unesc(R"(\x2d)") == "-");
  CHECK(unesc(R"(x\x20y\\)") == "x y\\");
}

TEST_CASE("unescape rejects everything else", "[dump][escape]") {
  for (std::string_view bad : {R"(\X41)", R"(abc\)", R"(\x)", R"(\x4)", R"(a\x4)", R"(\xg1)", R"(\x1g)",
                               R"(\a)", R"(\0)", R"(\ )", R"(\")", R"(\u0041)"}) {
    INFO(bad);
    CHECK_FALSE(unescape(bad).ok());
  }
}

TEST_CASE("append_escaped: standard escaping", "[dump][escape]") {
  std::string out = "keep:";
  append_escaped(out, "a b", cfs::dump::ESCAPE_STANDARD);
  CHECK(out == "keep:a\\x20b");
  CHECK(esc("\\\n\r\t", cfs::dump::ESCAPE_STANDARD) == R"(\\\n\r\t)");
  CHECK(esc("\xff\x80\x7f\x01", cfs::dump::ESCAPE_STANDARD) == R"(\xff\x80\x7f\x01)");
  CHECK(esc("\0"s, cfs::dump::ESCAPE_STANDARD) == R"(\x00)");
  CHECK(esc("a=b", cfs::dump::ESCAPE_STANDARD) == "a=b");
  CHECK(esc("-", cfs::dump::ESCAPE_STANDARD) == "-");
  CHECK(esc("!~", cfs::dump::ESCAPE_STANDARD) == "!~");
  CHECK(esc("", cfs::dump::ESCAPE_STANDARD) == "");
}

TEST_CASE("append_escaped: flags", "[dump][escape]") {
  using namespace cfs::dump;
  CHECK(esc("a b\xe9", NOESCAPE_SPACE) == R"(a b\xe9)");
  CHECK(esc("\t", NOESCAPE_SPACE) == R"(\t)");
  CHECK(esc("a=b c", ESCAPE_EQUAL) == R"(a\x3db\x20c)");
  CHECK(esc("a=b c", ESCAPE_EQUAL | NOESCAPE_SPACE) == R"(a\x3db c)");
  CHECK(esc("-", ESCAPE_LONE_DASH) == R"(\x2d)");
  CHECK(esc("--", ESCAPE_LONE_DASH) == "--");
  CHECK(esc("-a", ESCAPE_LONE_DASH) == "-a");
  CHECK(esc("", ESCAPE_LONE_DASH) == "");
  CHECK(esc("-", ESCAPE_LONE_DASH | ESCAPE_EQUAL) == R"(\x2d)");
}

TEST_CASE("append_escaped output unescapes to the input", "[dump][escape]") {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  for (unsigned flags = 0; flags < 8; ++flags) {
    INFO(flags);
    CHECK(unesc(esc(all, flags)) == all);
    CHECK((esc(all, flags).find(' ') != std::string::npos) == bool(flags & cfs::dump::NOESCAPE_SPACE));
  }
}

TEST_CASE("parser errors carry the right line number", "[dump][parse]") {
  const std::string big_name(256, 'n');
  const std::string d63(63, 'a'), d64(64, 'a');
  const std::string sym4096(4096, 't');
  struct Case {
    const char* what;
    std::string text;
    int line;
    const char* needle;  // part of the message that names the actual problem
  };
  const std::vector<Case> cases = {
      {"root not first", file("/a") + kRoot, 1, "must come first"},
      {"duplicate root", kRoot + file("/a") + kRoot, 3, "duplicate root"},
      {"non-dir root", "/ 0 100644 1 0 0 0 100.5 - - -\n", 1, "must be a directory"},
      {"missing parent", kRoot + file("/x/y"), 2, "is missing"},
      {"parent not a dir", kRoot + file("/f") + file("/f/g"), 3, "not a directory"},
      {"parent is a hardlink", kRoot + file("/d", "0 40755 2 0 0 0 1.0 - - -") + file("/h", "0 @100644 1 0 0 0 1.0 /d - -") + file("/h/x"), 4, "not a directory"},
      {"dot name", kRoot + file("/."), 2, ". or .."},
      {"dotdot name", kRoot + file("/.."), 2, ". or .."},
      {"dotdot in the middle", kRoot + file("/d", "0 40755 2 0 0 0 1.0 - - -") + file("/d/../x"), 3, "is missing"},
      {"trailing slash", kRoot + file("/d", "0 40755 2 0 0 0 1.0 - - -") + file("/d/"), 3, "empty file name"},
      {"trailing slash, missing", kRoot + file("/a/"), 2, "is missing"},
      {"empty line", kRoot + "\n" + file("/a"), 2, "empty line"},
      {"trailing blank line", kRoot + file("/a") + "\n", 3, "empty line"},
      {"name of 256 bytes", kRoot + file("/" + big_name), 2, "longer than 255"},
      {"duplicate path", kRoot + file("/a") + file("/b") + file("//a"), 4, "already exists"},
      {"duplicate, next line", kRoot + file("/a") + file("/a"), 3, "already exists"},
      {"duplicate in an out-of-order directory", kRoot + file("/b") + file("/a") + file("/c") + file("/a"), 5,
       "already exists"},
      {"bad mode digits", kRoot + file("/a", "0 100648 1 0 0 0 1.0 - - -"), 2, "MODE"},
      {"mode with junk", kRoot + file("/a", "0 100644x 1 0 0 0 1.0 - - -"), 2, "MODE"},
      {"empty mode", kRoot + file("/a", "0  1 0 0 0 1.0 - - -"), 2, "MODE"},
      {"bad file type", kRoot + file("/a", "0 170644 1 0 0 0 1.0 - - -"), 2, "file type"},
      {"no file type", kRoot + file("/a", "0 644 1 0 0 0 1.0 - - -"), 2, "file type"},
      {"SIZE overflow", kRoot + file("/a", "18446744073709551616 100644 1 0 0 0 1.0 - - -"), 2, "SIZE: "},
      {"NLINK overflow", kRoot + file("/a", "0 100644 4294967296 0 0 0 1.0 - - -"), 2, "NLINK: "},
      {"UID overflow", kRoot + file("/a", "0 100644 1 4294967296 0 0 1.0 - - -"), 2, "UID: "},
      {"GID overflow", kRoot + file("/a", "0 100644 1 0 4294967296 0 1.0 - - -"), 2, "GID: "},
      {"GID junk with a non-zero UID", kRoot + file("/a", "0 100644 1 5 xyz 0 1.0 - - -"), 2, "GID: "},
      {"RDEV overflow", kRoot + file("/c", "0 20644 1 0 0 4294967296 1.0 - - -"), 2, "RDEV: "},
      {"negative SIZE", kRoot + file("/a", "-1 100644 1 0 0 0 1.0 - - -"), 2, "SIZE: "},
      {"negative UID", kRoot + file("/a", "0 100644 1 -1 0 0 1.0 - - -"), 2, "UID: "},
      {"empty SIZE", kRoot + file("/a", " 100644 1 0 0 0 1.0 - - -"), 2, "SIZE: "},
      {"nsec 10^9", kRoot + file("/a", "0 100644 1 0 0 0 1.1000000000 - - -"), 2, "MTIME: "},
      {"nsec overflow", kRoot + file("/a", "0 100644 1 0 0 0 1.4294967296 - - -"), 2, "MTIME: "},
      {"mtime without dot", kRoot + file("/a", "0 100644 1 0 0 0 100 - - -"), 2, "MTIME: "},
      {"mtime 1.2.3", kRoot + file("/a", "0 100644 1 0 0 0 1.2.3 - - -"), 2, "MTIME: "},
      {"mtime empty nsec", kRoot + file("/a", "0 100644 1 0 0 0 1. - - -"), 2, "MTIME: "},
      {"DIGEST 63 digits", kRoot + file("/a", "1 100644 1 0 0 0 1.0 x - " + d63), 2, "DIGEST: "},
      {"DIGEST 65 digits", kRoot + file("/a", "1 100644 1 0 0 0 1.0 x - " + d64 + "a"), 2, "DIGEST: "},
      {"DIGEST 66 digits", kRoot + file("/a", "1 100644 1 0 0 0 1.0 x - " + d64 + "aa"), 2, "DIGEST: "},
      {"DIGEST non-hex", kRoot + file("/a", "1 100644 1 0 0 0 1.0 x - " + d63 + "g"), 2, "DIGEST: "},
      {"DIGEST abcd", kRoot + file("/a", "1 100644 1 0 0 0 1.0 x - abcd"), 2, "DIGEST: "},
      {"NUL in path", kRoot + file("/a\\x00zzz"), 2, "NUL"},
      {"NUL in xattr name", kRoot + file("/a", "0 100644 1 0 0 0 1.0 - - - user.a\\x00b=1"), 2, "NUL"},
      {"NUL in payload", kRoot + file("/a", "1 100644 1 0 0 0 1.0 x\\x00y - -"), 2, "NUL"},
      {"NUL in hardlink target", kRoot + file("/f") + file("/h", "0 @100644 1 0 0 0 1.0 /f\\x00 - -"), 3, "NUL"},
      {"raw NUL byte", kRoot + file("/a", "0 100644 1 0 0 0 1.0 - - - user.a=\0"s), 2, "NUL"},
      {"bad escape in path", kRoot + file("/a\\q"), 2, "escape"},
      {"duplicate xattr", kRoot + file("/a", "0 100644 1 0 0 0 1.0 - - - user.a=1 user.b=2 user.a=1"), 2, "twice"},
      {"xattr without =", kRoot + file("/a", "0 100644 1 0 0 0 1.0 - - - user.a"), 2, "'='"},
      {"double space in xattrs", kRoot + file("/a", "0 100644 1 0 0 0 1.0 - - - user.a=1  user.b=2"), 2, "'='"},
      {"empty xattr name", kRoot + file("/a", "0 100644 1 0 0 0 1.0 - - - =v"), 2, "xattr name"},
      {"xattr name of 256 bytes", kRoot + file("/a", "0 100644 1 0 0 0 1.0 - - - user." + std::string(251, 'k') + "=v"), 2, "xattr name"},
      {"xattr value > 65535", kRoot + file("/a", "0 100644 1 0 0 0 1.0 - - - user.a=" + std::string(65536, 'v')), 2, "xattr"},
      {"xattr budget > 32767", kRoot + file("/a", "0 100644 1 0 0 0 1.0 - - - user.a=" + std::string(32743, 'v')), 2, "32767"},
      {"xattr budget over two", kRoot + file("/a", "0 100644 1 0 0 0 1.0 - - - user.a=" + std::string(16000, 'v') + " user.b=" + std::string(16000, 'v') + " user.c=" + std::string(800, 'v')), 2, "32767"},
      {"hardlink to missing target", kRoot + file("/f") + file("/h", "0 @100644 1 0 0 0 1.0 /nope - -"), 3, "not found"},
      {"self hardlink", kRoot + file("/f") + file("/h", "0 @100644 1 0 0 0 1.0 /h - -"), 3, "itself"},
      {"hardlink cycle", kRoot + file("/a", "0 @100644 1 0 0 0 1.0 /b - -") + file("/b", "0 @100644 1 0 0 0 1.0 /a - -"), 2, "cycle"},
      {"hardlink '-' target", kRoot + file("/f") + file("/h", "0 @100644 1 0 0 0 1.0 - - -"), 3, "no target"},
      {"hardlink empty target", kRoot + file("/f") + file("/h", "0 @100644 1 0 0 0 1.0  - -"), 3, "no target"},
      {"directory hardlink line", kRoot + file("/d", "0 40755 2 0 0 0 1.0 - - -") + file("/h", "0 @40755 1 0 0 0 1.0 /d - -"), 3, "hardlink"},
      {"CONTENT length != SIZE", kRoot + file("/a", "4 100644 1 0 0 0 1.0 - abc -"), 2, "CONTENT: "},
      {"directory with empty CONTENT", "/ 4096 40755 2 0 0 0 100.5\n", 1, "CONTENT: "},
      {"content > 5000", kRoot + file("/a", "5001 100644 1 0 0 0 1.0 - " + std::string(5001, 'c') + " -"), 2, "5000"},
      {"payload of 4096 bytes", kRoot + file("/a", "1 100644 1 0 0 0 1.0 " + sym4096 + " - -"), 2, "PAYLOAD: "},
      {"symlink without target", kRoot + file("/l", "1 120777 1 0 0 0 1.0 - - -"), 2, "symlink"},
      {"symlink with empty target", kRoot + file("/l", "0 120777 1 0 0 0 1.0  - -"), 2, "symlink"},
      {"symlink target of 4096", kRoot + file("/l", "4096 120777 1 0 0 0 1.0 " + sym4096 + " - -"), 2, "symlink"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.what) {
      CHECK_THAT(err_of(c.text), StartsWith(prefix(c.line)) && Contains(c.needle));
    }
  }
}

TEST_CASE("parser error errnos", "[dump][parse]") {
  auto errnum = [](const std::string& text) {
    auto r = parse(text);
    return r.ok() ? 0 : r.error().errnum;
  };
  CHECK(errnum(kRoot + file("/" + std::string(256, 'n'))) == ENAMETOOLONG);
  CHECK(errnum(kRoot + file("/a") + file("/a")) == EEXIST);
  CHECK(errnum(kRoot + file("/x/y")) == ENOENT);
  CHECK(errnum(kRoot + file("/a", "0 @100644 1 0 0 0 1.0 /b - -") + file("/b", "0 @100644 1 0 0 0 1.0 /a - -")) == ELOOP);
  CHECK(errnum("") != 0);
}

TEST_CASE("strict-mode-only rejections", "[dump][parse][strict]") {
  struct Case {
    const char* what;
    std::string text;
    int line;
  };
  const std::vector<Case> cases = {
      {"missing final newline", kRoot + "/a 0 100644 1 0 0 0 100.5 - - -", 2},
      {"RDEV on a regular file", kRoot + file("/a", "0 100644 1 0 0 5 100.5 - - -"), 2},
      {"symlink SIZE mismatch", kRoot + file("/l", "3 120777 1 0 0 0 100.5 /target - -"), 2},
      {"symlink with CONTENT", kRoot + file("/l", "7 120777 1 0 0 0 100.5 /target /target -"), 2},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.what) {
      CHECK(err_of(c.text, false) == "<ok>");
      CHECK_THAT(err_of(c.text, true), StartsWith(prefix(c.line)));
    }
  }
  auto t = parse(kRoot + file("/l", "3 120777 1 0 0 0 100.5 /target - -") + file("/a", "0 100644 1 0 0 5 100.5 - - -"));
  REQUIRE(t.ok());
  CHECK(child(*t->root(), "l")->size == 7);
  CHECK(child(*t->root(), "a")->rdev == 0);
}

TEST_CASE("parser accepts unsorted input and sorts children bytewise", "[dump][parse]") {
  std::string text = kRoot + file("/b") + file("/d", "0 40755 2 0 0 0 1.0 - - -") + file("/c", "0 40755 2 0 0 0 1.0 - - -") +
                     file("/d/z") + file("/c/y", "0 40755 2 0 0 0 1.0 - - -") + file("/d/a") + file("/c/y/deep") + file("/a") +
                     file("/\\xff") + file("/-x") + file("/+x") + file("/\\x20x") + file("/Z");
  auto t = parse(text);
  REQUIRE(t.ok());
  const Node& root = *t->root();
  CHECK(child_names(root) == std::vector<std::string>{" x", "+x", "-x", "Z", "a", "b", "c", "d", "\xff"});
  CHECK(child_names(*child(root, "d")) == std::vector<std::string>{"a", "z"});
  const Node* deep = child(*child(*child(root, "c"), "y"), "deep");
  REQUIRE(deep);
  CHECK(cfs::tree::Tree::path_of(*deep) == "/c/y/deep");
  CHECK(deep->parent->parent == child(root, "c"));
}

TEST_CASE("parser resolves forward hardlinks and chains", "[dump][parse][hardlink]") {
  std::string text = kRoot + file("/h1", "0 @100644 1 0 0 0 100.5 /f - -") +   // forward reference
                     file("/h2", "garbage @100644 x y z w nodot /h1 zz qq user.x=1") +  // link to a link
                     file("/l", "0 @120777 - - - - 0.0 /target - -") +              // containers/storage style
                     file("/f", "0 100644 7 0 0 0 100.5 - - -") +
                     file("/target", "1 120777 1 0 0 0 100.5 f - -") + file("/d", "0 40755 2 0 0 0 1.0 - - -") +
                     file("/dl", "0 @100644 1 0 0 0 1.0 //d/ - -");
  auto t = parse(text);
  REQUIRE(t.ok());
  const Node& root = *t->root();
  const Node* f = child(root, "f");
  REQUIRE(f);
  CHECK_FALSE(f->is_hardlink());
  CHECK(f->nlink == 7);
  CHECK(child(root, "h1")->link_to == f);
  CHECK(child(root, "h2")->link_to == f);
  CHECK(child(root, "h2")->xattrs.empty());
  CHECK(child(root, "l")->link_to == child(root, "target"));
  CHECK(child(root, "dl")->link_to == child(root, "d"));
  CHECK(&child(root, "h2")->target() == f);
}

TEST_CASE("parser field details", "[dump][parse]") {
  const std::string digest = "0123456789abcdefABCDEF0123456789abcdef0123456789abcdef0123456789";
  std::string text = kRoot + "/nine 0 100644 1 0 0 0 100.5 -\n" +
                     file("/crlf", "0 100644 1 0 0 0 100.5 - - - user.x=1\r") + "a 0 40755 1 0 0 0 100.5 - - -\n" +
                     file("//a///b") + file("/m", "0 1100644 1 0 0 0 100.5 - - -") +
                     file("/r", "5 100644 3 65536 4294967295 0 -1.999999999 /x\\x2dy - " + digest + " user.a=b=c user.e=") +
                     file("/dev", "0 20644 1 0 0 2049 100.5 - - -") + file("/fifo", "99999999999 10644 1 0 0 0 100.5 - - -") +
                     file("/c", "5 100644 1 0 0 0 100.5 \\x2d a\\x00\\n\\tb -") + file("/dash", "1 100644 1 0 0 0 100.5 - \\x2d -") +
                     file("/l", "6 120777 1 0 0 0 100.5 ../a/b - -") + file("/emptyc", "0 100644 1 0 0 0 100.5 - - -") +
                     file("/sp", "0 100644 1 0 0 0 100.5 - - - user.a\\x3db=\\x20 ");
  auto t = parse(text);
  REQUIRE(t.ok());
  const Node& root = *t->root();
  CHECK(root.name.empty());
  CHECK(root.parent == nullptr);
  CHECK(root.mtime_sec == 100);
  CHECK(root.mtime_nsec == 5);  // "100.5" is 100 s + 5 ns (strtoull of the digits)

  const Node* nine = child(root, "nine");
  REQUIRE(nine);
  CHECK(nine->content.empty());
  CHECK_FALSE(nine->digest);
  CHECK_FALSE(nine->payload);

  REQUIRE(child(root, "crlf")->xattrs.size() == 1);
  CHECK(child(root, "crlf")->xattrs[0] == xattr("user.x", "1\r"));

  const Node* a = child(root, "a");
  REQUIRE(a);
  CHECK(child_names(*a) == std::vector<std::string>{"b"});

  const Node* m = child(root, "m");
  CHECK(m->type() == S_IFREG);
  CHECK((m->mode & 0xffff) == 0100644);

  const Node* r = child(root, "r");
  CHECK(r->size == 5);
  CHECK(r->nlink == 3);
  CHECK(r->uid == 65536);
  CHECK(r->gid == 4294967295u);
  CHECK(r->mtime_sec == -1);
  CHECK(r->mtime_nsec == 999999999);
  CHECK(r->payload == "/x-y");
  REQUIRE(r->digest);
  CHECK((*r->digest)[0] == 0x01);
  CHECK((*r->digest)[7] == 0xef);
  CHECK((*r->digest)[10] == 0xef);
  CHECK((*r->digest)[31] == 0x89);
  CHECK(r->xattrs == std::vector<cfs::tree::Xattr>{xattr("user.a", "b=c"), xattr("user.e", "")});

  CHECK(child(root, "dev")->rdev == 2049);
  CHECK(child(root, "fifo")->size == 99999999999ull);
  CHECK(child(root, "c")->payload == "-");
  CHECK(child(root, "c")->content == "a\0\n\tb"s);
  CHECK(child(root, "dash")->content == "-");  // "\x2d" is a literal dash, not "absent"
  CHECK(child(root, "l")->payload == "../a/b");
  CHECK(child(root, "l")->size == 6);
  CHECK(child(root, "sp")->xattrs == std::vector<cfs::tree::Xattr>{xattr("user.a=b", " ")});
}

TEST_CASE("entries in any order give the same tree as in name order", "[dump][parse]") {
  const std::string dir = "0 40755 2 0 0 0 1.0 - - -";
  // Out of order: the root and /d get children before and after names that sort earlier.
  auto shuffled = parse(kRoot + file("/d", dir) + file("/b") + file("/d/y") + file("/a") + file("/d/x") +
                        file("/c", "0 @100644 1 0 0 0 1.0 /d/x - -") + file("/d/w", "0 @100644 1 0 0 0 1.0 /b - -"));
  REQUIRE(shuffled.ok());
  const Node* root = shuffled->root();
  CHECK(child_names(*root) == std::vector<std::string>{"a", "b", "c", "d"});
  const Node* d = child(*root, "d");
  REQUIRE(d);
  CHECK(child_names(*d) == std::vector<std::string>{"w", "x", "y"});
  CHECK(child(*root, "c")->link_to == child(*d, "x"));  // found through the hashed directory
  CHECK(child(*d, "w")->link_to == child(*root, "b"));
}

TEST_CASE("parser limits: boundaries that are accepted", "[dump][parse]") {
  CHECK(err_of(kRoot + file("/" + std::string(255, 'n'))) == "<ok>");
  CHECK(err_of(kRoot + file("/a", "0 100644 1 0 0 0 1.0 - - - user.a=" + std::string(32742, 'v'))) == "<ok>");
  CHECK(err_of(kRoot + file("/a", "5000 100644 1 0 0 0 1.0 - " + std::string(5000, 'c') + " -")) == "<ok>");
  CHECK(err_of(kRoot + file("/l", "4095 120777 1 0 0 0 1.0 " + std::string(4095, 't') + " - -")) == "<ok>");
  CHECK(err_of(kRoot + file("/a", "18446744073709551615 100644 4294967295 4294967295 4294967295 0 1.0 - - -")) == "<ok>");
  CHECK(err_of(kRoot + file("/a", "0 100644 1 0 0 0 -9223372036854775808.0 - - -")) == "<ok>");
  CHECK(err_of(kRoot + file("/a", "0 100644 1 0 0 0 100.5 - - - user.a=1 ")) == "<ok>");  // one trailing space
  CHECK(err_of("/ 4096 40755 2 0 0 0 100.5 - - -") == "<ok>");  // no final newline
}

TEST_CASE("parse_dump_fd reads plain and gzip input", "[dump][parse]") {
  const std::string text = kRoot + file("/b") + file("/a", "3 100644 1 0 0 0 1.0 - abc -");
  auto via_pipe = [](const std::string& bytes) {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    cfs::UniqueFd rd(p[0]), wr(p[1]);
    REQUIRE(bytes.size() < 60000);  // fits in the pipe buffer
    REQUIRE(::write(wr.get(), bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    wr.reset();
    return cfs::dump::parse_dump_fd(rd.get(), {});
  };
  auto plain = via_pipe(text);
  REQUIRE(plain.ok());
  CHECK(child_names(*plain->root()) == std::vector<std::string>{"a", "b"});

  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string gz(4096, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(gz.data());
  zs.avail_out = static_cast<uInt>(gz.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  gz.resize(zs.total_out);
  deflateEnd(&zs);
  auto unzipped = via_pipe(gz);
  REQUIRE(unzipped.ok());
  CHECK(child(*unzipped->root(), "a")->content == "abc");

  auto strict_fd = [&](const std::string& bytes) {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    cfs::UniqueFd rd(p[0]), wr(p[1]);
    REQUIRE(::write(wr.get(), bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    wr.reset();
    return cfs::dump::parse_dump_fd(rd.get(), {true});
  };
  CHECK(strict_fd(text).ok());
  auto no_nl = strict_fd(text.substr(0, text.size() - 1));
  REQUIRE_FALSE(no_nl.ok());
  CHECK_THAT(no_nl.error().msg, StartsWith("line 3: "));
}


// C reads "-\r" (a CRLF file's last field) as a present, empty digest and fills the
// metacopy with whatever memory held; we reject it and say why.
TEST_CASE("CRLF line without xattrs is rejected with a hint", "[dump][parse]") {
  auto err = err_of("/ 4096 40755 2 0 0 0 100.5 - - -\r\n/f 0 100644 1 0 0 0 100.5 - - -\r\n");
  CHECK(err.rfind("line 1: DIGEST:", 0) == 0);
  CHECK(err.find("CRLF") != std::string::npos);
}

// The reader stops at 2048 levels; a path is capped at 4095 bytes so the writer never
// makes an image our reader (and the kernel's path walk) cannot follow.
TEST_CASE("paths of 4096 bytes or more are refused", "[dump][parse]") {
  std::string text = "/ 4096 40755 2 0 0 0 0.0 - - -\n";
  std::string path;
  while (path.size() < 4094) {
    path += "/d";
    text += path + " 4096 40755 2 0 0 0 0.0 - - -\n";
  }
  CHECK(err_of(text) == "<ok>");
  text += path + "/x 0 100644 1 0 0 0 0.0 - - -\n";
  CHECK(err_of(text).find("path longer than 4095 bytes") != std::string::npos);
}
