#!/usr/bin/env bash
# The one build script of webhook-bridge, used by the README, by CI (.ci/run) and by the
# Dockerfile, so that all three build the same way.
#
#   docker/build.sh [build]      install missing build packages (Debian 12), build build/webhook-bridge
#   docker/build.sh run [ARGS]   the same, then run the bridge on config/bridge.yaml
#                                (embedded in-memory Kafka; ARGS go to webhook-bridge)
#   docker/build.sh test         install test packages too, then build and run every test:
#                                plain build (-Werror), then the tests against a real 3-node
#                                Apache Kafka cluster (label kafka: Java and Maven from Debian,
#                                the broker's jars from Maven Central, tests/kafka/), then the
#                                suite again under ASan+UBSan, then the threaded tests under TSan,
#                                then it builds the libFuzzer targets
#
# Environment: BUILD_DIR (default build; the sanitizer and fuzz builds go to BUILD_DIR-asan,
# BUILD_DIR-tsan and BUILD_DIR-fuzz), JOBS (default: CPU count), BRIDGE_SKIP_REAL_KAFKA=1 (skip
# the real-cluster tests, saying so; without it, a machine that cannot reach Maven Central fails
# the run).
set -euo pipefail

cd "$(dirname "$0")/.."
mode=${1:-build}
[ $# -gt 0 ] && shift
build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}

build_pkgs=(build-essential cmake pkg-config libh2o-evloop-dev librdkafka-dev libjansson-dev
            libyaml-dev libssl-dev zlib1g-dev)
test_pkgs=(python3 python3-kafka kcat curl nghttp2-client prometheus clang-14 libclang-rt-14-dev
           shellcheck yamllint python3-h2 openssl)

# shellcheck source=docker/install-missing.sh
. "$(dirname "$0")/install-missing.sh"

# configure_and_build DIR PRESET [CMAKE ARGS...]: the build settings are CMakePresets.json's;
# DIR overrides the preset's directory (BUILD_DIR).
configure_and_build() {
    local dir=$1 preset=$2; shift 2
    cmake --preset "$preset" -B "$dir" "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
}

run_tests() {
    local dir=$1; shift
    (cd "$dir" && ctest --output-on-failure -j "$jobs" "$@")
}

# The real-cluster tests need a JDK (the broker, and javac for tests/kafka/ScramLogin.java) and
# Maven; Debian 12's default JDK is 17, which Kafka 4 needs.
kafka_pkgs=()
if [ "${BRIDGE_SKIP_REAL_KAFKA:-0}" != 1 ]; then
    command -v javac >/dev/null || kafka_pkgs+=(default-jdk-headless)
    command -v mvn >/dev/null || kafka_pkgs+=(maven)
fi

real_kafka_tests() {
    local dir=$1
    if [ "${BRIDGE_SKIP_REAL_KAFKA:-0}" = 1 ]; then
        echo "==> SKIPPED: the tests against a real Kafka cluster (BRIDGE_SKIP_REAL_KAFKA=1)"
        return 0
    fi
    echo "==> tests against a real 3-node Apache Kafka cluster (label kafka)"
    if ! tests/kafka/cluster.sh fetch; then
        echo "docker/build.sh: the real-cluster tests need Apache Kafka's jars from Maven Central," >&2
        echo "docker/build.sh: which this machine cannot fetch; BRIDGE_SKIP_REAL_KAFKA=1 skips them" >&2
        exit 1
    fi
    run_tests "$dir" -L kafka
}

case "$mode" in
build)
    install_missing "${build_pkgs[@]}"
    configure_and_build "$build_dir" plain -DBUILD_TESTING=OFF
    ;;
run)
    install_missing "${build_pkgs[@]}"
    configure_and_build "$build_dir" plain -DBUILD_TESTING=OFF
    exec "$build_dir/webhook-bridge" --config config/bridge.yaml "$@"
    ;;
test)
    install_missing "${build_pkgs[@]}" "${test_pkgs[@]}" "${kafka_pkgs[@]}"
    echo "==> plain build and tests"
    configure_and_build "$build_dir" plain -DBUILD_TESTING=ON
    run_tests "$build_dir" -LE kafka
    real_kafka_tests "$build_dir"
    echo "==> AddressSanitizer + UndefinedBehaviorSanitizer build and tests"
    configure_and_build "$build_dir-asan" asan
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \
        UBSAN_OPTIONS=print_stacktrace=1 \
        run_tests "$build_dir-asan" -LE 'deploy|kafka'
    echo "==> ThreadSanitizer build and the threaded tests"
    # Only the tests labelled `threads`: TSan cannot follow librdkafka's threads (Debian's build
    # starts them with C11 thrd_create, which the TSan runtime does not intercept), so anything
    # that starts a producer or a mock cluster crashes under it (see tests/CMakeLists.txt).
    cmake --preset tsan -B "$build_dir-tsan" >/dev/null
    cmake --build "$build_dir-tsan" -j "$jobs" --target thread_tests
    TSAN_OPTIONS=halt_on_error=1 run_tests "$build_dir-tsan" -L threads
    echo "==> the libFuzzer targets (clang, ASan+UBSan), built so that they stay buildable"
    # Their corpora are replayed by every build above (tests fuzz/*); running them is by hand
    # (tests/fuzz/README.md).
    cmake --preset fuzz -B "$build_dir-fuzz" >/dev/null
    cmake --build "$build_dir-fuzz" -j "$jobs" --target fuzz_targets
    ;;
*)
    echo "usage: docker/build.sh [build|run|test]" >&2
    exit 2
    ;;
esac
