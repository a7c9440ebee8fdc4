// composefs-fuse: serves a composefs image through FUSE, as a kernel mount of it
// would show it, without privileges (fusermount3 mounts it for a user).
//
//   composefs-fuse [FUSE options] -o source=IMAGE,basedir=DIR[,noacl] MOUNTPOINT
//                                           (composefs-c's tools/cfs-fuse.c form)
//   composefs-fuse [FUSE options] [-o basedir=DIR[:DIR...],digest=HEX,verity] IMAGE MOUNTPOINT
//
// Everything that can fail is checked before the mount: the image is indexed,
// the basedirs opened, the digest measured. After the mount only the daemon
// step remains, so a bad input never leaves a mount or a daemon behind.
#include <fcntl.h>
#include <sys/resource.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "cli.hpp"
#include "erofs/reader/reader.hpp"
#include "fuse/image_digest.hpp"
#include "server.hpp"
#include "util/unique_fd.hpp"

namespace {

using cfs::fuse_tool::Cli;

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "composefs-fuse: %s\n", msg.c_str());
  std::exit(EXIT_FAILURE);
}

template <class T>
T must(cfs::Result<T> r, const std::string& what) {
  if (!r) die(what + r.error().msg);
  return std::move(r).value();
}

void must(cfs::Result<void> r, const std::string& what) {
  if (!r) die(what + r.error().msg);
}

// Owns the session and its mount: unmounts (if mounted) and destroys on scope exit.
struct Session {
  fuse_session* se = nullptr;
  bool mounted = false;
  bool handlers = false;
  ~Session() {
    if (handlers) fuse_remove_signal_handlers(se);
    if (mounted) fuse_session_unmount(se);
    if (se) fuse_session_destroy(se);
  }
};

// Object fds are cached for the mount's life: raise the soft limit to the hard
// one, and leave room for libfuse, the prefetch threads' and uncached opens.
size_t raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
    ::getrlimit(RLIMIT_NOFILE, &rl);
  }
  constexpr rlim_t kReserve = 256;
  return rl.rlim_cur > kReserve ? static_cast<size_t>(rl.rlim_cur - kReserve) : 0;
}

int run_loop(fuse_session* se, const Cli& cli) {
  if (cli.fuse.singlethread) return fuse_session_loop(se);
  std::unique_ptr<fuse_loop_config, void (*)(fuse_loop_config*)> cfg(fuse_loop_cfg_create(), fuse_loop_cfg_destroy);
  fuse_loop_cfg_set_clone_fd(cfg.get(), static_cast<unsigned>(cli.fuse.clone_fd));
  fuse_loop_cfg_set_idle_threads(cfg.get(), cli.fuse.max_idle_threads);
  fuse_loop_cfg_set_max_threads(cfg.get(), cli.fuse.max_threads);
  return fuse_session_loop_mt(se, cfg.get());
}

}  // namespace

int main(int argc, char** argv) {
  Cli cli = must(cfs::fuse_tool::parse_cli(argc, argv), "");
  if (cli.exit_now) return 0;

  cfs::UniqueFd image_fd(::open(cli.image.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!image_fd.valid()) die(cli.image + ": " + std::strerror(errno));
  if (cli.digest) must(cfs::fuse::check_image_digest(image_fd.get(), *cli.digest), cli.image + ": ");
  auto image = must(cfs::erofs::MappedImage::map_fd(image_fd.get()), cli.image + ": ");
  auto view = must(cfs::fuse::View::build(image.bytes()), cli.image + ": ");
  auto objects = must(cfs::store::ObjectDirs::open(cli.basedirs), "");

  cfs::fuse_tool::ServerOptions opts;
  opts.verity = cli.verity;
  opts.use_acl = view.has_acl() && !cli.noacl;
  opts.prefetch = !cli.noprefetch;
  opts.max_cached_fds = raise_fd_limit();
  cfs::fuse_tool::Server server(view, objects, opts);

  Session s;
  s.se = fuse_session_new(&cli.args, &cfs::fuse_tool::operations(), sizeof(fuse_lowlevel_ops), &server);
  if (!s.se) die("bad FUSE options");  // libfuse said which
  if (fuse_set_signal_handlers(s.se) != 0) die("cannot set signal handlers");
  s.handlers = true;
  if (fuse_session_mount(s.se, cli.mountpoint.c_str()) != 0) die("cannot mount " + cli.image + " on " + cli.mountpoint);
  s.mounted = true;
  if (!cli.fuse.foreground) {
    ::openlog("composefs-fuse", LOG_PID, LOG_DAEMON);
    server.set_log_stderr(false);
  }
  if (fuse_daemonize(cli.fuse.foreground) != 0) {
    std::fprintf(stderr, "composefs-fuse: cannot become a daemon\n");
    return 1;  // by return, not exit: ~Session unmounts
  }
  return run_loop(s.se, cli) == 0 ? 0 : 1;
}
