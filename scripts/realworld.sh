#!/usr/bin/env bash
# The real Django projects of ../shared/realworld/ (see its README.md), set up once and cached, so
# tests, benchmarks and CI can run their suites before and after an extraction.
#
# Usage:
#   scripts/realworld.sh setup [NAME...]          copy + git commit + venv + dependencies (default: all)
#   scripts/realworld.sh path NAME                 print the cached copy's folder (after setup)
#   scripts/realworld.sh python NAME               print the interpreter the project's venv is made with
#   scripts/realworld.sh copy NAME DEST            a scratch git copy of the pristine project in DEST
#                                                  (DEST must not exist) whose .venv links to the cache's
#   scripts/realworld.sh test NAME [--in DIR] [ARGS...]
#                                                  run the project's own suite (in the cached copy, or in
#                                                  DIR, e.g. a rewired copy made by `copy`) and print
#                                                  "realworld NAME: N passed, N failed, N skipped in Ss"
#                                                  ARGS go to pytest (pretalx) or `manage.py test` (django-crm)
#
# Environment:
#   DECOMPOSE_REALWORLD_CACHE   cache folder (default $HOME/.cache/decompose-realworld)
#   DECOMPOSE_REALWORLD_SRC     the projects (default ../shared/realworld beside this repository)
#
# `setup` is idempotent: a second run does nothing while the source tree (every file's path and
# content), the dependency files and this script's install recipe are unchanged (a stamp in the
# cached copy records them). A changed source re-copies the project and keeps the venv; changed
# dependencies rebuild the venv. System packages (gettext; mysqlclient's build dependencies) are
# installed with apt-get when missing (apt-get update first); anything that cannot be installed
# stops the script with an error. Needs root or sudo only when a system package is missing.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
cache="${DECOMPOSE_REALWORLD_CACHE:-$HOME/.cache/decompose-realworld}"
src_root="${DECOMPOSE_REALWORLD_SRC:-$here/../shared/realworld}"
projects=(pretalx django-crm)
# bump when the install steps below change: every cached venv is rebuilt
recipe_version=1

die() { echo "realworld.sh: $*" >&2; exit 1; }
say() { echo "realworld.sh: $*" >&2; }

known() {
  local p
  for p in "${projects[@]}"; do [ "$p" = "$1" ] && return 0; done
  die "unknown project '$1' (known: ${projects[*]})"
}

# --- system packages --------------------------------------------------------------------------
apt_ensure() {  # apt_ensure PKG...: install the Debian packages not installed yet
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "missing system packages ${missing[*]} and no apt-get to install them"
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "missing system packages ${missing[*]}: run as root or install them"
    sudo="sudo"
  fi
  say "installing system packages: ${missing[*]}"
  $sudo apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
  for p in "${missing[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || die "$p is still not installed"
  done
}

# --- interpreters -----------------------------------------------------------------------------
python_for() {  # the interpreter a project needs, as a command that runs it
  local want
  case "$1" in
    pretalx) want=3.13 ;;
    django-crm) want=3.12 ;;
  esac
  local pyenv_version
  if command -v "python$want" >/dev/null 2>&1 && "python$want" -c '' >/dev/null 2>&1; then
    command -v "python$want"; return 0
  fi
  # pyenv's shim exists but no version is selected: pick the newest installed $want.x
  if command -v pyenv >/dev/null 2>&1; then
    pyenv_version="$(pyenv versions --bare 2>/dev/null | grep -E "^${want//./\\.}\.[0-9]+$" | sort -V | tail -1 || true)"
    if [ -n "$pyenv_version" ]; then
      echo "$(pyenv root)/versions/$pyenv_version/bin/python$want"; return 0
    fi
  fi
  die "$1 needs Python $want (python$want on PATH, or pyenv with a $want.x version installed)"
}

# --- stamps -----------------------------------------------------------------------------------
tree_hash() {  # every regular file's path and content under $1, sorted: changes when anything does
  (cd "$1" && find . -type f ! -path './.git/*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) \
    | sha256sum | cut -d' ' -f1
}

deps_files() {  # the files the venv is installed from, relative to the project
  case "$1" in
    pretalx) echo "pyproject.toml uv.lock" ;;
    django-crm) echo "requirements.txt" ;;
  esac
}

deps_hash() {  # $1 project name, $2 folder
  local f
  {
    echo "recipe $recipe_version"
    for f in $(deps_files "$1"); do echo "$f"; cat "$2/$f"; done
  } | sha256sum | cut -d' ' -f1
}

