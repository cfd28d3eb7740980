#!/usr/bin/env bash
# Replaces error-code string literals with latchkey_proto::ErrorCode variants in the
# given Rust files (default: every file under crates/server/src):
#   .code("NOT_FOUND")                 → .code(ErrorCode::NotFound)
#   ApiError::unauthorized("X", …)     → ApiError::unauthorized(ErrorCode::X, …)
#   ApiError::unprocessable(\n "X", …) → ApiError::unprocessable(ErrorCode::X, …)
# and adds `use latchkey_proto::ErrorCode;` to each changed file that lacks it. Codes
# computed at run time (format!, tuples of literals, core's `LimitExceeded::code()`)
# are left for the compiler to point out once `ApiError` takes only `ErrorCode`; the
# script lists the literals it did not touch. Run `cargo fmt --all` afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ $# -eq 0 ]; then
    set -- $(grep -rlE '"[A-Z][A-Z_]{3,}"' crates/server/src --include='*.rs')
fi
for file in "$@"; do
    perl -0pi -e '
        sub camel { join "", map { ucfirst lc } split /_/, $_[0] }
        my $n = s/((?:\.code|\bunauthorized|\bunprocessable)\(\s*)"([A-Z][A-Z_]{3,})"/$1 . "ErrorCode::" . camel($2)/ge;
        if ($n && !/use latchkey_proto::(?:ErrorCode|\{[^}]*\bErrorCode\b)/) {
            # After the first `use` line of the file (or its inner doc comment).
            s/^(use [^\n]*\n)/use latchkey_proto::ErrorCode;\n$1/m
                or s/\A((?:\/\/![^\n]*\n)*)/$1\nuse latchkey_proto::ErrorCode;\n/;
        }
    ' "$file"
done
echo "Literals left (check those that are error codes):" >&2
grep -nE '"[A-Z][A-Z_]{3,}"' "$@" | grep -vE 'assert|#\[' >&2 || true
