// mkcomposefs: build a composefs image from a dump file (or a directory).
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <thread>
#include <fcntl.h>
#include <unistd.h>

#include "dump/parse.hpp"
#include "erofs/writer.hpp"
#include "fsverity/fsverity.hpp"
#include "oci/import.hpp"
#include "options.hpp"
#include "scan/scan.hpp"
#include "store/lock.hpp"
#include "util/cpus.hpp"
#include "util/hex.hpp"
#include "util/io.hpp"
#include "util/memory.hpp"

namespace cfs::mkcomposefs {
namespace {

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "mkcomposefs: %s\n", msg.c_str());
  std::exit(1);
}

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "mkcomposefs: %s\nUsage: mkcomposefs [OPTIONS] SOURCE IMAGE\nTry 'mkcomposefs --help' for more information.\n",
               msg.c_str());
  std::exit(1);
}

// Sends image bytes to an fd (unless -1) and, when the digest is wanted, through the
// fs-verity hasher.
class ImageSink : public erofs::Sink {
 public:
  ImageSink(int fd, bool hash, fsverity::HashAlg alg) : fd_(fd), hash_(hash), hasher_(alg) {}
  Result<void> write(std::span<const uint8_t> bytes) override {
    if (hash_) hasher_.update(bytes);
    if (fd_ >= 0) return write_all(fd_, bytes);
    return {};
  }
  fsverity::Digest digest() { return hasher_.finish(); }

 private:
  int fd_;
  bool hash_;
  fsverity::Hasher hasher_;
};

Result<tree::Tree> load_dump(const std::string& source) {
  UniqueFd owned;
  int fd = STDIN_FILENO;
  if (source != "-") {
    owned.reset(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (!owned.valid()) return errno_error(errno, source);
    fd = owned.get();
  }
  dump::ParseOptions parse_options;
  parse_options.strict = std::getenv("CFS_PARSE_STRICT") != nullptr;  // any value, as C
  return dump::parse_dump_fd(fd, parse_options);
}

// A progress line on stderr, redrawn a few times a second while files are read.
class ProgressLine {
 public:
  explicit ProgressLine(const scan::Progress& p) : p_(p), start_(std::chrono::steady_clock::now()) {
    if (::isatty(STDERR_FILENO)) thread_ = std::thread([this] { run(); });
  }
  ~ProgressLine() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(m_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
    draw();
    std::fputc('\n', stderr);
  }

 private:
  void run() {
    std::unique_lock lock(m_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return done_; })) draw();
  }
  void draw() const {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    double mib = static_cast<double>(p_.bytes_done.load()) / (1 << 20);
    std::fprintf(stderr, "\rmkcomposefs: %llu/%llu files, %.0f/%.0f MiB, %.0f MiB/s   ",
                 static_cast<unsigned long long>(p_.files_done.load()), static_cast<unsigned long long>(p_.files_total),
                 mib, static_cast<double>(p_.bytes_total) / (1 << 20), secs > 0 ? mib / secs : 0.0);
  }
  const scan::Progress& p_;
  std::chrono::steady_clock::time_point start_;
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// Opens the store and takes its lock shared before the first object lookup; the
// caller keeps the lock until the image is written, so a composefs-store gc
// either ran before the lookups or reads the finished image.
Result<store::ObjectStore> open_store(const std::string& path, fsverity::HashAlg alg,
                                     std::optional<store::StoreLock>& lock) {
  store::StoreOptions options;
  options.verity_alg = alg;  // fs-verity on new objects in the image's algorithm
  auto store = CFS_TRY(store::ObjectStore::open(path, options));
  lock.emplace(CFS_TRY(store::StoreLock::acquire(store.dir_fd(), path, store::StoreLock::Mode::shared, [&path] {
    std::fprintf(stderr, "mkcomposefs: waiting for the lock of %s (a composefs-store gc is running)\n", path.c_str());
  })));
  return store;
}