# --- setup ------------------------------------------------------------------------------------
system_packages() {
  case "$1" in
    pretalx) apt_ensure gettext ;;
    django-crm) apt_ensure default-libmysqlclient-dev build-essential pkg-config ;;
  esac
}

copy_source() {  # $1 name, $2 dest: a fresh copy of the source and one git commit of it (keeps .venv)
  local src="$src_root/$1" dest="$2"
  mkdir -p "$dest"
  # everything but the venv goes: a stale file from an older snapshot must not survive
  find "$dest" -mindepth 1 -maxdepth 1 ! -name .venv -exec rm -rf {} +
  (cd "$src" && tar cf - --exclude=./.git .) | (cd "$dest" && tar xf -)
  chmod -R u+w "$dest"   # the shared folder is read-only; the copy must not be
  (
    cd "$dest"
    git init -q -b main .
    # the projects' own .gitignore hide tracked files (pretalx ignores *.cfg, i.e. its test
    # configs): add everything the snapshot holds, and keep what setup adds out of git
    printf '%s\n' .venv/ .realworld-stamp '*.mo' __pycache__/ >> .git/info/exclude
    if [ "$1" = django-crm ]; then sed -i '/^\*\.mo$/d' .git/info/exclude; fi  # django-crm ships .mo
    git add -A -f .
    git -c user.name=realworld -c user.email=realworld@localhost -c commit.gpgsign=false \
      commit -q -m "$1 pristine snapshot" --no-verify
  )
}

install_venv() {  # $1 name, $2 folder
  local name="$1" dir="$2" py
  py="$(python_for "$name")"
  rm -rf "$dir/.venv"
  say "$name: creating .venv with $py"
  "$py" -m venv "$dir/.venv" || die "$name: cannot create a venv with $py"
  case "$name" in
    pretalx)
      "$dir/.venv/bin/python" -m pip install --quiet uv || die "pretalx: pip install uv failed"
      (cd "$dir" && .venv/bin/uv sync --inexact --extra dev --python .venv/bin/python --quiet) \
        || die "pretalx: uv sync failed"
      ;;
    django-crm)
      "$dir/.venv/bin/python" -m pip install --quiet -r "$dir/requirements.txt" \
        || die "django-crm: pip install -r requirements.txt failed"
      ;;
  esac
}

post_install() {  # steps that write into the source copy (redone after every copy)
  case "$1" in
    pretalx)
      (cd "$2/src" && PRETALX_CONFIG_FILE=tests/ci_sqlite.cfg ../.venv/bin/python manage.py compilemessages -v 0) \
        || die "pretalx: compilemessages failed"
      ;;
    django-crm) ;;
  esac
}

setup_one() {
  local name="$1" dest="$cache/$1" src="$src_root/$1"
  [ -d "$src" ] || die "$src does not exist (set DECOMPOSE_REALWORLD_SRC)"
  local stamp="$dest/.realworld-stamp" want_src want_deps have_src="" have_deps=""
  want_src="$(tree_hash "$src")"
  want_deps="$(deps_hash "$name" "$src")"
  if [ -f "$stamp" ]; then
    have_src="$(sed -n 's/^source //p' "$stamp")"
    have_deps="$(sed -n 's/^deps //p' "$stamp")"
  fi
  if [ "$have_src" = "$want_src" ] && [ "$have_deps" = "$want_deps" ] && [ -x "$dest/.venv/bin/python" ]; then
    say "$name: up to date in $dest"
    return 0
  fi
  system_packages "$name"
  rm -f "$stamp"
  say "$name: copying $src to $dest"
  copy_source "$name" "$dest"
  if [ "$have_deps" != "$want_deps" ] || [ ! -x "$dest/.venv/bin/python" ]; then
    install_venv "$name" "$dest"
  fi
  post_install "$name" "$dest"
  printf 'source %s\ndeps %s\n' "$want_src" "$want_deps" > "$stamp"
  say "$name: ready in $dest"
}

ready_dir() {  # the cached copy, which must be set up
  local dest="$cache/$1"
  [ -f "$dest/.realworld-stamp" ] || die "$1 is not set up: run scripts/realworld.sh setup $1"
  echo "$dest"
}

# --- copy -------------------------------------------------------------------------------------
copy_scratch() {  # $1 name, $2 dest: pristine git copy whose .venv links to the cached venv
  local name="$1" dest="$2" from
  from="$(ready_dir "$name")"
  [ -e "$dest" ] && die "$dest exists already"
  mkdir -p "$(dirname "$dest")"
  git clone -q "$from" "$dest" || die "git clone $from $dest failed"
  cp "$from/.git/info/exclude" "$dest/.git/info/exclude"
  ln -s "$from/.venv" "$dest/.venv"
  post_install "$name" "$dest"
  say "$name: scratch copy in $dest (venv: $from/.venv)"
}

