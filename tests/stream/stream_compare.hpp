// The streaming listings (lib/stream) against the tree ones (erofs::read_image +
// lib/dump/print.hpp) on one image: both must refuse it with the same error, or
// print the same bytes for ls, dump and objects.
#pragma once

#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "dump/print.hpp"
#include "erofs/reader/reader.hpp"
#include "stream/listing.hpp"

namespace cfs::stream_test {

/// What one way of listing produced: the text, or the error.
struct Listing {
  bool ok = false;
  std::string text;  // or "errno N: message"
  bool operator==(const Listing&) const = default;
};

inline Listing from(const Result<void>& r, std::string text) {
  if (r) return {true, std::move(text)};
  return {false, "errno " + std::to_string(r.error().errnum) + ": " + r.error().msg};
}

/// The three tree listings: ls, dump, objects (one payload a line).
inline std::vector<Listing> tree_listings(std::span<const uint8_t> image, const std::vector<std::string>& filter,
                                          uint64_t budget) {
  erofs::ReadOptions options;
  options.filter = filter;
  options.max_decoded_bytes = budget;
  auto tree = erofs::read_image(image, options);
  if (!tree) {
    Listing failed = from(Result<void>(tree.error()), "");
    return {failed, failed, failed};
  }
  std::vector<Listing> out(3, Listing{true, ""});
  dump::print_ls(*tree->root(), [&](std::string_view s) { out[0].text.append(s); });
  dump::print_dump(*tree->root(), [&](std::string_view s) { out[1].text.append(s); });
  std::set<std::string> objects;
  dump::collect_objects(*tree->root(), {}, objects);
  for (const auto& o : objects) (out[2].text += o) += '\n';
  return out;
}

/// The three streamed listings.
inline std::vector<Listing> stream_listings(std::span<const uint8_t> image, const std::vector<std::string>& filter,
                                            uint64_t budget) {
  stream::WalkOptions options;
  options.filter = filter;
  options.max_decoded_bytes = budget;
  std::vector<Listing> out;
  std::string text;
  auto r = stream::print_ls(image, options, [&](std::string_view s) { text.append(s); });
  out.push_back(from(r, std::move(text)));
  text.clear();
  r = stream::print_dump(image, options, [&](std::string_view s) { text.append(s); });
  out.push_back(from(r, std::move(text)));
  text.clear();
  stream::ObjectSet objects;
  r = stream::collect_objects(image, options, objects);
  objects.for_each_sorted([&](std::string_view o) { (text += o) += '\n'; });
  out.push_back(from(r, std::move(text)));
  return out;
}

/// "" when both ways agree on every listing, else what differs. `budget`: the
/// decode budget of both (0: the default).
inline std::string compare(std::span<const uint8_t> image, const std::vector<std::string>& filter,
                           uint64_t budget = 0) {
  static const char* const kNames[] = {"ls", "dump", "objects"};
  auto tree = tree_listings(image, filter, budget);
  auto streamed = stream_listings(image, filter, budget);
  for (size_t i = 0; i < 3; ++i) {
    if (tree[i] == streamed[i]) continue;
    return std::string(kNames[i]) + ": tree " + (tree[i].ok ? "ok" : tree[i].text.substr(0, 200)) + ", stream " +
           (streamed[i].ok ? "ok" : streamed[i].text.substr(0, 200)) + " (" + std::to_string(tree[i].text.size()) +
           " vs " + std::to_string(streamed[i].text.size()) + " bytes)";
  }
  return "";
}

}  // namespace cfs::stream_test
