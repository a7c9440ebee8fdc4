// The two passes of walk_image share one walker; see walk.hpp. The walk order and
// every check follow lib/erofs/reader/reader.cpp (C: lcfs_build_node_from_image):
// depth first in on-disk entry order, so the first name reaching an inode owns it.
#include "stream/walk.hpp"

#include <unordered_map>
#include <unordered_set>

#include "erofs/reader/reader.hpp"
#include "stream/decode_entry.hpp"
#include "tree/tree.hpp"

namespace cfs::stream {
namespace fmt = cfs::format;
using erofs::reader::corrupt;
using erofs::reader::RawDirent;

namespace {

constexpr uint64_t kDirentCost = 32;     // budget per entry visited, as the tree reader
constexpr unsigned kProgressEvery = 256;  // entries between on_progress calls

// One bit per possible nid (an inode slot is 32 bytes, so at most size/32 nids).
class NidSet {
 public:
  explicit NidSet(uint64_t image_size) : words_(image_size / fmt::EROFS_SLOTSIZE / 64 + 1) {}
  bool test(uint64_t nid) const { return nid / 64 < words_.size() && (words_[nid / 64] >> (nid % 64) & 1); }
  void set(uint64_t nid) { words_.at(nid / 64) |= uint64_t{1} << (nid % 64); }

 private:
  std::vector<uint64_t> words_;
};

std::string type_mismatch(uint64_t nid) {
  return "inode " + std::to_string(nid) + ": directory entry type does not match the inode";
}

class Walker {
 public:
  // The checking pass gets a budget and fills `multi`; the visiting pass gets a
  // visitor and reads `multi`.
  Walker(const Image& img, NidSet& multi, Budget* budget, const Visitor* visitor, const WalkOptions& options)
      : img_(img), multi_(multi), reached_(img.size()), budget_(budget), visitor_(visitor),
        keep_xattrs_(budget || options.need_xattrs), progress_(options.on_progress) {}

  Result<void> run(const std::vector<std::string>& filter);

 private:
  struct OpenDir {
    uint64_t nid;
    uint64_t parent_nid;
    std::vector<RawDirent> entries;
    size_t path_len;  // length of this directory's path in path_
    size_t next = 0;
  };

  Result<void> next_entry(OpenDir& d, const std::unordered_set<std::string_view>* filter);
  Result<bool> visit(uint64_t nid, uint64_t parent_nid, uint8_t file_type);
  Result<void> revisit(uint64_t nid, uint8_t file_type);
  Result<void> take(uint64_t bytes) { return budget_ ? budget_->take(bytes) : Result<void>(); }
  std::string_view entry_path() const { return path_.empty() ? std::string_view("/") : std::string_view(path_); }

