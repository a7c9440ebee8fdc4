// dump: DIGEST fields of SHA-256 and SHA-512 (beyond C), one algorithm per dump.
#include <catch2/catch.hpp>
#include <string>

#include "dump/parse.hpp"

using Catch::Matchers::Contains;

namespace {

const std::string kRoot = "/ 4096 40755 2 0 0 0 100.5 - - -\n";

std::string line(const std::string& path, const std::string& digest) {
  return path + " 5000 100644 1 0 0 0 0.0 ab/cd - " + digest + "\n";
}

std::string err_of(const std::string& text) {
  auto r = cfs::dump::parse_dump(text, {});
  return r.ok() ? "<ok>" : r.error().msg;
}

}  // namespace

TEST_CASE("DIGEST: 64 hex digits are SHA-256, 128 SHA-512", "[dump][digest][sha512]") {
  auto t = cfs::dump::parse_dump(kRoot + line("/a", std::string(128, 'F')) + line("/b", std::string(128, '0')), {});
  REQUIRE(t.ok());
  const auto* a = cfs::tree::Tree::lookup_child(*t->root(), "a");
  REQUIRE(a->digest);
  CHECK(a->digest->alg() == cfs::format::HashAlg::sha512);
  CHECK(a->digest->size() == 64);
  CHECK((*a->digest)[63] == 0xff);
  CHECK(t->digest_alg() == cfs::format::HashAlg::sha512);
  auto t256 = cfs::dump::parse_dump(kRoot + line("/a", std::string(64, '1')), {});
  REQUIRE(t256.ok());
  CHECK(t256->digest_alg() == cfs::format::HashAlg::sha256);
  CHECK_FALSE(cfs::dump::parse_dump(kRoot, {})->digest_alg());
}

TEST_CASE("DIGEST: other lengths and mixed algorithms are refused", "[dump][digest][sha512]") {
  CHECK_THAT(err_of(kRoot + line("/a", std::string(96, '1'))), Contains("line 2: DIGEST: expected 64 (SHA-256) or 128 (SHA-512)"));
  CHECK_THAT(err_of(kRoot + line("/a", std::string(127, '1'))), Contains("line 2: DIGEST"));
  CHECK_THAT(err_of(kRoot + line("/a", std::string(126, '1') + "xy")), Contains("line 2: DIGEST"));
  CHECK(err_of(kRoot + line("/a", std::string(64, '1')) + line("/b", std::string(128, '2'))) ==
        "line 3: DIGEST: a sha512 digest, but line 2 has a sha256 one (one algorithm per dump)");
  CHECK(err_of(kRoot + line("/a", std::string(128, '1')) + line("/b", "-") + line("/c", std::string(64, '2'))) ==
        "line 4: DIGEST: a sha256 digest, but line 2 has a sha512 one (one algorithm per dump)");
}
