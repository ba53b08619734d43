#!/usr/bin/env bash
# Rebuild dvc_plots.html, the page template `dvc plots show/diff` fills (.dvc/config: plots.html_template),
# with Vega, Vega-Lite and Vega-Embed inlined from their npm packages, so the plots render offline
# (DVC's own template loads them from a CDN). Versions: below; bump them here and rerun.
set -euo pipefail
cd "$(dirname "$0")"
packages=(vega@6.4.0 vega-lite@6.5.0 vega-embed@7.3.0)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "${packages[@]}" >/dev/null)
{
  echo '<!DOCTYPE html>'
  echo '<html>'
  echo '<head>'
  echo '<meta charset="utf-8">'
  echo '{refresh_tag}'
  echo '<title>DVC plots</title>'
  for package in "${packages[@]}"; do
    name=${package%@*}
    tarball=$(ls "$work/$name"-[0-9]*.tgz)
    tar -xzf "$tarball" -C "$work" package/build/"$name".min.js
    echo "<!-- $package (BSD-3-Clause), npm tarball sha256 $(sha256sum "$tarball" | cut -d' ' -f1) -->"
    echo '<script>'
    cat "$work/package/build/$name.min.js"
    echo
    echo '</script>'
    rm -r "$work/package"
  done
  echo '<style>table { border-spacing: 15px; } body { font-family: sans-serif; }</style>'
  echo '</head>'
  echo '<body>'
  echo '{plot_divs}'
  echo '</body>'
  echo '</html>'
} > dvc_plots.html.tmp
mv dvc_plots.html.tmp dvc_plots.html
