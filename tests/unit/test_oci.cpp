// oci: documents, paths, platforms, and the OCI layer rules on small in-memory
// layers (the random-layout oracle against umoci is tests/oci/).
#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "oci/apply.hpp"
#include "oci/document.hpp"
#include "oci/layer.hpp"
#include "oci/layout.hpp"

using namespace cfs;

namespace {

class MemorySource : public oci::ByteSource {
 public:
  explicit MemorySource(std::string bytes) : bytes_(std::move(bytes)) {}
  Result<size_t> read(std::span<uint8_t> out) override {
    size_t n = std::min(out.size(), bytes_.size() - pos_);
    std::memcpy(out.data(), bytes_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string bytes_;
  size_t pos_ = 0;
};

// A ustar archive of (name, typeflag, data, linkname) entries, mode 0644, owner 0:0.
struct TarSpec {
  std::string name;
  char type = '0';
  std::string data;
  std::string link;
};

std::string octal(uint64_t v, size_t width) {
  std::string s(width - 1, '0');
  for (size_t i = width - 1; i-- > 0; v >>= 3) s[i] = static_cast<char>('0' + (v & 7));
  return s + '\0';
}

std::string make_tar(const std::vector<TarSpec>& entries) {
  std::string out;
  for (const auto& e : entries) {
    std::string h(512, '\0');
    std::memcpy(h.data(), e.name.data(), e.name.size());
    std::memcpy(h.data() + 100, octal(e.type == '5' ? 0755 : 0644, 8).data(), 8);
    std::memcpy(h.data() + 108, octal(0, 8).data(), 8);
    std::memcpy(h.data() + 116, octal(0, 8).data(), 8);
    std::memcpy(h.data() + 124, octal(e.data.size(), 12).data(), 12);
    std::memcpy(h.data() + 136, octal(1700000000, 12).data(), 12);
    h[156] = e.type;
    std::memcpy(h.data() + 157, e.link.data(), e.link.size());
    std::memcpy(h.data() + 257, "ustar\0" "00", 8);
    std::memset(h.data() + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    std::memcpy(h.data() + 148, octal(sum, 7).data(), 7);
    out += h + e.data + std::string((512 - e.data.size() % 512) % 512, '\0');
  }
  return out + std::string(1024, '\0');
}

// Applies each archive as a layer (or, with `overlay`, the one archive as --from-tar).
tree::Tree apply(const std::vector<std::string>& layers, bool overlay = false) {
  tree::Tree tree;
  oci::ContentWriter contents(tree, nullptr, fsverity::HashAlg::sha256);
  oci::ApplyOptions options;
  options.overlay_whiteouts = overlay;
  oci::TreeBuilder builder(tree, options, contents);
  for (const auto& bytes : layers) {
    MemorySource src(bytes);
    auto layer = oci::LayerReader::open(src, "test");
    REQUIRE(layer);
    builder.begin_layer();
    oci::TarEntry e;
    while (true) {
      auto more = (*layer)->next(e);
      REQUIRE(more);
      if (!*more) break;
      auto applied = builder.apply(e, **layer);
      INFO((applied ? std::string() : applied.error().msg));
      REQUIRE(applied);
    }
    REQUIRE((*layer)->finish());
  }
  builder.finish();
  return tree;
}

std::vector<std::string> names(const tree::Node& dir) {
  std::vector<std::string> out;
  for (auto* c : dir.children) out.push_back(c->name.str());
  return out;
}

}  // namespace

TEST_CASE("clean_path strips ./ and refuses escapes", "[oci]") {
  CHECK(oci::clean_path("./a//b/./c/").value() == "a/b/c");
  CHECK(oci::clean_path("./").value() == "");
  CHECK_FALSE(oci::clean_path("../x"));
  CHECK_FALSE(oci::clean_path("a/../../x"));
  CHECK_FALSE(oci::clean_path("/etc/passwd"));
}

TEST_CASE("documents: digests, types and shapes are checked", "[oci]") {
  CHECK(oci::is_sha256_digest("sha256:" + std::string(64, 'a')));
  CHECK_FALSE(oci::is_sha256_digest("sha256:" + std::string(64, 'A')));
  CHECK_FALSE(oci::is_sha256_digest("sha512:" + std::string(64, 'a')));
  std::string d = "\"sha256:" + std::string(64, 'e') + "\"";
  auto idx = oci::parse_index(R"({"schemaVersion":2,"manifests":[{"mediaType":"x","digest":)" + d +
                                  R"(,"size":3,"annotations":{"org.opencontainers.image.ref.name":"t"}}]})", "i");
  REQUIRE(idx);
  CHECK(idx->manifests.at(0).ref_name == "t");
  CHECK_FALSE(oci::parse_index(R"({"schemaVersion":2,"manifests":[{"digest":)" + d + R"(,"size":-1}]})", "i"));
  CHECK_FALSE(oci::parse_index(R"({"schemaVersion":1,"manifests":[]})", "i"));
  CHECK_FALSE(oci::parse_index("[", "i"));
  CHECK_FALSE(oci::parse_index(std::string(100000, '['), "i"));
  CHECK_FALSE(oci::parse_config(R"({"rootfs":{"type":"layers","diff_ids":["sha256:x"]}})", "c"));
  CHECK(oci::parse_config(R"({"rootfs":{"type":"layers","diff_ids":[]}})", "c"));
}

TEST_CASE("platforms parse as OS/ARCH[/VARIANT]", "[oci]") {
  auto p = oci::parse_platform("linux/arm64/v8");
  REQUIRE(p);
  CHECK((p->os == "linux" && p->architecture == "arm64" && p->variant == "v8"));
  CHECK_FALSE(oci::parse_platform("linux"));
  CHECK_FALSE(oci::parse_platform("linux/"));
  CHECK(oci::host_platform().os == "linux");
}

TEST_CASE("whiteouts and opaque directories hide lower layers only", "[oci]") {
  auto lower = make_tar({{"./", '5'}, {"./d/", '5'}, {"./d/a", '0', "1"}, {"./d/b", '0', "2"}, {"./e", '0', "3"}});
  auto upper = make_tar({{"./", '5'},
                         {"./d/", '5'},
                         {"./d/new", '0', "4"},
                         {"./d/.wh..wh..opq", '0'},  // hides a and b, not new
                         {"./.wh.e", '0'},
                         {"./f", '0', "5"},
                         {"./.wh.f", '0'}});  // f is this layer's: it stays
  tree::Tree t = apply({lower, upper});
  CHECK(names(*t.root()) == std::vector<std::string>{"d", "f"});
  CHECK(names(*t.root()->children[0]) == std::vector<std::string>{"new"});
}

TEST_CASE("a file replaces a directory and back, without whiteouts", "[oci]") {
  auto l1 = make_tar({{"./", '5'}, {"./x/", '5'}, {"./x/y", '0', "1"}, {"./z", '0', "2"}});
  auto l2 = make_tar({{"./", '5'}, {"./x", '0', "file now"}, {"./z/", '5'}, {"./z/w", '0', "3"}});
  tree::Tree t = apply({l1, l2});
  REQUIRE(t.root()->children.size() == 2);
  CHECK(t.root()->children[0]->type() == S_IFREG);
  CHECK(t.root()->children[1]->is_dir());
  CHECK(names(*t.root()->children[1]) == std::vector<std::string>{"w"});
}

TEST_CASE("hard links copy their inode; a link to nothing fails", "[oci]") {
  tree::Tree t = apply({make_tar({{"./", '5'}, {"./a", '0', "same"}, {"./b", '1', "", "./a"}})});
  REQUIRE(t.root()->children.size() == 2);
  const auto& b = *t.root()->children[1];
  CHECK_FALSE(b.is_hardlink());
  CHECK(b.content == t.root()->children[0]->content);

  tree::Tree tree;
  oci::ContentWriter contents(tree, nullptr, fsverity::HashAlg::sha256);
  oci::TreeBuilder builder(tree, {}, contents);
  MemorySource src(make_tar({{"./b", '1', "", "./missing"}}));
  auto layer = oci::LayerReader::open(src, "test");
  REQUIRE(layer);
  oci::TarEntry e;
  REQUIRE((*layer)->next(e).value());
  auto applied = builder.apply(e, **layer);
  REQUIRE_FALSE(applied);
  CHECK(applied.error().msg.find("hard link to nothing") != std::string::npos);
}

TEST_CASE("--from-tar: whiteouts become 0:0 devices, opaque markers an xattr", "[oci]") {
  tree::Tree t = apply({make_tar({{"./", '5'}, {"./d/", '5'}, {"./d/.wh..wh..opq", '0'}, {"./.wh.gone", '0'}})},
                       true);
  REQUIRE(names(*t.root()) == std::vector<std::string>{"d", "gone"});
  const auto& gone = *t.root()->children[1];
  CHECK(gone.is_whiteout());
  const auto* opaque = t.root()->children[0]->find_xattr("trusted.overlay.opaque");
  REQUIRE(opaque);
  CHECK(opaque->value == std::string_view("y"));
}
