#!/usr/bin/env bash
# Refresh the front-end assets served from src/paperwire/web/static/vendor (no CDN): KaTeX (math in
# titles and abstracts), htmx and Swagger UI (the API docs at /docs), at the versions pinned in package.json / package-lock.json.
#   npm ci && bash scripts/vendor_assets.sh
# The copied files are committed, so `make run` needs no npm step.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/katex ] && [ -d node_modules/htmx.org ] && [ -d node_modules/swagger-ui-dist ] || npm ci --no-audit --no-fund
dest=src/paperwire/web/static/vendor
rm -rf "$dest"
mkdir -p "$dest/katex/fonts" "$dest/swagger-ui"
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
  node_modules/swagger-ui-dist/LICENSE node_modules/swagger-ui-dist/NOTICE "$dest/swagger-ui/"
sed -i '/^\/\/# sourceMappingURL=/d' "$dest/swagger-ui/swagger-ui-bundle.js"  # the .map files are not shipped
sed -i 's#/\*\# sourceMappingURL=[^*]*\*/##' "$dest/swagger-ui/swagger-ui.css"
cp node_modules/htmx.org/dist/htmx.min.js "$dest/"
cp node_modules/htmx.org/LICENSE "$dest/htmx.LICENSE"
cp node_modules/katex/dist/katex.min.js node_modules/katex/dist/contrib/auto-render.min.js "$dest/katex/"
cp node_modules/katex/LICENSE "$dest/katex/LICENSE"
cp node_modules/katex/dist/fonts/*.woff2 "$dest/katex/fonts/"
# only woff2 fonts are shipped (every browser KaTeX supports reads them): drop the woff/ttf fallbacks
sed -E 's/,url\(fonts\/[A-Za-z0-9_-]+\.(woff|ttf)\) format\("(woff|truetype)"\)//g' \
  node_modules/katex/dist/katex.min.css > "$dest/katex/katex.min.css"
if grep -qE '\.(woff|ttf)\)' "$dest/katex/katex.min.css"; then
  echo "vendor_assets: katex.min.css still names woff/ttf fonts; update the sed expression" >&2
  exit 1
fi
printf 'htmx.org %s\nkatex %s\nswagger-ui-dist %s\n' \
  "$(node -p 'require("./node_modules/htmx.org/package.json").version')" \
  "$(node -p 'require("./node_modules/katex/package.json").version')" \
  "$(node -p 'require("./node_modules/swagger-ui-dist/package.json").version')" > "$dest/VERSIONS"
du -sh "$dest"