  const Image& img_;
  NidSet& multi_;    // inodes reached more than once
  NidSet reached_;   // inodes reached so far in this pass
  Budget* budget_;   // checking pass only
  const Visitor* visitor_;  // visiting pass only
  const bool keep_xattrs_;  // the checking pass always decodes them
  const std::function<void()>& progress_;
  EntryDecoder decoder_;
  std::vector<OpenDir> stack_;
  std::string path_;  // path of the entry being visited ("" for the root)
  std::unordered_map<uint64_t, std::string> first_paths_;  // visiting pass: first names of `multi_` inodes
  uint64_t entries_ = 0;
};

Result<void> Walker::run(const std::vector<std::string>& filter) {
  std::unordered_set<std::string_view> names(filter.begin(), filter.end());
  // C would accept any root type; a composefs root is always a directory.
  if (!CFS_TRY(visit(img_.root_nid(), img_.root_nid(), fmt::EROFS_FT_DIR))) return corrupt("the root is a whiteout");
  while (!stack_.empty()) {
    OpenDir& top = stack_.back();
    if (top.next == top.entries.size()) {
      stack_.pop_back();
      continue;
    }
    // The filter applies to the root's entries only (C: toplevel_entries).
    const bool at_root = stack_.size() == 1 && !filter.empty();
    CFS_CHECK(next_entry(top, at_root ? &names : nullptr));  // may push: `top` dangles
    if (++entries_ % kProgressEvery == 0 && progress_) progress_();
  }
  return {};
}

Result<void> Walker::next_entry(OpenDir& d, const std::unordered_set<std::string_view>* filter) {
  const RawDirent e = d.entries[d.next++];
  CFS_CHECK(take(kDirentCost + e.name.size()));
  if (e.name == "." || e.name == "..") {
    if (e.nid != (e.name == "." ? d.nid : d.parent_nid))
      return corrupt("directory inode " + std::to_string(d.nid) + ": wrong '" + std::string(e.name) + "' entry");
    return {};
  }
  if (filter && !filter->contains(e.name)) return {};
  path_.resize(d.path_len);
  path_ += '/';
  path_ += e.name;
  const uint64_t dir_nid = d.nid;  // visit() may push onto the stack: `d` dangles
  CFS_CHECK(visit(e.nid, dir_nid, e.file_type));
  return {};
}

// An inode met again: a hardlink entry, never descended into (a directory too, as
// in C), so even a link to an ancestor cannot loop.
Result<void> Walker::revisit(uint64_t nid, uint8_t file_type) {
  const Inode ino = CFS_TRY(erofs::reader::read_inode(img_, nid));  // read fine the first time
  if (file_type != fmt::erofs_file_type(ino.mode)) return corrupt(type_mismatch(nid));
  CFS_CHECK(take(sizeof(tree::Node)));
  if (budget_) multi_.set(nid);
  if (!visitor_) return {};
  auto first = first_paths_.find(nid);
  if (first == first_paths_.end()) return corrupt("inode " + std::to_string(nid) + ": changed while being read");
  const dump::EntryView inode = CFS_TRY(decoder_.decode(img_, ino, nullptr, keep_xattrs_));
  const std::string_view target = first->second;
  (*visitor_)(WalkEntry{entry_path(), inode, &target});
  return {};
}

// Visits inode `nid` reached through an entry of type `file_type`; false for a
// stored whiteout (character device 0:0), which only the writer's automatic
// 00-ff root entries are: those are skipped. (User whiteouts are stored as regular
// files with a marker xattr and come back through the decoder.)
Result<bool> Walker::visit(uint64_t nid, uint64_t parent_nid, uint8_t file_type) {
  if (reached_.test(nid)) {
    CFS_CHECK(revisit(nid, file_type));
    return true;
  }
  const Inode ino = CFS_TRY(erofs::reader::read_inode(img_, nid));
  if (file_type != fmt::erofs_file_type(ino.mode)) return corrupt(type_mismatch(nid));
  if (ino.type() == S_IFCHR && ino.i_u == 0) {
    // matches C: a hardlinked whiteout is rejected rather than skipped.
    if (ino.nlink > 1) return corrupt("inode " + std::to_string(nid) + ": whiteout with nlink > 1");
    return false;
  }
  CFS_CHECK(take(sizeof(tree::Node)));
  reached_.set(nid);
  std::vector<RawDirent> entries;
  if (ino.type() == S_IFDIR) {
    // The root is depth 0 and is visited with an empty stack.
    if (stack_.size() >= erofs::kMaxDirectoryDepth) return make_error(ELOOP, "directories nested too deep");
    entries = CFS_TRY(erofs::reader::read_dirents(img_, ino));
    CFS_CHECK(take(entries.size() * sizeof(RawDirent)));
  }
  const dump::EntryView inode = CFS_TRY(decoder_.decode(img_, ino, budget_, keep_xattrs_));
  if (visitor_) {
    if (multi_.test(nid)) first_paths_.emplace(nid, entry_path());
    (*visitor_)(WalkEntry{entry_path(), inode, nullptr});
  }
  if (ino.type() == S_IFDIR) stack_.push_back(OpenDir{nid, parent_nid, std::move(entries), path_.size()});
  return true;
}

}  // namespace

Result<void> walk_image(std::span<const uint8_t> image, const WalkOptions& options, const Visitor& visit) {
  if (image.size() > erofs::kMaxImageSize) return make_error(EFBIG, "image larger than 1 GiB");
  const Image img = CFS_TRY(Image::open(image));
  const uint64_t budget_bytes =
      options.max_decoded_bytes ? options.max_decoded_bytes : (uint64_t{256} << 20) + 32 * image.size();
  NidSet multi(img.size());
  {
    Budget budget(budget_bytes);
    Walker checking(img, multi, &budget, nullptr, options);
    CFS_CHECK(checking.run(options.filter));
  }
  Walker visiting(img, multi, nullptr, &visit, options);
  return visiting.run(options.filter);
}

}  // namespace cfs::stream
