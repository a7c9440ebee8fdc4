#!/usr/bin/env bash
# Optional: composefs-c's own test scripts against our tools on the guest's
# kernel, through a runner kept outside this project:
#   CFS_UPSTREAM_SUITE=RUNNER CFS_C_CHECKOUT=DIR tests/vm/run KERNEL upstream [SEED [COUNT]]
# RUNNER is called as RUNNER C_CHECKOUT BUILD_DIR SEED COUNT (default seed 1, 3 trees);
# DIR must hold composefs-c built in DIR/build-ref (the guest cannot build).
set -uo pipefail
[ -n "${CFS_UPSTREAM_SUITE:-}" ] && [ -n "${CFS_C_CHECKOUT:-}" ] ||
  { echo "SKIP: set CFS_UPSTREAM_SUITE and CFS_C_CHECKOUT"; exit 77; }
[ -x "$CFS_C_CHECKOUT/build-ref/tools/mkcomposefs" ] ||
  { echo "SKIP: no composefs-c build in $CFS_C_CHECKOUT/build-ref"; exit 77; }
exec "$CFS_UPSTREAM_SUITE" "$CFS_C_CHECKOUT" "$CFS_BUILD" "${1:-1}" "${2:-3}"
