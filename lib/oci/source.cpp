#include "oci/source.hpp"

#include <openssl/evp.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "util/hex.hpp"
#include "util/io.hpp"

namespace cfs::oci {

Result<size_t> FdSource::read(std::span<uint8_t> out) {
  while (true) {
    ssize_t n = ::read(fd_.get(), out.data(), out.size());
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return errno_error(errno, name_);
  }
}

struct Sha256::Ctx {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Ctx() { EVP_MD_CTX_free(md); }
};

// OpenSSL fails here only on allocation failure or a broken installation.
Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1) std::abort();
}
Sha256::~Sha256() = default;

void Sha256::update(std::span<const uint8_t> bytes) {
  if (EVP_DigestUpdate(ctx_->md, bytes.data(), bytes.size()) != 1) std::abort();
}

std::string Sha256::finish_digest() {
  uint8_t out[32];
  unsigned len = 0;
  if (EVP_DigestFinal_ex(ctx_->md, out, &len) != 1 || len != 32) std::abort();
  if (EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1) std::abort();
  return "sha256:" + to_hex(std::span<const uint8_t>(out, 32));
}

Result<size_t> HashingSource::read(std::span<uint8_t> out) {
  size_t n = CFS_TRY(inner_.read(out));
  bytes_ += n;
  if (bytes_ > limit_) return make_error(EINVAL, what_ + ": longer than its descriptor's size " + std::to_string(limit_));
  sha_.update(out.first(n));
  return n;
}

Result<void> HashingSource::drain() {
  std::vector<uint8_t> buf(1 << 16);
  while (CFS_TRY(read(buf)) != 0) {
  }
  return {};
}

Result<std::string> read_all(ByteSource& src, uint64_t max, const std::string& what) {
  std::string out;
  std::vector<uint8_t> buf(1 << 16);
  while (size_t n = CFS_TRY(src.read(buf))) {
    if (out.size() + n > max) return make_error(EFBIG, what + ": larger than " + std::to_string(max) + " bytes");
    out.append(reinterpret_cast<const char*>(buf.data()), n);
  }
  return out;
}

}  // namespace cfs::oci
