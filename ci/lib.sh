# Shared by ci/test, ci/demo and ci/fuzz: say what we do, install what is missing.
# shellcheck shell=bash

say() { printf '==> %s\n' "$*"; }

# Debian packages greenlight builds, tests and demos with.
GL_PACKAGES=(
	gcc libc6-dev pkg-config meson ninja-build
	libcurl4-openssl-dev libpq-dev libcjson-dev libgsl-dev check libmicrohttpd-dev libssl-dev
	libxml2-dev
	libxml2-utils clang-format openssl curl python3 postgresql
	chromium # tests/html/render.sh: the HTML report in a real headless browser
	clang libclang-rt-14-dev # tests/fuzz: libFuzzer (libclang_rt.fuzzer-x86_64.a), ci/fuzz
	valgrind # meson test --setup valgrind: no errors, no leaks
)

install_deps() {
	local missing=() p
	for p in "${GL_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		say "dependencies: all ${#GL_PACKAGES[@]} packages present"
		return 0
	fi
	say "installing: ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "ci: need root to apt-get install ${missing[*]}" >&2
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# meson setup that works the first time and every time after.
setup_build() {
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@"
	fi
}

# The fuzz build: clang, libFuzzer, ASan and UBSan (tests/fuzz/README.md).
setup_fuzz_build() {
	CC=clang setup_build "$1" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
		-Dwerror=true
}

# The fuzz targets' names, one a line: tests/fuzz/fuzz_NAME.c.
fuzz_targets() {
	local f
	for f in tests/fuzz/fuzz_*.c; do
		f=${f#tests/fuzz/fuzz_}
		echo "${f%.c}"
	done
}
