#!/bin/sh
# Re-vendor the files Great Expectations' Data Docs load from CDNs, from the npm registry.
# Run from the repository root: sh traveltide/quality/docs_assets/refresh.sh
# Versions are the ones GX 1.24 references; vega/vega-lite/vega-embed are the newest 5.x/5.x/6.x
# when last refreshed (the CDN URLs say only @5/@6). Change a version here, then update
# CDN_ASSETS in traveltide/quality/offline_docs.py and the table in README.md.
set -eu
dest="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# vendor <npm spec> <target dir> <file in package>=<path under target dir> ...
vendor() {
    spec="$1" dir="$2"
    shift 2
    (cd "$work" && npm pack --silent "$spec" >"$work/name")
    rm -rf "$work/package" && tar xzf "$work/$(cat "$work/name")" -C "$work"
    rm -rf "${dest:?}/$dir"
    for pair in "$@"; do
        mkdir -p "$(dirname "$dest/$dir/${pair#*=}")"
        cp "$work/package/${pair%%=*}" "$dest/$dir/${pair#*=}"
    done
}

vendor jquery@3.7.1 jquery-3.7.1 dist/jquery.min.js=jquery.min.js LICENSE.txt=LICENSE.txt
vendor popper.js@1.12.9 popper.js-1.12.9 dist/umd/popper.min.js=umd/popper.min.js
vendor bootstrap@4.3.1 bootstrap-4.3.1 dist/css/bootstrap.min.css=css/bootstrap.min.css \
    dist/js/bootstrap.min.js=js/bootstrap.min.js LICENSE=LICENSE
vendor bootstrap-table@1.19.1 bootstrap-table-1.19.1 dist/bootstrap-table.min.css=bootstrap-table.min.css \
    dist/bootstrap-table.min.js=bootstrap-table.min.js \
    dist/extensions/filter-control/bootstrap-table-filter-control.min.js=extensions/filter-control/bootstrap-table-filter-control.min.js \
    LICENSE=LICENSE
vendor bootstrap-table@1.19.0 bootstrap-table-1.19.0 \
    dist/extensions/filter-control/bootstrap-table-filter-control.min.css=extensions/filter-control/bootstrap-table-filter-control.min.css \
    LICENSE=LICENSE
vendor bootstrap-datepicker@1.9.0 bootstrap-datepicker-1.9.0 dist/css/bootstrap-datepicker.min.css=css/bootstrap-datepicker.min.css \
    dist/js/bootstrap-datepicker.min.js=js/bootstrap-datepicker.min.js LICENSE=LICENSE
vendor @fortawesome/fontawesome-free@6.6.0 fontawesome-free-6.6.0 css/all.min.css=css/all.min.css \
    webfonts/fa-brands-400.woff2=webfonts/fa-brands-400.woff2 webfonts/fa-regular-400.woff2=webfonts/fa-regular-400.woff2 \
    webfonts/fa-solid-900.woff2=webfonts/fa-solid-900.woff2 webfonts/fa-v4compatibility.woff2=webfonts/fa-v4compatibility.woff2 \
    LICENSE.txt=LICENSE.txt
vendor @forevolve/bootstrap-dark@1.1.0 bootstrap-dark-1.1.0 dist/css/bootstrap-prefers-dark.min.css=css/bootstrap-prefers-dark.min.css \
    LICENSE=LICENSE
vendor vega@5.33.1 vega-5.33.1 build/vega.min.js=vega.min.js
vendor vega-lite@5.23.0 vega-lite-5.23.0 build/vega-lite.min.js=vega-lite.min.js LICENSE=LICENSE
vendor vega-embed@6.29.0 vega-embed-6.29.0 build/vega-embed.min.js=vega-embed.min.js LICENSE=LICENSE
