// composefs-info fsck (not in C): the image must load under the hardened reader;
// with --basedir every referenced object must be a regular file of the recorded
// size and, when a digest is recorded, have that fs-verity digest.
#include <cerrno>
#include <cstring>
#include <map>
#include <sys/stat.h>
#include <vector>

#include "commands.hpp"
#include "erofs/reader/reader.hpp"
#include "store/object_dirs.hpp"
#include "util/file_stat.hpp"
#include "util/hex.hpp"
#include "util/unique_fd.hpp"

namespace cfs::info {
namespace {

struct Counts {
  uint64_t problems = 0;
  uint64_t inodes = 0;
  uint64_t objects = 0;
};

void problem(Counts& c, const std::string& line) {
  ++c.problems;
  write_stdout(line + "\n");
}

// What one object file turned out to be (computed once per payload).
struct ObjectState {
  std::string error;  // empty when it opened as a regular file
  uint64_t size = 0;
  std::optional<fsverity::Digest> digest;
  std::string digest_error;
};

ObjectState inspect(int basedir_fd, const std::string& payload, bool want_digest, fsverity::HashAlg alg) {
  ObjectState s;
  // Reached as the kernel mount reaches it: beneath the basedir, a regular file.
  auto fd = store::open_object_beneath(basedir_fd, payload);
  Result<FileStat> st = make_error(EBADF, "");
  if (!fd) {
    s.error = fd.error().msg;
  } else if (!(st = stat_fd(fd->get(), payload))) {
    s.error = std::strerror(st.error().errnum);
  } else {
    s.size = st->size;
    if (want_digest) {
      auto d = fsverity::file_digest(fd->get(), alg);
      if (d) s.digest = *d;
      else s.digest_error = d.error().msg;
    }
  }
  return s;
}

class Checker {
 public:
  Checker(const std::string& image, int basedir_fd, Counts& counts)
      : image_(image), basedir_fd_(basedir_fd), counts_(counts) {}

  // Every inode (not hardlink entries), without recursion: images nest deeply.
  void walk(const tree::Node& root) {
    std::vector<const tree::Node*> stack{&root};
    while (!stack.empty()) {
      const tree::Node& node = *stack.back();
      stack.pop_back();
      if (node.is_hardlink()) continue;
      ++counts_.inodes;
      if (basedir_fd_ >= 0 && node.type() == S_IFREG && node.payload) check(node);
      stack.insert(stack.end(), node.children.rbegin(), node.children.rend());
    }
  }

 private:
  void check(const tree::Node& node) {
    const std::string payload = node.payload->str();
    auto it = seen_.find(payload);
    if (it == seen_.end()) {
      auto alg = node.digest ? node.digest->alg() : fsverity::HashAlg::sha256;
      it = seen_.emplace(payload, inspect(basedir_fd_, payload, true, alg)).first;
      ++counts_.objects;
    }
    const ObjectState& s = it->second;
    const std::string where = image_ + ": " + tree::Tree::path_of(node) + ": object " + payload + ": ";
    if (!s.error.empty()) return problem(counts_, where + s.error);
    if (s.size != node.size)
      return problem(counts_, where + "size " + std::to_string(s.size) + ", expected " + std::to_string(node.size));
    if (!node.digest) return;
    if (!s.digest) return problem(counts_, where + "cannot compute digest: " + s.digest_error);
    if (*s.digest != *node.digest)
      problem(counts_, where + "fs-verity digest " + to_hex(*s.digest) + ", expected " + to_hex(*node.digest));
  }

  const std::string& image_;
  int basedir_fd_;
  Counts& counts_;
  std::map<std::string, ObjectState> seen_;
};

}  // namespace

int run_fsck(const Options& o, int basedir_fd) {
  Counts counts;
  for (const auto& path : o.args) {
    auto image = erofs::MappedImage::open(path);
    if (!image) {
      problem(counts, path + ": " + image.error().msg);
      continue;
    }
    auto tree = erofs::read_image(image->bytes(), {});
    if (!tree) {
      problem(counts, path + ": " + tree.error().msg);
      continue;
    }
    Checker(path, basedir_fd, counts).walk(*tree->root());
  }
  if (counts.problems) return 1;
  write_stdout("fsck: " + std::to_string(o.args.size()) + " image(s) ok, " + std::to_string(counts.inodes) +
               " inodes, " + std::to_string(counts.objects) + " objects checked\n");
  return 0;
}

}  // namespace cfs::info