# --- test -------------------------------------------------------------------------------------
run_tests() {
  local name="$1"; shift
  local dir
  if [ "${1:-}" = "--in" ]; then
    [ $# -ge 2 ] || die "--in needs a folder"
    dir="$(cd "$2" && pwd)"; shift 2
  else
    dir="$(ready_dir "$name")"
  fi
  [ -x "$dir/.venv/bin/python" ] || die "$dir/.venv/bin/python is missing"
  local log status=0 start end
  log="$(mktemp)"
  start=$(date +%s)
  case "$name" in
    pretalx)
      # pretalx's pyproject sets pythonpath=src, so DIR's own source is imported, not the
      # editable install's
      (cd "$dir" && PRETALX_CONFIG_FILE=src/tests/ci_sqlite.cfg .venv/bin/python -m pytest -p no:sugar -q "$@") \
        2>&1 | tee "$log" || status=${PIPESTATUS[0]}
      ;;
    django-crm)
      # the whole suite (tests/) unless ARGS name test labels
      local a labels=(tests/)
      for a in "$@"; do case "$a" in -*) ;; *) labels=() ;; esac; done
      (cd "$dir" && .venv/bin/python manage.py test --noinput "$@" "${labels[@]}") 2>&1 | tee "$log" \
        || status=${PIPESTATUS[0]}
      ;;
  esac
  end=$(date +%s)
  local pyc="$here/.venv/bin/python"
  [ -x "$pyc" ] || pyc=python3
  "$pyc" - "$name" "$log" "$((end - start))" "$status" <<'PY'
import re, sys
name, log, secs, status = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
text = open(log, encoding="utf-8", errors="replace").read()
counts = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
last = [l for l in text.splitlines() if re.search(r"\d+ (passed|failed|error)", l) and " in " in l]
ran = re.findall(r"^Ran (\d+) tests? in", text, re.M)
found = re.findall(r"^Found (\d+) test\(s\)\.$", text, re.M)  # Django's runner, before it runs them
if last:  # pytest: "3 failed, 9667 passed, 1 skipped in 360.2s"
    for n, what in re.findall(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)", last[-1]):
        key = {"error": "errors", "xfailed": "skipped", "xpassed": "passed"}.get(what, what)
        counts[key] += int(n)
elif ran:  # unittest: "Ran 342 tests in 48.1s" then "OK (skipped=1)" or "FAILED (failures=1, errors=2)"
    # Python 3.12's unittest leaves a test skipped before it starts (a skip decorator; a test module the loader
    # skipped) out of "Ran" but counts it in skipped=: the tests Django's runner found are the total
    total = max(int(ran[-1]), int(found[-1]) if found else 0)
    tail = text[text.rfind("Ran "):]
    for what, n in re.findall(r"(failures|errors|skipped|expected failures|unexpected successes)=(\d+)", tail):
        key = {"failures": "failed", "expected failures": "skipped", "unexpected successes": "failed"}.get(what, what)
        counts[key] += int(n)
    counts["passed"] = total - counts["failed"] - counts["errors"] - counts["skipped"]
failed = counts["failed"] + counts["errors"]
if last or ran:
    print(f"realworld {name}: {counts['passed']} passed, {failed} failed, {counts['skipped']} skipped in {secs}s")
else:  # the runner stopped before its summary (an import error at start-up, --collect-only...)
    print(f"realworld {name}: no test summary in the output (exit {status}) after {secs}s")
PY
  rm -f "$log"
  return "$status"
}

# --- main -------------------------------------------------------------------------------------
cmd="${1:-}"; [ $# -gt 0 ] && shift
case "$cmd" in
  setup)
    [ $# -eq 0 ] && set -- "${projects[@]}"
    for p in "$@"; do known "$p"; done
    for p in "$@"; do setup_one "$p"; done
    ;;
  path) [ $# -eq 1 ] || die "usage: path NAME"; known "$1"; ready_dir "$1" ;;
  python) [ $# -eq 1 ] || die "usage: python NAME"; known "$1"; python_for "$1" ;;
  copy) [ $# -eq 2 ] || die "usage: copy NAME DEST"; known "$1"; copy_scratch "$1" "$2" ;;
  test) [ $# -ge 1 ] || die "usage: test NAME [--in DIR] [ARGS...]"; known "$1"; run_tests "$@" ;;
  *) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//' >&2; [ "$cmd" = -h ] || [ "$cmd" = --help ] || exit 2 ;;
esac