// C: lcfs_build + compute_digest + fill_store. Objects are durable before the image
// is written.
Result<tree::Tree> load_directory(const Options& o, std::optional<store::StoreLock>& lock) {
  scan::ScanOptions so{o.use_epoch, o.skip_devices, o.skip_xattrs, o.user_xattrs, o.hardlinks};
  std::optional<store::ObjectStore> store;
  const auto alg = o.hash.value_or(fsverity::HashAlg::sha256);
  if (o.digest_store) store.emplace(CFS_TRY(open_store(*o.digest_store, alg, lock)));
  scan::Progress progress;
  Result<tree::Tree> tree = make_error(EINVAL, "not scanned");
  {
    ProgressLine line(progress);
    scan::ContentReader contents(o.threads ? o.threads : available_cpus(), store ? &*store : nullptr, progress, alg);
    tree = scan::scan_directory(o.source, so, contents);
    auto read = contents.finish();
    if (tree && !read) return read.take_error();
  }
  if (tree && store) CFS_CHECK(store->publish());
  return tree;
}

// --from-oci / --from-tar: the same options as for a directory, applied to the
// root filesystem the layers make; objects are durable before the image is written.
Result<tree::Tree> load_oci(const Options& o, std::optional<store::StoreLock>& lock) {
  const auto alg = o.hash.value_or(fsverity::HashAlg::sha256);
  std::optional<store::ObjectStore> store;
  if (o.digest_store) store.emplace(CFS_TRY(open_store(*o.digest_store, alg, lock)));
  oci::ImportOptions io;
  io.apply = {.skip_devices = o.skip_devices, .skip_xattrs = o.skip_xattrs, .user_xattrs = o.user_xattrs,
              .use_epoch = o.use_epoch, .hardlinks = o.hardlinks};
  io.alg = alg;
  io.store = store ? &*store : nullptr;
  if (o.platform) io.platform = CFS_TRY(oci::parse_platform(*o.platform));
  auto tree = o.from_oci ? oci::import_image(o.source, io) : oci::import_layer_tar(o.source, io);
  if (tree && store) CFS_CHECK(store->publish());
  return tree;
}

// Returns instead of exiting so that an uncommitted AtomicFile removes its
// temporary file on the way out.
// The algorithm of --print-digest: --hash, else that of the tree's digests.
Result<fsverity::HashAlg> image_hash(const Options& o, const tree::Tree& tree) {
  auto named = tree.digest_alg();
  if (o.hash && named && *o.hash != *named)
    return make_error(EINVAL, "--hash=" + std::string(format::hash_name(*o.hash)) + " but the digests in " + o.source +
                                  " are " + std::string(format::hash_name(*named)) + " ones");
  return o.hash.value_or(named.value_or(fsverity::HashAlg::sha256));
}

Result<void> write_output(const Options& o, tree::Tree&& tree) {
  const fsverity::HashAlg alg = CFS_TRY(image_hash(o, tree));
  erofs::WriteOptions wo{o.min_version, o.max_version};
  std::optional<AtomicFile> file;
  int fd = -1;
  if (o.image == "-") {
    if (::isatty(STDOUT_FILENO)) return make_error(EINVAL, "stdout is a terminal; refusing to write an image to it");
    fd = STDOUT_FILENO;
  } else if (!o.print_digest_only) {
    file.emplace(CFS_TRY(AtomicFile::create(o.image)));
    fd = file->fd();
  }
  ImageSink sink(fd, o.print_digest, alg);
  auto written = erofs::write_image(std::move(tree), wo, sink);  // frees the nodes early
  if (!written) return make_error(written.error().errnum, "cannot write image: " + written.error().msg);
  if (file) CFS_CHECK(file->commit());
  if (o.print_digest) {
    std::printf("%s\n", to_hex(sink.digest()).c_str());
    if (std::fflush(stdout) != 0) return errno_error(errno, "stdout");
  }
  return {};
}

}  // namespace
}  // namespace cfs::mkcomposefs

int main(int argc, char** argv) {
  using namespace cfs::mkcomposefs;
  cfs::prefer_huge_pages();
  auto options = parse_options(argc, argv);
  if (!options) usage_error(options.error().msg);
  if (options->help) {
    std::fputs(usage_text().c_str(), stdout);
    return 0;
  }
  std::optional<cfs::store::StoreLock> store_lock;  // held until the image is written
  auto tree = options->from_file                        ? load_dump(options->source)
              : (options->from_oci || options->from_tar) ? load_oci(*options, store_lock)
                                                         : load_directory(*options, store_lock);
  if (!tree) die(tree.error().msg);
  auto written = write_output(*options, std::move(*tree));
  if (!written) die(written.error().msg);
  return 0;
}
