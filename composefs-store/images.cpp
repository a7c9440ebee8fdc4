#include "images.hpp"

#include "dump/print.hpp"
#include "erofs/reader/reader.hpp"

namespace cfs::storetool {
namespace {

Result<ImageObjects> read_one(const std::string& path) {
  auto image = erofs::MappedImage::open(path);
  if (!image) return make_error(image.error().errnum, "image " + path + ": " + image.error().msg);
  auto tree = erofs::read_image(image->bytes());
  if (!tree) return make_error(tree.error().errnum, "image " + path + ": not a readable composefs image: " + tree.error().msg);
  ImageObjects out{path, {}};
  dump::collect_objects(*tree->root(), {}, out.objects);
  // Payloads are looked up relative to the basedir: "/ab/cd..." and "ab/cd..."
  // are the same object. '/' sorts before digits, so those come first.
  while (!out.objects.empty() && out.objects.begin()->starts_with('/')) {
    std::string p = std::move(out.objects.extract(out.objects.begin()).value());
    size_t skip = p.find_first_not_of('/');
    if (skip != std::string::npos) out.objects.insert(p.substr(skip));
  }
  return out;
}

}  // namespace

Result<std::vector<ImageObjects>> read_image_objects(const std::vector<std::string>& paths) {
  std::vector<ImageObjects> out;
  for (const std::string& p : paths) out.push_back(CFS_TRY(read_one(p)));
  return out;
}

}  // namespace cfs::storetool
