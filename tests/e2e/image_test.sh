#!/usr/bin/env bash
# tests/e2e/image_test.sh: the registry client (src/image/registry.c) against real registries:
# tags are pushed here with scripts/push-image, then listed and chosen by
# tests/e2e/c/image_registry.c (cmocka, built with ASan+UBSan).
. "${EDDY_ROOT:?run with tests/e2e/run}/tests/e2e/lib.sh"

for tag in 1.0.0 1.2.0 2.0.0-rc.1 main-abc1234-1700000100 latest; do
    "$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY" apps/web "$tag" >/dev/null
done
for tag in v1.0.0 v1.1.0; do
    "$EDDY_ROOT/scripts/push-image" "$EDDY_REGISTRY_AUTH" apps/api "$tag" \
        "$EDDY_REGISTRY_USER:$EDDY_REGISTRY_PASSWORD" >/dev/null
done
prog="$EDDY_ROOT/build/tests/e2e-image_registry"
[ -x "$prog" ] || fail "$prog is missing: run make e2e"
ASAN_OPTIONS=detect_leaks=1 "$prog"
